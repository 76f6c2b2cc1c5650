/*
 * objects_render.c - data objects as text and JSON.  See objects_render.h.
 */
#include "report/objects_render.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "profiler/objects.h"
#include "samplers/base/topology.h"

static int node_id(const struct nl_topology *topo, int idx)
{
	return topo && idx < topo->nr_nodes ? topo->nodes[idx].id : -1;
}

/* "0:12 1:4000 ?:3" of counts by node index (the last: unknown). */
static void by_node_text(char *buf, size_t size, const uint64_t *v, int nn,
			 const struct nl_topology *topo)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i <= nn && used < size; i++) {
		if (!v[i])
			continue;
		if (i < nn)
			used += (size_t)snprintf(buf + used, size - used, "%s%d:%" PRIu64,
						 used ? " " : "", node_id(topo, i), v[i]);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s?:%" PRIu64,
						 used ? " " : "", v[i]);
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

static void site_text(char *buf, size_t size, const struct nl_object_site *s)
{
	if (!s->function)
		snprintf(buf, size, "-");
	else
		objects__site_text(buf, size, s);
}

void objects_render__text(FILE *out, const struct nl_objects_result *r,
			  const struct nl_topology *topo, int top)
{
	if (!r || !r->nr_objects)
		return;
	fprintf(out, "\nData objects (%s; pages and readers from samples, each page once)\n",
		r->tracking ? "allocations tracked since numalens attached" :
			      "no allocation tracking: objects are mappings");
	fprintf(out, "  %-3s %-60s %7s %6s %-16s %7s  %s\n", "#", "OBJECT", "PAGES", "PROCS",
		"PAGES BY NODE", "REMOTE", "READERS (PID CPU-NODE:SAMPLES)");
	for (int i = 0; i < r->nr_objects && i < top; i++) {
		const struct nl_data_object *ob = &r->objects[i];
		char nodes[96], readers[200], remote[16], site[260];
		size_t used = 0;

		by_node_text(nodes, sizeof(nodes), ob->pages_by_node, r->nr_nodes, topo);
		readers[0] = '\0';
		for (int k = 0; k < ob->nr_readers && k < 4 && used < sizeof(readers); k++) {
			char bn[96];

			by_node_text(bn, sizeof(bn), ob->readers[k].by_node, r->nr_nodes, topo);
			if (ob->readers[k].pid < 0)
				used += (size_t)snprintf(readers + used, sizeof(readers) - used,
							 "%s%d ended %s", k ? ", " : "",
							 ob->readers[k].processes, bn);
			else
				used += (size_t)snprintf(readers + used, sizeof(readers) - used,
							 "%s%d %s", k ? ", " : "", ob->readers[k].pid, bn);
		}
		if (ob->nr_readers > 4 && used < sizeof(readers))
			snprintf(readers + used, sizeof(readers) - used, " +%d", ob->nr_readers - 4);
		if (ob->remote_share < 0)
			snprintf(remote, sizeof(remote), "-");
		else
			snprintf(remote, sizeof(remote), "%.1f%%", ob->remote_share * 100);
		fprintf(out, "  %-3d %-60s %7" PRIu64 " %6d %-16s %7s  %s\n", i + 1, ob->name,
			ob->pages, ob->reader_processes, nodes, remote, readers);
		if (ob->allocation)
			fprintf(out, "      allocated by pid %d tid %d at 0x%" PRIx64 " in %s%s%s\n",
				ob->pid, ob->tid, ob->start, ob->mapping[0] ? ob->mapping : "[anon]",
				ob->site.stack[0] ? ", called from " : "", ob->site.stack);
		else
			fprintf(out, "      mapping at 0x%" PRIx64 " of pid %d%s\n", ob->start, ob->pid,
				ob->before_attach ? ": no allocation seen (made before numalens "
				"attached, or not by mmap)" : "");
		site_text(site, sizeof(site), &ob->touch_site);
		if (ob->touch_pages)
			fprintf(out, "      first touched by pid %d tid %d on cpu %d node %d at %s for "
				"%.0f %% of its %" PRIu64 " first-touched pages (%d touchers)\n",
				ob->touch_pid, ob->touch_tid, ob->touch_cpu, ob->touch_node, site,
				ob->touch_share * 100, ob->first_touched, ob->nr_touchers);
	}
	if (r->ended_dropped)
		fprintf(out, "  %d objects from ended processes not listed (%" PRIu64 " samples), "
			"summed by what they are:\n", r->ended_dropped, r->ended_dropped_samples);
	for (int i = 0; i < r->nr_ended_folds && i < top; i++) {
		const struct nl_object_fold *f = &r->ended_folds[i];
		uint64_t known = f->local + f->remote;
		char remote[32] = "remote unknown";

		if (known)
			snprintf(remote, sizeof(remote), "%.1f%% remote",
				 100.0 * (double)f->remote / (double)known);
		fprintf(out, "      %d objects from ended processes like %s: %" PRIu64 " pages, %"
			PRIu64 " samples, %s\n", f->objects, f->name, f->pages, f->samples, remote);
	}
}

static cJSON *site_json(const struct nl_object_site *s)
{
	cJSON *o;

	if (!s->function)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "function", s->function);
	if (s->file) {
		cJSON_AddStringToObject(o, "file", s->file);
		cJSON_AddNumberToObject(o, "line", s->line);
	} else {
		cJSON_AddNullToObject(o, "file");
		cJSON_AddNullToObject(o, "line");
	}
	cJSON_AddStringToObject(o, "dso", s->dso ? s->dso : "");
	cJSON_AddStringToObject(o, "stack", s->stack);
	if (s->python.function) {
		cJSON *py = cJSON_AddObjectToObject(o, "python");

		cJSON_AddStringToObject(py, "function", s->python.function);
		cJSON_AddStringToObject(py, "file", s->python.file);
		cJSON_AddNumberToObject(py, "line", s->python.line);
	} else {
		cJSON_AddNullToObject(o, "python");
	}
	return o;
}

/* {"0": n, ...} by node id; "unknown" for the last slot. */
static cJSON *by_node_json(const uint64_t *v, int nn, const struct nl_topology *topo)
{
	cJSON *o = cJSON_CreateObject();
	char id[16];

	for (int i = 0; i <= nn; i++) {
		if (!v[i])
			continue;
		if (i < nn)
			snprintf(id, sizeof(id), "%d", node_id(topo, i));
		else
			snprintf(id, sizeof(id), "unknown");
		cJSON_AddNumberToObject(o, id, (double)v[i]);
	}
	return o;
}

static cJSON *object_json(const struct nl_objects_result *r, const struct nl_data_object *ob,
			  const struct nl_topology *topo)
{
	cJSON *o = cJSON_CreateObject(), *rd = cJSON_CreateArray(), *ft, *tn;
	char id[16];

	cJSON_AddStringToObject(o, "key", ob->key);
	cJSON_AddStringToObject(o, "name", ob->name);
	cJSON_AddStringToObject(o, "kind", ob->allocation ? "allocation" : "mapping");
	if (ob->op)
		cJSON_AddStringToObject(o, "allocator", ob->op);
	else
		cJSON_AddNullToObject(o, "allocator");
	cJSON_AddBoolToObject(o, "before_attach", ob->before_attach);
	cJSON_AddNumberToObject(o, "pid", ob->pid);
	cJSON_AddNumberToObject(o, "tid", ob->tid);
	cJSON_AddNumberToObject(o, "start", (double)ob->start);
	cJSON_AddNumberToObject(o, "size", (double)ob->size);
	cJSON_AddStringToObject(o, "mapping", ob->mapping);
	cJSON_AddItemToObject(o, "site", site_json(&ob->site));
	cJSON_AddNumberToObject(o, "samples", (double)ob->samples);
	cJSON_AddNumberToObject(o, "local", (double)ob->local);
	cJSON_AddNumberToObject(o, "remote", (double)ob->remote);
	if (ob->remote_share < 0)
		cJSON_AddNullToObject(o, "remote_share");
	else
		cJSON_AddNumberToObject(o, "remote_share", ob->remote_share);
	cJSON_AddNumberToObject(o, "pages", (double)ob->pages);
	cJSON_AddItemToObject(o, "pages_by_node", by_node_json(ob->pages_by_node, r->nr_nodes, topo));
	for (int k = 0; k < ob->nr_readers; k++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "pid", ob->readers[k].pid);
		if (ob->readers[k].pid < 0)
			cJSON_AddNumberToObject(x, "processes", ob->readers[k].processes);
		cJSON_AddNumberToObject(x, "samples", (double)ob->readers[k].samples);
		cJSON_AddNumberToObject(x, "local", (double)ob->readers[k].local);
		cJSON_AddNumberToObject(x, "remote", (double)ob->readers[k].remote);
		cJSON_AddItemToObject(x, "by_cpu_node",
				      by_node_json(ob->readers[k].by_node, r->nr_nodes, topo));
		cJSON_AddItemToArray(rd, x);
	}
	cJSON_AddItemToObject(o, "readers", rd);
	if (!ob->touch_pages) {
		cJSON_AddNullToObject(o, "first_touch");
		return o;
	}
	ft = cJSON_CreateObject();
	cJSON_AddNumberToObject(ft, "pages", (double)ob->first_touched);
	cJSON_AddNumberToObject(ft, "pid", ob->touch_pid);
	cJSON_AddNumberToObject(ft, "tid", ob->touch_tid);
	cJSON_AddNumberToObject(ft, "cpu", ob->touch_cpu);
	cJSON_AddNumberToObject(ft, "node", ob->touch_node);
	cJSON_AddNumberToObject(ft, "share", ob->touch_share);
	cJSON_AddItemToObject(ft, "site", site_json(&ob->touch_site));
	cJSON_AddNumberToObject(ft, "touchers", ob->nr_touchers);
	tn = cJSON_CreateObject();
	for (int i = 0; i <= r->nr_nodes; i++) {
		if (ob->touch_by_node[i] <= 0)
			continue;
		if (i < r->nr_nodes)
			snprintf(id, sizeof(id), "%d", node_id(topo, i));
		else
			snprintf(id, sizeof(id), "unknown");
		cJSON_AddNumberToObject(tn, id, ob->touch_by_node[i]);
	}
	cJSON_AddItemToObject(ft, "share_by_cpu_node", tn);
	cJSON_AddItemToObject(o, "first_touch", ft);
	return o;
}

void objects_render__json(struct cJSON *root, const struct nl_objects_result *r,
			  const struct nl_topology *topo)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; r && i < r->nr_objects; i++)
		cJSON_AddItemToArray(arr, object_json(r, &r->objects[i], topo));
	cJSON_AddItemToObject(root, "objects", arr);
	cJSON_AddBoolToObject(root, "allocation_tracking", r && r->tracking);
	if (r && r->tracking) {
		cJSON_AddNumberToObject(root, "allocation_analysis_cpu_s", r->alloc_cpu_s);
		cJSON_AddNumberToObject(root, "allocation_dso_load_cpu_s", r->alloc_load_cpu_s);
	}
	if (r && r->ended_dropped) {    /* objects.h NL_OBJECTS_ENDED_KEEP */
		cJSON *d = cJSON_AddObjectToObject(root, "objects_ended_dropped");

		cJSON *keys = cJSON_CreateArray();

		cJSON_AddNumberToObject(d, "objects", r->ended_dropped);
		cJSON_AddNumberToObject(d, "samples", (double)r->ended_dropped_samples);
		for (int i = 0; i < r->nr_ended_folds; i++) {
			const struct nl_object_fold *f = &r->ended_folds[i];
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "key", f->key);
			cJSON_AddStringToObject(x, "name", f->name);
			cJSON_AddStringToObject(x, "kind", f->allocation ? "allocation" : "mapping");
			cJSON_AddNumberToObject(x, "objects", f->objects);
			cJSON_AddNumberToObject(x, "samples", (double)f->samples);
			cJSON_AddNumberToObject(x, "local", (double)f->local);
			cJSON_AddNumberToObject(x, "remote", (double)f->remote);
			cJSON_AddNumberToObject(x, "pages", (double)f->pages);
			cJSON_AddNumberToObject(x, "bytes", (double)f->bytes);
			cJSON_AddItemToArray(keys, x);
		}
		cJSON_AddItemToObject(d, "by_key", keys);
	}
}
