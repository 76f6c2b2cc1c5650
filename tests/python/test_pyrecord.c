/*
 * test_pyrecord - NL_FEAT_PYFRAMES round trip (samplers/pyrecord.h): the
 * stacks a recording keeps come back for the same (pid, tid, time), shared
 * stacks are stored once, and every truncation or corrupted index of the
 * feature is refused (-EINVAL) without a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "samplers/pyrecord.h"

int main(void)
{
	struct nl_pyframe fa[2] = {
		{ .id = 7, .line = 57, .function = "build_dataset", .file = "/w/train.py" },
		{ .id = 8, .flags = NL_PYF_ENTRY, .line = 90, .function = "<module>", .file = "/w/train.py" },
	};
	struct nl_pyframe fb[1] = {
		{ .id = 9, .flags = NL_PYF_ENTRY, .line = 12, .function = "Dataset.__getitem__", .file = "/w/data.py" },
	};
	struct nl_pystack sa = { .nr = 2, .frames = fa }, sb = { .nr = 1, .flags = NL_PYS_APPROXIMATE, .frames = fb };
	struct nl_sample s[3];
	struct nl_pyrecord *w = pyrecord__new(), *r = pyrecord__new();
	const struct nl_pystack *got;
	uint8_t *buf;
	size_t len;

	memset(s, 0, sizeof(s));
	for (int i = 0; i < 3; i++) {
		s[i].valid = NL_SAMPLE_TID | NL_SAMPLE_TIME;
		s[i].pid = 100;
		s[i].tid = 100 + i;
		s[i].time = 1000000000ull * (uint64_t)(i + 1) + 5;
		s[i].py = i == 1 ? &sb : &sa;
	}
	for (int i = 0; i < 3; i++)
		CHECK(!pyrecord__add(w, &s[i]));
	CHECK(!pyrecord__serialize(w, &buf, &len));
	CHECK(!pyrecord__parse(r, buf, len));
	got = pyrecord__lookup(r, &s[0]);
	CHECK(got && got->nr == 2);
	CHECK(got && !strcmp(got->frames[0].function, "build_dataset") && got->frames[0].line == 57);
	CHECK(got && got->frames[1].flags == NL_PYF_ENTRY && !strcmp(got->frames[1].file, "/w/train.py"));
	CHECK(got && got == pyrecord__lookup(r, &s[2]));        /* one stack, stored once */
	got = pyrecord__lookup(r, &s[1]);
	CHECK(got && got->nr == 1 && got->flags == NL_PYS_APPROXIMATE &&
	      !strcmp(got->frames[0].function, "Dataset.__getitem__"));
	s[0].time++;
	CHECK(!pyrecord__lookup(r, &s[0]));                     /* another sample: none */

	/* every truncation is refused, and so is each corrupted word */
	for (size_t cut = 0; cut < len; cut++)
		CHECK(pyrecord__parse(r, buf, cut) == -EINVAL || cut == len);
	for (size_t at = 0; at + 4 <= len; at += 4) {
		uint8_t *bad = malloc(len);
		uint32_t v = 0xfffffff0u;

		memcpy(bad, buf, len);
		memcpy(bad + at, &v, 4);
		int e = pyrecord__parse(r, bad, len);

		CHECK(e == 0 || e == -EINVAL);
		if (!e)         /* a word whose value is not checked (a line, a time) */
			pyrecord__lookup(r, &s[1]);
		free(bad);
	}
	free(buf);
	pyrecord__free(w);
	pyrecord__free(r);
	return check_done();
}
