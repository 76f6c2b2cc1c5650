/*
 * pyruntime.c - the interpreter of one process.  See pyruntime.h.
 */
#include "samplers/pyruntime.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "samplers/base/sys.h"

#define MAPS_MAX (16u << 20)

/* What a mapped file is, from its name. */
enum kind { K_OTHER, K_PYTHON, K_PYPY };

static enum kind kind_of(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (strstr(b, "pypy"))
		return K_PYPY;
	if (!strncmp(b, "libpython3", 10) || !strncmp(b, "python3", 7) || !strcmp(b, "python"))
		return K_PYTHON;
	return K_OTHER;
}

bool pyruntime__candidate(const char *path)
{
	return kind_of(path) != K_OTHER;
}

struct syms {
	uint64_t runtime, version;      /* st_value, 0 when absent */
	uint64_t load_vaddr;            /* p_vaddr - p_offset of the first PT_LOAD */
	bool exec;                      /* ET_EXEC: no bias */
};

static void scan_symtab(Elf *e, struct syms *s, Elf64_Word type)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || !sym.st_value ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			if (!s->runtime && !strcmp(name, "_PyRuntime"))
				s->runtime = sym.st_value;
			else if (!s->version && !strcmp(name, "Py_Version"))
				s->version = sym.st_value;
		}
	}
}

static int read_syms(const struct nl_sys *sys, const char *path, struct syms *s)
{
	int fd = sys->open(path, O_RDONLY | O_CLOEXEC);
	GElf_Ehdr eh;
	size_t nph;
	Elf *e;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return fd;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || !gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph)) {
		if (e)
			elf_end(e);
		sys->close(fd);
		return -ENOEXEC;
	}
	s->exec = eh.e_type == ET_EXEC;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
			s->load_vaddr = ph.p_vaddr - ph.p_offset;
			break;
		}
	}
	scan_symtab(e, s, SHT_SYMTAB);
	if (!s->runtime || !s->version)
		scan_symtab(e, s, SHT_DYNSYM);
	elf_end(e);
	sys->close(fd);
	return 0;
}

/* The lowest mapping of the first CPython-looking file: OUT path, start - pgoff. */
static enum kind find_file(const char *maps, char *path, size_t size, uint64_t *base)
{
	enum kind best = K_OTHER;
	const char *line = maps;

	while (line && *line) {
		unsigned long long start, end, pgoff;
		char perms[8];
		int name_at = 0;
		const char *nl = strchr(line, '\n');

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff,
			   &name_at) >= 4 && name_at > 0 && line[name_at] == '/') {
			size_t n = nl ? (size_t)(nl - line - name_at) : strlen(line + name_at);
			char name[512];
			enum kind k;

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, line + name_at, n);
			name[n] = '\0';
			k = kind_of(name);
			/* libpython wins over the executable that maps it */
			if (k != K_OTHER && (best == K_OTHER || (k == K_PYTHON && strstr(name, "libpython") &&
								 !strstr(path, "libpython")))) {
				best = k;
				snprintf(path, size, "%s", name);
				*base = start - pgoff;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return best;
}

/* read_syms through the cache: a file already read (same identity) is not read again. */
static int cached_syms(const struct nl_sys *sys, const char *path, struct nl_pysyms_cache *c,
		       struct syms *s)
{
	struct stat st;
	uint64_t mt;
	int e, i;

	if (!c || stat(path, &st))
		return read_syms(sys, path, s);
	mt = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
	for (i = 0; i < c->nr; i++) {
		if (c->file[i].dev == st.st_dev && c->file[i].ino == st.st_ino &&
		    c->file[i].size == (uint64_t)st.st_size && c->file[i].mtime_ns == mt) {
			s->runtime = c->file[i].runtime;
			s->version = c->file[i].version;
			s->load_vaddr = c->file[i].load_vaddr;
			s->exec = c->file[i].exec;
			return 0;
		}
	}
	e = read_syms(sys, path, s);
	if (e || c->nr >= NL_PYSYMS_CACHED)
		return e;
	c->file[c->nr].dev = st.st_dev;
	c->file[c->nr].ino = st.st_ino;
	c->file[c->nr].size = (uint64_t)st.st_size;
	c->file[c->nr].mtime_ns = mt;
	c->file[c->nr].runtime = s->runtime;
	c->file[c->nr].version = s->version;
	c->file[c->nr].load_vaddr = s->load_vaddr;
	c->file[c->nr].exec = s->exec;
	c->nr++;
	return 0;
}

int pyruntime__find(const struct nl_sys *sys, int pid, struct nl_pyruntime *out)
{
	return pyruntime__find_cached(sys, pid, NULL, out);
}

int pyruntime__find_cached(const struct nl_sys *sys, int pid, struct nl_pysyms_cache *cache,
			   struct nl_pyruntime *out)
{
	char mpath[64], *maps = NULL;
	uint8_t dbg[600];
	struct syms s;
	uint64_t base = 0, bias;
	uint32_t version;
	size_t len;
	ssize_t r;
	int e;

	memset(out, 0, sizeof(*out));
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	e = sys__read_file(sys, mpath, MAPS_MAX, &maps, &len);
	if (e)
		return e == -ENOENT ? -ESRCH : e;
	switch (find_file(maps, out->file, sizeof(out->file), &base)) {
	case K_OTHER:
		free(maps);
		return -ENOENT;
	case K_PYPY:
		free(maps);
		return -ENOEXEC;
	default:
		break;
	}
	free(maps);
	snprintf(out->open_path, sizeof(out->open_path), "/proc/%d/root%s", pid, out->file);
	e = cached_syms(sys, out->open_path, cache, &s);
	if (e)
		return e;
	if (!s.runtime)
		return -ENODATA;
	if (!s.version)         /* Py_Version came with 3.11 */
		return -ENOTSUP;
	bias = s.exec ? 0 : base - s.load_vaddr;
	r = sys__read_memory(sys, pid, s.version + bias, &version, sizeof(version));
	if (r < 0)
		return (int)r;
	if (r != sizeof(version))
		return -EFAULT;
	out->version = version;
	out->runtime = s.runtime + bias;
	if (pylayout__builtin(version >> 24, (version >> 16) & 0xff)) {
		out->layout = *pylayout__builtin(version >> 24, (version >> 16) & 0xff);
		return 0;
	}
	if ((version >> 24) != 3 || ((version >> 16) & 0xff) < 13)
		return -ENOTSUP;
	r = sys__read_memory(sys, pid, out->runtime, dbg, sizeof(dbg));
	if (r < 0)
		return (int)r;
	e = pylayout__from_debug_offsets(dbg, (size_t)r, 3, (version >> 16) & 0xff, &out->layout);
	return e ? -ENOTSUP : 0;
}
