/*
 * test_inflate.c - compressed debug files handed to libdw inflated
 * (profiler/symbols_inflate.c):
 *   1. a copy of this test with its DWARF zlib-compressed (objcopy
 *      --compress-debug-sections=zlib) comes back as another fd whose
 *      sections are not compressed any more, the build-id note where it was;
 *      libdw reads from it the same file and line for inflate_target as
 *      from this executable itself;
 *   2. what is not such a file comes back as the same fd, untouched: an
 *      uncompressed ELF, a truncated copy (section headers past its end),
 *      garbage, a compressed section whose deflate stream is damaged, an
 *      empty file, -1.
 * Skipped (77) without libdeflate at build time or without objcopy.
 */
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dwfl_offline.h"
#include "profiler/symbols_internal.h"

__attribute__((noinline)) int inflate_target(int x)
{
	return x * 3 + 1;       /* the line libdw must name */
}


/* File and line of inflate_target's first address in the ELF on fd (its
   own: the Dwfl takes it); false when libdw finds none. */
static bool line_of(int fd, uint64_t off, char *file, size_t size, int *line)
{
	Dwfl *dwfl = dwfl_begin(&dwfl_offline_callbacks);
	Dwfl_Module *mod = dwfl ? dwfl_report_elf(dwfl, "t", "t", fd, 0, false) : NULL;
	Dwfl_Line *l;
	const char *src;
	bool ok = false;

	if (mod) {
		dwfl_report_end(dwfl, NULL, NULL);
		l = dwfl_module_getsrc(mod, off);
		src = l ? dwfl_lineinfo(l, NULL, line, NULL, NULL, NULL) : NULL;
		if (src) {
			snprintf(file, size, "%s", src);
			ok = true;
		}
	} else {
		close(fd);
	}
	if (dwfl)
		dwfl_end(dwfl);
	return ok;
}

/* Sections of the ELF on fd: compressed ones, and whether a location list
   is there as NOBITS and .debug_info with bytes. */
static void scan(int fd, int *compressed, bool *loclists_nobits, bool *info)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	*compressed = 0;
	*loclists_nobits = *info = false;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		*compressed += !!(sh.sh_flags & SHF_COMPRESSED);
		if (!strncmp(name, ".debug_loc", 10) && sh.sh_type == SHT_NOBITS)
			*loclists_nobits = true;
		if (!strcmp(name, ".debug_info") && sh.sh_type == SHT_PROGBITS && sh.sh_size)
			*info = true;
	}
	elf_end(elf);
}

/* symbols_inflate__fd(fd) == fd for a file holding bytes[0, n). */
static void untouched(const char *path, const void *bytes, size_t n)
{
	FILE *f = fopen(path, "w");
	int fd;

	CHECK(f && fwrite(bytes, 1, n, f) == n);
	if (f)
		fclose(f);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_U64(symbols_inflate__fd(fd), fd);
	close(fd);
}

int main(void)
{
	char self[4096], dir[] = "/tmp/nl-inflate-XXXXXX", packed[4200], cmd[8500], file[512];
	char want_file[512], junk[2048];
	int want_line = 0, line = 0, fd, mfd, compressed;
	bool nobits, info;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	Dwfl_Module *mod;
	Dwfl *dwfl;
	GElf_Addr bias = 0;
	uint64_t off;
	const unsigned char *id_mem, *id_img;
	Elf *e;

#ifndef NUMALENS_HAVE_LIBDEFLATE
	printf("SKIP: built without libdeflate: libdw inflates debug sections itself\n");
	return 77;
#endif
	CHECK(inflate_target(1) == 4);
	elf_version(EV_CURRENT);
	if (n <= 0 || !mkdtemp(dir))
		return check_done();
	self[n] = 0;
	snprintf(packed, sizeof(packed), "%s/packed", dir);
	snprintf(cmd, sizeof(cmd), "objcopy --compress-debug-sections=zlib '%s' '%s' 2>/dev/null",
		 self, packed);
	if (system(cmd)) {
		printf("SKIP: objcopy --compress-debug-sections=zlib failed (binutils missing?)\n");
		return 77;
	}
	/* inflate_target's file offset, from this executable's own module */
	dwfl = dwfl_begin(&dwfl_offline_callbacks);
	mod = dwfl_report_elf(dwfl, "self", self, -1, 0, false);
	dwfl_report_end(dwfl, NULL, NULL);
	CHECK(mod != NULL);
	if (!mod)
		return check_done();
	dwfl_module_getelf(mod, &bias);
	off = (uint64_t)(uintptr_t)&inflate_target;
	{
		/* the running address back to the ELF's: through /proc/self/maps */
		FILE *maps = fopen("/proc/self/maps", "r");
		char l[600];
		unsigned long lo, hi, pgoff;

		while (maps && fgets(l, sizeof(l), maps))
			if (sscanf(l, "%lx-%lx %*s %lx", &lo, &hi, &pgoff) == 3 && off >= lo && off < hi &&
			    strstr(l, self)) {
				off = off - lo + pgoff;
				break;
			}
		if (maps)
			fclose(maps);
	}
	dwfl_end(dwfl);
	/* file offset -> address in the ELF: the text segment's vaddr = offset
	   in a non-prelinked PIE/ET_EXEC produced by gcc (checked by libdw
	   giving a line at all) */
	CHECK(line_of(open(self, O_RDONLY), off, want_file, sizeof(want_file), &want_line));
	CHECK(strstr(want_file, "test_inflate.c") != NULL);

	fd = open(packed, O_RDONLY);
	scan(fd, &compressed, &nobits, &info);
	CHECK(compressed > 0);          /* the copy is what the test means */
	mfd = symbols_inflate__fd(fd);
	CHECK(mfd >= 0 && mfd != fd);
	if (mfd < 0 || mfd == fd)
		return check_done();
	scan(mfd, &compressed, &nobits, &info);
	CHECK_EQ_U64(compressed, 0);
	CHECK(info);
	/* the same build-id note, so libdwfl takes it for the same file */
	e = elf_begin(mfd, ELF_C_READ, NULL);
	fd = open(self, O_RDONLY);
	{
		Elf *o = elf_begin(fd, ELF_C_READ, NULL);
		int a = o ? dwelf_elf_gnu_build_id(o, (const void **)&id_mem) : -1;
		int b = e ? dwelf_elf_gnu_build_id(e, (const void **)&id_img) : -1;

		CHECK(a > 0 && a == b && !memcmp(id_mem, id_img, (size_t)a));
		if (o)
			elf_end(o);
	}
	close(fd);
	if (e)
		elf_end(e);
	CHECK(line_of(mfd, off, file, sizeof(file), &line));
	CHECK_EQ_STR(file, want_file);
	CHECK_EQ_U64(line, want_line);

	/* not for inflating: the same fd back */
	CHECK_EQ_U64(symbols_inflate__fd(-1), (uint64_t)-1);
	fd = open(self, O_RDONLY);      /* not compressed (built -g, plain) */
	scan(fd, &compressed, &nobits, &info);
	if (!compressed) {
		CHECK_EQ_U64(symbols_inflate__fd(fd), fd);
	}
	close(fd);
	{
		FILE *f = fopen(packed, "r");
		static char head[1 << 22];
		size_t got = f ? fread(head, 1, sizeof(head), f) : 0;

		if (f)
			fclose(f);
		snprintf(file, sizeof(file), "%s/cut", dir);
		CHECK(got > 4096 && got < sizeof(head));
		untouched(file, head, got - 64); /* section headers past the end */
		memset(junk, 0x5a, sizeof(junk));
		memcpy(junk, head, 64);         /* an ELF header, then garbage */
		untouched(file, junk, sizeof(junk));
		untouched(file, "\x7f" "ELF", 4);
		/* a deflate stream gone bad: libdw is left to say so, as before */
		fd = open(packed, O_RDONLY);
		e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		{
			Elf_Scn *scn = NULL;
			GElf_Shdr sh;
			size_t at = 0;

			size_t names = 0;
			const char *name;

			if (e)
				elf_getshdrstrndx(e, &names);
			while (e && (scn = elf_nextscn(e, scn)))
				if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED) &&
				    (name = elf_strptr(e, names, sh.sh_name)) &&
				    !strcmp(name, ".debug_info") && sh.sh_size > 64 &&
				    sh.sh_offset + sh.sh_size <= got)
					at = (size_t)(sh.sh_offset + sizeof(Elf64_Chdr) + 2);
			CHECK(at > 0);
			for (size_t i = at; at && i < at + 32; i++)
				head[i] ^= 0xa5;
		}
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
		untouched(file, head, got);
		untouched(file, "", 0);
	}
	unlink(file);
	unlink(packed);
	rmdir(dir);
	return check_done();
}
