/*
 * advice.h - what to run: one engine turns the finished profile (topology,
 * placement, exposure, findings, HT contention, bandwidth) into commands a
 * user can paste, each with the numbers that justify it.
 *
 * Owns the advice list of one report and the per-node CPU plan it quotes
 * (one hardware thread per physical core, from the real topology).  Every
 * advice is data: a kind, why (with the measured numbers), the command (a
 * shell line with the target's real command line, or a code snippet), the
 * expected effect and a confidence, plus one text line for the report.
 *
 * Kinds, in the order they are given:
 *   1. bind_per_node: readers of one object (an object finding) or remote
 *      processes all run on one node, the data sits on another: run the
 *      tree on the readers' node with its memory there too
 *      (numactl --cpunodebind=R --membind=R CMD);
 *   2. interleave: readers on two or more nodes share one object:
 *      numactl --interleave=all CMD;
 *   3. first_touch: the parent first-touched the object the workers read
 *      (touch it in the workers, spawn start method, or interleave the
 *      parent's allocation phase);
 *   4. one_thread_per_core: busy tasks shared SMT cores or outnumbered the
 *      physical cores: a worker count (cores of the nodes minus reserved)
 *      and a CPU list with one hardware thread per core (taskset -c);
 *      several nodes in one package (SNC, NPS) are named;
 *   5. dataloader_worker_init_fn: a Python target with workers gets a
 *      ready worker_init_fn that pins each worker to one core of its node;
 *   6. bandwidth: one node's memory controllers carried most of the
 *      traffic while others idled: interleave to spread it.
 * The data an advice is about is named as the objects model knows it
 * (objects.h): the allocation and its site, and who first touched its
 * pages where and on which node ("the 64 MiB allocation (malloc) at fill
 * (seed.c:88), first touched by pid 180 on node 1 at fill (seed.c:90) for
 * 99 % of its pages"); the mapping and its size only when the input has
 * no objects there.
 * CMD is the target's real command line: the live target's argv
 * (/proc/PID/cmdline or the command numalens started), or what follows
 * "--" / the options in the recording's CMDLINE; "CMD" when neither names
 * it (the advice then says so).
 *
 * Promises: advice__compute reads only its input, allocates nothing, and
 * gives no advice that its numbers do not support (no SMT -> no
 * one_thread_per_core; exposure below one half -> no binding).
 */
#ifndef NUMALENS_ADVICE_H
#define NUMALENS_ADVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "samplers/base/cpuset.h"

struct nl_topology;
struct nl_report_input;

enum nl_advice_kind {
	NL_ADVICE_BIND_PER_NODE = 0,
	NL_ADVICE_INTERLEAVE,
	NL_ADVICE_FIRST_TOUCH,
	NL_ADVICE_ONE_THREAD_PER_CORE,
	NL_ADVICE_WORKER_INIT_FN,
	NL_ADVICE_BANDWIDTH,
};

enum nl_advice_confidence {
	NL_CONFIDENCE_LOW = 0,          /* placement only, or a view that misses tasks */
	NL_CONFIDENCE_MEDIUM,
	NL_CONFIDENCE_HIGH,             /* measured accesses / run times, several readers */
};

#define NL_MAX_ADVICE 8

struct nl_advice {
	enum nl_advice_kind kind;
	enum nl_advice_confidence confidence;
	char why[768];                  /* the measured numbers behind it */
	char command[1024];             /* shell line (or Python snippet) to run */
	char expected_effect[256];
	char text[1536];                /* one report line (the snippet indented after it) */
	int finding;                    /* index of the profile's finding it answers
					   (its findings[].advice), -1 none */
	char object[320];               /* key of the data object it names
					   (objects.h), "" when it names a mapping */
};

/* One node's share of the plan: where busy workers run without sharing cores. */
struct nl_node_plan {
	int node;                       /* node id */
	int package;                    /* package of its CPUs, -1 mixed or none */
	int nodes_in_package;           /* nodes with CPUs in that package (>1: SNC/NPS) */
	int cores;                      /* physical cores with an online thread */
	int reserved;                   /* cores kept for the main process */
	int workers;                    /* cores - reserved, at least 0 */
	struct nl_cpuset one_per_core;  /* the lowest online thread of each core */
};

/*
 * Fills plan for node id node_id of topo: one_per_core holds the lowest
 * online thread of every physical core of the node (a CPU whose siblings
 * are unknown is a core of its own); reserved cores (at most cores) are
 * kept back for the main process and the OS, so workers = cores -
 * reserved; the worker CPUs are one_per_core less its `reserved` lowest
 * entries.  0, -ENOENT (no such node), -ENOMEM.  Free with
 * advice__plan_free (also after a failure).
 */
int advice__plan_node(const struct nl_topology *topo, int node_id, int reserved,
		      struct nl_node_plan *plan);
void advice__plan_free(struct nl_node_plan *plan);

/*
 * The target's command line for the advice, shell-quoted, into buf:
 * target (a live target's argv as /proc/PID/cmdline holds it: target_len
 * bytes, NUL-separated; NULL or 0 bytes when unknown) wins; else the command a recording's CMDLINE ran (after "--", or the first
 * argument after perf record's / numalens profile's options).  Returns
 * true when a command was found, false when buf holds "CMD".
 */
bool advice__target_command(const char *target, size_t target_len,
			    const char *recording_cmdline,
			    char *buf, size_t size);

/*
 * Computes the advice for in (profile, bandwidth) into out (room for
 * NL_MAX_ADVICE), with cmd (from advice__target_command; known says whether
 * it named one) in the commands.  Returns how many, most important first;
 * never fails (an advice that does not fit is left out).
 */
int advice__compute(const struct nl_report_input *in, const char *cmd, bool known,
		    struct nl_advice *out);

/* "bind_per_node", "interleave", ... ; "high", "medium", "low". */
const char *advice__kind_name(enum nl_advice_kind kind);
const char *advice__confidence_name(enum nl_advice_confidence c);

#endif
