/*
 * test_inline.c - the inline frames of an address from the unit index
 * (profiler/symbols_inline.c) are the ones GNU addr2line -i names (its own
 * DWARF reader, what perf's srcline uses), in the same order, on real
 * DWARF with deep inlining: libpython3.11 with its Debian debug file
 * (python3.11-dbg; LTO units, ceval.c inlining thousands of calls), and
 * this test's own -O2 code.  Line-table addresses of up to MAX_UNITS units
 * are checked (PER_UNIT of them spread over a big unit), and an address
 * outside every unit's code gives none.
 * Skipped (77) without libpython3.11's debug file.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dwfl_offline.h"
#include "profiler/symbols_internal.h"

#define MAX_UNITS 400
#define PER_UNIT 400    /* addresses checked per unit at most, spread over it */


static uint64_t checked, with_inlines, deepest, mismatched;

/* Addresses looked up, with what the index named (inline frames, innermost first). */
struct lookup {
	uint64_t addr;
	int n;
	const char *names[MAX_FRAMES];
};
static struct lookup *looked;
static size_t nr_looked, cap_looked;

static void check_unit(struct nl_map *index, Dwarf_Die *cu)
{
	Dwarf_Lines *lines;
	size_t nlines;

	if (dwarf_getsrclines(cu, &lines, &nlines) || !nlines)
		return;
	for (size_t i = 0; i < nlines; i += nlines > PER_UNIT ? nlines / PER_UNIT : 1) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Die got[MAX_FRAMES];
		struct lookup *k;
		Dwarf_Addr addr;
		bool end;

		if (!l || dwarf_lineaddr(l, &addr) || dwarf_lineendsequence(l, &end) || end)
			continue;
		if (nr_looked == cap_looked) {
			cap_looked = cap_looked ? 2 * cap_looked : 4096;
			looked = realloc(looked, cap_looked * sizeof(*looked));
			if (!looked)
				abort();
		}
		k = &looked[nr_looked++];
		k->addr = addr;
		k->n = symbols_inline__at(index, cu, addr, got, MAX_FRAMES - 1);
		for (int f = 0; f < k->n; f++) {
			k->names[f] = dwarf_diename(&got[f]);
			if (!k->names[f])
				k->names[f] = "";
		}
	}
}

/*
 * GNU addr2line -i (binutils: its own DWARF reader, what perf's srcline
 * uses) on every address looked up: per address its function lines,
 * innermost inline first, the containing function last.  The index must
 * name the same inlined functions in the same order.
 */
static void compare_with_addr2line(const char *path)
{
	char in[] = "/tmp/numalens-test-inline-XXXXXX", cmd[512], line[4096];
	FILE *f, *p;
	int fd = mkstemp(in);
	size_t at = 0;
	int frame = 0;
	char names[MAX_FRAMES + 8][256];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	for (size_t i = 0; i < nr_looked; i++)
		fprintf(f, "%#lx\n", (unsigned long)looked[i].addr);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "addr2line -a -i -f -e '%s' < %s", path, in);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	/* blocks: "0xADDR", then (function, file:line) pairs */
	for (bool more = p && fgets(line, sizeof(line), p); more || at < nr_looked;) {
		bool head = more && !strncmp(line, "0x", 2);

		if (!more || head) {
			if (frame) {    /* the block before: compare */
				const struct lookup *k = &looked[at++];
				bool same = frame - 1 == k->n;

				for (int i = 0; same && i < k->n; i++)
					same = !strcmp(names[i], k->names[i]);
				checked++;
				with_inlines += frame > 1;
				if ((uint64_t)(frame - 1) > deepest)
					deepest = (uint64_t)(frame - 1);
				if (!same && mismatched++ < 5)
					fprintf(stderr, "%#lx: index %d inline frames (%s), addr2line %d (%s)\n",
						(unsigned long)k->addr, k->n, k->n ? k->names[0] : "-",
						frame - 1, frame > 1 ? names[0] : "-");
			}
			frame = 0;
			if (!more)
				break;
		} else if (frame < MAX_FRAMES + 8) {
			line[strcspn(line, "\n")] = 0;
			snprintf(names[frame++], sizeof(names[0]), "%.255s", line);
			if (!fgets(line, sizeof(line), p))      /* its file:line */
				line[0] = 0;
		}
		more = fgets(line, sizeof(line), p) != NULL;
	}
	if (p)
		CHECK_EQ_U64(pclose(p), 0);
	unlink(in);
	CHECK_EQ_U64(at, nr_looked);    /* one block per address */
	nr_looked = 0;
}

/* Every unit of the module (at most MAX_UNITS), then addr2line on them. */
static void check_module(Dwfl_Module *mod, const char *path)
{
	struct nl_map index = { 0 };
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL, none[MAX_FRAMES];
	int units = 0;

	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) && units++ < MAX_UNITS)
		check_unit(&index, cu);
	/* an address of no code: no frames (the first unit's index is there) */
	cu = dwfl_module_nextcu(mod, NULL, &bias);
	if (cu)
		CHECK_EQ_U64(symbols_inline__at(&index, cu, 1, none, MAX_FRAMES), 0);
	compare_with_addr2line(path);
	symbols_inline__free(&index);
	CHECK_EQ_U64(mismatched, 0);
}

static Dwfl_Module *open_module(Dwfl **dwfl, const char *path)
{
	Dwfl_Module *mod;

	*dwfl = dwfl_begin(&dwfl_offline_callbacks);
	if (!*dwfl)
		return NULL;
	dwfl_report_begin(*dwfl);
	mod = dwfl_report_offline(*dwfl, path, path, -1);
	dwfl_report_end(*dwfl, NULL, NULL);
	return mod;
}

int main(int argc, char **argv)
{
	const char *py = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr bias;

	(void)argc;
	/* this test itself: -O2 C, a few units */
	mod = open_module(&dwfl, argv[0]);
	CHECK(mod != NULL);
	if (mod)
		check_module(mod, argv[0]);
	dwfl_end(dwfl);
	printf("self: %lu addresses, %lu with inline frames\n", (unsigned long)checked,
	       (unsigned long)with_inlines);

	mod = open_module(&dwfl, py);
	if (!mod || !dwfl_module_getdwarf(mod, &bias)) {
		printf("SKIP: no DWARF for %s (apt-get install python3.11-dbg)\n", py);
		dwfl_end(dwfl);
		return check_failed ? 1 : 77;
	}
	checked = with_inlines = deepest = mismatched = 0;
	check_module(mod, py);
	dwfl_end(dwfl);
	printf("libpython3.11: %lu addresses, %lu with inline frames, up to %lu deep\n",
	       (unsigned long)checked, (unsigned long)with_inlines, (unsigned long)deepest);
	CHECK(checked > 10000 && with_inlines > 1000 && deepest >= 3); /* real inlining seen */
	free(looked);
	return check_done();
}
