/*
 * test_strtab.c - interned strings (samplers/base/strtab.h): equal strings
 * get one id and one pointer, ids count up in order, pointers stay valid
 * while the table grows past many doublings, and the empty string is a
 * string like any other.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "samplers/base/strtab.h"

#define N 20000

int main(void)
{
	struct nl_strtab t = { 0 };
	const char *first[N];
	char buf[64];

	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "/usr/lib/x86_64-linux-gnu/lib%d.so", i);
		CHECK_EQ_U64(strtab__intern(&t, buf), i);
		first[i] = strtab__str(&t, (uint32_t)i);
	}
	CHECK_EQ_U64(t.nr, N);
	for (int i = 0; i < N; i += 97) {
		snprintf(buf, sizeof(buf), "/usr/lib/x86_64-linux-gnu/lib%d.so", i);
		CHECK_EQ_U64(strtab__intern(&t, buf), i);        /* again: same id */
		CHECK(strtab__str(&t, (uint32_t)i) == first[i]); /* never moved */
		CHECK_EQ_STR(first[i], buf);
	}
	CHECK_EQ_U64(strtab__intern(&t, ""), N);
	CHECK_EQ_U64(strtab__intern(&t, ""), N);
	CHECK_EQ_U64(t.nr, N + 1);
	strtab__free(&t);
	CHECK_EQ_U64(t.nr, 0);
	CHECK_EQ_U64(strtab__intern(&t, "[anon]"), 0);   /* usable again */
	strtab__free(&t);
	return check_done();
}
