/*
 * symbols_inflate.c - compressed debug files, inflated for libdw faster
 * than libdw does it.  See symbols_internal.h (symbols_inflate__fd).
 *
 * Debian's debug files (/usr/lib/debug/.build-id/) hold their DWARF in
 * SHF_COMPRESSED zlib sections, and libdw inflates every one of them with
 * zlib when it opens the DWARF: libc's 10 MiB took 37 ms, a fifth of a
 * report's CPU.  Instead libdwfl is handed an anonymous memory file (memfd)
 * that holds the debug file's own bytes unchanged (program headers, notes
 * and build-id stay where they were, so libdwfl's checks see the same
 * file), then each compressed section inflated with libdeflate (about
 * twice zlib's speed, one call per section), then a section header table
 * naming the inflated copies.  Location lists (.debug_loclists,
 * .debug_loc: where variables live, 14 % of libc's DWARF) are never read
 * by the symbol layer (functions, lines, inline frames): they become
 * SHT_NOBITS and are not inflated at all.
 *
 * Anything unexpected (not a 64-bit ELF of this machine's byte order, a
 * header or section outside the file, a compression other than zlib, an
 * inflate that fails or gives another size, no memfd) keeps the original
 * file: libdw then reads it as before, damage and all, and says what it
 * says about it.  Built without libdeflate, the original is always kept.
 */
#include "profiler/symbols_internal.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef NUMALENS_HAVE_LIBDEFLATE

#include <libdeflate.h>

/* A debug file or section larger than this is left to libdw. */
#define INFLATE_MAX (1ull << 30)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) / a * a : v;
}

/* Whether section sh's name (in the names section) is a location list. */
static bool location_lists(const uint8_t *in, uint64_t size, const Elf64_Shdr *names,
			   const Elf64_Shdr *sh)
{
	static const char *const skip[] = { ".debug_loclists", ".debug_loc" };
	uint64_t at = names->sh_offset + sh->sh_name;

	if (names->sh_type == SHT_NOBITS || sh->sh_name >= names->sh_size || at >= size)
		return false;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		size_t n = strlen(skip[i]) + 1;

		if (n <= size - at && !memcmp(in + at, skip[i], n))
			return true;
	}
	return false;
}

/* A compressed section of the file: where its bytes are, where they go. */
struct packed {
	uint64_t off, len;      /* in the file (Chdr and deflate stream) */
	uint64_t out;           /* its inflated bytes in the image, 0: dropped */
};

/* Index of the packed section that starts first at or after from, or n. */
static unsigned next_packed(const struct packed *p, unsigned n, uint64_t from)
{
	unsigned best = n;

	for (unsigned i = 0; i < n; i++)
		if (p[i].off + p[i].len > from && (best == n || p[i].off < p[best].off))
			best = i;
	return best;
}

/*
 * The inflated image of in (size bytes) into a new memfd, or -1.  sh: the
 * file's section headers (changed to the image's).
 */
static int inflate_image(const uint8_t *in, uint64_t size, Elf64_Ehdr *eh, Elf64_Shdr *sh)
{
	struct packed *p = calloc(eh->e_shnum, sizeof(*p));
	unsigned n = 0, kept = 0;
	const Elf64_Shdr *names = &sh[eh->e_shstrndx];
	struct libdeflate_decompressor *dec = NULL;
	uint64_t total = align_up(size, 4096), start = total, shoff;
	uint8_t *out = MAP_FAILED;
	int mfd = -1;

	if (!p)
		goto out;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		Elf64_Chdr ch;

		if (sh[i].sh_type == SHT_NOBITS || !(sh[i].sh_flags & SHF_COMPRESSED))
			continue;
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    sh[i].sh_size < sizeof(ch))
			goto out;
		memcpy(&ch, in + sh[i].sh_offset, sizeof(ch));
		if (ch.ch_type != ELFCOMPRESS_ZLIB || ch.ch_size > INFLATE_MAX ||
		    ch.ch_addralign > 4096)
			goto out;
		p[n] = (struct packed){ .off = sh[i].sh_offset, .len = sh[i].sh_size };
		if (location_lists(in, size, names, &sh[i])) {
			sh[i].sh_type = SHT_NOBITS;     /* never read: not inflated */
		} else {
			p[n].out = total = align_up(total, ch.ch_addralign);
			total += ch.ch_size;
			sh[i].sh_offset = p[n].out;
			sh[i].sh_addralign = ch.ch_addralign;
			kept++;
		}
		sh[i].sh_size = ch.ch_size;
		sh[i].sh_flags &= ~(uint64_t)SHF_COMPRESSED;
		n++;
	}
	shoff = align_up(total, 8);
	total = shoff + (uint64_t)eh->e_shnum * sizeof(*sh);
	if (!kept || total > INFLATE_MAX)
		goto out;
	mfd = memfd_create("numalens-debuginfo", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)total))
		goto fail;
	out = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	dec = libdeflate_alloc_decompressor();
	if (out == MAP_FAILED || !dec)
		goto fail;
#ifdef MADV_POPULATE_WRITE
	/* the inflated part made in one call, not a fault a page (a hint) */
	madvise(out + start, total - start, MADV_POPULATE_WRITE);
#endif
	/* The file's bytes but its compressed sections' (most of it): those
	   are read from in, and a memfd's pages never written cost nothing. */
	for (uint64_t from = 0; from < size;) {
		unsigned k = next_packed(p, n, from);
		uint64_t to = k < n && p[k].off > from ? p[k].off : k < n ? from : size;

		memcpy(out + from, in + from, to - from);
		from = k < n ? p[k].off + p[k].len : size;
	}
	for (unsigned k = 0; k < n; k++) {
		Elf64_Chdr ch;
		size_t got = 0;

		if (!p[k].out)
			continue;
		memcpy(&ch, in + p[k].off, sizeof(ch));
		if (libdeflate_zlib_decompress(dec, in + p[k].off + sizeof(ch), p[k].len - sizeof(ch),
					       out + p[k].out, ch.ch_size, &got) != LIBDEFLATE_SUCCESS ||
		    got != ch.ch_size)
			goto fail;
	}
	eh->e_shoff = shoff;
	memcpy(out + shoff, sh, (size_t)eh->e_shnum * sizeof(*sh));
	memcpy(out, eh, sizeof(*eh));
	goto out;
fail:
	if (mfd >= 0)
		close(mfd);
	mfd = -1;
out:
	if (out != MAP_FAILED)
		munmap(out, total);
	if (dec)
		libdeflate_free_decompressor(dec);
	free(p);
	return mfd;
}

int symbols_inflate__fd(int fd)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	struct stat st;
	uint8_t *in;
	uint64_t size;
	int mfd = -1;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(eh) ||
	    (uint64_t)st.st_size > INFLATE_MAX)
		return fd;
	size = (uint64_t)st.st_size;
	in = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (in == MAP_FAILED)
		return fd;
	memcpy(&eh, in, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
#else
	    eh.e_ident[EI_DATA] != ELFDATA2MSB ||
#endif
	    eh.e_shentsize != sizeof(*sh) || !eh.e_shnum || eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shoff > size || (uint64_t)eh.e_shnum * sizeof(*sh) > size - eh.e_shoff)
		goto out;
	sh = malloc((size_t)eh.e_shnum * sizeof(*sh));
	if (!sh)
		goto out;
	memcpy(sh, in + eh.e_shoff, (size_t)eh.e_shnum * sizeof(*sh));
	mfd = inflate_image(in, size, &eh, sh);
out:
	free(sh);
	munmap(in, size);
	if (mfd < 0)
		return fd;
	close(fd);
	return mfd;
}

#else

int symbols_inflate__fd(int fd)
{
	return fd;
}

#endif

/*
 * The module's debug file by its build-id, /usr/lib/debug/.build-id/NN/
 * REST.debug, where libdwfl's own search (dwfl_build_id_find_debuginfo)
 * looks first, inflated into a memfd; -1 when there is none, it is not
 * compressed (libdwfl's search then opens it as always) or its build-id
 * is not the module's (libdwfl's search refuses it then, as before).
 * libdwfl's search cannot be wrapped instead: it keeps the Elf it opened.
 */
int symbols_inflate__find(Dwfl_Module *mod, char **name)
{
	char path[sizeof(SYMBOLS_DEBUG_ROOT) + sizeof("/.build-id//.debug") + 2 * NL_BUILD_ID_MAX];
	const unsigned char *id, *have;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &id, &vaddr), fd, mfd, len;
	Elf *elf;
	bool same;

	if (n < 2 || n > NL_BUILD_ID_MAX)
		return -1;
	len = snprintf(path, sizeof(path), "%s/.build-id/%02x/", SYMBOLS_DEBUG_ROOT, id[0]);
	for (int i = 1; i < n; i++)
		len += snprintf(path + len, sizeof(path) - (size_t)len, "%02x", id[i]);
	snprintf(path + len, sizeof(path) - (size_t)len, ".debug");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	mfd = symbols_inflate__fd(fd);
	if (mfd == fd) {
		close(fd);
		return -1;
	}
	elf = elf_begin(mfd, ELF_C_READ_MMAP, NULL);
	same = elf && dwelf_elf_gnu_build_id(elf, (const void **)&have) == n && !memcmp(have, id, (size_t)n);
	if (elf)
		elf_end(elf);
	if (!same || !(*name = strdup(path))) {
		close(mfd);
		return -1;
	}
	return mfd;
}
