/*
 * exit_workload.c - children that first-touch their pages and exit at once,
 * before numalens' next move_pages batch can ask where those pages are
 * (tests/objects/page_landing.sh).
 * USAGE: exit_workload PAGES CHILDREN
 * Each child maps PAGES anonymous 4 KiB pages (no THP: MADV_NOHUGEPAGE),
 * writes one byte to each, and _exits; the parent waits for each in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 4096;
	int children = argc > 2 ? atoi(argv[2]) : 4;

	for (int k = 0; k < children; k++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (p == 0) {
			char *b = mmap(NULL, (size_t)pages * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (b == MAP_FAILED)
				_exit(1);
			madvise(b, (size_t)pages * 4096, MADV_NOHUGEPAGE);
			for (long i = 0; i < pages; i++)
				b[i * 4096] = 1;
			_exit(0);
		}
		if (waitpid(p, NULL, 0) != p)
			return 1;
	}
	return 0;
}
