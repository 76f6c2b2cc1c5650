/*
 * perfdata_writer.c - perf.data output for `profile --record`.  See
 * perfdata_writer.h for the layout and lifecycle; feature bodies follow
 * tools/perf/util/header.c (strings are u32 len, NUL-padded to 64 bytes)
 * and perf_abi.h for numalens' own.
 */
#include "samplers/perfdata_writer.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/array.h"
#include "samplers/base/outfile.h"
#include "samplers/base/topology.h"
#include "samplers/perf_abi.h"
#include "samplers/perf_record.h"
#include "samplers/pyrecord.h"

#define NAME_ALIGN 64
#define MAX_ATTR_SIZE 512

/* A growable byte buffer with a sticky error. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

struct perfdata_writer {
	FILE *f;
	int err;                /* first -errno, sticky */
	uint64_t pos;           /* bytes written */
	struct perf_file_header hdr;
	int nr_events;
	uint32_t attr_size;
	uint8_t *attrs;         /* nr_events x attr_size */
	char (*names)[128];
	uint64_t **ids;
	uint32_t *nr_ids;
	uint64_t trailer_type;  /* sample_type of events[0] */
	struct wbuf placement, runtime, pages, access;
	uint32_t nr_placement, nr_runtime, nr_pages, nr_access;
	uint64_t page_size;     /* of the page addresses in pages, 0 = 4096 */
	struct nl_pyrecord *py; /* Python frames (NL_FEAT_PYFRAMES), NULL none yet */
	int py_err;
};

/* --- buffers ------------------------------------------------------------- */

static void wb_put(struct wbuf *b, const void *data, size_t n)
{
	if (b->err || !n)       /* an empty feature's entries may be NULL */
		return;
	if (array__reserve((void **)&b->p, &b->cap, b->len + n, 1)) {
		b->err = -ENOMEM;
		return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void wb_u32(struct wbuf *b, uint32_t v)
{
	wb_put(b, &v, 4);
}

static void wb_u64(struct wbuf *b, uint64_t v)
{
	wb_put(b, &v, 8);
}

static void wb_zero(struct wbuf *b, size_t n)
{
	static const uint8_t zero[NAME_ALIGN];

	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		wb_put(b, zero, k);
		n -= k;
	}
}

/* perf's header string: u32 len (NUL included, padded), bytes. */
static void wb_string(struct wbuf *b, const char *s)
{
	size_t olen = strlen(s) + 1;
	size_t len = (olen + NAME_ALIGN - 1) / NAME_ALIGN * NAME_ALIGN;

	wb_u32(b, (uint32_t)len);
	wb_put(b, s, olen);
	wb_zero(b, len - olen);
}

/* A string padded to 8 bytes, as records and NL_FEAT_PLACEMENT carry it. */
static size_t padded8(const char *s)
{
	return (strlen(s) + 1 + 7) / 8 * 8;
}

static void wb_string8(struct wbuf *b, const char *s)
{
	size_t olen = strlen(s) + 1;

	wb_put(b, s, olen);
	wb_zero(b, padded8(s) - olen);
}

/* --- file ---------------------------------------------------------------- */

static void put(struct perfdata_writer *w, const void *data, size_t n)
{
	if (w->err || !n)
		return;
	if (fwrite(data, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
	w->pos += n;
}

static void put_wbuf(struct perfdata_writer *w, const struct wbuf *b)
{
	if (b->err && !w->err)
		w->err = b->err;
	put(w, b->p, b->len);
}

static int keep_events(struct perfdata_writer *w, const struct nl_pdw_event *ev, int nr)
{
	w->nr_events = nr;
	w->attr_size = sizeof(struct perf_event_attr);
	w->attrs = calloc((size_t)nr, w->attr_size);
	w->names = calloc((size_t)nr, sizeof(*w->names));
	w->ids = calloc((size_t)nr, sizeof(*w->ids));
	w->nr_ids = calloc((size_t)nr, sizeof(*w->nr_ids));
	if (!w->attrs || !w->names || !w->ids || !w->nr_ids)
		return -ENOMEM;
	for (int i = 0; i < nr; i++) {
		size_t n = ev[i].attr_size < w->attr_size ? ev[i].attr_size : w->attr_size;

		memcpy(w->attrs + (size_t)i * w->attr_size, ev[i].attr, n);
		memcpy(w->attrs + (size_t)i * w->attr_size + 4, &w->attr_size, 4);
		snprintf(w->names[i], sizeof(w->names[i]), "%s", ev[i].name);
		w->ids[i] = malloc((ev[i].nr_ids ? ev[i].nr_ids : 1) * sizeof(uint64_t));
		if (!w->ids[i])
			return -ENOMEM;
		if (ev[i].nr_ids)        /* memcpy from NULL is undefined, even of 0 bytes */
			memcpy(w->ids[i], ev[i].ids, ev[i].nr_ids * sizeof(uint64_t));
		w->nr_ids[i] = ev[i].nr_ids;
	}
	if (nr) {
		struct perf_event_layout l;

		perf_layout__from_attr(&l, w->attrs, w->attr_size);
		w->trailer_type = l.sample_type;
	}
	return 0;
}

/* ids arrays, then the attr table; positions the data section. */
static void write_attrs(struct perfdata_writer *w)
{
	uint64_t *ids_off = calloc((size_t)w->nr_events + 1, sizeof(*ids_off));

	if (!ids_off) {
		w->err = -ENOMEM;
		return;
	}
	put(w, &w->hdr, sizeof(w->hdr));
	for (int i = 0; i < w->nr_events; i++) {
		ids_off[i] = w->pos;
		put(w, w->ids[i], w->nr_ids[i] * sizeof(uint64_t));
	}
	w->hdr.attrs.offset = w->pos;
	w->hdr.attr_size = w->attr_size + sizeof(struct perf_file_section);
	for (int i = 0; i < w->nr_events; i++) {
		struct perf_file_section ids = { ids_off[i], w->nr_ids[i] * sizeof(uint64_t) };

		put(w, w->attrs + (size_t)i * w->attr_size, w->attr_size);
		put(w, &ids, sizeof(ids));
	}
	w->hdr.attrs.size = w->pos - w->hdr.attrs.offset;
	w->hdr.data.offset = w->pos;
	free(ids_off);
}

static void free_writer(struct perfdata_writer *w)
{
	for (int i = 0; w->ids && i < w->nr_events; i++)
		free(w->ids[i]);
	free(w->ids);
	free(w->nr_ids);
	free(w->attrs);
	free(w->names);
	free(w->placement.p);
	free(w->runtime.p);
	free(w->access.p);
	free(w->pages.p);
	pyrecord__free(w->py);
	if (w->f)
		fclose(w->f);
	free(w);
}

int perfdata_writer__open(const char *path, const struct nl_pdw_event *events,
			  int nr_events, struct perfdata_writer **out)
{
	struct perfdata_writer *w = calloc(1, sizeof(*w));
	int err;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	err = keep_events(w, events, nr_events);
	if (err)
		goto fail;
	w->f = outfile__fopen(path, NL_OUTFILE_PRIVATE | NL_OUTFILE_KEEP_OLD);
	if (!w->f) {
		err = -errno;
		goto fail;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	w->hdr.magic = PERF_MAGIC2;
	w->hdr.size = sizeof(w->hdr);
	write_attrs(w);
	/*
	 * The header again, now naming attrs and data (data.size stays 0 until
	 * close, as perf leaves it): a killed recording is still readable.
	 */
	if (!w->err && (fseek(w->f, 0, SEEK_SET) || fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1 ||
			fseek(w->f, 0, SEEK_END)))
		w->err = errno ? -errno : -EIO;
	if (w->err) {
		err = w->err;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	free_writer(w);
	return err;
}

/* --- records ------------------------------------------------------------- */

void perfdata_writer__raw(struct perfdata_writer *w, const void *rec, size_t size)
{
	put(w, rec, size);
}

/* The sample_id_all trailer, fields as events[0]'s sample_type orders them. */
static void put_trailer(struct wbuf *b, uint64_t type, const struct nl_record *rec,
			uint64_t id)
{
	int32_t pid = rec->kind == NL_REC_MMAP ? rec->mmap.pid : rec->task.pid;
	int32_t tid = rec->kind == NL_REC_MMAP ? rec->mmap.tid : rec->task.tid;
	uint64_t time = rec->kind == NL_REC_MMAP ? 0 : rec->task.time;

	if (type & PERF_SAMPLE_TID) {
		wb_u32(b, (uint32_t)pid);
		wb_u32(b, (uint32_t)tid);
	}
	if (type & PERF_SAMPLE_TIME)
		wb_u64(b, time);
	if (type & PERF_SAMPLE_ID)
		wb_u64(b, id);
	if (type & PERF_SAMPLE_STREAM_ID)
		wb_u64(b, id);
	if (type & PERF_SAMPLE_CPU) {
		wb_u32(b, 0);
		wb_u32(b, 0);
	}
	if (type & PERF_SAMPLE_IDENTIFIER)
		wb_u64(b, id);
}

static void synth_body(struct wbuf *b, const struct nl_record *rec)
{
	switch (rec->kind) {
	case NL_REC_COMM:
		wb_u32(b, (uint32_t)rec->task.pid);
		wb_u32(b, (uint32_t)rec->task.tid);
		wb_string8(b, rec->task.comm ? rec->task.comm : "");
		break;
	case NL_REC_FORK:
		wb_u32(b, (uint32_t)rec->task.pid);
		wb_u32(b, (uint32_t)rec->task.ppid);
		wb_u32(b, (uint32_t)rec->task.tid);
		wb_u32(b, (uint32_t)rec->task.ptid);
		wb_u64(b, rec->task.time);
		break;
	default:        /* NL_REC_MMAP */
		wb_u32(b, (uint32_t)rec->mmap.pid);
		wb_u32(b, (uint32_t)rec->mmap.tid);
		wb_u64(b, rec->mmap.start);
		wb_u64(b, rec->mmap.len);
		wb_u64(b, rec->mmap.pgoff);
		wb_string8(b, rec->mmap.filename ? rec->mmap.filename : "");
		break;
	}
}

void perfdata_writer__synth(struct perfdata_writer *w, const struct nl_record *rec,
			    uint64_t id)
{
	struct perf_event_header h = { 0 };
	struct wbuf b = { 0 };

	if (rec->kind == NL_REC_COMM) {
		h.type = PERF_RECORD_COMM;
		h.misc = rec->task.exec ? PERF_RECORD_MISC_COMM_EXEC : 0;
	} else if (rec->kind == NL_REC_FORK) {
		h.type = PERF_RECORD_FORK;
	} else if (rec->kind == NL_REC_MMAP) {
		h.type = PERF_RECORD_MMAP;
		h.misc = PERF_RECORD_MISC_USER;
	} else {
		return;
	}
	wb_put(&b, &h, sizeof(h));
	synth_body(&b, rec);
	put_trailer(&b, w->trailer_type, rec, id);
	if (!b.err && b.len <= UINT16_MAX) {
		h.size = (uint16_t)b.len;
		memcpy(b.p, &h, sizeof(h));
		put(w, b.p, b.len);
	}
	free(b.p);
}

static void keep_placement(struct perfdata_writer *w, const struct nl_placement_event *p)
{
	const char *name = p->name ? p->name : "";

	wb_u32(&w->placement, (uint32_t)p->pid);
	wb_u32(&w->placement, p->final ? NL_PLACEMENT_FINAL : 0);
	wb_u64(&w->placement, p->start);
	wb_u64(&w->placement, p->end);
	wb_u32(&w->placement, p->nr_nodes);
	wb_u32(&w->placement, (uint32_t)padded8(name));
	wb_string8(&w->placement, name);
	wb_put(&w->placement, p->pages_by_node, p->nr_nodes * sizeof(uint64_t));
	w->nr_placement++;
}

static void keep_access(struct perfdata_writer *w, const struct nl_access_event *a)
{
	const char *name = a->name ? a->name : "";
	uint8_t m[4] = { a->method, 0, 0, 0 };

	wb_u32(&w->access, (uint32_t)a->pid);
	wb_u32(&w->access, a->flags);
	wb_u64(&w->access, a->start);
	wb_u64(&w->access, a->end);
	wb_put(&w->access, m, sizeof(m));
	wb_u32(&w->access, (uint32_t)a->error);
	wb_u32(&w->access, a->intervals);
	wb_u32(&w->access, 0);
	wb_u64(&w->access, a->accessed_bytes);
	wb_u64(&w->access, a->rss_bytes);
	wb_u32(&w->access, (uint32_t)padded8(name));
	wb_u32(&w->access, 0);
	wb_string8(&w->access, name);
	w->nr_access++;
}

void perfdata_writer__extra(struct perfdata_writer *w, const struct nl_record *rec)
{
	if (rec->kind == NL_REC_ACCESS) {
		keep_access(w, &rec->access);
	} else if (rec->kind == NL_REC_PLACEMENT) {
		keep_placement(w, &rec->placement);
	} else if (rec->kind == NL_REC_RUNTIME) {
		wb_u32(&w->runtime, (uint32_t)rec->runtime.pid);
		wb_u32(&w->runtime, (uint32_t)rec->runtime.tid);
		wb_u32(&w->runtime, (uint32_t)rec->runtime.cpu);
		wb_u32(&w->runtime, 0);
		wb_u64(&w->runtime, rec->runtime.ns);
		w->nr_runtime++;
	}
}

void perfdata_writer__page_size(struct perfdata_writer *w, uint64_t page_size)
{
	w->page_size = page_size;
}

void perfdata_writer__page_node(struct perfdata_writer *w, int pid, uint64_t page,
				int node, int method)
{
	uint8_t m[4] = { (uint8_t)method, 0, 0, 0 };

	wb_u32(&w->pages, (uint32_t)pid);
	wb_put(&w->pages, m, 4);
	wb_u64(&w->pages, page);
	wb_u32(&w->pages, (uint32_t)node);
	wb_u32(&w->pages, 0);
	w->nr_pages++;
}

void perfdata_writer__pystack(struct perfdata_writer *w, const struct nl_sample *s)
{
	if (!w->py && !w->py_err && !(w->py = pyrecord__new()))
		w->py_err = -ENOMEM;
	if (w->py && !w->py_err)
		w->py_err = pyrecord__add(w->py, s);
}

/* --- features ------------------------------------------------------------ */

static void feat_pyframes(struct wbuf *b, const struct perfdata_writer *w)
{
	uint8_t *body;
	size_t len;

	if (w->py_err || pyrecord__serialize(w->py, &body, &len)) {
		b->err = w->py_err ? w->py_err : -ENOMEM;
		return;
	}
	wb_put(b, body, len);
	free(body);
}

static void feat_cmdline(struct wbuf *b, const char *cmdline)
{
	char copy[1024], *save, *tok;
	uint32_t nr = 0;

	snprintf(copy, sizeof(copy), "%s", cmdline);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		nr++;
	wb_u32(b, nr);
	snprintf(copy, sizeof(copy), "%s", cmdline);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		wb_string(b, tok);
}

static void feat_event_desc(struct wbuf *b, const struct perfdata_writer *w)
{
	wb_u32(b, (uint32_t)w->nr_events);
	wb_u32(b, w->attr_size);
	for (int i = 0; i < w->nr_events; i++) {
		wb_put(b, w->attrs + (size_t)i * w->attr_size, w->attr_size);
		wb_u32(b, w->nr_ids[i]);
		wb_string(b, w->names[i]);
		wb_put(b, w->ids[i], w->nr_ids[i] * sizeof(uint64_t));
	}
}

/* Distinct cpulists of CPUs grouped by key(cpu); returns how many. */
static int group_lists(const struct nl_topology *t, int (*key)(const struct nl_topology_cpu *),
		       struct wbuf *strings)
{
	int nr = 0;

	for (int c = 0; c < t->nr_cpus; c++) {
		struct nl_cpuset set = { 0 };
		char list[1024];
		bool first = true;

		if (!t->cpus[c].present)
			continue;
		for (int d = 0; d < c && first; d++)
			if (t->cpus[d].present && key(&t->cpus[d]) == key(&t->cpus[c]))
				first = false;
		if (!first)
			continue;
		for (int d = c; d < t->nr_cpus; d++)
			if (t->cpus[d].present && key(&t->cpus[d]) == key(&t->cpus[c]))
				cpuset__add(&set, d);
		wb_string(strings, cpuset__format(&set, list, sizeof(list)));
		cpuset__free(&set);
		nr++;
	}
	return nr;
}

static int package_key(const struct nl_topology_cpu *c)
{
	return c->package;
}

static int core_key(const struct nl_topology_cpu *c)
{
	return c->package * 65536 + c->die * 4096 + c->core;
}

static int die_key(const struct nl_topology_cpu *c)
{
	return c->package * 65536 + c->die;
}

static void put_group(struct wbuf *b, const struct nl_topology *t,
		      int (*key)(const struct nl_topology_cpu *))
{
	struct wbuf strings = { 0 };
	int nr = group_lists(t, key, &strings);

	wb_u32(b, (uint32_t)nr);
	wb_put(b, strings.p, strings.len);
	if (strings.err)
		b->err = strings.err;
	free(strings.p);
}

static void feat_cpu_topology(struct wbuf *b, const struct nl_topology *t)
{
	put_group(b, t, package_key);
	put_group(b, t, core_key);
	for (int c = 0; c < t->nr_cpus; c++) {
		wb_u32(b, (uint32_t)(t->cpus[c].present ? t->cpus[c].core : -1));
		wb_u32(b, (uint32_t)(t->cpus[c].present ? t->cpus[c].package : -1));
	}
	put_group(b, t, die_key);
	for (int c = 0; c < t->nr_cpus; c++)
		wb_u32(b, (uint32_t)(t->cpus[c].present ? t->cpus[c].die : -1));
}

static void feat_numa_topology(struct wbuf *b, const struct nl_topology *t)
{
	wb_u32(b, (uint32_t)t->nr_nodes);
	for (int i = 0; i < t->nr_nodes; i++) {
		char list[1024];

		wb_u32(b, (uint32_t)t->nodes[i].id);
		wb_u64(b, t->nodes[i].mem_total_kb);
		wb_u64(b, t->nodes[i].mem_free_kb);
		wb_string(b, cpuset__format(&t->nodes[i].cpus, list, sizeof(list)));
	}
}

static void feat_extra(struct wbuf *b, const struct wbuf *entries, uint32_t nr)
{
	wb_u32(b, 1);
	wb_u32(b, nr);
	wb_put(b, entries->p, entries->len);
	if (entries->err)
		b->err = entries->err;
}

/* NL_FEAT_PAGE_NODES version 2: the page size before the entries. */
static void feat_page_nodes(struct wbuf *b, const struct perfdata_writer *w)
{
	wb_u32(b, 2);
	wb_u32(b, w->nr_pages);
	wb_u64(b, w->page_size ? w->page_size : 4096);
	wb_put(b, w->pages.p, w->pages.len);
	if (w->pages.err)
		b->err = w->pages.err;
}

/* Body of feature feat into b; false when this writer has none. */
static bool feature_body(const struct perfdata_writer *w, int feat, struct wbuf *b,
			 const struct nl_source_info *info, const struct nl_topology *topo)
{
	switch (feat) {
	case FEAT_HOSTNAME: wb_string(b, info->hostname); return true;
	case FEAT_OSRELEASE: wb_string(b, info->os_release); return true;
	case FEAT_VERSION: wb_string(b, info->perf_version); return true;
	case FEAT_ARCH: wb_string(b, info->arch); return true;
	case FEAT_CPUDESC: wb_string(b, info->cpudesc); return true;
	case FEAT_CPUID:
		if (!info->cpuid[0])
			return false;
		wb_string(b, info->cpuid);
		return true;
	case FEAT_NRCPUS:
		wb_u32(b, topo ? (uint32_t)topo->nr_cpus : info->nr_cpus_avail);
		wb_u32(b, info->nr_cpus_online);
		return true;
	case FEAT_TOTAL_MEM: wb_u64(b, info->total_mem_kb); return true;
	case FEAT_CMDLINE: feat_cmdline(b, info->cmdline); return true;
	case FEAT_EVENT_DESC: feat_event_desc(b, w); return true;
	case FEAT_CPU_TOPOLOGY:
		if (!topo)
			return false;
		feat_cpu_topology(b, topo);
		return true;
	case FEAT_NUMA_TOPOLOGY:
		if (!topo)
			return false;
		feat_numa_topology(b, topo);
		return true;
	case NL_FEAT_PLACEMENT: feat_extra(b, &w->placement, w->nr_placement); return true;
	case NL_FEAT_RUNTIME: feat_extra(b, &w->runtime, w->nr_runtime); return true;
	case NL_FEAT_PAGE_NODES: feat_page_nodes(b, w); return true;
	case NL_FEAT_ACCESS: feat_extra(b, &w->access, w->nr_access); return true;
	case NL_FEAT_PYFRAMES:
		if (!w->py)
			return false;
		feat_pyframes(b, w);
		return true;
	default: return false;
	}
}

static const int features[] = {
	FEAT_HOSTNAME, FEAT_OSRELEASE, FEAT_VERSION, FEAT_ARCH, FEAT_NRCPUS,
	FEAT_CPUDESC, FEAT_CPUID, FEAT_TOTAL_MEM, FEAT_CMDLINE, FEAT_EVENT_DESC,
	FEAT_CPU_TOPOLOGY, FEAT_NUMA_TOPOLOGY,
	NL_FEAT_PLACEMENT, NL_FEAT_RUNTIME, NL_FEAT_PAGE_NODES, NL_FEAT_ACCESS, NL_FEAT_PYFRAMES,
};
#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

/* Feature index right after the data section, then the bodies. */
static void write_features(struct perfdata_writer *w, const struct nl_source_info *info,
			   const struct nl_topology *topo)
{
	struct perf_file_section sec[NR_FEATURES];
	struct wbuf bodies = { 0 };
	uint64_t base;
	int nr = 0;

	for (size_t i = 0; i < NR_FEATURES; i++) {
		size_t before = bodies.len;

		if (!feature_body(w, features[i], &bodies, info, topo))
			continue;
		w->hdr.adds_features[features[i] / 64] |= 1ull << (features[i] % 64);
		sec[nr].offset = before;
		sec[nr++].size = bodies.len - before;
	}
	base = w->pos + (uint64_t)nr * sizeof(struct perf_file_section);
	for (int i = 0; i < nr; i++)
		sec[i].offset += base;
	put(w, sec, (size_t)nr * sizeof(sec[0]));
	put_wbuf(w, &bodies);
	free(bodies.p);
}

int perfdata_writer__close(struct perfdata_writer *w, const struct nl_source_info *info,
			   const struct nl_topology *topo)
{
	int err;

	w->hdr.data.size = w->pos - w->hdr.data.offset;
	write_features(w, info, topo);
	if (!w->err && fseek(w->f, 0, SEEK_SET))
		w->err = -errno;
	put(w, &w->hdr, sizeof(w->hdr));
	if (fflush(w->f) && !w->err)
		w->err = -errno;
	if (fclose(w->f) && !w->err)
		w->err = -errno;
	w->f = NULL;
	err = w->err;
	free_writer(w);
	return err;
}
