/*
 * check.h - the assertions every C test uses.
 *
 * CHECK* record a failure with file:line and go on, so one run shows every
 * broken expectation; check_done() prints "N passed, N failed" and returns
 * the exit status.  check_skip() exits 77 (ctest's skip code) with a reason.
 */
#ifndef NUMALENS_TEST_CHECK_H
#define NUMALENS_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_EQ_U64(got, want)                                                \
	do {                                                                   \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);          \
		if (g_ == w_) {                                                \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: %s = %" PRIu64 ", want %" PRIu64 "\n", \
				__FILE__, __LINE__, #got, g_, w_);             \
		}                                                              \
	} while (0)

#define CHECK_EQ_STR(got, want)                                                \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (g_ && w_ && !strcmp(g_, w_)) {                             \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n",   \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)",  \
				w_ ? w_ : "(null)");                           \
		}                                                              \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

static inline void check_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

/* Path of the shared fixtures, or skip when they are absent. */
static inline const char *check_shared_dir(void)
{
	const char *dir = getenv("NL_SHARED");

	if (!dir || !*dir)
		check_skip("NL_SHARED is not set (run through ctest)");
	char probe[4096];
	snprintf(probe, sizeof(probe), "%s/fixtures/README.md", dir);
	FILE *f = fopen(probe, "r");
	if (!f)
		check_skip("../shared/fixtures is absent: real-hardware fixtures not available");
	fclose(f);
	return dir;
}

#endif
