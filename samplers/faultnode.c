/*
 * faultnode.c - user page faults paired with the page allocated for them.
 * See faultnode.h for the contract.
 */
#include "samplers/faultnode.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samplers/base/sys.h"
#include "samplers/base/topology.h"

#define FORMAT_MAX 65536
#define MIGRATE_MOVABLE 1       /* enum migratetype: user pages, page cache */
#define MAX_ORDER_PAIRED 9      /* a PMD-sized THP on x86-64 */
#define NO_FAULT UINT64_MAX
#define REG_IP 8                /* PERF_REG_X86_IP */

/* pending's second key word: what is kept of a thread's last fault */
enum { P_ADDR, P_TIME, P_IP };

void faultnode__init(struct nl_faultnode *fn, const struct nl_topology *topo)
{
	memset(fn, 0, sizeof(*fn));
	fn->ev_fault = fn->ev_alloc = UINT32_MAX;
	fn->window_ns = NL_FAULTNODE_WINDOW_NS;
	fn->topo = topo;
	fn->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
}

void faultnode__free(struct nl_faultnode *fn)
{
	map__free(&fn->pending);
	fn->ev_fault = fn->ev_alloc = UINT32_MAX;
}

/* The identifier that ends decl[0, n) (an array suffix "[8]" dropped). */
static bool decl_name_is(const char *decl, size_t n, const char *name)
{
	size_t len = strlen(name), end = n;

	while (end && decl[end - 1] == ' ')
		end--;
	if (end && decl[end - 1] == ']') {
		while (end && decl[end - 1] != '[')
			end--;
		if (end)
			end--;
	}
	return end >= len && !memcmp(decl + end - len, name, len) &&
	       (end == len || decl[end - len - 1] == ' ' || decl[end - len - 1] == '*');
}

/* The number after key ("offset:") in line[0, n), or -1. */
static long long number_after(const char *line, size_t n, const char *key)
{
	size_t k = strlen(key);

	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(line + i, key, k)) {
			char *end;
			long long v = strtoll(line + i + k, &end, 10);

			return end == line + i + k ? -1 : v;
		}
	return -1;
}

int faultnode__parse_field(const char *format, const char *name, struct nl_tp_field *out)
{
	memset(out, 0, sizeof(*out));
	for (const char *line = format; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *f = memmem(line, n, "field:", 6);

		if (f) {
			const char *decl = f + 6;
			const char *semi = memchr(decl, ';', n - (size_t)(decl - line));

			if (semi && decl_name_is(decl, (size_t)(semi - decl), name)) {
				long long off = number_after(line, n, "offset:");
				long long size = number_after(line, n, "size:");

				if (off < 0 || off > 65535 || (size != 1 && size != 2 && size != 4 &&
								size != 8))
					return -ENOENT;
				out->offset = (uint32_t)off;
				out->size = (uint32_t)size;
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

/* Reads one tracepoint's id and format under tracefs.  0 or -errno. */
static int read_tracepoint(const struct nl_sys *sys, const char *tracefs, const char *event,
			   uint64_t *id, char **format)
{
	char path[256];
	long long v;
	size_t len;
	int e;

	snprintf(path, sizeof(path), "%s/events/%s/id", tracefs, event);
	if ((e = sys__read_int(sys, path, &v)))
		return e;
	if (v < 0)
		return -EINVAL;
	*id = (uint64_t)v;
	snprintf(path, sizeof(path), "%s/events/%s/format", tracefs, event);
	return sys__read_file(sys, path, FORMAT_MAX, format, &len);
}

static void spec_of(struct nl_ev_spec *s, const char *name, uint64_t id)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = NL_EV_FAULT_TRACE;
	s->type = PERF_TYPE_TRACEPOINT;
	s->config = id;
	s->period = 1;          /* every fault and allocation: pairs need both */
	/* only what the pairing reads: two of these come with every fault, so
	   each byte counts in the ring (no IP, CPU, period or call stack) */
	s->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			 PERF_SAMPLE_RAW;
	s->exclude_kernel = false; /* tracepoints fire in the kernel */
#if defined(__x86_64__)
	/* the user IP the task entered the kernel from: a fault's allocation
	   has its fault's (see on_alloc) */
	s->sample_type |= PERF_SAMPLE_REGS_USER;
	s->regs_user = 1ull << REG_IP;
#endif
}

int faultnode__plan(const struct nl_sys *sys, const char *tracefs, struct nl_faultnode *fn,
		    struct nl_ev_spec spec[2])
{
	char *fault = NULL, *alloc = NULL;
	uint64_t fault_id = 0, alloc_id = 0;
	int e;

	if ((e = read_tracepoint(sys, tracefs, "exceptions/page_fault_user", &fault_id, &fault)) ||
	    (e = read_tracepoint(sys, tracefs, "kmem/mm_page_alloc", &alloc_id, &alloc)))
		goto out;
	if ((e = faultnode__parse_field(fault, "address", &fn->address)) ||
	    (e = faultnode__parse_field(fault, "ip", &fn->ip)) ||
	    (e = faultnode__parse_field(alloc, "pfn", &fn->pfn)) ||
	    (e = faultnode__parse_field(alloc, "order", &fn->order)))
		goto out;
	/* without it (an old kernel) every allocation of the thread pairs */
	faultnode__parse_field(alloc, "migratetype", &fn->migratetype);
	/* the kernel drops what on_alloc would: other migrate types (page
	   tables, slabs, kernel buffers) and orders above the largest paired */
	if (fn->migratetype.size)
		snprintf(fn->alloc_filter, sizeof(fn->alloc_filter),
			 "migratetype == %d && order <= %d", MIGRATE_MOVABLE, MAX_ORDER_PAIRED);
	else
		snprintf(fn->alloc_filter, sizeof(fn->alloc_filter), "order <= %d",
			 MAX_ORDER_PAIRED);
	spec_of(&spec[0], NL_FAULTNODE_FAULT, fault_id);
	spec_of(&spec[1], NL_FAULTNODE_ALLOC, alloc_id);
out:
	if (e) {
		memset(&fn->address, 0, sizeof(fn->address));
		memset(&fn->ip, 0, sizeof(fn->ip));
		memset(&fn->pfn, 0, sizeof(fn->pfn));
		memset(&fn->order, 0, sizeof(fn->order));
		memset(&fn->migratetype, 0, sizeof(fn->migratetype));
		fn->alloc_filter[0] = '\0';
	}
	free(fault);
	free(alloc);
	return e;
}

bool faultnode__bind(struct nl_faultnode *fn, uint32_t ev, const char *name)
{
	if (!strcmp(name, NL_FAULTNODE_FAULT))
		fn->ev_fault = ev;
	else if (!strcmp(name, NL_FAULTNODE_ALLOC))
		fn->ev_alloc = ev;
	else
		return false;
	return true;
}

bool faultnode__active(const struct nl_faultnode *fn)
{
	return fn->ev_fault != UINT32_MAX && fn->ev_alloc != UINT32_MAX;
}

bool faultnode__owns(const struct nl_faultnode *fn, const struct nl_sample *s)
{
	return s->event == fn->ev_fault || s->event == fn->ev_alloc;
}

/* Field f of the raw record (little endian, as the kernel wrote it). */
static bool field(const struct nl_sample *s, const struct nl_tp_field *f, uint64_t *v)
{
	uint64_t x = 0;

	if (!f->size || !s->raw || (uint64_t)f->offset + f->size > s->raw_size)
		return false;
	memcpy(&x, (const uint8_t *)s->raw + f->offset, f->size);
	*v = x;
	return true;
}

/* The user IP sample s entered the kernel from (its only user register). */
static bool user_ip(const struct nl_sample *s, uint64_t *ip)
{
	if (!s->regs_user || s->nr_regs_user != 1)
		return false;
	memcpy(ip, s->regs_user, 8);
	return true;
}

static int on_fault(struct nl_faultnode *fn, const struct nl_sample *s)
{
	uint64_t tid = (uint32_t)s->tid, val[3] = { 0 }, *v;

	fn->stats.faults++;
	val[P_TIME] = s->time;
	if (!field(s, &fn->address, &val[P_ADDR]) ||
	    (fn->ip.size && !field(s, &fn->ip, &val[P_IP]))) {
		fn->stats.bad++;
		return 0;
	}
	for (uint64_t k = 0; k < 3; k++) {
		if (map__add(&fn->pending, tid, k, &v) < 0)
			return -ENOMEM;
		*v = val[k];
	}
	return 0;
}

static int on_alloc(struct nl_faultnode *fn, const struct nl_sample *s,
		    struct nl_faultnode_page *out)
{
	uint64_t tid = (uint32_t)s->tid, pfn, order, mt = MIGRATE_MOVABLE, ip = 0, span;
	uint64_t *a, *t, *fip;
	int node;

	fn->stats.allocs++;
	if (!field(s, &fn->pfn, &pfn) || !field(s, &fn->order, &order) ||
	    (fn->migratetype.size && !field(s, &fn->migratetype, &mt))) {
		fn->stats.bad++;
		return 0;
	}
	if ((uint32_t)mt != MIGRATE_MOVABLE) {
		fn->stats.not_user++;
		return 0;
	}
	a = map__find(&fn->pending, tid, P_ADDR);
	t = map__find(&fn->pending, tid, P_TIME);
	fip = map__find(&fn->pending, tid, P_IP);
	/* The allocation of a fault comes from the same entry into the kernel:
	   the same user IP as the fault's.  A later one (a read() into a new
	   buffer, whose faults are kernel faults; a page cache page) enters
	   elsewhere and does not pair with a fault that allocated nothing. */
	if (!a || !t || !fip || *a == NO_FAULT || s->time < *t || s->time - *t > fn->window_ns ||
	    (fn->ip.size && (!user_ip(s, &ip) || ip != *fip)) ||
	    order > MAX_ORDER_PAIRED || pfn == UINT64_MAX) {
		fn->stats.unpaired++;
		return 0;
	}
	span = fn->page_size << order;
	node = fn->topo ? topology__node_of_phys(fn->topo, pfn * fn->page_size) : -1;
	out->pid = s->pid;
	out->addr = *a & ~(span - 1);
	out->len = span;
	out->node = node;
	*a = NO_FAULT;          /* one page per fault */
	if (node < 0) {
		fn->stats.no_node++;
		return 0;
	}
	fn->stats.landed++;
	return 1;
}

const char *faultnode__filter(const struct nl_faultnode *fn, uint32_t ev)
{
	return ev == fn->ev_alloc && fn->alloc_filter[0] ? fn->alloc_filter : NULL;
}

void faultnode__forget(struct nl_faultnode *fn, int tid)
{
	for (uint64_t k = 0; k < 3; k++)
		map__del(&fn->pending, (uint32_t)tid, k);
}

int faultnode__sample(struct nl_faultnode *fn, const struct nl_sample *s,
		      struct nl_faultnode_page *out)
{
	if (s->event == fn->ev_fault)
		return on_fault(fn, s);
	if (s->event == fn->ev_alloc)
		return on_alloc(fn, s, out);
	return 0;
}
