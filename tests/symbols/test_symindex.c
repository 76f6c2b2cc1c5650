/*
 * test_symindex: profiler/symindex.c names what dwfl_module_addrinfo names,
 * on the libc this test maps and on the test itself: at the start, middle
 * and end of symbols and at addresses spread over each module, and
 * answers most of them without falling back to dwfl's linear scan.
 */
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "profiler/symindex.h"

static int check(Dwfl_Module *mod, const char *what)
{
	struct symindex ix;
	Dwarf_Addr lo, hi;
	int n = dwfl_module_getsymtab(mod), bad = 0, tried = 0;

	symindex__init(&ix);
	dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	for (int k = 0; k < 6000; k++) {
		GElf_Addr a, v;
		GElf_Sym s1, s2;
		GElf_Off o1 = 0, o2 = 0;

		if (k < 4000 && n > 1) {
			GElf_Sym s;
			int i = 1 + (int)((unsigned)k * 2654435761u % (unsigned)(n - 1));

			if (!dwfl_module_getsym_info(mod, i, &s, &v, NULL, NULL, NULL))
				continue;
			a = v + (k % 4 == 0 ? 0 : k % 4 == 1 ? s.st_size / 2 :
				 k % 4 == 2 ? (s.st_size ? s.st_size - 1 : 0) : s.st_size);
		} else {
			a = lo + (hi - lo) / 2000 * (GElf_Addr)(k - 4000);
		}
		const char *want = dwfl_module_addrinfo(mod, a, &o1, &s1, NULL, NULL, NULL);
		const char *got = symindex__addrinfo(&ix, mod, a, &o2, &s2);

		tried++;
		if (want != got || (want && (o1 != o2 || memcmp(&s1, &s2, sizeof(s1))))) {
			if (bad++ < 5)
				fprintf(stderr, "%s: 0x%lx: dwfl %s+0x%lx, index %s+0x%lx\n", what,
					(unsigned long)a, want ? want : "-", (unsigned long)o1,
					got ? got : "-", (unsigned long)o2);
		}
	}
	printf("%s: %d symbols, %d addresses, %d differ, %lu fallbacks\n", what, n, tried, bad,
	       (unsigned long)ix.fallbacks);
	if (ix.fallbacks * 2 > (unsigned long)tried) {
		fprintf(stderr, "%s: the index answered under half the lookups\n", what);
		bad++;
	}
	symindex__free(&ix);
	return bad;
}

static int each(Dwfl_Module *mod, void **u, const char *name, Dwarf_Addr start, void *arg)
{
	int *bad = arg;

	(void)u;
	(void)start;
	if (strstr(name, "libc.so") || strstr(name, "test_symindex"))
		*bad += check(mod, name);
	return DWARF_CB_OK;
}

int main(void)
{
	static const Dwfl_Callbacks cb = { .find_elf = dwfl_linux_proc_find_elf,
					   .find_debuginfo = dwfl_standard_find_debuginfo };
	Dwfl *dwfl = dwfl_begin(&cb);
	int bad = 0;

	if (!dwfl || dwfl_linux_proc_report(dwfl, getpid()) || dwfl_report_end(dwfl, NULL, NULL)) {
		fprintf(stderr, "test_symindex: cannot report this process's modules\n");
		return 1;
	}
	dwfl_getmodules(dwfl, each, &bad, 0);
	dwfl_end(dwfl);
	return bad ? 1 : 0;
}
