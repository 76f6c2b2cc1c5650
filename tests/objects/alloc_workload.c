/*
 * alloc_workload.c - a process with known allocation sites, for the data
 * object tests (tests/objects/).  Each site is marked with a comment
 * "SITE: <name>" on its line; the test reads the line numbers from this
 * source, never from a table of its own.
 *
 * Usage: alloc_workload READY_FILE GO_FILE
 * Makes the "early" allocations, writes READY_FILE, waits until GO_FILE
 * exists (numalens attached), then makes the "late" ones, touches every
 * page of each, early ones included, once (first touch) from fill(), reads
 * them again, and exits.  READY_FILE gets "early <site> ADDR LEN" lines,
 * stdout "late <site> ADDR LEN" lines once they exist.  The 2000 small
 * mallocs outgrow the heap: malloc extends it by sbrk (brk growth) after
 * numalens attached.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024ul * 1024ul)

static volatile unsigned long sink;

/* Writes one byte per 4 KiB page: the first touch of each page. */
__attribute__((noinline)) static void fill(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i; /* SITE: fill */
}

__attribute__((noinline)) static void read_all(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		sink += (unsigned char)p[i];
}

__attribute__((noinline)) static char *early_mmap(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* SITE: early_mmap */
}

__attribute__((noinline)) static char *early_malloc(size_t len)
{
	return malloc(len); /* SITE: early_malloc */
}

__attribute__((noinline)) static char *make_malloc(size_t len)
{
	return malloc(len); /* SITE: malloc64 */
}

__attribute__((noinline)) static char *make_mmap(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* SITE: mmap32 */
}

__attribute__((noinline)) static char *make_memalign(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, len)) /* SITE: memalign16 */
		return NULL;
	return p;
}

__attribute__((noinline)) static void make_small(char **v, int n)
{
	for (int i = 0; i < n; i++)
		v[i] = malloc(512); /* SITE: small */
}

int main(int argc, char **argv)
{
	static char *small[2000];
	char *early, *early_m, *big, *mm, *al;
	FILE *f;

	if (argc < 3)
		return 2;
	early = early_mmap(8 * MIB);
	early_m = early_malloc(24 * MIB);
	if (early == MAP_FAILED || !early_m)
		return 1;
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "early early_mmap %p %lu\nearly early_malloc %p %lu\n", (void *)early, 8 * MIB,
		(void *)early_m, 24 * MIB);
	fclose(f);
	for (int i = 0; i < 3000 && access(argv[2], F_OK); i++)
		usleep(10000);
	usleep(200000);
	big = make_malloc(64 * MIB);
	mm = make_mmap(32 * MIB);
	al = make_memalign(16 * MIB);
	make_small(small, 2000);
	if (!big || mm == MAP_FAILED || !al)
		return 1;
	printf("late malloc64 %p %lu\nlate mmap32 %p %lu\nlate memalign16 %p %lu\n"
	       "late small %p %d\nlate small_last %p %d\n", (void *)big, 64 * MIB, (void *)mm,
	       32 * MIB, (void *)al, 16 * MIB, (void *)small[0], 512, (void *)small[1999], 512);
	fflush(stdout);
	fill(early, 8 * MIB);
	fill(early_m, 24 * MIB);
	fill(big, 64 * MIB);
	fill(mm, 32 * MIB);
	fill(al, 16 * MIB);
	for (int i = 0; i < 2000; i++)
		memset(small[i], 1, 512);
	for (int r = 0; r < 3; r++) {
		read_all(early, 8 * MIB);
		read_all(early_m, 24 * MIB);
		read_all(big, 64 * MIB);
		read_all(mm, 32 * MIB);
		read_all(al, 16 * MIB);
	}
	usleep(300000);
	return 0;
}
