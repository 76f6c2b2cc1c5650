/* touch: bench workload for tests/bench/run.
 *
 * Touches PAGES fresh 4 KiB pages (one store per page), so that
 * 'perf record -e page-faults -c 1 -d' records about one sample per page.
 * Memory is taken in chunks of at most 64 MiB that are unmapped after being
 * touched, so the next chunk faults again while the resident set stays
 * small: 4M samples need 16 GiB of touching but only 64 MiB of RAM.
 * Transparent huge pages are disabled on each chunk (MADV_NOHUGEPAGE) so
 * that every page is a fault of its own.
 *
 * usage: touch PAGES
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_PAGES 16384UL /* 64 MiB of 4 KiB pages */

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PAGES\n", argv[0]);
		return 2;
	}
	char *end;
	unsigned long pages = strtoul(argv[1], &end, 10);
	if (*end || pages == 0) {
		fprintf(stderr, "touch: bad page count '%s'\n", argv[1]);
		return 2;
	}
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long done = 0;
	volatile unsigned long sink = 0;

	while (done < pages) {
		unsigned long n = pages - done < CHUNK_PAGES ? pages - done
							     : CHUNK_PAGES;
		size_t len = n * (size_t)psz;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("touch: mmap");
			return 1;
		}
		madvise(p, len, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < len; off += (size_t)psz)
			p[off] = (char)off;
		sink += (unsigned char)p[len - (size_t)psz];
		munmap(p, len);
		done += n;
	}
	printf("touch: %lu pages (%lu MiB) touched\n", done,
	       done * (unsigned long)psz >> 20);
	return 0;
}
