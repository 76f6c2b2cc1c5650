/*
 * test_no_raw_bytes.c - reports never carry raw stack or register bytes
 * (issue 18: a `--call-graph dwarf` recording holds copies of user stacks,
 * which can hold secrets; reports are shared, recordings are 0600).
 *
 * A recording is built byte for byte (tests/perfdata/builder.h) whose
 * samples carry REGS_USER, REGS_INTR and STACK_USER as perf writes them for
 * --call-graph dwarf, filled with a marker string and marker words.  The
 * JSON report and the verbose text report of it must contain none of the
 * markers in any spelling: the raw string, the words in hex (either case,
 * with or without 0x) or in decimal.  The samples themselves must still be
 * counted, so the test cannot pass by dropping them.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "check.h"
#include "perfdata/builder.h"
#include "report_run.h"

#define NR_SAMPLES 5
static const char stack_secret[32] = "NL-SECRET-PASSWORD-hunter2-00042";
static const uint64_t reg_word = 0x5ec12e75ec12e7a1ull;
static const uint64_t intr_word = 0x0badc0ffee15900dull;

static void put_sample(struct buf *b, uint64_t id)
{
	put64(b, id);                           /* IDENTIFIER */
	put64(b, 0x401000);                     /* IP */
	put32(b, 4242); put32(b, 4243);         /* TID */
	put64(b, 1000);                         /* TIME */
	put64(b, 0x7f0000001000);               /* ADDR */
	put32(b, 1); put32(b, 0);               /* CPU */
	put64(b, 1);                            /* PERIOD */
	put64(b, 2); put64(b, 0x401000); put64(b, 0x402000); /* CALLCHAIN */
	put64(b, 2);                            /* REGS_USER: ABI_64, 3 regs */
	for (int i = 0; i < 3; i++)
		put64(b, reg_word + (uint64_t)i);
	put64(b, sizeof(stack_secret));         /* STACK_USER: size, data, dyn_size */
	buf_put(b, stack_secret, sizeof(stack_secret));
	put64(b, sizeof(stack_secret));
	put64(b, 2);                            /* REGS_INTR: ABI_64, 2 regs */
	for (int i = 0; i < 2; i++)
		put64(b, intr_word + (uint64_t)i);
}

static struct fb_file build(void)
{
	struct fb f;
	struct fb_attr *a;

	fb_begin(&f, 112);
	a = fb_attr(&f, S_IDENTIFIER | S_IP | S_TID | S_TIME | S_ADDR | S_CPU | S_PERIOD |
		    S_CALLCHAIN | S_REGS_USER | S_STACK_USER | S_REGS_INTR);
	a->regs_user = 0x7;
	a->regs_intr = 0x3;
	a->ids[0] = 77;
	a->nr_ids = 1;
	for (int i = 0; i < NR_SAMPLES; i++) {
		struct buf body = { 0 };

		put_sample(&body, 77);
		fb_raw(&f, 9 /* PERF_RECORD_SAMPLE */, 2 /* user */, body.p, body.len);
		free(body.p);
	}
	return fb_end(&f);
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

/* Every spelling of word a renderer could have used. */
static void check_word_absent(const char *text, uint64_t word, const char *what)
{
	char hex[32], dec[32];

	snprintf(hex, sizeof(hex), "%" PRIx64, word);
	snprintf(dec, sizeof(dec), "%" PRIu64, word);
	if (contains_nocase(text, hex) || strstr(text, dec)) {
		check_failed++;
		fprintf(stderr, "%s report contains the raw word %s / %s\n", what, hex, dec);
	} else {
		check_passed++;
	}
}

static void check_clean(const char *text, const char *what)
{
	char words[sizeof(stack_secret) + 1];

	CHECK(text != NULL);
	if (!text)
		return;
	memcpy(words, stack_secret, sizeof(stack_secret));
	words[sizeof(stack_secret)] = '\0';
	CHECK(!contains_nocase(text, "NL-SECRET"));
	CHECK(!contains_nocase(text, "hunter2"));
	for (size_t i = 0; i + 8 <= sizeof(stack_secret); i += 8) {
		uint64_t w;

		memcpy(&w, stack_secret + i, 8);
		check_word_absent(text, w, what);
	}
	for (int i = 0; i < 3; i++)
		check_word_absent(text, reg_word + (uint64_t)i, what);
	for (int i = 0; i < 2; i++)
		check_word_absent(text, intr_word + (uint64_t)i, what);
}

static char *text_report(struct fb_file *file)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file->p, file->len, "dwarf.perf.data", &err);
	struct nl_aggregate *agg = src ? aggregate__new(src->info.topology) : NULL;
	struct nl_report_input in = { 0 };
	struct nl_record rec;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (!agg) {
		nl_source__close(src);
		return NULL;
	}
	while (nl_source__next(src, &rec) > 0)
		aggregate__add(agg, &rec);
	in.profile = aggregate__finish(agg);
	in.info = &src->info;
	in.stats = &src->stats;
	in.command = "report";
	in.source_kind = src->ops->name;
	in.verbose = true;
	out = open_memstream(&text, &len);
	if (out && in.profile) {
		struct nl_report_model model;

		CHECK_EQ_U64(report_model__build(&model, &in), 0);
		CHECK_EQ_U64(report_text__write(out, &model, 50), 0);
		report_model__free(&model);
	}
	if (out)
		fclose(out);
	aggregate__free(agg);
	nl_source__close(src);
	return text;
}

int main(void)
{
	struct fb_file file = build();
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(file.p, file.len, "dwarf.perf.data", &err);
	cJSON *json = src ? report_run__source(src) : NULL;
	char *json_text = json ? cJSON_Print(json) : NULL;
	char *text = text_report(&file);

	/* the samples are there: the report is about them, only without the bytes */
	CHECK(json != NULL);
	CHECK_EQ_U64((uint64_t)json_num(json, "summary.samples"), NR_SAMPLES);
	CHECK_EQ_U64(src ? src->stats.bad_records : 1, 0);
	check_clean(json_text, "JSON");
	check_clean(text, "text");
	CHECK(text && strstr(text, "4242"));    /* the process is named: text is real */
	free(text);
	free(json_text);
	cJSON_Delete(json);
	nl_source__close(src);
	free(file.p);
	return check_done();
}
