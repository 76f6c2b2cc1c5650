/*
 * placement_runtime.c - runtime per thread and CPU from context
 * switches.
 * See placement.h for the contract, placement_internal.h for the state.
 */
#include "samplers/placement.h"

#include <errno.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/placement_internal.h"

/* --- runtime --------------------------------------------------------------------- */

void placement__runtime_start(struct nl_placement *pl, uint64_t time)
{
	pl->run_t0 = time;
}

static struct run_task *run_task_get(struct nl_placement *pl, int pid, int tid)
{
	uint64_t *v = map__find(&pl->run_task_idx, 0, (uint32_t)tid);
	struct run_task *t;

	if (v)
		return &pl->tasks[*v];
	if (array__reserve((void **)&pl->tasks, &pl->cap_tasks, pl->nr_tasks + 1,
			   sizeof(*pl->tasks)) ||
	    map__put(&pl->run_task_idx, 0, (uint32_t)tid, pl->nr_tasks))
		return NULL;
	t = &pl->tasks[pl->nr_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	t->cpu = -1;
	return t;
}

static int add_ns(struct nl_placement *pl, const struct run_task *t, int cpu,
		  uint64_t ns)
{
	uint64_t *v = map__find(&pl->run_cell_idx, (uint32_t)t->tid, (uint32_t)cpu);
	struct run_cell *c;

	if (v) {
		pl->cells[*v].ns += ns;
		return 0;
	}
	if (array__reserve((void **)&pl->cells, &pl->cap_cells, pl->nr_cells + 1,
			   sizeof(*pl->cells)) ||
	    map__put(&pl->run_cell_idx, (uint32_t)t->tid, (uint32_t)cpu, pl->nr_cells))
		return -ENOMEM;
	c = &pl->cells[pl->nr_cells++];
	c->pid = t->pid;
	c->tid = t->tid;
	c->cpu = cpu;
	c->ns = ns;
	return 0;
}

int placement__switch(struct nl_placement *pl, int pid, int tid, int cpu,
		      uint64_t time, bool out)
{
	struct run_task *t = run_task_get(pl, pid, tid);
	int err = 0;

	if (!t)
		return -ENOMEM;
	if (!out) {
		t->cpu = cpu;
		t->in_time = time;
	} else {
		/* A first switch-out: the task was running since attach. */
		uint64_t from = t->cpu == cpu ? t->in_time : (!t->seen ? pl->run_t0 : 0);

		if (from && time > from && cpu >= 0)
			err = add_ns(pl, t, cpu, time - from);
		t->cpu = -1;
	}
	t->seen = true;
	return err;
}

void placement__task_exit(struct nl_placement *pl, int tid, uint64_t time)
{
	uint64_t *v = map__find(&pl->run_task_idx, 0, (uint32_t)tid);
	struct run_task *t = v ? &pl->tasks[*v] : NULL;

	if (t && t->cpu >= 0) {
		if (time > t->in_time)
			add_ns(pl, t, t->cpu, time - t->in_time);
		t->cpu = -1;
	}
}

void placement__runtime_stop(struct nl_placement *pl, uint64_t time)
{
	for (uint32_t i = 0; i < pl->nr_tasks; i++)
		placement__task_exit(pl, pl->tasks[i].tid, time);
}

static void fill_runtime(const struct run_cell *c, struct nl_record *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_RUNTIME;
	out->runtime.pid = c->pid;
	out->runtime.tid = c->tid;
	out->runtime.cpu = c->cpu;
	out->runtime.ns = c->ns;
}

int placement__next_runtime(struct nl_placement *pl, struct nl_record *out)
{
	if (pl->cell_cursor >= pl->nr_cells)
		return 0;
	fill_runtime(&pl->cells[pl->cell_cursor++], out);
	return 1;
}

int placement__next_runtime_of(struct nl_placement *pl, int pid, struct nl_record *out)
{
	while (pl->retire_cell < pl->nr_cells) {
		const struct run_cell *c = &pl->cells[pl->retire_cell++];

		if (c->pid == pid) {
			fill_runtime(c, out);
			return 1;
		}
	}
	return 0;
}

/*
 * Drops pid's cells and tasks, keeping the others in order; an entry that
 * moves is re-pointed in its index (a key already there: map__put does not
 * allocate, so this cannot fail).
 */
void placement__runtime_forget(struct nl_placement *pl, int pid)
{
	uint32_t w = 0;

	pl->retire_cell = 0;
	for (uint32_t i = 0; i < pl->nr_cells; i++) {
		const struct run_cell *c = &pl->cells[i];

		if (c->pid == pid) {
			map__del(&pl->run_cell_idx, (uint32_t)c->tid, (uint32_t)c->cpu);
			continue;
		}
		if (w != i) {
			pl->cells[w] = *c;
			map__put(&pl->run_cell_idx, (uint32_t)c->tid, (uint32_t)c->cpu, w);
		}
		w++;
	}
	pl->nr_cells = w;
	w = 0;
	for (uint32_t i = 0; i < pl->nr_tasks; i++) {
		const struct run_task *t = &pl->tasks[i];

		if (t->pid == pid) {
			map__del(&pl->run_task_idx, 0, (uint32_t)t->tid);
			continue;
		}
		if (w != i) {
			pl->tasks[w] = *t;
			map__put(&pl->run_task_idx, 0, (uint32_t)t->tid, w);
		}
		w++;
	}
	pl->nr_tasks = w;
}
