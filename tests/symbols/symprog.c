/*
 * symprog.c - the program the symbol tests profile: it first-touches
 * buffers from known functions at known lines, marked "MARK:<name>" on the
 * touching line, which check_symbols.py reads to know what to expect.
 *   fill_buffer          16384 pages (noinline)
 *   fill_inline_caller    8192 pages through touch_page (always inlined)
 *   lib_touch             4096 pages, in a library loaded with dlopen
 *   read_buffer          reads everything back a few times (cpu-clock)
 *   kernel_fill           256 pages filled by read(2) from /dev/zero: the
 *                        kernel's faults (kernel IPs, /proc/kallsyms)
 *   qsort_fill           1024 pages touched by cmp_touch, the comparator
 *                        libc's qsort calls: a stack through libc, which
 *                        Debian builds without frame pointers (--call-graph
 *                        dwarf unwinds it, fp cannot)
 *   jit_fill             2048 pages, from code copied into an anonymous
 *                        executable mapping and named in /tmp/perf-PID.map
 *                        (x86-64 only), with one line that does not parse
 * Usage: symprog LIBRARY.so [--jit-map-writable | --jit-map-foreign]
 * (the options make the JIT map writable by others, or owned by another user
 * (nobody, when run as root): either way it must be ignored)
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096

static void *map(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* A call makes the fillers non-leaf, so they set up frame pointers and
   their callers show in --call-graph fp stacks. */
__attribute__((noinline)) void sink(volatile char *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) void fill_buffer(volatile char *buf, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		buf[i * PAGE] = (char)i; /* MARK:fill */
	sink(buf);
}

static inline __attribute__((always_inline)) void touch_page(volatile char *p, size_t i)
{
	p[i * PAGE] = (char)(i + 1); /* MARK:inline */
}

__attribute__((noinline)) void fill_inline_caller(volatile char *buf, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		touch_page(buf, i);
	sink(buf);
}

__attribute__((noinline)) long read_buffer(volatile char *buf, size_t pages, int rounds)
{
	long sum = 0;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < pages * PAGE; i += 64)
			sum += buf[i]; /* MARK:read */
	return sum;
}

__attribute__((noinline)) void kernel_fill(char *buf, size_t pages)
{
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0 || read(fd, buf, pages * PAGE) < 0)
		perror("/dev/zero");
	if (fd >= 0)
		close(fd);
	sink(buf);
}

#define QSORT_PAGES 1024
static volatile char *qsort_buf;

__attribute__((noinline)) int cmp_touch(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	qsort_buf[x * PAGE] = qsort_buf[y * PAGE] = 1; /* MARK:qsort */
	return (x > y) - (x < y);
}

__attribute__((noinline)) void qsort_fill(volatile char *buf)
{
	static size_t idx[QSORT_PAGES];

	for (size_t i = 0; i < QSORT_PAGES; i++)
		idx[i] = (i * 7919) % QSORT_PAGES;
	qsort_buf = buf;
	qsort(idx, QSORT_PAGES, sizeof(idx[0]), cmp_touch);
	sink(buf);
}

/* jit_fill(buf, pages): xor eax,eax; 1: mov [rdi],al; add rdi,4096;
   dec rsi; jnz 1b; ret */
static const unsigned char jit_code[] = {
	0x31, 0xc0, 0x88, 0x07, 0x48, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00,
	0x48, 0xff, 0xce, 0x75, 0xf2, 0xc3,
};

static void jit_fill(volatile char *buf, size_t pages, int writable, int foreign)
{
#if defined(__x86_64__)
	void (*fn)(volatile char *, size_t);
	char path[64];
	void *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *f;

	if (code == MAP_FAILED)
		return;
	memcpy(code, jit_code, sizeof(jit_code));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%lx %zx jit_fill\nthis line does not parse\n", (unsigned long)code,
		sizeof(jit_code));
	fclose(f);
	if (writable)
		chmod(path, 0666);
	if (foreign && chown(path, 65534, 65534))
		perror("chown");
	fn = (void (*)(volatile char *, size_t))code;
	fn(buf, pages);
#else
	(void)buf, (void)pages, (void)writable, (void)foreign;
#endif
}

int main(int argc, char **argv)
{
	void (*lib_touch)(volatile char *, size_t);
	volatile char *a = map(16384), *b = map(8192), *c = map(4096), *d = map(256), *e = map(2048);
	volatile char *q = map(QSORT_PAGES);
	void *lib;

	if (argc < 2) {
		fprintf(stderr, "usage: symprog LIBRARY.so\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib || !(lib_touch = (void (*)(volatile char *, size_t))dlsym(lib, "lib_touch"))) {
		fprintf(stderr, "symprog: %s\n", dlerror());
		return 1;
	}
	fill_buffer(a, 16384);
	fill_inline_caller(b, 8192);
	lib_touch(c, 4096);
	kernel_fill((char *)d, 256);
	qsort_fill(q);
	jit_fill(e, 2048, argc > 2 && !strcmp(argv[2], "--jit-map-writable"),
		 argc > 2 && !strcmp(argv[2], "--jit-map-foreign"));
	printf("pid %d\n", (int)getpid());
	printf("%ld\n", read_buffer(a, 16384, 2));
	return 0;
}
