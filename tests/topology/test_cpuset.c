/*
 * test_cpuset.c - cpuset: cpulist and cpumask parsing, formatting round
 * trips, growth, and rejection of malformed text.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "samplers/base/cpuset.h"

static void test_parse_list(void)
{
	struct nl_cpuset s = { 0 };

	CHECK(cpuset__parse_list(&s, "0-3,8,10-11\n") == 0);
	CHECK_EQ_U64(cpuset__count(&s), 7);
	CHECK(cpuset__has(&s, 0) && cpuset__has(&s, 3) && cpuset__has(&s, 8));
	CHECK(!cpuset__has(&s, 4) && !cpuset__has(&s, 9) && !cpuset__has(&s, 12));
	CHECK(!cpuset__has(&s, -1) && !cpuset__has(&s, 100000));
	CHECK_EQ_U64(cpuset__last(&s), 11);
	CHECK_EQ_U64(cpuset__next(&s, 4), 8);
	CHECK_EQ_U64(cpuset__next(&s, 12), (uint64_t)-1);
	cpuset__free(&s);

	CHECK(cpuset__parse_list(&s, "") == 0);
	CHECK(cpuset__parse_list(&s, "\n") == 0);
	CHECK_EQ_U64(cpuset__count(&s), 0);
	CHECK_EQ_U64(cpuset__last(&s), (uint64_t)-1);

	/* Sparse and large ids grow the set. */
	CHECK(cpuset__parse_list(&s, "0,8,250-255,8191") == 0);
	CHECK_EQ_U64(cpuset__count(&s), 9);
	CHECK(cpuset__has(&s, 8191));
	cpuset__free(&s);
}

static void test_parse_mask(void)
{
	struct nl_cpuset s = { 0 }, l = { 0 };

	CHECK(cpuset__parse_mask(&s, "00000000,0000ff0f\n") == 0);
	CHECK(cpuset__parse_list(&l, "0-3,8-15") == 0);
	CHECK(cpuset__equal(&s, &l));
	cpuset__free(&s);
	cpuset__free(&l);

	/* The 32intel fixture's node0 cpumap: bits 0-7 and 16-23. */
	CHECK(cpuset__parse_mask(&s, "0000,00000000,00000000,00ff00ff") == 0);
	CHECK(cpuset__parse_list(&l, "0-7,16-23") == 0);
	CHECK(cpuset__equal(&s, &l));
	cpuset__free(&s);
	cpuset__free(&l);

	/* A bit beyond the first 64-bit word, upper-case hex. */
	CHECK(cpuset__parse_mask(&s, "A,00000000,00000000") == 0);
	CHECK(cpuset__has(&s, 65) && cpuset__has(&s, 67));
	CHECK_EQ_U64(cpuset__count(&s), 2);
	cpuset__free(&s);
}

static void test_malformed(void)
{
	static const char *bad_lists[] = { "1-", "-1", "a", "3-1", "1,,2",
					   "1 2", "0-3;4", "99999999", "1-x" };
	static const char *bad_masks[] = { "xyz", "0x0f", "ff ff", "12g" };
	struct nl_cpuset s = { 0 };

	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(*bad_lists); i++) {
		CHECK(cpuset__parse_list(&s, bad_lists[i]) == -EINVAL);
		cpuset__free(&s);
	}
	for (size_t i = 0; i < sizeof(bad_masks) / sizeof(*bad_masks); i++) {
		CHECK(cpuset__parse_mask(&s, bad_masks[i]) == -EINVAL);
		cpuset__free(&s);
	}
	CHECK(cpuset__add(&s, -1) == -EINVAL);
	CHECK_EQ_U64(cpuset__count(&s), 0);
}

/* format(parse(x)) == x for canonical lists; parse(format(s)) == s for random sets. */
static void test_round_trip(void)
{
	static const char *lists[] = { "0", "0-3", "0-7,16-23", "1,3,5-6",
				       "0,8,250-255", "63-64", "" };
	char buf[8192];

	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
		struct nl_cpuset s = { 0 };

		CHECK(cpuset__parse_list(&s, lists[i]) == 0);
		CHECK_EQ_STR(cpuset__format(&s, buf, sizeof(buf)), lists[i]);
		cpuset__free(&s);
	}
	srand(42);
	for (int round = 0; round < 200; round++) {
		struct nl_cpuset s = { 0 }, back = { 0 }, copy = { 0 };

		for (int k = rand() % 300; k > 0; k--)
			cpuset__add(&s, rand() % 1500);
		cpuset__format(&s, buf, sizeof(buf));
		CHECK(cpuset__parse_list(&back, buf) == 0);
		CHECK(cpuset__equal(&s, &back));
		CHECK(cpuset__copy(&copy, &s) == 0 && cpuset__equal(&copy, &s));
		cpuset__free(&s);
		cpuset__free(&back);
		cpuset__free(&copy);
	}
}

static void test_truncation(void)
{
	struct nl_cpuset s = { 0 };
	char buf[10];

	CHECK(cpuset__parse_list(&s, "0,2,4,6,8,10,12") == 0);
	cpuset__format(&s, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	CHECK(strstr(buf, "...") != NULL);
	cpuset__free(&s);
}

int main(void)
{
	test_parse_list();
	test_parse_mask();
	test_malformed();
	test_round_trip();
	test_truncation();
	return check_done();
}
