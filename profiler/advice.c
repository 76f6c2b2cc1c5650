/*
 * advice.c - the advice engine.  See advice.h for the kinds and promises.
 *
 * Every advice is built by one function per kind from the profile's own
 * conclusions (findings.c, smt.c, the bandwidth result) and the topology;
 * none of them looks at raw records.  Numbers in `why` are the measured
 * ones; commands carry the target's real command line.
 */
#include "profiler/advice.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/findings.h"
#include "profiler/objects.h"
#include "profiler/report_model.h"
#include "profiler/smt.h"
#include "samplers/base/topology.h"
#include "samplers/uncore.h"

#define CONCENTRATED 0.75               /* an object "sits on" a node above this share */
#define SPREAD 0.75                     /* readers are spread: no node has more */
#define ON_ONE_NODE 0.75                /* a process runs "on" a node: this share of its time */
#define BANDWIDTH_SKEW 2.0              /* busiest node vs the next one */
#define BANDWIDTH_FLOOR (100.0 * 1e6)   /* bytes/s below which skew does not matter */

const char *advice__kind_name(enum nl_advice_kind kind)
{
	static const char *const names[] = {
		[NL_ADVICE_BIND_PER_NODE] = "bind_per_node",
		[NL_ADVICE_INTERLEAVE] = "interleave",
		[NL_ADVICE_FIRST_TOUCH] = "first_touch",
		[NL_ADVICE_ONE_THREAD_PER_CORE] = "one_thread_per_core",
		[NL_ADVICE_WORKER_INIT_FN] = "dataloader_worker_init_fn",
		[NL_ADVICE_BANDWIDTH] = "bandwidth",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

const char *advice__confidence_name(enum nl_advice_confidence c)
{
	return c == NL_CONFIDENCE_HIGH ? "high" : c == NL_CONFIDENCE_MEDIUM ? "medium" : "low";
}

/* --- the CPU plan -------------------------------------------------------- */

static bool cpu_online(const struct nl_topology *topo, int cpu)
{
	return cpu >= 0 && cpu < topo->nr_cpus && topo->cpus[cpu].present && topo->cpus[cpu].online;
}

/* cpu is the lowest online thread of its core on node_id. */
static bool first_of_core(const struct nl_topology *topo, int cpu, int node_id)
{
	const struct nl_cpuset *sib = &topo->cpus[cpu].siblings;

	for (int s = cpuset__next(sib, 0); s >= 0 && s < cpu; s = cpuset__next(sib, s + 1))
		if (cpu_online(topo, s) && topo->cpus[s].node == node_id)
			return false;
	return true;
}

static int nodes_with_package(const struct nl_topology *topo, int package)
{
	int n = 0;

	for (int i = 0; package >= 0 && i < topo->nr_nodes; i++) {
		const struct nl_cpuset *cpus = &topo->nodes[i].cpus;
		bool in = false;

		for (int c = cpuset__next(cpus, 0); c >= 0 && !in; c = cpuset__next(cpus, c + 1))
			in = cpu_online(topo, c) && topo->cpus[c].package == package;
		n += in;
	}
	return n;
}

int advice__plan_node(const struct nl_topology *topo, int node_id, int reserved,
		      struct nl_node_plan *plan)
{
	int idx = topology__node_index(topo, node_id), package = -2;
	const struct nl_cpuset *cpus;

	memset(plan, 0, sizeof(*plan));
	plan->node = node_id;
	plan->package = -1;
	if (idx < 0)
		return -ENOENT;
	cpus = &topo->nodes[idx].cpus;
	for (int c = cpuset__next(cpus, 0); c >= 0; c = cpuset__next(cpus, c + 1)) {
		if (!cpu_online(topo, c) || !first_of_core(topo, c, node_id))
			continue;
		if (cpuset__add(&plan->one_per_core, c))
			return -ENOMEM;
		plan->cores++;
		package = package == -2 || package == topo->cpus[c].package ? topo->cpus[c].package : -1;
	}
	plan->package = package < 0 ? -1 : package;
	plan->nodes_in_package = nodes_with_package(topo, plan->package);
	plan->reserved = reserved < 0 ? 0 : reserved > plan->cores ? plan->cores : reserved;
	plan->workers = plan->cores - plan->reserved;
	return 0;
}

void advice__plan_free(struct nl_node_plan *plan)
{
	cpuset__free(&plan->one_per_core);
}

/* The worker CPUs of a plan: one_per_core less its `reserved` lowest. */
static void worker_cpus(const struct nl_node_plan *plan, char *buf, size_t size)
{
	struct nl_cpuset w = { 0 };
	int skip = plan->reserved;

	for (int c = cpuset__next(&plan->one_per_core, 0); c >= 0;
	     c = cpuset__next(&plan->one_per_core, c + 1))
		if (skip-- <= 0)
			cpuset__add(&w, c);
	cpuset__format(&w, buf, size);
	cpuset__free(&w);
}

/* --- the target's command line ------------------------------------------- */

struct sbuf {
	char *s;
	size_t size, used;
};

__attribute__((format(printf, 2, 3)))
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->used, b->size - b->used, fmt, ap);
	va_end(ap);
	b->used = n < 0 ? b->size : b->used + (size_t)n < b->size ? b->used + (size_t)n : b->size;
}

/* snprintf into a fixed field; a text that does not fit is cut (the fields are sized for it). */
__attribute__((format(printf, 3, 4)))
static void fill(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* Appends one argument, single-quoted when the shell would split or expand it. */
static void put_arg(struct sbuf *b, const char *arg, size_t len)
{
	bool plain = len > 0;

	for (size_t i = 0; i < len; i++)
		plain &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789_@%+=:,./-", arg[i]) && arg[i];
	put(b, "%s", b->used ? " " : "");
	if (plain) {
		put(b, "%.*s", (int)len, arg);
		return;
	}
	put(b, "'");
	for (size_t i = 0; i < len; i++)
		put(b, arg[i] == '\'' ? "'\\''" : "%c", arg[i]);
	put(b, "'");
}

/* perf record / numalens profile options that take the next argument. */
static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {
		"-e", "--event", "-c", "--count", "-F", "--freq", "-o", "--output", "-p", "--pid",
		"-t", "--tid", "-C", "--cpu", "-m", "--mmap-pages", "-G", "--cgroup", "-u",
		"--uid", "-r", "--realtime", "-j", "--branch-filter", "--call-graph", "-k",
		"--clockid", "--filter", "--affinity", "-D", "--delay", "--max-size",
		"--pfm-events", "--mmap-flush", "-d", "--record", "--html", "--json",
		"--sysfs-root", "--duration",
	};

	if (strchr(opt, '='))
		return false;
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(opt, with_value[i]))
			return true;
	return false;
}

/* The first word of the command a recording ran, or NULL. */
static const char *recorded_command(const char *cmdline, char *copy, size_t size)
{
	const char *dash = strstr(cmdline, " -- ");
	char *tok, *save = NULL;
	int word = 0;
	bool skip = false;

	if (dash)
		return dash[4] ? dash + 4 : NULL;
	fill(copy, size, "%s", cmdline);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), word++) {
		/* the tool and its subcommands: perf [mem|c2c] record, numalens profile */
		if (word == 0 || !strcmp(tok, "record") || !strcmp(tok, "mem") ||
		    !strcmp(tok, "c2c") || !strcmp(tok, "profile"))
			continue;
		if (skip) {
			skip = false;
			continue;
		}
		if (tok[0] == '-') {
			skip = takes_value(tok);
			continue;
		}
		return cmdline + (tok - copy);
	}
	return NULL;
}

bool advice__target_command(const char *target, size_t target_len,
			    const char *recording_cmdline, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0 };
	char copy[1024];
	const char *rec;

	buf[0] = '\0';
	if (target && target_len) {
		for (size_t i = 0; i < target_len;) {
			size_t len = strnlen(target + i, target_len - i);

			put_arg(&b, target + i, len);
			i += len + 1;
		}
		return true;
	}
	rec = recording_cmdline ? recorded_command(recording_cmdline, copy, sizeof(copy)) : NULL;
	if (rec) {
		/* the recording joined its arguments with spaces: they stay as they were */
		put(&b, "%s", rec);
		return true;
	}
	put(&b, "CMD");
	return false;
}

/* --- the kinds ------------------------------------------------------------ */

/* A data object and who reads it, for interleave. */
struct reader_group {
	int32_t ppid;
	uint64_t start, end;
	int readers;
	uint64_t run_nodes;     /* bit per node index (first 64) */
	int most_on_one;        /* readers on the node with the most of them */
	const struct nl_mapping_stats *map;
};

struct ctx {
	const struct nl_report_input *in;
	const struct nl_profile *p;
	const struct nl_topology *topo;
	char cmd[900];
	bool cmd_known;
	bool python;            /* the target runs Python (PyTorch workers) */
	int bind_node;          /* node a bind_per_node advice named, -1 none */
	struct reader_group shared; /* an object read from several nodes (readers 0: none) */
	struct nl_advice *out;
	int n;
};

static struct nl_advice *next_advice(struct ctx *c, enum nl_advice_kind kind,
				     enum nl_advice_confidence conf)
{
	struct nl_advice *a;

	if (c->n >= NL_MAX_ADVICE)
		return NULL;
	a = &c->out[c->n++];
	memset(a, 0, sizeof(*a));
	a->finding = -1;
	a->kind = kind;
	a->confidence = conf;
	return a;
}

static const struct nl_task_stats *process_of(const struct nl_profile *p, int32_t pid)
{
	for (int i = 0; i < p->nr_processes; i++)
		if (p->processes[i].pid == pid)
			return &p->processes[i];
	return NULL;
}

/* Readers measured by an access signal, not by placement alone. */
static bool measured(const struct nl_profile *p, const struct nl_finding *f)
{
	for (int i = 0; i < f->nr_readers && i < NL_FINDING_MAX_READERS; i++) {
		const struct nl_task_stats *t = process_of(p, f->readers[i]);

		if (t && t->exposure_basis != NL_BASIS_PLACEMENT && t->exposure_basis != NL_BASIS_NONE)
			return true;
	}
	return false;
}

static int node_cores(const struct nl_topology *topo, int node_id)
{
	struct nl_node_plan plan;
	int cores = advice__plan_node(topo, node_id, 0, &plan) ? 0 : plan.cores;

	advice__plan_free(&plan);
	return cores;
}

/* Every reader of f ran at least ON_ONE_NODE of its time on f's run node. */
static bool on_one_node(const struct ctx *c, const struct nl_finding *f)
{
	int idx = topology__node_index(c->topo, f->run_node);

	for (int i = 0; i < f->nr_readers && i < NL_FINDING_MAX_READERS; i++) {
		const struct nl_task_stats *t = process_of(c->p, f->readers[i]);
		uint64_t total = 0;

		for (int n = 0; t && t->ran_by_node && n < c->p->nr_nodes; n++)
			total += t->ran_by_node[n];
		if (!t || idx < 0 || !total || (double)t->ran_by_node[idx] < ON_ONE_NODE * (double)total)
			return false;
	}
	return true;
}

/*
 * What an advice calls [start, end) of the mapping `name`: the data object
 * that holds it (objects.h) with its allocation site and first toucher,
 * "64 MiB allocation (malloc) at fill (seed.c:88), first touched by pid 180
 * on node 1 at fill (seed.c:90) for 99 % of its pages"; else its size and
 * mapping, "64 MiB mapping /memfd:x (deleted)".  OUT: a->object, the
 * object's key ("" without one).  Returns the object whose words it used,
 * NULL when it used the mapping's.
 */
static const struct nl_data_object *object_text(const struct ctx *c, struct nl_advice *a,
						uint64_t start, uint64_t end, const char *name,
						char *buf, size_t size)
{
	const struct nl_data_object *ob =
		c->in->objects ? objects__for_range(c->in->objects, start, end, buf, size) : NULL;
	char sz[32], what[200];

	a->object[0] = '\0';
	if (ob) {
		size_t len = strlen(buf);

		fill(a->object, sizeof(a->object), "%s", ob->key);
		/* the label ends in "," to go on in a sentence: this one goes on
		   with the readers, after the address */
		if (len && buf[len - 1] == ',')
			buf[len - 1] = '\0';
		/* a mapping nobody was seen touching first, or one other than the
		   range the finding is about (a VMA the objects saw before an mbind
		   split it): the finding's own, exact words, and no object's
		   address nor first touch in the sentence (the key stays) */
		if (ob->allocation ||
		    (ob->touch_pages && ob->start == start && ob->start + ob->size == end))
			return ob;
	}
	findings__size_text(sz, sizeof(sz), end - start);
	findings__mapping_text(what, sizeof(what), name);
	fill(buf, size, "%s %s", sz, what);
	return NULL;
}

/* The finding about [start, end) of parent's children, or -1. */
static int finding_of(const struct ctx *c, int32_t parent, uint64_t start, uint64_t end)
{
	for (int i = 0; i < c->p->nr_findings; i++)
		if (c->p->findings[i].kind == NL_FINDING_SHARED_OBJECT &&
		    c->p->findings[i].parent == parent && c->p->findings[i].start == start &&
		    c->p->findings[i].end == end)
			return i;
	return -1;
}

/* 1. Readers of one object (or remote processes) run on one node, data on another. */
static void bind_per_node(struct ctx *c)
{
	for (int i = 0; i < c->p->nr_findings; i++) {
		const struct nl_finding *f = &c->p->findings[i];
		bool obj = f->kind == NL_FINDING_SHARED_OBJECT, sure = measured(c->p, f);
		const struct nl_data_object *ob = NULL;
		char what[600], pids[160];
		struct nl_advice *a;

		/* an object also read from other nodes is interleave's, not binding's */
		if (obj && c->shared.readers && c->shared.ppid == f->parent &&
		    c->shared.start == f->start && c->shared.end == f->end)
			continue;
		/* a process spread over nodes is not "on node R": binding it is no fix */
		if (!obj && !on_one_node(c, f))
			continue;
		if (f->exposure < NL_FINDING_REMOTE_EXPOSURE || f->home_node == f->run_node ||
		    !(a = next_advice(c, NL_ADVICE_BIND_PER_NODE,
				      sure && f->nr_readers >= 2 ? NL_CONFIDENCE_HIGH
								 : NL_CONFIDENCE_MEDIUM)))
			continue;
		if (c->bind_node < 0)
			c->bind_node = f->run_node;
		a->finding = i;
		findings__readers_text(pids, sizeof(pids), f);
		if (obj)
			ob = object_text(c, a, f->start, f->end, f->name, what, sizeof(what));
		fill(a->command, sizeof(a->command), "numactl --cpunodebind=%d --membind=%d %s",
			 f->run_node, f->run_node, c->cmd);
		if (obj) {
			fill(a->why, sizeof(a->why),
				 "%d of %d workers of pid %d (%s) run on node %d and read the %s; "
				 "%.0f %% of its pages sit on node %d (%s exposure %.0f %%)",
				 f->nr_readers, f->nr_group, f->parent, pids, f->run_node, what,
				 f->home_share * 100, f->home_node,
				 sure ? "access-weighted" : "placement", f->exposure * 100);
			fill(a->text, sizeof(a->text),
				 "the %s, at 0x%" PRIx64 ", that %d workers of pid %d (%s) read sits "
				 "on node %d while they run on node %d (exposure %.0f%%): run the job on "
				 "node %d with its memory there, so the parent's first touch lands "
				 "next to the readers: %s (or move the pages: migratepages %d %d %d, "
				 "as root so shared pages move)", what, ob ? ob->start : f->start, f->nr_readers,
				 f->parent, pids, f->home_node, f->run_node, f->exposure * 100,
				 f->run_node, a->command, f->parent, f->home_node, f->run_node);
		} else {
			fill(a->why, sizeof(a->why),
				 "%d process%s (%s) run on node %d while most of the data they access "
				 "sits on node %d (exposure %.0f %%)", f->nr_readers,
				 f->nr_readers == 1 ? "" : "es", pids, f->run_node, f->home_node,
				 f->exposure * 100);
			fill(a->text, sizeof(a->text),
				 "%d process%s (%s) run on node %d while most of the data they access "
				 "sits on node %d (exposure %.0f%%): keep their threads and memory on "
				 "one node: %s", f->nr_readers, f->nr_readers == 1 ? "" : "es", pids,
				 f->run_node, f->home_node, f->exposure * 100, a->command);
		}
		fill(a->expected_effect, sizeof(a->expected_effect),
			 "the readers' remote exposure falls from %.0f %% to about 0; the job then "
			 "has node %d's %d physical cores only (when it needs every node, see "
			 "first_touch and interleave)", f->exposure * 100, f->run_node,
			 node_cores(c->topo, f->run_node));
	}
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

/* 2. Readers on two or more nodes share one object that sits on one node: find it. */
static void find_shared(struct ctx *c)
{
	const struct nl_profile *p = c->p;
	struct reader_group best = { 0 };

	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];

		for (int m = 0; m < t->nr_mappings; m++) {
			const struct nl_mapping_stats *map = &t->mappings[m];
			struct reader_group g = { t->ppid, map->start, map->end, 0, 0, 0, map };
			int on_node[64] = { 0 };
			uint64_t top = 0;

			if (map->kind != NL_MAP_DATA || map->pages_total < NL_FINDING_MIN_OBJECT_PAGES)
				continue;
			for (int n = 0; n < p->nr_nodes; n++)
				top = map->pages_by_node[n] > top ? map->pages_by_node[n] : top;
			if ((double)top < CONCENTRATED * (double)map->pages_total)
				continue;
			/* every process of the same parent reading the same range */
			for (int j = 0; j < p->nr_processes; j++) {
				const struct nl_task_stats *u = &p->processes[j];
				double total = 0, mine = 0;
				int r = findings__run_node(u, p->nr_nodes);

				if (u->ppid != g.ppid || r < 0 || u->exposure_basis == NL_BASIS_NONE)
					continue;
				for (int k = 0; k < u->nr_mappings; k++) {
					const struct nl_mapping_stats *x = &u->mappings[k];

					if (x->kind != NL_MAP_DATA)
						continue;
					total += findings__weight(u, x);
					if (x->start == g.start && x->end == g.end)
						mine += findings__weight(u, x);
				}
				if (total <= 0 || mine < NL_FINDING_MIN_WEIGHT_SHARE * total)
					continue;
				g.readers++;
				if (r < 64) {
					g.run_nodes |= 1ull << r;
					on_node[r]++;
					g.most_on_one = on_node[r] > g.most_on_one ? on_node[r]
										   : g.most_on_one;
				}
			}
			/* spread readers: no node has more than SPREAD of them (else
			   binding them all to that node is the better answer) */
			if (popcount64(g.run_nodes) >= 2 && g.most_on_one <= SPREAD * g.readers &&
			    g.readers > best.readers)
				best = g;
		}
	}
	c->shared = best;
}

/* ... and say so. */
static void interleave(struct ctx *c)
{
	const struct nl_profile *p = c->p;
	const struct reader_group best = c->shared;

	if (best.readers >= 2) {
		const struct nl_data_object *ob;
		char what[600], nodes[64] = "";
		struct sbuf b = { nodes, sizeof(nodes), 0 };
		int home = 0, nn = popcount64(best.run_nodes);
		struct nl_advice *a;

		for (int n = 0; n < p->nr_nodes; n++) {
			if (best.map->pages_by_node[n] > best.map->pages_by_node[home])
				home = n;
			if (n < 64 && (best.run_nodes >> n & 1))
				put(&b, "%s%d", b.used ? "," : "", c->topo->nodes[n].id);
		}
		if (!(a = next_advice(c, NL_ADVICE_INTERLEAVE, NL_CONFIDENCE_MEDIUM)))
			return;
		a->finding = finding_of(c, best.ppid, best.start, best.end);
		ob = object_text(c, a, best.start, best.end, best.map->name, what, sizeof(what));
		fill(a->command, sizeof(a->command), "numactl --interleave=all %s", c->cmd);
		fill(a->why, sizeof(a->why),
			 "%d processes of pid %d running on nodes %s read the %s; %.0f %% of "
			 "its pages sit on node %d", best.readers, best.ppid, nodes, what,
			 (double)best.map->pages_by_node[home] * 100 / (double)best.map->pages_total,
			 c->topo->nodes[home].id);
		fill(a->expected_effect, sizeof(a->expected_effect),
			 "each of the %d nodes holds 1/%d of the object: its reads spread over every "
			 "node's memory controllers instead of node %d's alone, and no reader is "
			 "remote for all of them", p->nr_nodes, p->nr_nodes, c->topo->nodes[home].id);
		fill(a->text, sizeof(a->text),
			 "readers on %d nodes (%s) share the %s, at 0x%" PRIx64 ", that sits on "
			 "node %d: spread it over all nodes: %s", nn, nodes, what,
			 ob ? ob->start : best.start,
			 c->topo->nodes[home].id, a->command);
	}
}

/* 3. The parent first-touched what the workers read. */
static void first_touch(struct ctx *c)
{
	for (int i = 0; i < c->p->nr_findings; i++) {
		const struct nl_finding *f = &c->p->findings[i];
		const struct nl_task_stats *parent = process_of(c->p, f->parent);
		int pr = parent ? findings__run_node(parent, c->p->nr_nodes) : -1;
		const struct nl_data_object *ob;
		char what[600];
		struct nl_advice *a;

		if (f->kind != NL_FINDING_SHARED_OBJECT || f->exposure < NL_FINDING_REMOTE_EXPOSURE || pr < 0 ||
		    c->topo->nodes[pr].id != f->home_node ||
		    !(a = next_advice(c, NL_ADVICE_FIRST_TOUCH, NL_CONFIDENCE_MEDIUM)))
			continue;
		a->finding = i;
		ob = object_text(c, a, f->start, f->end, f->name, what, sizeof(what));
		fill(a->why, sizeof(a->why),
			 "the parent pid %d ran on node %d, where %.0f %% of the %s, at 0x%" PRIx64
			 ", sits: %s, before its %d workers on node %d read them",
			 f->parent, f->home_node, f->home_share * 100, what, ob ? ob->start : f->start,
			 ob && ob->touch_pages ? "its first touches were measured there"
					       : "it touched the pages first", f->nr_readers,
			 f->run_node);
		if (c->python)
			fill(a->command, sizeof(a->command),
				 "torch.multiprocessing.set_start_method(\"spawn\", force=True)  "
				 "# and build the data in each worker (worker_init_fn), after it is pinned");
		else
			fill(a->command, sizeof(a->command),
				 "set_mempolicy(MPOL_INTERLEAVE, &all_nodes, maxnode); /* allocate and "
				 "fill */ set_mempolicy(MPOL_DEFAULT, NULL, 0);  /* or touch the data "
				 "in the workers after they are pinned */");
		fill(a->expected_effect, sizeof(a->expected_effect),
			 "pages land where their readers run (or spread over all nodes): the "
			 "workers' exposure of %.0f %% falls to about 0 (interleaved: (N-1)/N spread "
			 "evenly), and the job keeps every node's cores", f->exposure * 100);
		if (ob && ob->touch_pages)      /* the object's words say who touched it, where */
			fill(a->text, sizeof(a->text),
				 "first touch: the %s, before pid %d forked the workers on node %d "
				 "that read it; touch it in the workers instead (%s), or interleave "
				 "only the parent's allocation phase", what, f->parent, f->run_node,
				 c->python ? "spawn start method, or build it in worker_init_fn"
					   : "after each worker is pinned");
		else
			fill(a->text, sizeof(a->text),
				 "first touch: pid %d filled the %s on node %d before forking; touch "
				 "it in the workers instead (%s), or interleave only the parent's "
				 "allocation phase", f->parent, what, f->home_node,
				 c->python ? "spawn start method, or build it in worker_init_fn"
					   : "after each worker is pinned");
		return;
	}
}

/* The profiled tree's main process: the one whose parent is not profiled, most workers. */
static const struct nl_task_stats *main_process(const struct nl_profile *p, int *children)
{
	const struct nl_task_stats *best = NULL;

	*children = 0;
	for (int i = 0; i < p->nr_processes; i++) {
		const struct nl_task_stats *t = &p->processes[i];
		int n = 0;

		if (process_of(p, t->ppid))
			continue;
		/* workers: children running the same program (DataLoader workers
		   rename themselves pt_data_worker), not the shells it starts */
		for (int j = 0; j < p->nr_processes; j++)
			n += (p->processes[j].ppid == t->pid &&
			      (!strcmp(p->processes[j].comm, t->comm) ||
			       !strncmp(p->processes[j].comm, "pt_", 3))) *
			     (p->processes[j].folded_processes ?
			      (int)p->processes[j].folded_processes : 1);  /* a role row */
		if (!best || n > *children) {
			best = t;
			*children = n;
		}
	}
	return best;
}

static bool task_busy(const struct nl_smt_result *r, int32_t tid)
{
	for (int i = 0; i < r->nr_tasks; i++)
		if (r->tasks[i].tid == tid)
			return r->span_ns && r->tasks[i].run_ns * 2 >= r->span_ns;
	return false;
}

/* Node ids of the CPUs of a cpulist, as a bit set of node indexes. */
static uint64_t nodes_of_cpulist(const struct nl_topology *topo, const char *list)
{
	struct nl_cpuset set = { 0 };
	uint64_t bits = 0;

	if (!cpuset__parse_list(&set, list))
		for (int cpu = cpuset__next(&set, 0); cpu >= 0; cpu = cpuset__next(&set, cpu + 1)) {
			int idx = topology__node_index(topo, topology__node_of_cpu(topo, cpu));

			if (idx >= 0 && idx < 64)
				bits |= 1ull << idx;
		}
	cpuset__free(&set);
	return bits;
}

/* The plans of the nodes in bits; reserved on main_node. */
static int plans_of(const struct nl_topology *topo, uint64_t bits, int main_node, int reserved,
		    struct nl_node_plan *plans, int max)
{
	int n = 0;

	for (int i = 0; i < topo->nr_nodes && i < 64 && n < max; i++) {
		if (!(bits >> i & 1))
			continue;
		if (advice__plan_node(topo, topo->nodes[i].id,
				      topo->nodes[i].id == main_node ? reserved : 0, &plans[n])) {
			advice__plan_free(&plans[n]);
			continue;
		}
		n++;
	}
	return n;
}

static void plans_free(struct nl_node_plan *plans, int n)
{
	for (int i = 0; i < n; i++)
		advice__plan_free(&plans[i]);
}

#define MAX_PLANS 64

/* 4. Busy tasks shared SMT cores, or outnumbered the physical cores. */
static void one_thread_per_core(struct ctx *c, int main_node, int reserved)
{
	const struct nl_smt_result *r = c->p->smt;
	struct nl_node_plan plans[MAX_PLANS];
	struct nl_cpuset all = { 0 };
	char list[512], per_node[400] = "", snc[200] = "";
	struct sbuf pn = { per_node, sizeof(per_node), 0 }, sn = { snc, sizeof(snc), 0 }, b;
	bool over, shared;
	int nplans, cores = 0, workers = 0;
	struct nl_advice *a;

	if (!r || !r->has_smt || r->busy_tasks < 2)
		return;
	over = r->cores_of_nodes_ran && r->busy_tasks > r->cores_of_nodes_ran;
	shared = r->busy_shared_half > 0;
	if (!over && !shared && !r->misplaced_ns)
		return;
	nplans = plans_of(c->topo, nodes_of_cpulist(c->topo, r->one_per_core), main_node, reserved,
			  plans, MAX_PLANS);
	for (int i = 0; i < nplans; i++) {
		char cpus[256];

		cores += plans[i].cores;
		workers += plans[i].workers;
		for (int cpu = cpuset__next(&plans[i].one_per_core, 0); cpu >= 0;
		     cpu = cpuset__next(&plans[i].one_per_core, cpu + 1))
			cpuset__add(&all, cpu);
		cpuset__format(&plans[i].one_per_core, cpus, sizeof(cpus));
		put(&pn, "%snode %d: %d cores, CPUs %s", i ? "; " : "", plans[i].node,
		    plans[i].cores, cpus);
		if (plans[i].reserved)
			put(&pn, " (%d kept for the main process)", plans[i].reserved);
		if (plans[i].nodes_in_package > 1)
			put(&sn, "%snode %d is one of %d nodes of package %d", sn.used ? "; " : "",
			    plans[i].node, plans[i].nodes_in_package, plans[i].package);
	}
	cpuset__format(&all, list, sizeof(list));
	cpuset__free(&all);
	plans_free(plans, nplans);
	if (!nplans || !(a = next_advice(c, NL_ADVICE_ONE_THREAD_PER_CORE,
					 r->cpu_wide ? NL_CONFIDENCE_HIGH : NL_CONFIDENCE_MEDIUM)))
		return;
	fill(a->command, sizeof(a->command), "taskset -c %s %s", list, c->cmd);
	b = (struct sbuf){ a->why, sizeof(a->why), 0 };
	put(&b, "%d of %d busy tasks shared a core with another busy task for >= 50 %% of their "
	    "run time; %d busy tasks on %d physical cores", r->busy_shared_half, r->busy_tasks,
	    r->busy_tasks, cores);
	for (int i = 0; i < r->nr_pairs; i++)
		if (!r->pairs[i].outside && r->pairs[i].corun_ns) {
			put(&b, "; worst pair pid %d + pid %d on the core of CPU %d: %.0f %%",
			    r->pairs[i].pid_a, r->pairs[i].pid_b, r->pairs[i].cpu,
			    r->pairs[i].ratio * 100);
			break;
		}
	if (r->misplaced_ns)
		put(&b, "; %.2f s with two busy tasks on one core while another core of the node "
		    "was idle", (double)r->misplaced_ns / 1e9);
	if (r->ipc.has_cost)
		put(&b, "; IPC while sharing a core %.2f vs %.2f alone (%+.0f %%)", r->ipc.ipc_corun,
		    r->ipc.ipc_alone, -r->ipc.cost * 100);
	fill(a->expected_effect, sizeof(a->expected_effect),
		 "with at most %d busy workers (%d physical cores less %d reserved) on one "
		 "hardware thread per core, no two share a core: co-run with a busy sibling "
		 "falls to about 0%s", workers, cores, cores - workers,
		 r->cpu_wide ? "" : " (tasks outside the target were not seen: this view "
				   "shows the target's own tasks)");
	fill(a->text, sizeof(a->text),
		 "HT: %d of %d busy tasks shared a core with another busy task; run at most %d "
		 "workers, one per physical core (%s)%s%s%s: %s", r->busy_shared_half, r->busy_tasks,
		 workers, per_node, snc[0] ? "; " : "", snc,
		 snc[0] ? " (sub-NUMA clustering or NPS: bind per node, not per socket)" : "",
		 a->command);
}

/* 5. A Python target with workers: pin each to one core of its node. */
static void worker_init_fn(struct ctx *c, int main_node, int reserved, int children)
{
	struct nl_node_plan plans[MAX_PLANS];
	struct sbuf b;
	uint64_t bits = 0;
	int nplans, workers = 0;
	struct nl_advice *a;

	/* pinning pays only where there is a choice of node or of core */
	if (!c->python || children < 2 ||
	    (c->topo->nr_nodes < 2 && !(c->p->smt && c->p->smt->has_smt)))
		return;
	if (c->bind_node >= 0) {
		bits = 1ull << topology__node_index(c->topo, c->bind_node);
	} else if (c->p->smt && c->p->smt->one_per_core[0]) {
		bits = nodes_of_cpulist(c->topo, c->p->smt->one_per_core);
	} else {
		for (int i = 0; i < c->topo->nr_nodes && i < 64; i++)
			bits |= (uint64_t)(cpuset__count(&c->topo->nodes[i].cpus) > 0) << i;
	}
	nplans = plans_of(c->topo, bits, main_node, reserved, plans, MAX_PLANS);
	for (int i = 0; i < nplans; i++)
		workers += plans[i].workers;
	if (!nplans || !workers ||
	    !(a = next_advice(c, NL_ADVICE_WORKER_INIT_FN, NL_CONFIDENCE_MEDIUM))) {
		plans_free(plans, nplans);
		return;
	}
	b = (struct sbuf){ a->command, sizeof(a->command), 0 };
	put(&b, "import os\n\n"
		"# numalens: one hardware thread per physical core, per NUMA node\n"
		"NODE_CPUS = {");
	for (int i = 0, first = 1; i < nplans; i++) {
		char cpus[256];

		if (!plans[i].workers)
			continue;
		worker_cpus(&plans[i], cpus, sizeof(cpus));
		put(&b, "%s%d: \"%s\"", first ? "" : ", ", plans[i].node, cpus);
		first = 0;
	}
	put(&b, "}\n\n"
		"def _cpus(spec):\n"
		"    out = []\n"
		"    for part in spec.split(\",\"):\n"
		"        lo, _, hi = part.partition(\"-\")\n"
		"        out += range(int(lo), int(hi or lo) + 1)\n"
		"    return out\n\n"
		"def worker_init_fn(worker_id):\n"
		"    nodes = sorted(NODE_CPUS)\n"
		"    cpus = _cpus(NODE_CPUS[nodes[worker_id %% len(nodes)]])\n"
		"    os.sched_setaffinity(0, {cpus[(worker_id // len(nodes)) %% len(cpus)]})\n\n"
		"# DataLoader(dataset, num_workers=%d, worker_init_fn=worker_init_fn)\n", workers);
	fill(a->why, sizeof(a->why),
		 "the target runs Python with %d worker processes; %d physical cores of the "
		 "node%s it runs on are free for them", children, workers, nplans == 1 ? "" : "s");
	fill(a->expected_effect, sizeof(a->expected_effect),
		 "each DataLoader worker runs on its own core of its node: no two workers share "
		 "a core's SMT threads, and each reads memory its node first-touched");
	/* the line, then the snippet indented under it */
	b = (struct sbuf){ a->text, sizeof(a->text), 0 };
	put(&b, "PyTorch DataLoader: pin each worker to one core of its node with this "
	    "worker_init_fn (num_workers=%d):", workers);
	for (const char *s = a->command; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		put(&b, "\n%s%.*s", len ? "      " : "", (int)len, s);
		s += len + (nl ? 1 : 0);
	}
	plans_free(plans, nplans);
}

/* 6. One node's controllers carried most of the traffic. */
static void bandwidth(struct ctx *c)
{
	const struct nl_bandwidth *bw = c->in->bandwidth;
	int top = -1, second = -1;
	double rate[NL_UNCORE_MAX_PMUS];
	struct nl_advice *a;

	if (!bw || !bw->measured || bw->nr_nodes < 2)
		return;
	for (int i = 0; i < c->n; i++)
		if (c->out[i].kind == NL_ADVICE_INTERLEAVE)
			return;
	for (int i = 0; i < bw->nr_nodes; i++) {
		rate[i] = bw->nodes[i].read_mean + bw->nodes[i].write_mean;
		if (top < 0 || rate[i] > rate[top]) {
			second = top;
			top = i;
		} else if (second < 0 || rate[i] > rate[second]) {
			second = i;
		}
	}
	if (rate[top] < BANDWIDTH_FLOOR || rate[top] < BANDWIDTH_SKEW * rate[second] ||
	    !(a = next_advice(c, NL_ADVICE_BANDWIDTH, NL_CONFIDENCE_MEDIUM)))
		return;
	fill(a->command, sizeof(a->command), "numactl --interleave=all %s", c->cmd);
	if (bw->estimate)
		fill(a->why, sizeof(a->why),
			 "node %d's memory served an estimated %.2f GB/s on average (sampled DRAM "
			 "accesses x period x 64 B), node %d's %.2f GB/s", bw->nodes[top].node,
			 rate[top] / 1e9, bw->nodes[second].node, rate[second] / 1e9);
	else
		fill(a->why, sizeof(a->why),
			 "node %d's memory controllers moved %.2f GB/s on average (peak %.2f GB/s "
			 "read), node %d's %.2f GB/s", bw->nodes[top].node, rate[top] / 1e9,
			 bw->nodes[top].read_peak / 1e9, bw->nodes[second].node, rate[second] / 1e9);
	fill(a->expected_effect, sizeof(a->expected_effect),
		 "the traffic spreads over the %d nodes' controllers (about %.2f GB/s each)",
		 bw->nr_nodes, (rate[top] + rate[second]) / 2 / 1e9);
	fill(a->text, sizeof(a->text),
		 "bandwidth: node %d carried %.1fx the traffic of node %d; spread the data: %s",
		 bw->nodes[top].node, rate[top] / (rate[second] > 0 ? rate[second] : 1),
		 bw->nodes[second].node, a->command);
}

static bool is_python(const struct nl_profile *p, const char *cmd)
{
	if (strstr(cmd, "python"))
		return true;
	for (int i = 0; i < p->nr_processes; i++)
		if (!strncmp(p->processes[i].comm, "python", 6) ||
		    !strncmp(p->processes[i].comm, "pt_", 3))
			return true;
	return false;
}

int advice__compute(const struct nl_report_input *in, const char *cmd, bool known,
		    struct nl_advice *out)
{
	const struct nl_profile *p = in->profile;
	struct ctx c = { .in = in, .p = p, .topo = p->topology, .bind_node = -1, .out = out };
	const struct nl_task_stats *main;
	int children, main_node = -1, reserved = 0;

	if (!c.topo)
		return 0;
	fill(c.cmd, sizeof(c.cmd), "%s", cmd);
	c.cmd_known = known;
	c.python = is_python(p, c.cmd);
	main = main_process(p, &children);
	if (main) {
		int r = findings__run_node(main, p->nr_nodes);

		main_node = r >= 0 ? c.topo->nodes[r].id : -1;
		/* a busy main process (the training loop) keeps one core of its node */
		reserved = p->smt && task_busy(p->smt, main->pid) ? 1 : 0;
	}
	find_shared(&c);
	bind_per_node(&c);
	interleave(&c);
	first_touch(&c);
	one_thread_per_core(&c, main_node, reserved);
	worker_init_fn(&c, main_node, reserved, children);
	bandwidth(&c);
	if (!c.cmd_known)
		for (int i = 0; i < c.n; i++) {
			size_t used = strlen(out[i].why);

			fill(out[i].why + used, sizeof(out[i].why) - used,
				 "%s(CMD: the input does not name the profiled command)",
				 used ? " " : "");
		}
	return c.n;
}
