/*
 * replay_main.c - the normal-suite driver of a fuzz harness: runs every file
 * named on the command line (a directory: every file in it) through
 * LLVMFuzzerTestOneInput once.  The harnesses and their kept crash inputs
 * therefore run in every build, the ASan one included, without clang.
 * Exits 0 when all ran, 1 when one could not be read, 77 when none was given.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs path or the files of directory path, in name order.  Returns files run or -1. */
static int run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	int nr = 0, cap = 0, ran = 0;
	DIR *d;

	if (stat(path, &st))
		return 0;       /* an area without kept inputs yet */
	if (!S_ISDIR(st.st_mode))
		return run_file(path) ? -1 : 1;
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, (size_t)cap * sizeof(*names));
			if (!names)
				abort();
		}
		if (asprintf(&names[nr++], "%s/%s", path, de->d_name) < 0)
			abort();
	}
	closedir(d);
	qsort(names, (size_t)nr, sizeof(*names), cmp_str);
	for (int i = 0; i < nr; i++) {
		if (ran >= 0)
			ran = run_file(names[i]) ? -1 : ran + 1;
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	int total = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		int n = run_path(argv[i]);

		if (n < 0)
			return 1;
		printf("replay: %s: %d inputs\n", argv[i], n);
		total += n;
	}
	if (!total) {
		printf("replay: no inputs given (nothing to replay)\n");
		return 77;
	}
	printf("replay: %d inputs ran clean\n", total);
	return 0;
}
