/*
 * fuzz.h - what every harness in tests/fuzz shares.
 *
 * A harness is one file defining LLVMFuzzerTestOneInput() (and optionally
 * LLVMFuzzerInitialize()).  It is linked twice: with libFuzzer's main in the
 * fuzz build (-DNUMALENS_FUZZ=ON, clang), and with replay_main.c in every
 * build, where ctest replays the kept regression inputs and the byte-built
 * seeds through it.  A harness never decides what is a bug: the sanitizers
 * and the parsers' own contracts (no read past a record, no crash) do; a
 * violated contract the harness can see is reported with fuzz_fail().
 */
#ifndef NUMALENS_FUZZ_H
#define NUMALENS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A contract the sanitizers cannot see was broken: abort, so it is a finding. */
#define fuzz_fail(...)                                                    \
	do {                                                              \
		fprintf(stderr, "fuzz contract broken: " __VA_ARGS__);    \
		fputc('\n', stderr);                                      \
		abort();                                                  \
	} while (0)

/*
 * What a report holds grows with the records read, never with what their
 * fields claim: a single timestamp 2^63 ns away once made a week-long
 * timeline, an 87 MB report from a 64 KiB input.
 */
static inline void fuzz_check_report_size(const char *text, size_t input_size)
{
	size_t n = text ? strlen(text) : 0;

	if (n > 256 * input_size + (4u << 20))
		fuzz_fail("a %zu-byte input made a %zu-byte report", input_size, n);
}

/* Reads every byte of a string so ASan checks that it is all in bounds. */
static inline size_t fuzz_touch_string(const char *s)
{
	size_t n = 0;

	if (s)
		while (s[n])
			n++;
	return n;
}

#endif
