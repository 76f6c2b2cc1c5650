/*
 * fuzz_symbols.c - the symbol layer (profiler/symbols.c) fed with garbage:
 * an ELF file (opened through --symfs, read by libelf/libdw) and a JIT map
 * (/tmp/perf-PID.map, read with force_jit_maps), then addresses resolved
 * in both, as `numalens report --symfs DIR` does.
 *
 * Input: u32 elf_len, u32 map_len, 4 x u64 offsets, then the ELF bytes and
 * the perf-PID.map text.  Seeds: small ELF files of this machine and a
 * JIT map (tests/fuzz/seeds.py, at run time).  Checked beyond the
 * sanitizers: symbols__free closes every descriptor the layer opened.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "profiler/symbols.h"

#define HEAD (8 + 4 * 8)

static char symfs[64], elf_path[96], map_path[64];
static int jit_pid;

static void cleanup(void)
{
	unlink(elf_path);
	unlink(map_path);
	snprintf(elf_path, sizeof(elf_path), "%s/fuzz", symfs);
	rmdir(elf_path);
	rmdir(symfs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a pid no process has (above pid_max's default), so the map is ours */
	jit_pid = 4000000 + (int)getpid() % 100000;
	snprintf(symfs, sizeof(symfs), "/dev/shm/nl-fuzz-symfs-%d", (int)getpid());
	snprintf(elf_path, sizeof(elf_path), "%s/fuzz", symfs);
	mkdir(symfs, 0700);
	mkdir(elf_path, 0700);
	snprintf(elf_path, sizeof(elf_path), "%s/fuzz/libfuzz.so", symfs);
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", jit_pid);
	atexit(cleanup);
	return 0;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	if (n && write(fd, p, n) != (ssize_t)n) {
		/* short: the reader sees a shorter file */
	}
	close(fd);
}

/* Open descriptors of this process (symbols__free must close all it opened). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void touch(const struct nl_code_loc *loc)
{
	volatile size_t sink = 0;

	if (!loc)
		return;
	sink += fuzz_touch_string(loc->symbol);
	for (uint32_t i = 0; i < loc->nr_frames; i++)
		sink += fuzz_touch_string(loc->frames[i].function) +
			fuzz_touch_string(loc->frames[i].file);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_symbols_options o = { .symfs = symfs, .force_jit_maps = true };
	struct nl_mmap_event m = { .pid = 4242, .tid = 4242, .start = 0x400000,
				   .len = 0x1000000, .filename = "/fuzz/libfuzz.so" };
	uint32_t elf_len, map_len;
	uint64_t off[4];
	struct nl_symbols *s;
	uint32_t dso, jit;

	int fds_before;

	if (size < HEAD)
		return 0;
	fds_before = open_fds();
	memcpy(&elf_len, data, 4);
	memcpy(&map_len, data + 4, 4);
	memcpy(off, data + 8, sizeof(off));
	if (elf_len > size - HEAD)
		elf_len = (uint32_t)(size - HEAD);
	if (map_len > size - HEAD - elf_len)
		map_len = (uint32_t)(size - HEAD - elf_len);
	write_file(elf_path, data + HEAD, elf_len);
	write_file(map_path, data + HEAD + elf_len, map_len);
	s = symbols__new(&o, NULL);
	if (!s)
		return 0;
	dso = symbols__dso_of_mapping(s, m.pid, &m);
	jit = symbols__jit_dso(s, jit_pid);
	for (int i = 0; i < 4; i++) {
		touch(symbols__resolve(s, dso, off[i] & 0xffffffffffffull));
		touch(symbols__resolve(s, jit, off[i]));
	}
	for (const char *const *n = symbols__notes(s); n && *n; n++)
		fuzz_touch_string(*n);
	symbols__free(s);
	if (open_fds() != fds_before)
		fuzz_fail("symbols__free left %d descriptors open", open_fds() - fds_before);
	return 0;
}
