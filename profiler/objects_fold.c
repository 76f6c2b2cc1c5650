/*
 * objects_fold.c - closed objects of ended processes beyond the ended keep
 * (objects.h NL_OBJECTS_ENDED_KEEP), summed by key and kind instead of
 * lost: forked workers make the same objects (their malloc at one site,
 * their mapping of one file), so the rows grow with distinct keys, not
 * with ended workers.  See objects.h (struct nl_object_fold).  Likewise
 * the readers of an object beyond NL_OBJECT_READERS_KEEP: an ended
 * process's are summed into one reader of pid -1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/objects_internal.h"
#include "samplers/base/array.h"

int objects_fold__add(struct nl_objects *o, const struct nl_data_object *ob)
{
	uint64_t h = map__mix64(map__hash_str(ob->key, MAP_HASH_STR_SEED)), v;
	struct nl_object_fold *f;

	for (; map__get(&o->fold_index, ob->allocation, h, &v); h++)
		if (!strcmp(o->folds[v].key, ob->key))
			break;
	if (map__get(&o->fold_index, ob->allocation, h, &v)) {
		f = &o->folds[v];
	} else {
		if (o->nr_folds >= NL_OBJECTS_FOLD_ROWS)
			return 0;       /* counted in ended_dropped only */
		if (array__reserve((void **)&o->folds, &o->cap_folds, o->nr_folds + 1, sizeof(*f)) ||
		    map__put(&o->fold_index, ob->allocation, h, o->nr_folds))
			return -ENOMEM;
		f = &o->folds[o->nr_folds++];
		memset(f, 0, sizeof(*f));
		snprintf(f->key, sizeof(f->key), "%s", ob->key);
		snprintf(f->name, sizeof(f->name), "%s", ob->name);
		f->allocation = ob->allocation;
	}
	f->objects++;
	f->samples += ob->samples;
	f->local += ob->local;
	f->remote += ob->remote;
	f->pages += ob->pages;
	f->bytes += ob->size;
	return 0;
}

static int fold_cmp(const void *a, const void *b)
{
	const struct nl_object_fold *x = a, *y = b;

	if (x->remote != y->remote)
		return x->remote > y->remote ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	if (x->allocation != y->allocation)
		return x->allocation ? -1 : 1;
	return strcmp(x->key, y->key);
}

void objects_fold__finish(struct nl_objects *o)
{
	if (o->nr_folds)
		qsort(o->folds, o->nr_folds, sizeof(*o->folds), fold_cmp);
	map__clear(&o->fold_index);     /* its indexes are stale now */
	o->res.ended_folds = o->folds;
	o->res.nr_ended_folds = (int)o->nr_folds;
}

void objects_fold__free(struct nl_objects *o)
{
	free(o->folds);
	map__free(&o->fold_index);
	o->folds = NULL;
	o->nr_folds = o->cap_folds = 0;
}

/* --- readers ----------------------------------------------------------------- */

/* b->readers keys beside (obj, pid): obj's summed reader, and the pid
   summed into it last (pids are 32-bit: no pid key is either). */
#define READER_SUMMED (1ull << 32)
#define READER_SUMMED_LAST (2ull << 32)

struct nl_object_reader *objects_fold__reader(struct nl_objects *o, struct builder *b, uint32_t obj,
					      int pid, bool ended)
{
	struct nl_data_object *ob = &b->objs[obj];
	struct nl_object_reader *rd;
	uint64_t key = (uint64_t)(uint32_t)pid, own = key, *v, *last;
	int r;

	if ((v = map__find(&b->readers, obj, key)))
		return &ob->readers[*v];
	if (ended && ob->nr_readers >= NL_OBJECT_READERS_KEEP) {
		if ((v = map__find(&b->readers, obj, READER_SUMMED))) {
			rd = &ob->readers[*v];
			if (map__add(&b->readers, obj, READER_SUMMED_LAST, &last) < 0)
				return NULL;
			if (*last != key) {     /* a process' pages come in one settle */
				*last = key;
				rd->processes++;
			}
			return rd;
		}
		key = READER_SUMMED;
		pid = -1;
	}
	r = map__add(&b->readers, obj, key, &v);
	if (r < 0)
		return NULL;
	if (array__reserve((void **)&ob->readers, &b->cap_readers[obj], (size_t)ob->nr_readers + 1,
			   sizeof(*rd))) {
		map__del(&b->readers, obj, key);
		return NULL;
	}
	*v = (uint64_t)ob->nr_readers;
	rd = &ob->readers[ob->nr_readers++];
	memset(rd, 0, sizeof(*rd));
	rd->pid = pid;
	rd->processes = 1;
	if (pid < 0 && map__put(&b->readers, obj, READER_SUMMED_LAST, own))
		return NULL;
	rd->by_node = calloc((size_t)o->nn + 1, sizeof(uint64_t));
	return rd->by_node ? rd : NULL;
}

void objects_fold__forget_readers(struct builder *b, uint32_t obj)
{
	const struct nl_data_object *ob = &b->objs[obj];

	for (int k = 0; k < ob->nr_readers; k++)
		map__del(&b->readers, obj, ob->readers[k].pid < 0 ? READER_SUMMED
			 : (uint64_t)(uint32_t)ob->readers[k].pid);
	map__del(&b->readers, obj, READER_SUMMED_LAST);
}
