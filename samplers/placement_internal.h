/*
 * placement_internal.h - the state of struct nl_placement, shared by the
 * files of its four concerns.  Not for use outside samplers/placement*.c.
 *
 *   placement.c           new and free
 *   placement_snapshots.c numa_maps snapshots (placement.h, part 1)
 *   placement_pages.c     the node of each sampled data page (part 2)
 *   placement_numastat.c  numastat at start and end (part 3)
 *   placement_runtime.c   runtime per thread and CPU (part 4)
 */
#ifndef NUMALENS_PLACEMENT_INTERNAL_H
#define NUMALENS_PLACEMENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "samplers/base/map.h"
#include "samplers/placement.h"

#define MAX_BATCH 1024
#define MAX_NODE_IDS 1024
#define USER_ADDR_LIMIT (1ull << 56)

struct map_entry {
	uint64_t start, end;
	uint32_t name_off;      /* into snapshot.names */
};

/* One process' latest numa_maps snapshot. */
struct snapshot {
	int pid;
	bool start_pending;     /* first snapshot, not yet emitted */
	int nr;
	struct map_entry *maps;
	uint64_t *pages;        /* nr x nr_nodes */
	char *names;
};

struct run_task {
	int32_t pid, tid, cpu;  /* cpu it switched in on, -1 not running */
	bool seen;              /* any switch record seen */
	uint64_t in_time;
};

struct run_cell {
	int32_t pid, tid, cpu;
	uint64_t ns;
};

struct nl_placement {
	const struct nl_sys *sys;
	const struct nl_topology *topo;
	uint32_t nr_nodes;      /* node ids 0..nr_nodes-1 */
	unsigned page_shift;
	/* snapshots */
	struct snapshot *snaps;
	int nr_snaps;
	size_t cap_snaps;
	int start_cursor, final_proc, final_map;
	/* page cache: (pid, addr >> page_shift) -> (method << 24 | node + 1) */
	struct nl_map pages;
	uint32_t max_pages;             /* cap of pages, 0 none (placement__limit_pages) */
	struct { int32_t pid; uint64_t when; } *gone;  /* exited, pages not dropped yet */
	uint32_t nr_gone, cap_gone;
	uint64_t *drop;                 /* scratch: keys of one process' pages to drop */
	size_t cap_drop;
	int32_t *retire;                /* ended processes to retire, in order */
	size_t nr_retire, cap_retire, retire_head;
	int retire_map;                 /* placement__next_final_of cursor */
	struct nl_node_stats stats;
	int q_idx[MAX_BATCH];
	uint64_t q_sorted[MAX_BATCH];
	void *q_pages[MAX_BATCH];
	int q_status[MAX_BATCH];
	bool q_done[MAX_BATCH];
	/* numastat */
	int nr_stat;
	struct nl_numastat *stat_start, *stat_delta;
	bool stat_started;
	/* runtime */
	struct nl_map run_task_idx;     /* (0, tid) -> index in tasks */
	struct nl_map run_cell_idx;     /* (tid, cpu) -> index in cells */
	struct run_task *tasks;
	struct run_cell *cells;
	size_t cap_tasks, cap_cells;
	uint32_t nr_tasks, nr_cells, cell_cursor;
	uint32_t retire_cell;            /* placement__next_runtime_of cursor */
	uint64_t run_t0;
};

/* The snapshot of pid, or NULL. */
struct snapshot *placement_snapshots__find(const struct nl_placement *pl, int pid);
/* Frees a snapshot's mappings (the slot stays, empty). */
void placement_snapshots__clear(struct snapshot *s);

#endif
