/*
 * html_draw.c - the SVG pictures of the HTML report.  See html_draw.h.
 *
 * Layout is computed here in pixels from counts of the report (packages,
 * cores, rows); shading is fill-opacity of one accent colour, so it works
 * on a light and a dark background alike.
 */
#include "report/html_draw.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "samplers/base/cpuset.h"

#define MAP_W 1240              /* width of the wide pictures, px */
#define MAX_NODES 64            /* nodes drawn in the machine map */
#define MAX_CPUS 8192           /* CPUs shaded in the machine map */
#define NODE_MAPPINGS 3         /* data objects listed per node */

static void pct(FILE *out, double v)
{
	if (isnan(v))
		fputs("-", out);
	else
		fprintf(out, "%.1f%%", v * 100);
}

/* ---- machine map ---------------------------------------------------- */

struct node_data {
	const char *name;               /* mapping name (a string of the report) */
	double pages[MAX_NODES];        /* largest pages_by_node seen, per node */
};

struct map_ctx {
	const cJSON *nodes;             /* topology.nodes */
	int nr_nodes;
	struct nl_cpuset node_cpus[MAX_NODES];
	double cpu_samples[MAX_CPUS];   /* target samples per CPU (report.cpus) */
	const cJSON *cpu_row[MAX_CPUS];
	double max_samples, total_samples;
	struct node_data *objs;         /* mappings by name */
	int nr_objs;
};

static int node_index(const struct map_ctx *m, int id)
{
	const cJSON *n;
	int i = 0;

	cJSON_ArrayForEach(n, m->nodes) {
		if (i >= m->nr_nodes)
			break;
		if ((int)html_num(n, "id") == id)
			return i;
		i++;
	}
	return -1;
}

/*
 * Pages of each data object per node.  Processes of one tree map the same
 * object (a forked dataset): the node holds it once, so the largest count
 * any process saw is kept, not the sum.
 */
static void collect_objects(struct map_ctx *m, const cJSON *report)
{
	const cJSON *p, *map, *by;
	int cap = 0;

	cJSON_ArrayForEach(p, html_array(report, "processes")) {
		cJSON_ArrayForEach(map, html_array(p, "mappings")) {
			const char *name = html_str(map, "name");
			struct node_data *d = NULL;
			const cJSON *e;

			by = cJSON_GetObjectItemCaseSensitive(map, "pages_by_node");
			if (!name || !cJSON_IsObject(by))
				continue;
			for (int i = 0; i < m->nr_objs && !d; i++)
				if (!strcmp(m->objs[i].name, name))
					d = &m->objs[i];
			if (!d) {
				if (m->nr_objs == cap) {
					int ncap = cap ? cap * 2 : 64;
					struct node_data *n = realloc(m->objs, ncap * sizeof(*n));

					if (!n)
						return;
					m->objs = n;
					cap = ncap;
				}
				d = &m->objs[m->nr_objs++];
				memset(d, 0, sizeof(*d));
				d->name = name;
			}
			cJSON_ArrayForEach(e, by) {
				int ni = node_index(m, atoi(e->string));

				if (ni >= 0 && cJSON_IsNumber(e) && e->valuedouble > d->pages[ni])
					d->pages[ni] = e->valuedouble;
			}
		}
	}
}

static void map_init(struct map_ctx *m, const cJSON *report, const cJSON *topo)
{
	const cJSON *n, *c;

	memset(m, 0, sizeof(*m));
	m->nodes = html_array(topo, "nodes");
	cJSON_ArrayForEach(n, m->nodes) {
		const char *cpus = html_str(n, "cpus");

		if (m->nr_nodes == MAX_NODES)
			break;
		if (cpus)
			cpuset__parse_list(&m->node_cpus[m->nr_nodes], cpus);
		m->nr_nodes++;
	}
	cJSON_ArrayForEach(c, html_array(report, "cpus")) {
		int cpu = (int)html_num(c, "cpu");
		double s = html_num(c, "samples");

		if (cpu < 0 || cpu >= MAX_CPUS || isnan(s))
			continue;
		m->cpu_samples[cpu] = s;
		m->cpu_row[cpu] = c;
		m->total_samples += s;
		if (s > m->max_samples)
			m->max_samples = s;
	}
	collect_objects(m, report);
}

static void map_free(struct map_ctx *m)
{
	for (int i = 0; i < m->nr_nodes; i++)
		cpuset__free(&m->node_cpus[i]);
	free(m->objs);
}

/* The cores of pkg whose first hardware thread is on node ni. */
static int cores_on_node(const struct map_ctx *m, const cJSON *pkg, int ni, int *threads)
{
	const cJSON *core;
	int nr = 0;

	*threads = 1;
	cJSON_ArrayForEach(core, html_array(pkg, "cores")) {
		const cJSON *cpus = html_array(core, "cpus");
		const cJSON *first = cJSON_GetArrayItem(cpus, 0);

		if (!cJSON_IsNumber(first) || !cpuset__has(&m->node_cpus[ni], first->valueint))
			continue;
		nr++;
		if (cJSON_GetArraySize(cpus) > *threads)
			*threads = cJSON_GetArraySize(cpus);
	}
	return nr;
}

#define HT 20                   /* hardware thread cell */
#define NODE_HEAD 22
#define LINE 15

static int core_w(int threads)
{
	return threads * (HT + 1) + 5;
}

static int node_height(int nr_cores, int threads, int width)
{
	int per_row = (width - 12) / (core_w(threads) + 4);
	int rows;

	if (per_row < 1)
		per_row = 1;
	rows = (nr_cores + per_row - 1) / per_row;
	return NODE_HEAD + rows * (HT + 9) + 6 + NODE_MAPPINGS * LINE + 8;
}

static void thread_cell(FILE *out, const struct map_ctx *m, int cpu, int x, int y, int node,
			int core)
{
	double s = cpu >= 0 && cpu < MAX_CPUS ? m->cpu_samples[cpu] : 0;
	double op = m->max_samples > 0 ? 0.06 + 0.94 * s / m->max_samples : 0.06;
	const cJSON *row = cpu >= 0 && cpu < MAX_CPUS ? m->cpu_row[cpu] : NULL;

	fprintf(out, "<g class=\"ht\" data-cpu=\"%d\" data-samples=\"%.0f\"><title>cpu %d (node %d, "
		     "core %d): %.0f samples",
		cpu, s, cpu, node, core, s);
	if (m->total_samples > 0)
		fprintf(out, " (%.1f%% of all)", 100 * s / m->total_samples);
	if (row) {
		fprintf(out, ", %.0f memory samples, remote ", html_num(row, "memory_samples"));
		pct(out, html_num(row, "remote_ratio"));
	}
	fprintf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"2\" "
		     "class=\"run\" fill-opacity=\"%.2f\"/><text x=\"%d\" y=\"%d\" class=\"tiny\" "
		     "text-anchor=\"middle\">%d</text></g>",
		x, y, HT, HT, op, x + HT / 2, y + HT - 4, cpu);
}

/* The data objects with the most pages on node ni, largest first. */
static void node_objects(FILE *out, const struct map_ctx *m, int ni, int x, int y, int w)
{
	int best[NODE_MAPPINGS], nr = 0;
	double max = 0;

	for (int k = 0; k < NODE_MAPPINGS; k++) {
		int b = -1;

		for (int i = 0; i < m->nr_objs; i++) {
			bool taken = false;

			for (int j = 0; j < k && j < nr; j++)
				taken |= best[j] == i;
			if (!taken && m->objs[i].pages[ni] > 0 &&
			    (b < 0 || m->objs[i].pages[ni] > m->objs[b].pages[ni]))
				b = i;
		}
		if (b < 0)
			break;
		best[nr++] = b;
	}
	if (!nr) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"dim small\">no mapped pages seen here"
			     "</text>", x, y + 11);
		return;
	}
	max = m->objs[best[0]].pages[ni];
	for (int k = 0; k < nr; k++) {
		const struct node_data *d = &m->objs[best[k]];
		int bw = (int)(120 * d->pages[ni] / max);

		fprintf(out, "<g class=\"obj\"><title>");
		html__escape(out, d->name);
		fprintf(out, ": %.0f pages on node %d</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			     "height=\"10\" class=\"data\"/><text x=\"%d\" y=\"%d\" class=\"small\">"
			     "%.0f pages ",
			d->pages[ni], (int)html_num(cJSON_GetArrayItem(m->nodes, ni), "id"), x,
			y + k * LINE + 2, bw > 1 ? bw : 1, x + 128, y + k * LINE + 11, d->pages[ni]);
		/* Long paths are cut to fit; the <title> keeps the whole name. */
		{
			size_t len = strlen(d->name), room = (size_t)(w - 230) / 7;
			const char *shown = len > room && room > 3 ? d->name + len - room : d->name;

			if (shown != d->name)
				fputs("…", out);
			html__escape(out, shown);
		}
		fputs("</text></g>", out);
	}
}

static int draw_node(FILE *out, const struct map_ctx *m, const cJSON *pkg, int ni, int x, int y,
		     int w)
{
	const cJSON *node = cJSON_GetArrayItem(m->nodes, ni), *core;
	int threads, nr = pkg ? cores_on_node(m, pkg, ni, &threads) : 0;
	int h = node_height(nr, pkg ? threads : 1, w), cx = x + 8, cy = y + NODE_HEAD;
	int id = (int)html_num(node, "id");
	double mem = html_num(node, "mem_total_kb");

	fprintf(out, "<g class=\"node\" data-node=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
		     "height=\"%d\" rx=\"6\" class=\"box node\"/><text x=\"%d\" y=\"%d\" "
		     "class=\"label\">node %d",
		id, x, y, w, h, x + 8, y + 15, id);
	if (!isnan(mem))
		fprintf(out, " · %.1f GiB", mem / (1024.0 * 1024));
	if (html_str(node, "cpus")) {
		fputs(" · cpus ", out);
		html__escape(out, *html_str(node, "cpus") ? html_str(node, "cpus") : "none");
	}
	fputs("</text>", out);
	if (pkg) {
		int cw = core_w(threads);

		cJSON_ArrayForEach(core, html_array(pkg, "cores")) {
			const cJSON *cpus = html_array(core, "cpus"), *t;
			const cJSON *first = cJSON_GetArrayItem(cpus, 0);
			int tx;

			if (!cJSON_IsNumber(first) ||
			    !cpuset__has(&m->node_cpus[ni], first->valueint))
				continue;
			if (cx + cw > x + w - 4) {
				cx = x + 8;
				cy += HT + 9;
			}
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
				     "class=\"box core\"><title>core %d</title></rect>",
				cx, cy, cw, HT + 6, (int)html_num(core, "id"));
			tx = cx + 3;
			cJSON_ArrayForEach(t, cpus) {
				if (cJSON_IsNumber(t))
					thread_cell(out, m, t->valueint, tx, cy + 3, id,
						    (int)html_num(core, "id"));
				tx += HT + 1;
			}
			cx += cw + 4;
		}
		if (nr)
			cy += HT + 9;
	}
	node_objects(out, m, ni, x + 8, cy + 6, w);
	fputs("</g>", out);
	return h;
}

/* Nodes of pkg: those holding the first CPU of one of its cores. */
static bool node_in_package(const struct map_ctx *m, const cJSON *pkg, int ni)
{
	int threads;

	return cores_on_node(m, pkg, ni, &threads) > 0;
}

static int pkg_node_height(const struct map_ctx *m, const cJSON *pkg, int ni, int w)
{
	int threads, nr = cores_on_node(m, pkg, ni, &threads);

	return node_height(nr, threads, w);
}

void html_draw__machine_map(FILE *out, const cJSON *report)
{
	const cJSON *topo = cJSON_GetObjectItemCaseSensitive(report, "topology");
	const cJSON *pkgs, *pkg;
	bool placed[MAX_NODES] = { false };
	struct map_ctx *m;
	int nr_pkgs, cols, pw, y = 10, row_h = 0, col = 0, height;

	if (!cJSON_IsObject(topo) || !html_array(topo, "nodes"))
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	map_init(m, report, topo);
	pkgs = html_array(topo, "packages");
	nr_pkgs = cJSON_GetArraySize(pkgs);
	cols = nr_pkgs >= 2 ? 2 : 1;
	pw = (MAP_W - 10 * (cols + 1)) / cols;

	fputs("<section id=\"machine\"><h2>Machine map</h2><p class=\"dim\">Packages, nodes, "
	      "cores and hardware threads of the recording machine. Each hardware thread is "
	      "shaded by the target's samples on that CPU (its run time there); each node "
	      "lists the data objects with the most of their pages on it. Hover for "
	      "numbers.</p>\n", out);
	/* The svg element needs its height first: a first pass lays out. */
	height = 10;
	{
		int c = 0, rh = 0;

		cJSON_ArrayForEach(pkg, pkgs) {
			int ph = 30;

			for (int ni = 0; ni < m->nr_nodes; ni++)
				if (node_in_package(m, pkg, ni))
					ph += pkg_node_height(m, pkg, ni, pw - 16) + 8;
			if (ph > rh)
				rh = ph;
			if (++c == cols) {
				height += rh + 10;
				rh = 0;
				c = 0;
			}
		}
		height += rh ? rh + 10 : 0;
		for (int ni = 0; ni < m->nr_nodes; ni++) {
			bool in = false;

			cJSON_ArrayForEach(pkg, pkgs)
				in |= node_in_package(m, pkg, ni);
			if (!in) {
				height += node_height(0, 1, MAP_W - 20) + 8;
			}
		}
	}
	fprintf(out, "<svg class=\"pic\" role=\"img\" aria-label=\"machine map\" viewBox=\"0 0 %d %d\" "
		     "width=\"%d\" height=\"%d\">", MAP_W, height, MAP_W, height);
	cJSON_ArrayForEach(pkg, pkgs) {
		int x = 10 + col * (pw + 10), ph = 30, ny;

		ny = y + 26;
		for (int ni = 0; ni < m->nr_nodes; ni++)
			if (node_in_package(m, pkg, ni))
				ph += pkg_node_height(m, pkg, ni, pw - 16) + 8;
		fprintf(out, "<g class=\"package\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			     "rx=\"8\" class=\"box pkg\"/><text x=\"%d\" y=\"%d\" class=\"label\">"
			     "package %d</text>",
			x, y, pw, ph, x + 10, y + 18, (int)html_num(pkg, "id"));
		for (int ni = 0; ni < m->nr_nodes; ni++) {
			if (!node_in_package(m, pkg, ni))
				continue;
			placed[ni] = true;
			ny += draw_node(out, m, pkg, ni, x + 8, ny, pw - 16) + 8;
		}
		fputs("</g>", out);
		if (ph > row_h)
			row_h = ph;
		if (++col == cols) {
			y += row_h + 10;
			row_h = 0;
			col = 0;
		}
	}
	y += row_h ? row_h + 10 : 0;
	/* Memory-only nodes, or a topology without packages. */
	for (int ni = 0; ni < m->nr_nodes; ni++)
		if (!placed[ni])
			y += draw_node(out, m, NULL, ni, 10, y, MAP_W - 20) + 8;
	fputs("</svg>", out);
	fputs("<p class=\"legend\"><span class=\"sw run\"></span> run time (samples) on the "
	      "hardware thread &nbsp; <span class=\"sw data\"></span> pages of a data object "
	      "on the node</p></section>\n", out);
	map_free(m);
	free(m);
}

/* ---- node matrix ---------------------------------------------------- */

void html_draw__node_matrix(FILE *out, const cJSON *report)
{
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(report, "node_matrix");
	const cJSON *rows = html_array(nm, "cpu_nodes"), *cols = html_array(nm, "mem_nodes");
	const cJSON *counts = html_array(nm, "counts"), *unk = html_array(nm, "remote_node_unknown");
	int nr = cJSON_GetArraySize(rows), nc = cJSON_GetArraySize(cols);
	double total = 0, max = 0, unk_total = 0;
	int cw = 92, ch = 44, x0 = 110, y0 = 40, extra;

	if (!cJSON_IsObject(nm) || !nr || !nc || !counts)
		return;
	for (int r = 0; r < nr; r++) {
		for (int c = 0; c < nc; c++) {
			const cJSON *v = cJSON_GetArrayItem(cJSON_GetArrayItem(counts, r), c);
			double d = cJSON_IsNumber(v) ? v->valuedouble : 0;

			total += d;
			if (d > max)
				max = d;
		}
		if (cJSON_IsNumber(cJSON_GetArrayItem(unk, r)))
			unk_total += cJSON_GetArrayItem(unk, r)->valuedouble;
	}
	extra = unk_total > 0;
	fputs("<section id=\"matrix\"><h2>Node matrix</h2><p class=\"dim\">Memory samples by node "
	      "of the CPU (rows) and home node of the data (columns); the diagonal is local. "
	      "Hover a cell for its shares.</p>\n", out);
	fprintf(out, "<svg class=\"pic\" role=\"img\" aria-label=\"node matrix\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\">",
		x0 + (nc + extra) * cw + 10, y0 + nr * ch + 10, x0 + (nc + extra) * cw + 10,
		y0 + nr * ch + 10);
	fprintf(out, "<text x=\"%d\" y=\"14\" class=\"small dim\">memory node →</text>", x0);
	for (int c = 0; c < nc; c++)
		fprintf(out, "<text x=\"%d\" y=\"32\" text-anchor=\"middle\" class=\"label\">%d</text>",
			x0 + c * cw + cw / 2, (int)cJSON_GetNumberValue(cJSON_GetArrayItem(cols, c)));
	if (extra)
		fprintf(out, "<text x=\"%d\" y=\"32\" text-anchor=\"middle\" class=\"small\">remote, "
			     "unknown</text>", x0 + nc * cw + cw / 2);
	for (int r = 0; r < nr; r++) {
		int rid = (int)cJSON_GetNumberValue(cJSON_GetArrayItem(rows, r));
		const cJSON *row = cJSON_GetArrayItem(counts, r);
		double rsum = 0;

		for (int c = 0; c < nc; c++)
			rsum += cJSON_IsNumber(cJSON_GetArrayItem(row, c)) ?
					cJSON_GetArrayItem(row, c)->valuedouble : 0;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"label\">cpu node %d"
			     "</text>", x0 - 8, y0 + r * ch + ch / 2 + 5, rid);
		for (int c = 0; c < nc + extra; c++) {
			const cJSON *v = c < nc ? cJSON_GetArrayItem(row, c) : cJSON_GetArrayItem(unk, r);
			double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
			int cid = c < nc ? (int)cJSON_GetNumberValue(cJSON_GetArrayItem(cols, c)) : -1;
			bool local = c < nc && cid == rid;
			int x = x0 + c * cw, y = y0 + r * ch;

			fprintf(out, "<g class=\"cell\" data-row=\"%d\" data-col=\"%d\" data-count=\"%.0f\">"
				     "<title>CPUs of node %d, ", rid, cid, d, rid);
			if (c < nc)
				fprintf(out, "memory of node %d", cid);
			else
				fputs("remote memory of unknown node", out);
			fprintf(out, ": %.0f memory samples, ", d);
			pct(out, rsum > 0 && c < nc ? d / rsum : NAN);
			fputs(" of the row, ", out);
			pct(out, total > 0 ? d / total : NAN);
			fprintf(out, " of all (%s)</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				     "class=\"%s\" fill-opacity=\"%.2f\"/><rect x=\"%d\" y=\"%d\" "
				     "width=\"%d\" height=\"%d\" class=\"grid\"/><text x=\"%d\" y=\"%d\" "
				     "text-anchor=\"middle\" class=\"num\">%.0f</text></g>",
				local ? "local" : "remote", x, y, cw, ch, local ? "local" : "remote",
				max > 0 ? 0.08 + 0.85 * d / max : 0.08, x, y, cw, ch, x + cw / 2,
				y + ch / 2 + 5, d);
		}
	}
	fputs("</svg><p class=\"legend\"><span class=\"sw local\"></span> local "
	      "<span class=\"sw remote\"></span> remote; stronger colour = more samples</p></section>\n", out);
}

/* ---- per-process bars ----------------------------------------------- */

struct proc_row {
	const cJSON *p;
	double key;                     /* sort key: exposure, else remote share */
	const char *role;               /* "main", "worker", "other" */
};

static int by_key_desc(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return (int)html_num(x->p, "pid") - (int)html_num(y->p, "pid");
}

static bool listed(const cJSON *procs, double pid)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, procs)
		if (html_num(p, "pid") == pid)
			return true;
	return false;
}

static bool has_children(const cJSON *procs, double pid)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, procs)
		if (html_num(p, "ppid") == pid)
			return true;
	return false;
}

static void bar(FILE *out, const char *cls, double v, int x, int y, int w)
{
	int bw = isnan(v) ? 0 : (int)(w * v + 0.5);

	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" class=\"track\"/>", x, y, w);
	if (bw > 0)
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"6\" class=\"%s\"/>", x, y,
			bw, cls);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"small\">", x + w + 6, y + 6);
	pct(out, v);
	fputs("</text>", out);
}

void html_draw__processes(FILE *out, const cJSON *report)
{
	const cJSON *procs = html_array(report, "processes"), *p;
	int n = cJSON_GetArraySize(procs), i = 0, shown, rh = 20, bw = 380, lx = 360;
	struct proc_row *rows;

	if (!n)
		return;
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return;
	cJSON_ArrayForEach(p, procs) {
		double e = html_num(p, "remote_exposure"), r = html_num(p, "remote_ratio");

		rows[i].p = p;
		rows[i].key = !isnan(e) ? e : !isnan(r) ? r : -1;
		/* The root of the profiled tree has children and no listed parent;
		 * a child of a listed process is a worker. */
		if (listed(procs, html_num(p, "ppid")))
			rows[i].role = "worker";
		else if (has_children(procs, html_num(p, "pid")))
			rows[i].role = "main";
		else
			rows[i].role = "other";
		i++;
	}
	qsort(rows, n, sizeof(*rows), by_key_desc);
	shown = n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
	fputs("<section id=\"procbars\"><h2>Remote share and exposure per process</h2><p "
	      "class=\"dim\">Sorted by exposure (share of the resident pages a process maps on "
	      "nodes other than the ones it ran on), then by sampled remote share.</p>\n", out);
	fprintf(out, "<svg class=\"pic\" role=\"img\" aria-label=\"per-process bars\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\">", MAP_W, 30 + shown * rh, MAP_W,
		30 + shown * rh);
	fprintf(out, "<text x=\"%d\" y=\"16\" class=\"small\">remote share (sampled accesses)"
		     "</text><text x=\"%d\" y=\"16\" class=\"small\">exposure (pages away)</text>",
		lx, lx + bw + 70);
	for (i = 0; i < shown; i++) {
		const cJSON *q = rows[i].p;
		int y = 28 + i * rh;

		fprintf(out, "<g class=\"proc %s\" data-pid=\"%.0f\"><title>pid %.0f (ppid %.0f) ",
			rows[i].role, html_num(q, "pid"), html_num(q, "pid"), html_num(q, "ppid"));
		html__escape(out, html_str(q, "comm"));
		fprintf(out, ", %s: %.0f samples, %.0f memory samples</title>", rows[i].role,
			html_num(q, "samples"), html_num(q, "memory_samples"));
		fprintf(out, "<rect x=\"4\" y=\"%d\" width=\"10\" height=\"10\" rx=\"%d\" class=\"role-%s\"/>",
			y - 1, strcmp(rows[i].role, "main") ? 5 : 0, rows[i].role);
		fprintf(out, "<text x=\"20\" y=\"%d\" class=\"small\">%s %.0f ", y + 8, rows[i].role,
			html_num(q, "pid"));
		html__escape(out, html_str(q, "comm"));
		fputs("</text>", out);
		bar(out, "remote", html_num(q, "remote_ratio"), lx, y + 2, bw);
		bar(out, "expo", html_num(q, "remote_exposure"), lx + bw + 70, y + 2, bw);
		fputs("</g>", out);
	}
	fputs("</svg><p class=\"legend\"><span class=\"sw role-main\"></span> main process (root "
	      "of the tree) <span class=\"sw round role-worker\"></span> worker (child of a listed "
	      "process) <span class=\"sw round role-other\"></span> other</p>", out);
	if (n > shown)
		fprintf(out, "<p class=\"more\">%d more processes not shown (lowest exposure).</p>",
			n - shown);
	fputs("</section>\n", out);
	free(rows);
}

/* ---- timeline ------------------------------------------------------- */

void html_draw__timeline(FILE *out, const cJSON *report)
{
	const cJSON *tl = html_array(report, "timeline"), *s;
	int n = cJSON_GetArraySize(tl), step, buckets, w = MAP_W - 80, h = 160, x0 = 50, y0 = 20;
	double max = 0;

	if (!n)
		return;
	step = (n + w / 2 - 1) / (w / 2);
	buckets = (n + step - 1) / step;
	{
		double acc = 0;
		int k = 0;

		cJSON_ArrayForEach(s, tl) {
			double v = html_num(s, "samples");

			acc += isnan(v) ? 0 : v;
			if (++k % step == 0 || k == n) {
				if (acc > max)
					max = acc;
				acc = 0;
			}
		}
	}
	fputs("<section id=\"timeline\"><h2>Timeline</h2><p class=\"dim\">Samples (grey), memory "
	      "samples (blue) and remote share (line, right axis) over the profile.</p>\n",
	      out);
	fprintf(out, "<svg class=\"pic\" role=\"img\" aria-label=\"timeline\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
		     "height=\"%d\" class=\"grid\"/><text x=\"%d\" y=\"%d\" class=\"small\" "
		     "text-anchor=\"end\">%.0f</text><text x=\"%d\" y=\"%d\" class=\"small\">100%%"
		     "</text>",
		MAP_W, h + 50, MAP_W, h + 50, x0, y0, w, h, x0 - 4, y0 + 8, max, x0 + w + 4, y0 + 8);
	{
		double acc = 0, mem = 0, rem = 0, known = 0;
		int k = 0, b = 0;
		double bwid = (double)w / buckets;

		cJSON_ArrayForEach(s, tl) {
			double v = html_num(s, "samples"), m = html_num(s, "memory_samples");
			double r = html_num(s, "remote_ratio");

			acc += isnan(v) ? 0 : v;
			mem += isnan(m) ? 0 : m;
			if (!isnan(r) && !isnan(m)) {
				rem += r * m;
				known += m;
			}
			if (++k % step && k != n)
				continue;
			{
				double x = x0 + b * bwid, hs = max > 0 ? h * acc / max : 0;
				double hm = max > 0 ? h * mem / max : 0;

				fprintf(out, "<g><title>second %d: %.0f samples, %.0f memory samples, "
					     "remote ", (k - 1) / step * step, acc, mem);
				pct(out, known > 0 ? rem / known : NAN);
				fprintf(out, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
					     "height=\"%.1f\" class=\"allbar\"/><rect x=\"%.1f\" "
					     "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"membar\"/>",
					x, y0 + h - hs, bwid * 0.9, hs, x, y0 + h - hm, bwid * 0.9, hm);
				if (known > 0)
					fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" "
						     "class=\"remdot\"/>",
						x + bwid / 2, y0 + h - h * rem / known);
				fputs("</g>", out);
			}
			acc = mem = rem = known = 0;
			b++;
		}
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"small\">0 s</text><text x=\"%d\" y=\"%d\" "
		     "class=\"small\" text-anchor=\"end\">%d s</text></svg></section>\n",
		x0, y0 + h + 16, x0 + w, y0 + h + 16, n);
}
