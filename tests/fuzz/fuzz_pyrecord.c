/*
 * fuzz_pyrecord.c - the NL_FEAT_PYFRAMES feature reader (samplers/pyrecord.c),
 * what `numalens report` parses out of a --record file's feature section.
 *
 * Input: the feature body as it sits in the file.  Its last sample entry
 * (the 24 bytes at the end: pid, tid, time, stack, reserved) gives the
 * (pid, tid, time) looked up.  Seeds: bodies written by pyrecord__serialize
 * (fuzz_seeds.c) for a few stacks sharing frames and strings.
 *
 * Checked beyond the sanitizers: the stack a lookup returns has its strings
 * in bounds, and written again (pyrecord__add, serialize) it parses back to
 * the same frames for the same sample.
 */
#include <errno.h>

#include "fuzz.h"
#include "samplers/pyrecord.h"

static void touch_stack(const struct nl_pystack *st)
{
	if (st->nr > 1u << 16)
		fuzz_fail("a stack of %u frames", st->nr);
	for (uint32_t i = 0; i < st->nr; i++) {
		fuzz_touch_string(st->frames[i].function);
		fuzz_touch_string(st->frames[i].file);
	}
}

/* Written again and read back, the stack of s is the same. */
static void round_trip(struct nl_sample *s)
{
	struct nl_pyrecord *w = pyrecord__new(), *r = pyrecord__new();
	const struct nl_pystack *a = s->py, *b;
	uint8_t *buf = NULL;
	size_t len = 0;
	int e;

	if (!w || !r || pyrecord__add(w, s) || pyrecord__serialize(w, &buf, &len))
		goto done;
	if ((e = pyrecord__parse(r, buf, len)))
		fuzz_fail("a stack written by pyrecord__serialize does not parse (%d)", e);
	b = pyrecord__lookup(r, s);
	if (!b || b->nr != a->nr || b->flags != a->flags)
		fuzz_fail("a stack of %u frames came back as %d", a->nr, b ? (int)b->nr : -1);
	for (uint32_t i = 0; i < a->nr; i++)
		if (a->frames[i].line != b->frames[i].line ||
		    strcmp(a->frames[i].function, b->frames[i].function) ||
		    strcmp(a->frames[i].file, b->frames[i].file))
			fuzz_fail("frame %u of a stack came back different", i);
done:
	free(buf);
	pyrecord__free(w);
	pyrecord__free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_pyrecord *r = pyrecord__new();
	struct nl_sample s = { .valid = NL_SAMPLE_TID | NL_SAMPLE_TIME };
	int e;

	if (!r)
		return 0;
	e = pyrecord__parse(r, data, size);
	if (e && e != -EINVAL && e != -ENOMEM)
		fuzz_fail("pyrecord__parse returned %d", e);
	if (!e && size >= 24) {
		memcpy(&s.pid, data + size - 24, 4);
		memcpy(&s.tid, data + size - 20, 4);
		memcpy(&s.time, data + size - 16, 8);
		if ((s.py = pyrecord__lookup(r, &s))) {
			touch_stack(s.py);
			round_trip(&s);
		}
	}
	pyrecord__free(r);
	return 0;
}
