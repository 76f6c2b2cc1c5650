/*
 * report_model.h - the one report model: everything a renderer prints,
 * computed once from the finished profile and what the source said about
 * itself.
 *
 * Owns what used to be worked out inside the renderers: the notes (not
 * measured and why, damage, losses, the advice, as data: notes.c), the
 * ranking of mappings by pages away from their readers, and (in the
 * profile) the per-node run-time shares and the findings.  The renderers
 * (report/) walk the model and format it; they compute nothing.
 *
 * Promises: report_model__build() reads only the profile, info and stats;
 * the model stays valid while they do, until report_model__free().
 */
#ifndef NUMALENS_REPORT_MODEL_H
#define NUMALENS_REPORT_MODEL_H

#include <stdbool.h>

#include "profiler/advice.h"
#include "profiler/aggregate.h"
#include "samplers/sample.h"

struct nl_bandwidth;
struct nl_code_profile;
struct nl_objects_result;

/* What a pipeline hands over to be reported. */
struct nl_report_input {
	const struct nl_profile *profile;
	const struct nl_source_info *info;
	const struct nl_source_stats *stats;
	const char *command;            /* "report", "profile" */
	const char *source_kind;        /* "perf.data", "live" */
	bool interrupted;               /* stopped by a signal or -d */
	bool verbose;                   /* text: per-CPU rows, source counters */
	const struct nl_code_profile *code; /* functions, lines, stacks; NULL none */
	/* memory-controller bandwidth (samplers/uncore.h), NULL when not tried */
	const struct nl_bandwidth *bandwidth;
	/* data objects (profiler/objects.h), NULL none */
	const struct nl_objects_result *objects;
};

enum nl_note_kind {
	NL_NOTE_NOT_MEASURED,   /* a quantity the input cannot give, and why */
	NL_NOTE_DAMAGE,         /* where and why parsing stopped */
	NL_NOTE_LOSS,           /* lost, throttled, malformed records */
	NL_NOTE_ADVICE,         /* what to run next */
	NL_NOTE_INFO,
};

struct nl_note {
	enum nl_note_kind kind;
	char text[2048];        /* advice may carry a snippet under its line */
};

#define NL_MAX_NOTES 24

/* A mapping of a process, for the ranking. */
struct nl_mapping_ref {
	const struct nl_task_stats *proc;
	const struct nl_mapping_stats *map;
};

struct nl_report_model {
	struct nl_report_input in;
	int nr_notes;
	struct nl_note notes[NL_MAX_NOTES];
	/* mappings with at least one page away from where their process ran:
	   data mappings first, then code, each most such pages first */
	int nr_mappings;
	struct nl_mapping_ref *mappings;
	/* samples per memory level over all samples, -1 when there are none */
	double level_share[NL_MEM_CLASS_COUNT];
	/* what to run (profiler/advice.h), most important first; the notes of
	   kind NL_NOTE_ADVICE carry their text lines */
	int nr_advice;
	struct nl_advice advice[NL_MAX_ADVICE];
	/* HT: why the IPC cost of sharing (instructions / cycles while
	   co-running vs alone) is not in the smt section; "" without an smt result */
	char smt_ipc_note[200];
	/* the profiled command line, shell-quoted ("CMD" when not known) */
	char target_command[900];
	bool target_command_known;
};

/* Builds m from in (copied).  0, or -ENOMEM (m then holds nothing to free). */
int report_model__build(struct nl_report_model *m, const struct nl_report_input *in);
/* Frees what build allocated; m may be zeroed or failed. */
void report_model__free(struct nl_report_model *m);

/*
 * Fills notes (at most NL_MAX_NOTES) from in and the advice computed for it
 * (their text lines become the advice notes, first), cmd the profiled
 * command line for the general advice; returns how many (notes.c).
 */
int notes__collect(const struct nl_report_input *in, const struct nl_advice *advice,
		   int nr_advice, const char *cmd, struct nl_note *notes);
/* "not_measured", "damage", "loss", "advice", "info". */
const char *notes__kind_name(enum nl_note_kind kind);

#endif
