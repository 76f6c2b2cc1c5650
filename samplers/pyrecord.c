/*
 * pyrecord.c - NL_FEAT_PYFRAMES, written and read.  See pyrecord.h.
 */
#include "samplers/pyrecord.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/map.h"

struct wframe {
	uint32_t function, file, flags;
	int32_t line;
};

struct nl_pyrecord {
	/* writer */
	struct nl_map str_index;        /* string pointer -> index */
	const char **strs;
	size_t nr_strs, cap_strs;
	struct nl_map frame_index;      /* (frame id, flags) -> index */
	struct wframe *frames;
	size_t nr_frames, cap_frames;
	struct nl_map stack_index;      /* hash -> index into stack_off (probed) */
	uint32_t *stack_words;          /* { nr, flags, frame[nr] } runs */
	size_t nr_words, cap_words;
	uint32_t *stack_off;            /* stack -> its run in stack_words */
	size_t nr_stacks, cap_stacks;
	uint8_t *samples;               /* 24-byte entries */
	size_t samples_len, cap_samples;
	uint32_t nr_samples;
	/* reader */
	uint8_t *bytes;                 /* a copy of the feature: strings live here */
	struct nl_pyframe *rframes;     /* every stack's frames, flat */
	struct nl_pystack *rstacks;
	struct nl_map by_sample;        /* (pid << 32 | tid, time) -> stack */
};

struct nl_pyrecord *pyrecord__new(void)
{
	return calloc(1, sizeof(struct nl_pyrecord));
}

static void reader_free(struct nl_pyrecord *r)
{
	free(r->bytes);
	free(r->rframes);
	free(r->rstacks);
	map__free(&r->by_sample);
	r->bytes = NULL;
	r->rframes = NULL;
	r->rstacks = NULL;
}

void pyrecord__free(struct nl_pyrecord *r)
{
	if (!r)
		return;
	reader_free(r);
	map__free(&r->str_index);
	map__free(&r->frame_index);
	map__free(&r->stack_index);
	free(r->strs);
	free(r->frames);
	free(r->stack_words);
	free(r->stack_off);
	free(r->samples);
	free(r);
}

/* --- writer ----------------------------------------------------------------------- */

static int64_t str_of(struct nl_pyrecord *r, const char *s)
{
	uint64_t v;

	if (map__get(&r->str_index, 0, (uintptr_t)s, &v))
		return (int64_t)v;
	if (array__reserve((void **)&r->strs, &r->cap_strs, r->nr_strs + 1, sizeof(*r->strs)) ||
	    map__put(&r->str_index, 0, (uintptr_t)s, r->nr_strs))
		return -ENOMEM;
	r->strs[r->nr_strs] = s;
	return (int64_t)r->nr_strs++;
}

static int64_t frame_of(struct nl_pyrecord *r, const struct nl_pyframe *f)
{
	int64_t fn, file;
	uint64_t v;

	if (map__get(&r->frame_index, f->id, f->flags, &v))
		return (int64_t)v;
	fn = str_of(r, f->function);
	file = str_of(r, f->file);
	if (fn < 0 || file < 0 ||
	    array__reserve((void **)&r->frames, &r->cap_frames, r->nr_frames + 1, sizeof(*r->frames)) ||
	    map__put(&r->frame_index, f->id, f->flags, r->nr_frames))
		return -ENOMEM;
	r->frames[r->nr_frames] = (struct wframe){ (uint32_t)fn, (uint32_t)file, f->flags, f->line };
	return (int64_t)r->nr_frames++;
}

int pyrecord__add(struct nl_pyrecord *r, const struct nl_sample *s)
{
	const struct nl_pystack *py = s->py;
	size_t at = r->nr_words;
	uint64_t h, v;
	uint32_t stack, e[6];

	if (array__reserve((void **)&r->stack_words, &r->cap_words, at + 2 + py->nr, sizeof(uint32_t)))
		return -ENOMEM;
	r->stack_words[at] = py->nr;
	r->stack_words[at + 1] = py->flags;
	for (uint32_t i = 0; i < py->nr; i++) {
		int64_t f = frame_of(r, &py->frames[i]);

		if (f < 0)
			return -ENOMEM;
		r->stack_words[at + 2 + i] = (uint32_t)f;
	}
	h = py->flags;
	for (uint32_t i = 0; i < py->nr + 2; i++)
		h = map__mix64(h ^ r->stack_words[at + i]);
	for (;; h++) {
		if (!map__get(&r->stack_index, 0, h, &v)) {
			if (array__reserve((void **)&r->stack_off, &r->cap_stacks, r->nr_stacks + 1,
					   sizeof(*r->stack_off)) ||
			    map__put(&r->stack_index, 0, h, r->nr_stacks))
				return -ENOMEM;
			r->stack_off[r->nr_stacks] = (uint32_t)at;
			r->nr_words += 2 + py->nr;      /* a new stack keeps its run */
			stack = (uint32_t)r->nr_stacks++;
			break;
		}
		if (!memcmp(&r->stack_words[r->stack_off[v]], &r->stack_words[at],
			    (2 + py->nr) * sizeof(uint32_t))) {
			stack = (uint32_t)v;
			break;
		}
	}
	e[0] = (uint32_t)s->pid;
	e[1] = (uint32_t)s->tid;
	memcpy(&e[2], &s->time, 8);
	e[4] = stack;
	e[5] = 0;
	if (array__reserve((void **)&r->samples, &r->cap_samples, r->samples_len + sizeof(e), 1))
		return -ENOMEM;
	memcpy(r->samples + r->samples_len, e, sizeof(e));
	r->samples_len += sizeof(e);
	r->nr_samples++;
	return 0;
}

static void put(uint8_t *b, size_t *at, const void *p, size_t n)
{
	memcpy(b + *at, p, n);
	*at += n;
}

static void put32(uint8_t *b, size_t *at, uint32_t v)
{
	put(b, at, &v, 4);
}

int pyrecord__serialize(const struct nl_pyrecord *r, uint8_t **buf, size_t *len)
{
	size_t n = 24, at = 0;
	uint8_t *b;

	for (size_t i = 0; i < r->nr_strs; i++)
		n += 8 + (strlen(r->strs[i]) + 1 + 7) / 8 * 8;
	n += r->nr_frames * 16;
	for (size_t i = 0; i < r->nr_stacks; i++)
		n += 8 + (r->stack_words[r->stack_off[i]] + 1) / 2 * 8;
	n += r->samples_len;
	b = calloc(1, n);
	*buf = b;
	*len = n;
	if (!b)
		return -ENOMEM;
	put32(b, &at, 1);
	put32(b, &at, (uint32_t)r->nr_strs);
	put32(b, &at, (uint32_t)r->nr_frames);
	put32(b, &at, (uint32_t)r->nr_stacks);
	put32(b, &at, r->nr_samples);
	put32(b, &at, 0);
	for (size_t i = 0; i < r->nr_strs; i++) {
		size_t l = strlen(r->strs[i]) + 1, padded = (l + 7) / 8 * 8;

		put32(b, &at, (uint32_t)padded);
		put32(b, &at, 0);
		put(b, &at, r->strs[i], l);
		at += padded - l;
	}
	for (size_t i = 0; i < r->nr_frames; i++) {
		put32(b, &at, r->frames[i].function);
		put32(b, &at, r->frames[i].file);
		put32(b, &at, (uint32_t)r->frames[i].line);
		put32(b, &at, r->frames[i].flags);
	}
	for (size_t i = 0; i < r->nr_stacks; i++) {
		const uint32_t *w = &r->stack_words[r->stack_off[i]];

		put(b, &at, w, (2 + w[0]) * sizeof(uint32_t));
		if (w[0] & 1)
			at += 4;
	}
	put(b, &at, r->samples, r->samples_len);
	return 0;
}

/* --- reader ----------------------------------------------------------------------- */

static bool get32(const uint8_t *b, size_t len, size_t *at, uint32_t *v)
{
	if (len - *at < 4 || *at > len)
		return false;
	memcpy(v, b + *at, 4);
	*at += 4;
	return true;
}

int pyrecord__parse(struct nl_pyrecord *r, const uint8_t *buf, size_t len)
{
	uint32_t version, nr_strs, nr_frames, nr_stacks, nr_samples, pad, total = 0;
	const char **strs = NULL;
	struct wframe *frames = NULL;
	size_t at = 0, mark;
	int e = -EINVAL;

	reader_free(r);
	if (!get32(buf, len, &at, &version) || !get32(buf, len, &at, &nr_strs) ||
	    !get32(buf, len, &at, &nr_frames) || !get32(buf, len, &at, &nr_stacks) ||
	    !get32(buf, len, &at, &nr_samples) || !get32(buf, len, &at, &pad) || version != 1 ||
	    nr_strs > len / 8 || nr_frames > len / 16 || nr_stacks > len / 8 || nr_samples > len / 24)
		return -EINVAL;
	r->bytes = malloc(len ? len : 1);
	strs = calloc(nr_strs + 1, sizeof(*strs));
	frames = calloc(nr_frames + 1, sizeof(*frames));
	r->rstacks = calloc(nr_stacks + 1, sizeof(*r->rstacks));
	if (!r->bytes || !strs || !frames || !r->rstacks) {
		e = -ENOMEM;
		goto out;
	}
	memcpy(r->bytes, buf, len);
	for (uint32_t i = 0; i < nr_strs; i++) {
		uint32_t l;

		if (!get32(buf, len, &at, &l) || !get32(buf, len, &at, &pad) || !l || l > len - at ||
		    r->bytes[at + l - 1] != '\0' || memchr(r->bytes + at, 0, l) == NULL)
			goto out;
		strs[i] = (const char *)r->bytes + at;
		at += l;
	}
	for (uint32_t i = 0; i < nr_frames; i++) {
		uint32_t line;

		if (!get32(buf, len, &at, &frames[i].function) || !get32(buf, len, &at, &frames[i].file) ||
		    !get32(buf, len, &at, &line) || !get32(buf, len, &at, &frames[i].flags) ||
		    frames[i].function >= nr_strs || frames[i].file >= nr_strs)
			goto out;
		frames[i].line = (int32_t)line;
	}
	/* two passes over the stacks: count their frames, then point at them */
	mark = at;
	for (uint32_t i = 0; i < nr_stacks; i++) {
		uint32_t nr, fl;

		if (!get32(buf, len, &at, &nr) || !get32(buf, len, &at, &fl) || nr > 4096 ||
		    (size_t)(nr + (nr & 1)) * 4 > len - at)
			goto out;
		at += (size_t)(nr + (nr & 1)) * 4;
		total += nr;
	}
	r->rframes = calloc(total + 1, sizeof(*r->rframes));
	if (!r->rframes) {
		e = -ENOMEM;
		goto out;
	}
	at = mark;
	total = 0;
	for (uint32_t i = 0; i < nr_stacks; i++) {
		uint32_t nr = 0, fl = 0, f = 0;

		get32(buf, len, &at, &nr);
		get32(buf, len, &at, &fl);
		r->rstacks[i] = (struct nl_pystack){ .nr = nr, .flags = fl, .frames = r->rframes + total };
		for (uint32_t k = 0; k < nr; k++) {
			get32(buf, len, &at, &f);
			if (f >= nr_frames)
				goto out;
			r->rframes[total++] = (struct nl_pyframe){
				.id = f, .flags = frames[f].flags, .line = frames[f].line,
				.function = strs[frames[f].function], .file = strs[frames[f].file],
			};
		}
		if (nr & 1)
			at += 4;
	}
	if (map__reserve(&r->by_sample, nr_samples)) {
		e = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < nr_samples; i++) {
		uint32_t pid, tid, lo, hi, stack;

		if (!get32(buf, len, &at, &pid) || !get32(buf, len, &at, &tid) ||
		    !get32(buf, len, &at, &lo) || !get32(buf, len, &at, &hi) ||
		    !get32(buf, len, &at, &stack) || !get32(buf, len, &at, &pad) || stack >= nr_stacks)
			goto out;
		map__put(&r->by_sample, (uint64_t)pid << 32 | tid, (uint64_t)hi << 32 | lo, stack);
	}
	e = 0;
out:
	free(strs);
	free(frames);
	if (e)
		reader_free(r);
	return e;
}

const struct nl_pystack *pyrecord__lookup(const struct nl_pyrecord *r, const struct nl_sample *s)
{
	uint64_t v;

	if (!r || !r->rstacks || !(s->valid & NL_SAMPLE_TID) ||
	    !map__get(&r->by_sample, (uint64_t)(uint32_t)s->pid << 32 | (uint32_t)s->tid, s->time, &v))
		return NULL;
	return &r->rstacks[v];
}
