/*
 * placement_snapshots.c - numa_maps snapshots: maps + numa_maps parsing,
 * start and final placement records.
 * See placement.h for the contract, placement_internal.h for the state.
 */
#include "samplers/placement.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/sys.h"
#include "samplers/placement_internal.h"

/* --- snapshots ---------------------------------------------------------------- */

void placement_snapshots__clear(struct snapshot *s)
{
	free(s->maps);
	free(s->pages);
	free(s->names);
	s->maps = NULL;
	s->pages = NULL;
	s->names = NULL;
	s->nr = 0;
}

struct snapshot *placement_snapshots__find(const struct nl_placement *pl, int pid)
{
	for (int i = 0; i < pl->nr_snaps; i++)
		if (pl->snaps[i].pid == pid)
			return &pl->snaps[i];
	return NULL;
}

bool placement__has(const struct nl_placement *pl, int pid)
{
	return placement_snapshots__find(pl, pid) != NULL;
}

void placement__reemit(struct nl_placement *pl, int pid)
{
	struct snapshot *s = (struct snapshot *)placement_snapshots__find(pl, pid);

	if (s)
		s->start_pending = true;
}

static struct snapshot *snap_get(struct nl_placement *pl, int pid)
{
	struct snapshot *s = placement_snapshots__find(pl, pid);

	if (s)
		return s;
	if (array__reserve((void **)&pl->snaps, &pl->cap_snaps,
			   (size_t)pl->nr_snaps + 1, sizeof(*pl->snaps)))
		return NULL;
	s = &pl->snaps[pl->nr_snaps++];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->start_pending = true;
	return s;
}

/* A /proc/PID/maps line: range and the name ("" when anonymous). */
static int parse_maps_line(char *line, uint64_t *start, uint64_t *end, char **name)
{
	int off = 0;

	if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", (unsigned long *)start,
		   (unsigned long *)end, &off) < 2 || !off)
		return -EINVAL;
	*name = line + off;
	while (**name == ' ')
		(*name)++;
	return 0;
}

/* The mapping of maps text starting at start: end and name, by a scan. */
struct maps_index {
	uint64_t *start, *end;
	char **name;
	int nr;
};

static int maps_index_build(char *text, struct maps_index *ix)
{
	int lines = 1;

	for (char *p = text; *p; p++)
		lines += *p == '\n';
	ix->start = malloc((size_t)lines * sizeof(uint64_t));
	ix->end = malloc((size_t)lines * sizeof(uint64_t));
	ix->name = malloc((size_t)lines * sizeof(char *));
	ix->nr = 0;
	if (!ix->start || !ix->end || !ix->name)
		return -ENOMEM;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (!parse_maps_line(line, &ix->start[ix->nr], &ix->end[ix->nr],
				     &ix->name[ix->nr]))
			ix->nr++;
	return 0;
}

static void maps_index_free(struct maps_index *ix)
{
	free(ix->start);
	free(ix->end);
	free(ix->name);
}

static int maps_index_find(const struct maps_index *ix, uint64_t start)
{
	int lo = 0, hi = ix->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (ix->start[mid] == start)
			return mid;
		if (ix->start[mid] < start)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Node pages of one numa_maps line into row (base pages).  Returns 0. */
static void parse_numa_tokens(const struct nl_placement *pl, char *rest, uint64_t *row,
			      bool *heap, bool *stack)
{
	uint64_t kb = 0, counts[64];
	int ids[64], n = 0;
	char *save;

	for (char *tok = strtok_r(rest, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int id;
		unsigned long long v;

		if (sscanf(tok, "N%d=%llu", &id, &v) == 2 && n < 64) {
			ids[n] = id;
			counts[n++] = v;
		} else if (sscanf(tok, "kernelpagesize_kB=%llu", &v) == 1) {
			kb = v;
		} else if (!strcmp(tok, "heap")) {
			*heap = true;
		} else if (!strcmp(tok, "stack")) {
			*stack = true;
		}
	}
	for (int i = 0; i < n; i++) {
		uint64_t base_kb = (1ull << pl->page_shift) / 1024;
		uint64_t mult = kb && base_kb ? kb / base_kb : 1;

		if (ids[i] >= 0 && (uint32_t)ids[i] < pl->nr_nodes)
			row[ids[i]] += counts[i] * (mult ? mult : 1);
	}
}

/* Appends name to the names buffer.  OUT: offset.  0 or -ENOMEM. */
static int add_name(char **names, size_t *len, size_t *cap, const char *name,
		    uint32_t *off)
{
	size_t n = strlen(name) + 1;

	if (array__reserve((void **)names, cap, *len + n, 1))
		return -ENOMEM;
	memcpy(*names + *len, name, n);
	*off = (uint32_t)*len;
	*len += n;
	return 0;
}

static const char *mapping_name(const char *maps_name, bool heap, bool stack)
{
	if (heap)
		return "[heap]";
	if (stack)
		return "[stack]";
	return *maps_name ? maps_name : "[anon]";
}

/* Builds a snapshot from the two texts into s (cleared first). */
static int build_snapshot(struct nl_placement *pl, char *maps, char *numa,
			  struct snapshot *s)
{
	struct maps_index ix = { 0 };
	size_t names_len = 0, names_cap = 0;
	int lines = 1, err;

	placement_snapshots__clear(s);
	err = maps_index_build(maps, &ix);
	for (char *p = numa; *p; p++)
		lines += *p == '\n';
	s->maps = calloc((size_t)lines, sizeof(*s->maps));
	s->pages = calloc((size_t)lines * pl->nr_nodes, sizeof(*s->pages));
	if (err || !s->maps || !s->pages) {
		err = -ENOMEM;
		goto out;
	}
	for (char *save, *line = strtok_r(numa, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct map_entry *m = &s->maps[s->nr];
		unsigned long start;
		bool heap = false, stack = false;
		char *rest;
		int k;

		if (sscanf(line, "%lx", &start) != 1 || !(rest = strchr(line, ' ')) ||
		    (k = maps_index_find(&ix, start)) < 0)
			continue;
		parse_numa_tokens(pl, rest + 1, &s->pages[(size_t)s->nr * pl->nr_nodes],
				  &heap, &stack);
		m->start = start;
		m->end = ix.end[k];
		err = add_name(&s->names, &names_len, &names_cap,
			       mapping_name(ix.name[k], heap, stack), &m->name_off);
		if (err)
			goto out;
		s->nr++;
	}
out:
	maps_index_free(&ix);
	return err;
}

int placement__snapshot(struct nl_placement *pl, int pid)
{
	char path[64], *maps = NULL, *numa = NULL;
	size_t len;
	struct snapshot *s;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = sys__read_file(pl->sys, path, 1 << 26, &maps, &len);
	if (!err) {
		snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
		err = sys__read_file(pl->sys, path, 1 << 26, &numa, &len);
	}
	if (err == -ENOENT || err == -ESRCH || (!err && !*maps)) {
		err = -ESRCH;   /* gone, or a zombie with no mappings */
		goto out;
	}
	if (err)
		goto out;
	s = snap_get(pl, pid);
	err = s ? build_snapshot(pl, maps, numa, s) : -ENOMEM;
out:
	free(maps);
	free(numa);
	return err;
}

static void fill_placement(const struct nl_placement *pl, const struct snapshot *s,
			   int i, bool final, struct nl_record *out)
{
	const struct map_entry *m = &s->maps[i];

	memset(out, 0, sizeof(*out));
	out->kind = NL_REC_PLACEMENT;
	out->placement.pid = s->pid;
	out->placement.start = m->start;
	out->placement.end = m->end;
	out->placement.name = s->names + m->name_off;
	out->placement.nr_nodes = pl->nr_nodes;
	out->placement.pages_by_node = &s->pages[(size_t)i * pl->nr_nodes];
	out->placement.final = final;
}

int placement__next_start(struct nl_placement *pl, struct nl_record *out)
{
	for (int p = 0; p < pl->nr_snaps; p++) {
		struct snapshot *s = &pl->snaps[p];

		if (!s->start_pending)
			continue;
		if (pl->start_cursor < s->nr) {
			fill_placement(pl, s, pl->start_cursor++, false, out);
			return 1;
		}
		s->start_pending = false;
		pl->start_cursor = 0;
	}
	return 0;
}

int placement__next_final(struct nl_placement *pl, struct nl_record *out)
{
	while (pl->final_proc < pl->nr_snaps) {
		const struct snapshot *s = &pl->snaps[pl->final_proc];

		if (pl->final_map < s->nr) {
			fill_placement(pl, s, pl->final_map++, true, out);
			return 1;
		}
		pl->final_proc++;
		pl->final_map = 0;
	}
	return 0;
}

int placement__retiring(const struct nl_placement *pl)
{
	return pl->retire_head < pl->nr_retire ? pl->retire[pl->retire_head] : 0;
}

int placement__next_final_of(struct nl_placement *pl, int pid, struct nl_record *out)
{
	const struct snapshot *s = placement_snapshots__find(pl, pid);

	if (!s || s->start_pending || pl->retire_map >= s->nr)
		return 0;
	fill_placement(pl, s, pl->retire_map++, true, out);
	return 1;
}

void placement__retired(struct nl_placement *pl)
{
	struct snapshot *s;

	if (pl->retire_head >= pl->nr_retire)
		return;
	s = placement_snapshots__find(pl, pl->retire[pl->retire_head++]);
	pl->retire_map = 0;
	if (!s)
		return;
	/* order is kept: the final records come in the order processes came */
	placement_snapshots__clear(s);
	memmove(s, s + 1, (size_t)(&pl->snaps[pl->nr_snaps] - (s + 1)) * sizeof(*s));
	pl->nr_snaps--;
}
