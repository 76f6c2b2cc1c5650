/*
 * code_render.c - the code profile as text, JSON and folded stacks.
 * See code_render.h.
 */
#include "report/code_render.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path ? path : "?";
}

static double ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : -1;
}

/* "first touch" for page-fault rows, "access" for PMU rows. */
static const char *kind_of(const struct nl_code_counts *c)
{
	if (!c->counts.memory)
		return "-";
	if (c->first_touch == c->counts.memory)
		return "first touch";
	return c->first_touch ? "mixed" : "access";
}

static void cells(FILE *out, const struct nl_code_counts *c)
{
	double r = ratio(c->counts.remote, c->counts.local + c->counts.remote);
	char share[16], lat[16];

	if (r < 0)
		snprintf(share, sizeof(share), "-");
	else
		snprintf(share, sizeof(share), "%.1f%%", r * 100);
	if (c->weight_count)
		snprintf(lat, sizeof(lat), "%.0f", (double)c->weight_sum / (double)c->weight_count);
	else
		snprintf(lat, sizeof(lat), "-");
	fprintf(out, "  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %6s %5s  %-11s",
		c->counts.samples, c->counts.memory, c->counts.local, c->counts.remote,
		c->counts.unresolved, share, lat, kind_of(c));
}

static const char cols[] =
	"   SAMPLES   MEMORY    LOCAL   REMOTE  UNRES  SHARE   LAT  KIND       ";

static const char *const key_names[NL_CODE_KEYS] = { "sym", "dso", "srcline", "pid" };

/* "sym,pid" of p's --sort keys into buf. */
static const char *sort_names(const struct nl_code_profile *p, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < p->nr_sort_keys && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "",
					 key_names[p->sort_keys[i]]);
	return buf;
}

/* --sort KEYS: one table, its key columns in the order given. */
static void sorted_text(FILE *out, const struct nl_code_profile *p, int top)
{
	char keys[64];

	fprintf(out, "\nTop code by %s (remote memory samples first)\n%s",
		sort_names(p, keys, sizeof(keys)), cols);
	for (int k = 0; k < p->nr_sort_keys; k++)
		fprintf(out, " %s", p->sort_keys[k] == NL_CODE_SYM ? "FUNCTION [DSO]" :
			p->sort_keys[k] == NL_CODE_DSO ? "DSO" :
			p->sort_keys[k] == NL_CODE_SRCLINE ? "FILE:LINE" : "PID");
	fputs("  DATA TOUCHED MOST\n", out);
	for (int i = 0; i < p->nr_rows && i < top; i++) {
		const struct nl_code_row *r = &p->rows[i];

		cells(out, &r->c);
		for (int k = 0; k < p->nr_sort_keys; k++) {
			switch (p->sort_keys[k]) {
			case NL_CODE_SYM:
				fprintf(out, " %s [%s]", r->symbol, base_name(r->dso));
				break;
			case NL_CODE_DSO:
				fprintf(out, " %s", r->dso);
				break;
			case NL_CODE_SRCLINE:
				if (r->file)
					fprintf(out, " %s:%d", base_name(r->file), r->line);
				else
					fputs(" ?:0", out);
				break;
			default:
				fprintf(out, " %d", r->pid);
				break;
			}
		}
		if (r->c.top_mapping)
			fprintf(out, "  %s", r->c.top_mapping);
		fputc('\n', out);
	}
}

void report_code__text(FILE *out, const struct nl_code_profile *p, int top)
{
	bool faults = false;

	if (!p || !p->samples_with_ip)
		return;
	if (p->nr_sort_keys) {
		sorted_text(out, p, top);
		goto stacks;
	}
	for (int i = 0; i < p->nr_functions; i++)
		faults |= p->functions[i].c.first_touch > 0;
	fprintf(out, "\nTop functions by remote memory samples%s\n",
		faults ? " (page-fault samples: the code that first touched the pages)" : "");
	fprintf(out, "%s FUNCTION [DSO] SOURCE  DATA TOUCHED MOST\n", cols);
	for (int i = 0; i < p->nr_functions && i < top; i++) {
		const struct nl_code_function *f = &p->functions[i];

		cells(out, &f->c);
		fprintf(out, " %s [%s]", f->name, base_name(f->dso));
		if (f->file)
			fprintf(out, " %s:%d", base_name(f->file), f->line);
		if (f->c.top_mapping)
			fprintf(out, "  %s", f->c.top_mapping);
		fputc('\n', out);
	}
	if (p->nr_lines) {
		fprintf(out, "\nTop source lines\n%s FILE:LINE FUNCTION  DATA TOUCHED MOST\n", cols);
		for (int i = 0; i < p->nr_lines && i < top; i++) {
			const struct nl_code_line *l = &p->lines[i];

			cells(out, &l->c);
			fprintf(out, " %s:%d %s", l->file, l->line, l->function);
			if (l->inlined)
				fprintf(out, " (inlined into %s)", l->inlined_into);
			if (l->c.top_mapping)
				fprintf(out, "  %s", l->c.top_mapping);
			fputc('\n', out);
		}
	}
stacks:
	if (p->nr_stacks) {
		fprintf(out, "\nTop call stacks by remote memory samples (leaf first)\n");
		for (int i = 0; i < p->nr_stacks && i < (top < 3 ? top : 3); i++) {
			const struct nl_code_stack *s = &p->stacks[i];

			fprintf(out, "  %" PRIu64 " samples, %" PRIu64 " memory, %" PRIu64 " remote:\n",
				s->c.counts.samples, s->c.counts.memory, s->c.counts.remote);
			for (uint32_t f = 0; f < s->nr_frames && f < 12; f++)
				fprintf(out, "      %s%s%s%s:%d\n", s->frames[f].function,
					s->frames[f].inlined ? " (inlined)" : "",
					s->frames[f].file ? "  " : "",
					s->frames[f].file ? base_name(s->frames[f].file) : "",
					s->frames[f].line);
		}
	}
	if (p->python_samples)
		fprintf(out, "\nPython frames: %" PRIu64 " samples name Python code (read from the "
			"interpreter after the sample; %" PRIu64 " read late, approximate: "
			"source.counters python.* in the JSON)\n", p->python_samples, p->python_approximate);
	if (p->broken_stacks * 10 > p->samples_with_callchain && p->samples_with_callchain)
		fprintf(out, "\nCall stacks: %" PRIu64 " of %" PRIu64 " frame-pointer stacks end in code built "
			"without frame pointers (Debian's libc, libpython, libtorch); those stacks "
			"are cut short there\n", p->broken_stacks, p->samples_with_callchain);
	if (p->notes && p->notes[0]) {
		fprintf(out, "\nSymbols: %" PRIu64 " of %" PRIu64 " samples name no symbol\n",
			p->unresolved_samples, p->samples_with_ip);
		for (int i = 0; p->notes[i]; i++)
			fprintf(out, "  - %s\n", p->notes[i]);
	}
}

/* --- JSON --------------------------------------------------------------------- */

static void counts_json(cJSON *o, const struct nl_code_counts *c)
{
	double r = ratio(c->counts.remote, c->counts.local + c->counts.remote);

	cJSON_AddNumberToObject(o, "samples", (double)c->counts.samples);
	cJSON_AddNumberToObject(o, "memory_samples", (double)c->counts.memory);
	cJSON_AddNumberToObject(o, "local", (double)c->counts.local);
	cJSON_AddNumberToObject(o, "remote", (double)c->counts.remote);
	cJSON_AddNumberToObject(o, "unresolved", (double)c->counts.unresolved);
	if (r < 0)
		cJSON_AddNullToObject(o, "remote_ratio");
	else
		cJSON_AddNumberToObject(o, "remote_ratio", r);
	if (c->weight_count)
		cJSON_AddNumberToObject(o, "mean_latency", (double)c->weight_sum / (double)c->weight_count);
	else
		cJSON_AddNullToObject(o, "mean_latency");
	cJSON_AddNumberToObject(o, "first_touch", (double)c->first_touch);
	cJSON_AddStringToObject(o, "kind", kind_of(c));
	if (c->top_mapping) {
		cJSON_AddStringToObject(o, "top_mapping", c->top_mapping);
		cJSON_AddNumberToObject(o, "top_mapping_samples", (double)c->top_mapping_samples);
	} else {
		cJSON_AddNullToObject(o, "top_mapping");
	}
}

static void add_source(cJSON *o, const char *file, int line)
{
	if (file) {
		cJSON_AddStringToObject(o, "file", file);
		cJSON_AddNumberToObject(o, "line", line);
	} else {
		cJSON_AddNullToObject(o, "file");
		cJSON_AddNullToObject(o, "line");
	}
}

void report_code__json(cJSON *root, const struct nl_code_profile *p, bool timings)
{
	cJSON *fns, *lines, *stacks, *sym, *notes;

	if (!p)
		return;
	fns = cJSON_AddArrayToObject(root, "functions");
	for (int i = 0; i < p->nr_functions; i++) {
		const struct nl_code_function *f = &p->functions[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "function", f->name);
		cJSON_AddStringToObject(o, "dso", f->dso);
		cJSON_AddBoolToObject(o, "resolved", f->resolved);
		add_source(o, f->file, f->line);
		if (f->python)
			cJSON_AddBoolToObject(o, "python", true);
		counts_json(o, &f->c);
		cJSON_AddItemToArray(fns, o);
	}
	lines = cJSON_AddArrayToObject(root, "lines");
	for (int i = 0; i < p->nr_lines; i++) {
		const struct nl_code_line *l = &p->lines[i];
		cJSON *o = cJSON_CreateObject();

		add_source(o, l->file, l->line);
		cJSON_AddStringToObject(o, "function", l->function);
		if (l->inlined)
			cJSON_AddStringToObject(o, "inlined_into", l->inlined_into);
		else
			cJSON_AddNullToObject(o, "inlined_into");
		cJSON_AddStringToObject(o, "dso", l->dso);
		if (l->python)
			cJSON_AddBoolToObject(o, "python", true);
		counts_json(o, &l->c);
		cJSON_AddItemToArray(lines, o);
	}
	stacks = cJSON_AddArrayToObject(root, "stacks");
	for (int i = 0; i < p->nr_stacks && i < 100; i++) {
		const struct nl_code_stack *s = &p->stacks[i];
		cJSON *o = cJSON_CreateObject(), *frames = cJSON_AddArrayToObject(o, "frames");

		for (uint32_t f = 0; f < s->nr_frames; f++) {
			cJSON *fr = cJSON_CreateObject();

			cJSON_AddStringToObject(fr, "function", s->frames[f].function);
			add_source(fr, s->frames[f].file, s->frames[f].line);
			cJSON_AddBoolToObject(fr, "inlined", s->frames[f].inlined);
			if (s->frames[f].python)
				cJSON_AddBoolToObject(fr, "python", true);
			cJSON_AddItemToArray(frames, fr);
		}
		counts_json(o, &s->c);
		cJSON_AddItemToArray(stacks, o);
	}
	if (p->nr_sort_keys) {
		char keys[64];
		cJSON *rows = cJSON_AddArrayToObject(root, "code_rows");

		cJSON_AddStringToObject(root, "code_sort", sort_names(p, keys, sizeof(keys)));
		for (int i = 0; i < p->nr_rows; i++) {
			const struct nl_code_row *r = &p->rows[i];
			cJSON *o = cJSON_CreateObject();

			if (r->symbol)
				cJSON_AddStringToObject(o, "function", r->symbol);
			if (r->dso)
				cJSON_AddStringToObject(o, "dso", r->dso);
			for (int k = 0; k < p->nr_sort_keys; k++)
				if (p->sort_keys[k] == NL_CODE_SRCLINE)
					add_source(o, r->file, r->line);
			if (r->pid >= 0 || r->pid < -1)
				cJSON_AddNumberToObject(o, "pid", r->pid);
			if (r->python)
				cJSON_AddBoolToObject(o, "python", true);
			counts_json(o, &r->c);
			cJSON_AddItemToArray(rows, o);
		}
	}
	sym = cJSON_AddObjectToObject(root, "symbols");
	cJSON_AddNumberToObject(sym, "samples_with_ip", (double)p->samples_with_ip);
	cJSON_AddNumberToObject(sym, "samples_with_callchain", (double)p->samples_with_callchain);
	cJSON_AddNumberToObject(sym, "samples_with_dwarf_stack", (double)p->samples_with_dwarf_stack);
	cJSON_AddNumberToObject(sym, "dwarf_stacks_single_frame", (double)p->unwind.single_frame);
	cJSON_AddNumberToObject(sym, "dwarf_stacks_stopped_unmapped", (double)p->unwind.stopped_unmapped);
	cJSON_AddNumberToObject(sym, "dwarf_stacks_deferred", (double)p->unwind.deferred);
	cJSON_AddNumberToObject(sym, "unresolved_samples", (double)p->unresolved_samples);
	cJSON_AddNumberToObject(sym, "truncated_stacks", (double)p->truncated_stacks);
	cJSON_AddNumberToObject(sym, "broken_stacks", (double)p->broken_stacks);
	cJSON_AddNumberToObject(sym, "python_samples", (double)p->python_samples);
	cJSON_AddNumberToObject(sym, "python_approximate", (double)p->python_approximate);
	cJSON_AddNumberToObject(sym, "dsos", p->symbols.dsos);
	cJSON_AddNumberToObject(sym, "dsos_failed", p->symbols.dsos_failed);
	cJSON_AddNumberToObject(sym, "addresses", p->symbols.addresses);
	cJSON_AddNumberToObject(sym, "unresolved_addresses", p->symbols.unresolved_addresses);
	cJSON_AddNumberToObject(sym, "jit_bad_lines", p->symbols.jit_bad_lines);
	if (timings)
		cJSON_AddNumberToObject(sym, "dso_load_cpu_s", (double)p->symbols.load_cpu_ns / 1e9);
	notes = cJSON_AddArrayToObject(sym, "notes");
	for (int i = 0; p->notes && p->notes[i]; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(p->notes[i]));
}

/* --- folded -------------------------------------------------------------------- */

int report_code__folded(const char *path, const struct nl_code_profile *p,
			const char **weighted_by)
{
	int by = p->remote_total ? 2 : p->memory_total ? 1 : 0;
	FILE *f = strcmp(path, "-") ? fopen(path, "we") : stdout;
	int err = 0;

	*weighted_by = by == 2 ? "remote memory samples" : by == 1 ? "memory samples" : "samples";
	if (!f)
		return -errno;
	for (int i = 0; i < p->nr_stacks; i++) {
		const struct nl_code_stack *s = &p->stacks[i];
		uint64_t w = by == 2 ? s->c.counts.remote : by == 1 ? s->c.counts.memory
								   : s->c.counts.samples;

		if (!w || !s->nr_frames)
			continue;
		for (uint32_t k = s->nr_frames; k-- > 0;) {
			const struct nl_code_frame_ref *fr = &s->frames[k];

			if (fr->python)         /* train.py:57 build_dataset */
				fprintf(f, "%s:%d %s%s", base_name(fr->file), fr->line, fr->function,
					k ? ";" : "");
			else
				fprintf(f, "%s%s", fr->function, k ? ";" : "");
		}
		fprintf(f, " %" PRIu64 "\n", w);
	}
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
	if (f != stdout && fclose(f) && !err)
		err = errno ? -errno : -EIO;
	return err;
}
