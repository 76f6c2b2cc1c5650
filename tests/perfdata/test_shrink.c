/*
 * test_shrink.c - a perf.data that shrinks while it is read (the reader
 * maps it) stops with a note instead of dying of SIGBUS.
 *
 * sample-data/demo.perf.data is copied, opened, 5000 records read (its data
 * mapped and populated by then), then the copy is truncated to half its
 * size, at a page boundary (the rest of EOF's own page reads as zeros, the
 * next page raises SIGBUS), and the reading goes on: the source must stop
 * with a cause, no signal, after fewer records than the whole file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "samplers/perfdata.h"

static long records_of(const char *path, off_t shrink_to, bool *stopped)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open(path, &err);
	struct nl_record rec;
	long n = 0;

	CHECK(src != NULL);
	if (!src)
		return -1;
	while (nl_source__next(src, &rec) > 0)
		if (++n == 5000 && shrink_to)
			CHECK(truncate(path, shrink_to) == 0);
	*stopped = src->stats.stopped_at != 0;
	nl_source__close(src);
	return n;
}

int main(void)
{
	const char *dir = getenv("NL_SOURCE_DIR");
	char src[4096], copy[] = "/tmp/nl-shrink-XXXXXX", cmd[8400];
	bool stopped;
	long full, cut;
	off_t size;
	int fd;

	if (!dir) {
		printf("skip: NL_SOURCE_DIR unset (run through ctest)\n");
		return 77;
	}
	snprintf(src, sizeof(src), "%s/sample-data/demo.perf.data", dir);
	fd = mkstemp(copy);
	CHECK(fd >= 0);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, copy);
	CHECK(system(cmd) == 0);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	CHECK(size > 1 << 20);   /* far more than the records read before the cut */
	full = records_of(copy, 0, &stopped);
	CHECK(full > 5000 && !stopped);
	cut = records_of(copy, size / 2 / 4096 * 4096, &stopped);
	CHECK(stopped);          /* the report says where it stopped */
	CHECK(cut >= 5000 && cut < full);
	unlink(copy);
	return check_done();
}
