/*
 * perfdata_header.c - perf.data header features -> source info, topology,
 * event names, and numalens' own extras.
 *
 * Layouts follow tools/perf/Documentation/perf.data-file-format.txt:
 * strings are "u32 len; char str[len]" (len includes NUL padding), string
 * lists "u32 nr; string[nr]".  Every feature is parsed with a bounded
 * cursor; a malformed one is rejected whole (-EINVAL) and the rest of the
 * file still counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samplers/base/topology.h"
#include "samplers/cursor.h"
#include "samplers/perf_abi.h"
#include "samplers/perfdata_internal.h"
#include "samplers/pyrecord.h"

static int string_feature(struct nl_cursor *c, char *dst, size_t size)
{
	const char *s = cursor__header_string(c);

	if (!s)
		return -EINVAL;
	snprintf(dst, size, "%s", s);
	return 0;
}

static int cmdline_feature(struct perfdata *p, struct nl_cursor *c)
{
	uint32_t nr = cursor__u32(c);
	size_t used = 0;
	char *dst = p->base.info.cmdline;
	size_t size = sizeof(p->base.info.cmdline);

	dst[0] = '\0';
	for (uint32_t i = 0; i < nr && !c->bad; i++) {
		const char *arg = cursor__header_string(c);
		int n;

		if (!arg)
			break;
		n = snprintf(dst + used, size - used, "%s%s", i ? " " : "", arg);
		if (n > 0 && (size_t)n < size - used)
			used += (size_t)n;
	}
	return c->bad ? -EINVAL : 0;
}

static struct nl_topology *topology_of(struct perfdata *p)
{
	char origin[600];

	if (!p->base.info.topology) {
		snprintf(origin, sizeof(origin), "perf.data:%s", p->base.info.path);
		p->base.info.topology = topology__new(origin);
	}
	return p->base.info.topology;
}

static int numa_topology_feature(struct perfdata *p, struct nl_cursor *c)
{
	uint32_t nr = cursor__u32(c);
	struct nl_topology *topo = topology_of(p);

	if (!topo)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr && !c->bad; i++) {
		uint32_t node = cursor__u32(c);
		uint64_t total = cursor__u64(c), free_kb = cursor__u64(c);
		const char *cpus = cursor__header_string(c);
		int err;

		if (!cpus)
			break;
		err = topology__add_node(topo, (int)node, cpus, total, free_kb);
		if (err)
			return err;
	}
	return c->bad ? -EINVAL : 0;
}

/* "u32 nr; string[nr]" where each string is a cpulist handed to add(). */
static int sibling_lists(struct nl_cursor *c, struct nl_topology *topo,
			 int (*add)(struct nl_topology *, const char *))
{
	uint32_t nr = cursor__u32(c);

	for (uint32_t i = 0; i < nr && !c->bad; i++) {
		const char *list = cursor__header_string(c);

		if (!list || add(topo, list))
			return -EINVAL;
	}
	return c->bad ? -EINVAL : 0;
}

/*
 * CPU_TOPOLOGY: core (= package) sibling lists, thread sibling lists, then,
 * since perf 4.x, per-CPU {core_id, socket_id} for nr_cpus_avail CPUs, then
 * die lists and per-CPU die_id.  Old files end after the lists.
 */
static int cpu_topology_feature(struct perfdata *p, struct nl_cursor *c)
{
	struct nl_topology *topo = topology_of(p);
	uint32_t nr_cpus = p->base.info.nr_cpus_avail;
	int err;

	if (!topo)
		return -ENOMEM;
	err = sibling_lists(c, topo, topology__add_package_siblings);
	if (!err)
		err = sibling_lists(c, topo, topology__add_siblings);
	if (err)
		return err;
	if ((uint64_t)(c->end - c->p) < (uint64_t)nr_cpus * 8)
		return 0;
	for (uint32_t cpu = 0; cpu < nr_cpus; cpu++) {
		uint32_t core = cursor__u32(c), socket = cursor__u32(c);

		/* perf writes -1 for CPUs that were not online */
		if ((int32_t)core >= 0 && (int32_t)socket >= 0)
			topology__set_cpu(topo, (int)cpu, true, (int)socket, -1,
					  (int)core);
	}
	return 0;
}

/*
 * MEM_TOPOLOGY: u64 version, block_size, nr; then per node u64 node,
 * u64 nr_bits and a bitmap of memory blocks (u64 words).
 */
static int mem_topology_feature(struct perfdata *p, struct nl_cursor *c)
{
	struct nl_topology *topo = topology_of(p);
	uint64_t block, nr;

	if (!topo)
		return -ENOMEM;
	cursor__u64(c);
	block = cursor__u64(c);
	nr = cursor__u64(c);
	if (c->bad || !block)
		return -EINVAL;
	topo->memory_block_size = block;
	for (uint64_t i = 0; i < nr && !c->bad; i++) {
		uint64_t node = cursor__u64(c), bits = cursor__u64(c);
		/* no (bits + 63) / 64: a nr_bits near 2^64 wraps it to 0 words */
		uint64_t words = bits / 64 + (bits % 64 != 0);

		if (c->bad || words > (uint64_t)(c->end - c->p) / 8 ||
		    (bits && block > UINT64_MAX / bits))
			return -EINVAL;
		for (uint64_t b = 0; b < bits; b++) {
			uint64_t w;

			memcpy(&w, c->p + b / 64 * 8, 8);
			if (w >> (b % 64) & 1 &&
			    topology__add_memory_range(topo, b * block, (b + 1) * block,
						       (int)node))
				return -ENOMEM;
		}
		cursor__skip(c, words * 8);
	}
	return c->bad ? -EINVAL : 0;
}

/* EVENT_DESC: u32 nr, u32 attr_size; per event attr, u32 nr_ids, name, ids. */
static int event_desc_feature(struct perfdata *p, struct nl_cursor *c)
{
	uint32_t nr = cursor__u32(c), attr_size = cursor__u32(c);

	for (uint32_t i = 0; i < nr && !c->bad; i++) {
		const char *name;
		uint32_t nr_ids;

		cursor__skip(c, attr_size);
		nr_ids = cursor__u32(c);
		name = cursor__header_string(c);
		if (!name)
			break;
		if (i < p->base.info.nr_events)
			snprintf(p->base.info.events[i].name,
				 sizeof(p->base.info.events[i].name), "%s", name);
		cursor__skip(c, (uint64_t)nr_ids * 8);
	}
	return c->bad ? -EINVAL : 0;
}

static int keep_extra(struct perfdata_extra *x, const uint8_t *buf, size_t len)
{
	struct nl_cursor c = { buf, buf + len, false };
	uint32_t version = cursor__u32(&c), nr = cursor__u32(&c);

	if (c.bad || version != 1)
		return -EINVAL;
	free(x->buf);
	x->buf = malloc(len);
	if (!x->buf)
		return -ENOMEM;
	memcpy(x->buf, buf, len);
	x->len = len;
	x->pos = 8;
	x->left = nr;
	return 0;
}

/* --- page nodes -------------------------------------------------------- */

/*
 * Version 1 carries no page size: those recordings were made with 4 KiB
 * pages keyed by addr >> 12, and stay readable as such.  Version 2 names the
 * recording machine's page size, so 64 KiB pages (arm64, ppc64le) match
 * every address inside them.
 */
static int page_nodes_feature(struct perfdata *p, const uint8_t *buf, size_t len)
{
	struct nl_cursor c = { buf, buf + len, false };
	struct page_node_map *m = &p->page_nodes;
	uint32_t version = cursor__u32(&c), nr = cursor__u32(&c);
	uint64_t page_size = 4096;

	if (!c.bad && version == 2)
		page_size = cursor__u64(&c);
	if (c.bad || (version != 1 && version != 2) || nr > len / 24 ||
	    page_size < 1024 || page_size > (1ull << 30) ||
	    (page_size & (page_size - 1)))
		return -EINVAL;
	m->page_shift = (unsigned)__builtin_ctzll(page_size);
	map__free(&m->pages);
	if (map__reserve(&m->pages, nr))
		return -ENOMEM;
	for (uint32_t i = 0; i < nr && !c.bad; i++) {
		uint32_t pid = cursor__u32(&c), method = cursor__u32(&c) & 0xff;
		uint64_t page = cursor__u64(&c);
		int32_t node = (int32_t)cursor__u32(&c);

		cursor__u32(&c);
		if (!c.bad)
			map__put(&m->pages, pid, page >> m->page_shift,
				 (uint64_t)method << 32 | (uint32_t)node);
	}
	return c.bad ? -EINVAL : 0;
}

bool perfdata_header__page_node(const struct perfdata *p, struct nl_sample *s)
{
	const struct page_node_map *m = &p->page_nodes;
	const uint64_t *v;

	if (!map__count(&m->pages) || !(s->valid & NL_SAMPLE_ADDR) ||
	    !(s->valid & NL_SAMPLE_TID))
		return false;
	v = map__find(&m->pages, (uint32_t)s->pid, s->addr >> m->page_shift);
	if (!v || (int32_t)(uint32_t)*v < 0)
		return false;
	s->mem_node = (int32_t)(uint32_t)*v;
	s->mem_node_method = (uint8_t)(*v >> 32);
	s->valid |= NL_SAMPLE_MEM_NODE;
	return true;
}

/*
 * BUILD_ID: a run of build_id_event records { header; s32 pid; u8 id[20];
 * u8 size (when misc has MISC_BUILD_ID_SIZE); u8 reserved[3]; filename }
 * padded to header.size.  A bad entry ends the walk (-EINVAL, noted).
 */
static int build_id_feature(struct perfdata *p, const uint8_t *buf, size_t len)
{
	struct nl_source_info *info = &p->base.info;
	size_t pos = 0;

	while (len - pos >= 8 + 4 + 24) {
		struct nl_build_id *v, *b;
		uint16_t misc, size;
		int32_t pid;
		size_t nlen;

		memcpy(&misc, buf + pos + 4, 2);
		memcpy(&size, buf + pos + 6, 2);
		if (size < 8 + 4 + 24 + 1 || size > len - pos)
			return -EINVAL;
		memcpy(&pid, buf + pos + 8, 4);
		v = realloc(info->build_ids, (info->nr_build_ids + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		info->build_ids = v;
		b = &v[info->nr_build_ids];
		memset(b, 0, sizeof(*b));
		b->pid = pid;
		b->kernel = (misc & 7) == 1;   /* PERF_RECORD_MISC_KERNEL */
		b->size = NL_BUILD_ID_MAX;
		if (misc & (1 << 15))          /* PERF_RECORD_MISC_BUILD_ID_SIZE */
			b->size = buf[pos + 12 + 20];
		if (!b->size || b->size > NL_BUILD_ID_MAX)
			b->size = NL_BUILD_ID_MAX;
		memcpy(b->id, buf + pos + 12, b->size);
		nlen = strnlen((const char *)buf + pos + 36, size - 36);
		b->filename = strndup((const char *)buf + pos + 36, nlen);
		if (!b->filename)
			return -ENOMEM;
		info->nr_build_ids++;
		pos += size;
	}
	return 0;
}

/* --- dispatch ------------------------------------------------------------ */

int perfdata_header__feature(struct perfdata *p, int feature,
			     const uint8_t *buf, size_t len)
{
	struct nl_source_info *info = &p->base.info;
	struct nl_cursor c = { buf, buf + len, false };

	switch (feature) {
	case FEAT_BUILD_ID:
		return build_id_feature(p, buf, len);
	case FEAT_HOSTNAME:
		return string_feature(&c, info->hostname, sizeof(info->hostname));
	case FEAT_OSRELEASE:
		return string_feature(&c, info->os_release, sizeof(info->os_release));
	case FEAT_VERSION:
		return string_feature(&c, info->perf_version, sizeof(info->perf_version));
	case FEAT_ARCH:
		return string_feature(&c, info->arch, sizeof(info->arch));
	case FEAT_CPUDESC:
		return string_feature(&c, info->cpudesc, sizeof(info->cpudesc));
	case FEAT_CPUID:
		return string_feature(&c, info->cpuid, sizeof(info->cpuid));
	case FEAT_NRCPUS:
		info->nr_cpus_avail = cursor__u32(&c);
		info->nr_cpus_online = cursor__u32(&c);
		return c.bad ? -EINVAL : 0;
	case FEAT_TOTAL_MEM:
		info->total_mem_kb = cursor__u64(&c);
		return c.bad ? -EINVAL : 0;
	case FEAT_CMDLINE:
		return cmdline_feature(p, &c);
	case FEAT_EVENT_DESC:
		return event_desc_feature(p, &c);
	case FEAT_CPU_TOPOLOGY:
		return cpu_topology_feature(p, &c);
	case FEAT_NUMA_TOPOLOGY:
		return numa_topology_feature(p, &c);
	case FEAT_MEM_TOPOLOGY:
		return mem_topology_feature(p, &c);
	case FEAT_COMPRESSED:   /* u32 version, type, level, ratio, mmap_len */
		cursor__u32(&c);
		p->comp_type = cursor__u32(&c);
		return c.bad ? -EINVAL : 0;
	case NL_FEAT_PLACEMENT:
		return keep_extra(&p->placement, buf, len);
	case NL_FEAT_RUNTIME:
		return keep_extra(&p->runtime, buf, len);
	case NL_FEAT_ACCESS:
		return keep_extra(&p->access, buf, len);
	case NL_FEAT_PAGE_NODES:
		return page_nodes_feature(p, buf, len);
	case NL_FEAT_PYFRAMES:
		if (!p->py && !(p->py = pyrecord__new()))
			return -ENOMEM;
		return pyrecord__parse(p->py, buf, len);
	default:
		return 0;
	}
}

/* --- event names ---------------------------------------------------------- */

static const char *const hw_names[] = {
	"cycles", "instructions", "cache-references", "cache-misses",
	"branches", "branch-misses", "bus-cycles", "stalled-cycles-frontend",
	"stalled-cycles-backend", "ref-cycles",
};
static const char *const sw_names[] = {
	"cpu-clock", "task-clock", "page-faults", "context-switches",
	"cpu-migrations", "minor-faults", "major-faults", "alignment-faults",
	"emulation-faults", "dummy", "bpf-output", "cgroup-switches",
};

void perfdata_header__name_events(struct perfdata *p)
{
	for (uint32_t i = 0; i < p->base.info.nr_events; i++) {
		struct nl_event_desc *d = &p->base.info.events[i];
		size_t n_hw = sizeof(hw_names) / sizeof(hw_names[0]);
		size_t n_sw = sizeof(sw_names) / sizeof(sw_names[0]);

		if (d->name[0])
			continue;
		if (d->type == 0 && d->config < n_hw)
			snprintf(d->name, sizeof(d->name), "%s", hw_names[d->config]);
		else if (d->type == 1 && d->config < n_sw)
			snprintf(d->name, sizeof(d->name), "%s", sw_names[d->config]);
		else
			snprintf(d->name, sizeof(d->name), "type%u/config=0x%llx",
				 d->type, (unsigned long long)d->config);
	}
}

/* --- extras out ------------------------------------------------------------- */

static int next_placement(struct perfdata *p, struct nl_record *out)
{
	struct perfdata_extra *x = &p->placement;
	struct nl_cursor c = { x->buf + x->pos, x->buf + x->len, false };
	struct nl_placement_event *e = &out->placement;
	uint32_t flags, name_len;
	const char *name;

	e->pid = (int32_t)cursor__u32(&c);
	flags = cursor__u32(&c);
	e->start = cursor__u64(&c);
	e->end = cursor__u64(&c);
	e->nr_nodes = cursor__u32(&c);
	name_len = cursor__u32(&c);
	name = (const char *)c.p;
	cursor__skip(&c, name_len);
	if (c.bad || !name_len || !memchr(name, '\0', name_len) ||
	    e->nr_nodes > (uint64_t)(c.end - c.p) / 8 || e->nr_nodes > 4096)
		return -EINVAL;
	if (e->nr_nodes > p->placement_cap) {
		uint64_t *pages = realloc(p->placement_pages, e->nr_nodes * 8ull);

		if (!pages)
			return -ENOMEM;
		p->placement_pages = pages;
		p->placement_cap = e->nr_nodes;
	}
	if (e->nr_nodes)        /* none: placement_pages may still be NULL */
		memcpy(p->placement_pages, c.p, e->nr_nodes * 8ull);
	cursor__skip(&c, e->nr_nodes * 8ull);
	e->pages_by_node = p->placement_pages;
	e->name = name;
	e->final = flags & NL_PLACEMENT_FINAL;
	out->kind = NL_REC_PLACEMENT;
	x->pos = (size_t)(c.p - x->buf);
	return 1;
}

static int next_runtime(struct perfdata *p, struct nl_record *out)
{
	struct perfdata_extra *x = &p->runtime;
	struct nl_cursor c = { x->buf + x->pos, x->buf + x->len, false };

	out->kind = NL_REC_RUNTIME;
	out->runtime.pid = (int32_t)cursor__u32(&c);
	out->runtime.tid = (int32_t)cursor__u32(&c);
	out->runtime.cpu = (int32_t)cursor__u32(&c);
	cursor__u32(&c);
	out->runtime.ns = cursor__u64(&c);
	if (c.bad)
		return -EINVAL;
	x->pos = (size_t)(c.p - x->buf);
	return 1;
}

static int next_access(struct perfdata *p, struct nl_record *out)
{
	struct perfdata_extra *x = &p->access;
	struct nl_cursor c = { x->buf + x->pos, x->buf + x->len, false };
	struct nl_access_event *e = &out->access;
	uint32_t name_len;
	const char *name;

	memset(e, 0, sizeof(*e));
	out->kind = NL_REC_ACCESS;
	e->pid = (int32_t)cursor__u32(&c);
	e->flags = cursor__u32(&c);
	e->start = cursor__u64(&c);
	e->end = cursor__u64(&c);
	e->method = (uint8_t)cursor__u32(&c);  /* u8 method, u8 pad[3], little endian */
	e->error = (int32_t)cursor__u32(&c);
	e->intervals = cursor__u32(&c);
	cursor__u32(&c);
	e->accessed_bytes = cursor__u64(&c);
	e->rss_bytes = cursor__u64(&c);
	name_len = cursor__u32(&c);
	cursor__u32(&c);
	name = (const char *)c.p;
	cursor__skip(&c, name_len);
	if (c.bad || !name_len || !memchr(name, '\0', name_len) ||
	    e->method >= NL_ACCESS_METHOD_COUNT)
		return -EINVAL;
	e->name = name;
	x->pos = (size_t)(c.p - x->buf);
	return 1;
}

int perfdata_header__next_start(struct perfdata *p, struct nl_record *out)
{
	struct perfdata_extra *x = &p->placement;
	uint32_t flags;

	/* entries are written in arrival order: every start one before the finals */
	if (!x->left || x->len - x->pos < 8)
		return 0;
	memcpy(&flags, x->buf + x->pos + 4, sizeof(flags));
	if (flags & NL_PLACEMENT_FINAL)
		return 0;
	return perfdata_header__next_extra(p, out);
}

int perfdata_header__next_extra(struct perfdata *p, struct nl_record *out)
{
	struct perfdata_extra *x;
	int ret;

	for (;;) {
		if (p->placement.left)
			x = &p->placement;
		else if (p->runtime.left)
			x = &p->runtime;
		else if (p->access.left)
			x = &p->access;
		else
			return 0;
		x->left--;
		ret = x == &p->placement ? next_placement(p, out) :
		      x == &p->runtime ? next_runtime(p, out) : next_access(p, out);
		if (ret == 1)
			return 1;
		/* A malformed entry ends its feature: its framing is lost. */
		p->base.stats.bad_records++;
		x->left = 0;
		if (ret == -ENOMEM)
			return ret;
	}
}

void perfdata_header__free(struct perfdata *p)
{
	for (uint32_t i = 0; i < p->base.info.nr_build_ids; i++)
		free(p->base.info.build_ids[i].filename);
	free(p->base.info.build_ids);
	free(p->placement.buf);
	free(p->runtime.buf);
	map__free(&p->page_nodes.pages);
	pyrecord__free(p->py);
	p->py = NULL;
	free(p->access.buf);
	free(p->placement_pages);
}
