/*
 * sysfs_tree.h - small sysfs trees written under a temporary root, for the
 * topology reader's tests (test_synthetic.c, test_inject.c).
 *
 * fresh_root() makes an empty root (removing the previous one); put(text,
 * fmt, ...) writes root/<path>, creating directories on the way;
 * remove_root() deletes the tree.  Include after check.h.
 */
#ifndef NUMALENS_TEST_SYSFS_TREE_H
#define NUMALENS_TEST_SYSFS_TREE_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

static char root[256];

/* Writes root/<path> with text, creating the directories on the way. */
static void put(const char *text, const char *fmt, ...)
{
	char rel[512], path[1024];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	for (char *p = path + strlen(root) + 1; !f && (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!f)
		f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void remove_root(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fresh_root(void)
{
	remove_root();
	snprintf(root, sizeof(root), "/tmp/nl-topo-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
}

#endif
