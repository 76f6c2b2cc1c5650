/*
 * test_objretire.c - retiring an ended process from the data objects
 * (NL_REC_RETIRE, profiler/objects.h) changes no object figure.
 *
 * Main process 100 (its FORK unseen, as with -p) maps a 64-page dataset
 * file and a heap holding a tracked malloc; 40 workers forked from it each
 * map a private anonymous range, make and free a malloc in it, fault their
 * pages (same call stack in every worker, and one stack of their own), and
 * read the dataset, which main and the workers fault first in turn (two
 * workers fault one page at the same time); a child of worker 204 reads
 * its parent's malloc and range.  Records carry the thread's Python frame
 * (objects.h: site.python): main's is build_dataset, a worker's
 * load_batch at line 40 or 41 by pid parity, so workers' stacks of the
 * same native frames differ by their Python frame and must not be shared
 * across it.  Two objects layers get the
 * same stream; one also gets NL_REC_RETIRE for each of the first 30
 * workers after its last record, as the live source sends it, and for the
 * child at the end.  The JSON of
 * both must be identical, with every object there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "check.h"
#include "report/synthetic.h"
#include "profiler/addrspace.h"
#include "profiler/codeprofile.h"
#include "profiler/objects.h"
#include "report/objects_render.h"

#define MAIN 100
#define CHILD 500
#define WORKERS 40
#define RETIRED 30
#define DATASET 0x10000000ull
#define HEAP 0x20000000ull
#define PRIVATE 0x30000000ull
#define CODE 0x400000ull
#define PAGE 4096ull

struct pair {
	struct nl_codeprofile *cp;
	struct nl_objects *ob;
};

static void feed(struct pair *p, const struct nl_record *r, enum nl_locality loc, bool fault)
{
	CHECK_EQ_U64(codeprofile__add(p->cp, r, loc, fault), 0);
	CHECK_EQ_U64(objects__add(p->ob, r, loc, fault), 0);
}

static void mapping(struct pair *p, int pid, uint64_t start, uint64_t pages, const char *file,
		    uint32_t prot)
{
	struct nl_record r = { .kind = NL_REC_MMAP };

	r.mmap = (struct nl_mmap_event){ .pid = pid, .tid = pid, .start = start,
		.len = pages * PAGE, .filename = file, .prot = prot };
	feed(p, &r, NL_LOC_NONE, false);
}

/* The Python frame of pid's records: one stack of one frame. */
static const struct nl_pystack *python(int pid)
{
	static struct nl_pyframe frames[3] = {
		{ .id = 1, .line = 57, .function = "build_dataset", .file = "/opt/objretire/train.py" },
		{ .id = 2, .line = 40, .function = "load_batch", .file = "/opt/objretire/train.py" },
		{ .id = 3, .line = 41, .function = "load_batch", .file = "/opt/objretire/train.py" },
	};
	static struct nl_pystack stacks[3] = {
		{ .nr = 1, .frames = &frames[0] }, { .nr = 1, .frames = &frames[1] },
		{ .nr = 1, .frames = &frames[2] },
	};

	return &stacks[pid == MAIN ? 0 : 1 + pid % 2];
}

static void alloc(struct pair *p, int pid, uint8_t op, uint64_t addr, uint64_t len,
		  uint64_t t)
{
	static const uint64_t chain[] = { (uint64_t)-512, CODE + 0x100, CODE + 0x200 };
	struct nl_record r = { .kind = NL_REC_ALLOC };

	r.alloc = (struct nl_alloc_event){ .pid = pid, .tid = pid, .cpu = -1, .op = op,
		.time = t, .addr = addr, .len = len, .nr_callchain = 3, .callchain = chain,
		.py = python(pid) };
	feed(p, &r, NL_LOC_NONE, false);
}

/* A sample of pid on cpu at addr; own: a stack only this pid has. */
static void sample(struct pair *p, int pid, int cpu, uint64_t addr, int node, uint64_t t,
		   bool fault, bool own)
{
	uint64_t chain[4] = { (uint64_t)-512, CODE + 0x300, CODE + 0x400,
			      CODE + 0x1000 + (own ? (uint64_t)pid * 16 : 0) };
	struct nl_record r = { .kind = NL_REC_SAMPLE };

	r.sample.valid = NL_SAMPLE_TID | NL_SAMPLE_ADDR | NL_SAMPLE_CPU | NL_SAMPLE_TIME |
			 NL_SAMPLE_MEM_NODE | NL_SAMPLE_IP | NL_SAMPLE_CALLCHAIN;
	r.sample.pid = r.sample.tid = pid;
	r.sample.cpu = cpu;
	r.sample.addr = addr;
	r.sample.mem_node = node;
	r.sample.time = t;
	r.sample.ip = CODE + 0x300;
	r.sample.callchain = chain;
	r.sample.nr_callchain = 4;
	r.sample.py = python(pid);
	feed(p, &r, node == cpu / 4 ? NL_LOC_LOCAL : NL_LOC_REMOTE, fault);
}

static void task(struct pair *p, enum nl_record_kind kind, int pid, int ppid)
{
	struct nl_record r = { .kind = kind };

	r.task = (struct nl_task_event){ .pid = pid, .tid = pid, .ppid = ppid, .ptid = ppid };
	feed(p, &r, NL_LOC_NONE, false);
}

static void stream(struct pair *p, bool retire)
{
	uint64_t t = 1000;

	mapping(p, MAIN, CODE, 16, "/opt/objretire/train", 5);
	mapping(p, MAIN, DATASET, 64, "/data/objretire.bin", 1);
	mapping(p, MAIN, HEAP, 32, "[heap]", 3);
	alloc(p, MAIN, NL_ALLOC_MALLOC, HEAP + 2 * PAGE, 8 * PAGE, t++);
	/* main places the first 16 dataset pages and its heap */
	for (uint64_t k = 0; k < 16; k++)
		sample(p, MAIN, 5, DATASET + k * PAGE, 1, t++, true, false);
	for (uint64_t k = 0; k < 12; k++)
		sample(p, MAIN, 6, HEAP + k * PAGE + 64, 1, t++, true, false);
	for (int w = 0; w < WORKERS; w++) {
		int pid = 200 + w, cpu = w % 8, node = cpu / 4;
		uint64_t own = PRIVATE + (uint64_t)(w % 3) * 64 * PAGE;

		task(p, NL_REC_FORK, pid, MAIN);
		mapping(p, pid, own, 16, "", 3);
		alloc(p, pid, NL_ALLOC_MALLOC, own + 4 * PAGE, 4 * PAGE, t++);
		for (uint64_t k = 0; k < 10; k++)
			sample(p, pid, cpu, own + k * PAGE, node, t++, k % 3 != 2, k == 1);
		if (w == 4) {
			/* a child of a worker reads its parent's malloc and range
			   and retires last: its parent is not closed before it */
			task(p, NL_REC_FORK, CHILD, pid);
			for (uint64_t k = 3; k < 9; k++)
				sample(p, CHILD, 7, own + k * PAGE + 256, 1, t++, k == 8, true);
		}
		alloc(p, pid, NL_ALLOC_FREE, own + 4 * PAGE, 0, t++);
		/* after the free: these pages belong to the mapping again */
		sample(p, pid, cpu, own + 5 * PAGE + 8, node, t++, false, false);
		/* the dataset: each worker places one page and reads others */
		sample(p, pid, cpu, DATASET + (16 + (uint64_t)w) * PAGE, node, t++, true, w % 2);
		for (uint64_t k = 0; k < 6; k++)
			sample(p, pid, cpu, DATASET + ((uint64_t)w * 7 + k) % 64 * PAGE,
			       (int)(k % 2), t++, k == 0, false);
		/* the heap inherited from main, tracked malloc included */
		sample(p, pid, cpu, HEAP + (uint64_t)(w % 12) * PAGE + 128, 1, t++, false, false);
		/* workers 10 and 11 fault page 60 at the same instant */
		if (w == 10 || w == 11)
			sample(p, pid, cpu, DATASET + 60 * PAGE, node, 50000, true, true);
		task(p, NL_REC_EXIT, pid, MAIN);
		if (retire && w < RETIRED)
			task(p, NL_REC_RETIRE, pid, MAIN);
	}
	task(p, NL_REC_EXIT, CHILD, 204);
	if (retire)
		task(p, NL_REC_RETIRE, CHILD, 204);
	/* main reads on after the first workers ended */
	for (uint64_t k = 0; k < 64; k += 3)
		sample(p, MAIN, 1, DATASET + k * PAGE + 512, (int)(k % 2), t++, false, false);
}

/* What one run gives. */
struct run {
	char *json;             /* the objects JSON */
	int count, dropped;     /* objects listed, closed objects dropped */
	uint64_t samples, dropped_samples;
	int folds, fold_objects;        /* rows the dropped ones are summed in */
	uint64_t fold_samples;
};

/* The objects of the stream, with or without retirement, keeping at most
   keep closed objects of ended workers (-1: the default). */
static struct run objects_run(bool retire, int keep, const struct nl_topology *topo)
{
	struct nl_symbols_options so = { 0 };
	struct pair p;
	const struct nl_objects_result *r;
	cJSON *root = cJSON_CreateObject();
	struct run out = { 0 };

	p.cp = codeprofile__new(&so, NULL);
	CHECK(p.cp != NULL);
	p.ob = objects__new(p.cp, topo, NULL);
	CHECK(p.ob != NULL);
	if (keep >= 0)
		objects__set_ended_keep(p.ob, keep);
	stream(&p, retire);
	CHECK(codeprofile__finish(p.cp) != NULL);
	r = objects__finish(p.ob);
	CHECK(r != NULL);
	if (r) {
		out.count = r->nr_objects;
		out.dropped = r->ended_dropped;
		out.dropped_samples = r->ended_dropped_samples;
		out.folds = r->nr_ended_folds;
		for (int i = 0; i < r->nr_ended_folds; i++) {
			out.fold_objects += r->ended_folds[i].objects;
			out.fold_samples += r->ended_folds[i].samples;
		}
		for (int i = 0; i < r->nr_objects; i++)
			out.samples += r->objects[i].samples;
	}
	objects_render__json(root, r, topo);
	out.json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	objects__free(p.ob);
	codeprofile__free(p.cp);
	return out;
}

/* Whether every object of part is in whole, in the same order. */
static bool objects_within(const char *part, const char *whole)
{
	cJSON *a = cJSON_Parse(part), *b = cJSON_Parse(whole), *x, *y;
	bool ok = a && b;

	y = b ? cJSON_GetObjectItem(b, "objects")->child : NULL;
	for (x = a ? cJSON_GetObjectItem(a, "objects")->child : NULL; ok && x; x = x->next) {
		char *tx = cJSON_PrintUnformatted(x);

		for (; y; y = y->next) {
			char *ty = cJSON_PrintUnformatted(y);
			bool same = !strcmp(tx, ty);

			free(ty);
			if (same)
				break;
		}
		ok = y != NULL;
		if (!ok)
			fprintf(stderr, "not in the whole run, in order: %.300s\n", tx);
		free(tx);
		y = y ? y->next : NULL;
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return ok;
}

/* Whether the first keep objects of retired workers (closed: not 204, the
   parent of a child) in whole's order are in part, and the next is not. */
static bool first_closed_kept(const char *part, const char *whole, int keep)
{
	cJSON *b = cJSON_Parse(whole);
	int seen = 0;
	bool ok = b != NULL;

	for (cJSON *y = b ? cJSON_GetObjectItem(b, "objects")->child : NULL; ok && y; y = y->next) {
		int pid = cJSON_GetObjectItem(y, "pid")->valueint;
		char *ty;

		if (pid < 200 || pid >= 200 + RETIRED || pid == 204)
			continue;
		ty = cJSON_PrintUnformatted(y);
		ok = (strstr(part, ty) != NULL) == (seen++ < keep);
		free(ty);
		if (seen > keep)
			break;
	}
	cJSON_Delete(b);
	return ok && seen > keep;
}

int main(void)
{
	struct nl_topology *topo = synthetic_two_nodes();
	struct run w = objects_run(false, -1, topo), r = objects_run(true, -1, topo);
	struct run k = objects_run(true, 8, topo);
	const char *a = w.json, *b = r.json;

	/* main's dataset, heap and malloc, and per worker at least its own
	   range, its malloc and its view of the dataset (its line's mapping) */
	CHECK(w.count >= 3 + WORKERS);
	CHECK_EQ_U64((uint64_t)r.count, (uint64_t)w.count);
	CHECK(a && b && strstr(a, "objretire.bin") != NULL);
	CHECK(a && b && strstr(a, "{\"pid\":500,") != NULL);     /* the child reads */
	/* both workers' Python lines name their sites */
#define BATCH "\"function\":\"load_batch\",\"file\":\"/opt/objretire/train.py\",\"line\":"
	CHECK(a && strstr(a, BATCH "40") != NULL);
	CHECK(a && strstr(a, BATCH "41") != NULL);
	CHECK(a && b && !strcmp(a, b));
	if (a && b && strcmp(a, b)) {
		size_t i = 0;

		while (a[i] == b[i])
			i++;
		fprintf(stderr, "first difference at %zu:\n  without: %.200s\n  retired: %.200s\n",
			i, a + (i > 80 ? i - 80 : 0), b + (i > 80 ? i - 80 : 0));
	}
	CHECK_EQ_U64((uint64_t)r.dropped, 0);
	/* 8 closed objects kept: the 30 retired workers' others are dropped,
	   counted, and what is listed is the whole run's, figure for figure */
	CHECK(k.dropped > 30);
	CHECK_EQ_U64((uint64_t)(k.count + k.dropped), (uint64_t)w.count);
	CHECK_EQ_U64(k.samples + k.dropped_samples, w.samples);
	/* the dropped ones summed by key: every one, in fewer rows (workers
	   make the same objects: range, malloc at one site, dataset view) */
	CHECK_EQ_U64((uint64_t)k.fold_objects, (uint64_t)k.dropped);
	CHECK_EQ_U64(k.fold_samples, k.dropped_samples);
	CHECK(k.folds > 0 && k.folds * 3 < k.dropped);
	CHECK(k.json && strstr(k.json, "\"by_key\":[{") != NULL);
	CHECK(k.json && a && objects_within(k.json, a));
	CHECK(k.json && a && first_closed_kept(k.json, a, 8));
	free(w.json);
	free(r.json);
	free(k.json);
	topology__free(topo);
	return check_done();
}
