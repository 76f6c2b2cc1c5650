/*
 * html.c - the HTML report page: head (CSS, JS), summary, tables, notes;
 * the pictures are html_draw.c.  See html.h for the promises.
 *
 * The page has exactly one <script> (ours) and no URL: everything the
 * browser needs is inline, so the file opens from a CI artifact offline.
 */
#include "report/html.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_draw.h"
#include "report/report.h"
#include "samplers/base/outfile.h"

/* ---- escaping ------------------------------------------------------- */

static bool cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 when invalid. */
static int utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return cont(p[1]) ? 2 : 0;
	if (c == 0xE0)
		return p[1] >= 0xA0 && p[1] <= 0xBF && cont(p[2]) ? 3 : 0;
	if (c == 0xED)  /* no surrogates */
		return p[1] >= 0x80 && p[1] <= 0x9F && cont(p[2]) ? 3 : 0;
	if (c >= 0xE1 && c <= 0xEF)
		return cont(p[1]) && cont(p[2]) ? 3 : 0;
	if (c == 0xF0)
		return p[1] >= 0x90 && p[1] <= 0xBF && cont(p[2]) && cont(p[3]) ? 4 : 0;
	if (c >= 0xF1 && c <= 0xF3)
		return cont(p[1]) && cont(p[2]) && cont(p[3]) ? 4 : 0;
	if (c == 0xF4)
		return p[1] >= 0x80 && p[1] <= 0x8F && cont(p[2]) && cont(p[3]) ? 4 : 0;
	return 0;
}

void html__escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputc('-', out);
		return;
	}
	while (*p) {
		int n = utf8_len(p);

		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (!n || *p < 0x20 || *p == 0x7F)
				fprintf(out, "\\x%02X", *p);
			else
				fputc(*p, out);
		}
		p++;
	}
}

/* ---- head ------------------------------------------------------------ */

static const char css[] =
	":root{--bg:#fff;--fg:#1d2430;--dim:#5f6b7a;--box:#f3f5f8;--line:#c9d0da;"
	"--run:#e8590c;--data:#1c7ed6;--local:#1c7ed6;--remote:#e8590c;--expo:#ae3ec9;"
	"--main:#2b8a3e;--worker:#e8590c;--other:#868e96;--track:#e9ecef}"
	"@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e3e7ee;--dim:#9aa5b4;"
	"--box:#1e232b;--line:#3a4250;--track:#2a3038;--data:#4dabf7;--local:#4dabf7}}"
	"body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,sans-serif;"
	"margin:0 auto;max-width:1260px;padding:12px 10px 40px}"
	"h1{font-size:22px;margin:6px 0}h2{font-size:17px;margin:26px 0 6px;"
	"border-bottom:1px solid var(--line);padding-bottom:3px}"
	"nav a{margin-right:12px;color:var(--data)}"
	".dim{color:var(--dim)}.more{color:var(--dim);font-style:italic}"
	".kpi{display:inline-block;background:var(--box);border:1px solid var(--line);"
	"border-radius:6px;padding:6px 12px;margin:4px 8px 4px 0}.kpi b{font-size:18px;display:block}"
	"table{border-collapse:collapse;margin:4px 0;font-size:13px}"
	"th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;"
	"vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"th{background:var(--box);position:sticky;top:0}table.sortable th{cursor:pointer}"
	"td{white-space:nowrap}td.path{white-space:normal;word-break:break-all;max-width:520px}"
	"svg.pic{display:block;max-width:100%;height:auto;font-family:system-ui,sans-serif}"
	"svg text{fill:var(--fg);font-size:12px}svg .small{font-size:11px}"
	"svg .tiny{font-size:9px}svg .label{font-size:13px;font-weight:600}"
	"svg .num{font-size:14px;font-weight:600}svg .dim{fill:var(--dim)}"
	".box{fill:var(--box);stroke:var(--line)}.box.node{fill:var(--bg)}"
	".run{fill:var(--run)}.data{fill:var(--data)}.local{fill:var(--local)}"
	".remote{fill:var(--remote)}.expo{fill:var(--expo)}.track{fill:var(--track)}"
	".grid{fill:none;stroke:var(--line)}.allbar{fill:var(--other);fill-opacity:.5}"
	".membar{fill:var(--data)}.remdot{fill:var(--remote)}"
	".role-main{fill:var(--main)}.role-worker{fill:var(--worker)}.role-other{fill:var(--other)}"
	".legend{font-size:12px;color:var(--dim)}.sw{display:inline-block;width:11px;"
	"height:11px;vertical-align:-1px;margin:0 3px 0 8px}.sw.round{border-radius:6px}"
	"span.sw.run,span.sw.remote{background:var(--remote)}span.sw.data,span.sw.local"
	"{background:var(--data)}span.sw.role-main{background:var(--main)}"
	"span.sw.role-worker{background:var(--worker)}span.sw.role-other{background:var(--other)}"
	"code{background:var(--box);border:1px solid var(--line);border-radius:4px;"
	"padding:0 4px;font-size:12.5px}button.copy{font-size:11px;margin-left:4px;"
	"padding:0 6px;cursor:pointer}ul.notes li{margin:4px 0}";

/* Sorting (click a header; numbers by data-v) and copy buttons.  Nothing
 * here is needed to read the page. */
static const char js[] =
	"(function(){"
	"function val(td){var v=td.getAttribute('data-v');return v===null?td.textContent:"
	"parseFloat(v);}"
	"document.querySelectorAll('table.sortable').forEach(function(t){"
	"t.querySelectorAll('th').forEach(function(th,i){th.title='sort';"
	"th.addEventListener('click',function(){var b=t.tBodies[0],"
	"r=Array.prototype.slice.call(b.rows),d=th.getAttribute('data-d')==='1'?-1:1;"
	"th.setAttribute('data-d',d===1?'1':'0');r.sort(function(x,y){var a=val(x.cells[i]),"
	"c=val(y.cells[i]);if(typeof a==='number'&&typeof c==='number'){"
	"if(isNaN(a))return 1;if(isNaN(c))return -1;return d*(c-a);}"
	"return d*String(a).localeCompare(String(c));});"
	"r.forEach(function(x){b.appendChild(x);});});});});"
	"document.querySelectorAll('code.cmd').forEach(function(c){"
	"var b=document.createElement('button');b.className='copy';b.type='button';"
	"b.textContent='copy';b.addEventListener('click',function(){var t=c.textContent;"
	"function sel(){var g=document.createRange();g.selectNodeContents(c);"
	"var s=window.getSelection();s.removeAllRanges();s.addRange(g);"
	"try{document.execCommand('copy');b.textContent='copied';}catch(e){b.textContent="
	"'select + copy';}}"
	"if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard."
	"writeText(t).then(function(){b.textContent='copied';},sel);}else sel();});"
	"c.parentNode.insertBefore(b,c.nextSibling);});"
	"})();";

/* ---- numbers and tables ---------------------------------------------- */

static void pct(FILE *out, double v)
{
	if (isnan(v))
		fputs("-", out);
	else
		fprintf(out, "%.1f%%", v * 100);
}

enum col_fmt {
	COL_INT,        /* integer count */
	COL_PCT,        /* ratio as a percentage */
	COL_SEC,        /* seconds */
	COL_NUM,        /* number, 2 decimals */
	COL_MBPS,       /* bytes per second, as MB/s */
	COL_STR,        /* string */
	COL_PATH,       /* string that may be long (a path) */
	COL_FILELINE,   /* key "file" and the row's "line" */
	COL_NODES,      /* nodes_ran [{node, share}] or pages_by_node {"0": n} */
};

struct col {
	const char *key;
	const char *label;
	enum col_fmt fmt;
};

static void cell(FILE *out, const cJSON *row, const struct col *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->key), *e;

	switch (c->fmt) {
	case COL_INT: case COL_PCT: case COL_SEC: case COL_NUM: case COL_MBPS:
		if (!cJSON_IsNumber(v)) {
			fputs("<td class=\"n\" data-v=\"NaN\">-</td>", out);
			return;
		}
		fprintf(out, "<td class=\"n\" data-v=\"%.15g\">", v->valuedouble);
		if (c->fmt == COL_INT)
			fprintf(out, "%.0f", v->valuedouble);
		else if (c->fmt == COL_PCT)
			pct(out, v->valuedouble);
		else if (c->fmt == COL_SEC)
			fprintf(out, "%.2f s", v->valuedouble);
		else if (c->fmt == COL_MBPS)
			fprintf(out, "%.1f MB/s", v->valuedouble / 1e6);
		else
			fprintf(out, "%.2f", v->valuedouble);
		fputs("</td>", out);
		return;
	case COL_STR: case COL_PATH:
		fputs(c->fmt == COL_PATH ? "<td class=\"path\">" : "<td>", out);
		if (cJSON_IsString(v))
			html__escape(out, v->valuestring);
		else if (cJSON_IsBool(v))
			fputs(cJSON_IsTrue(v) ? "yes" : "no", out);
		else
			fputs("-", out);
		fputs("</td>", out);
		return;
	case COL_FILELINE:
		fputs("<td class=\"path\">", out);
		html__escape(out, cJSON_GetStringValue(v));
		if (!isnan(html_num(row, "line")))
			fprintf(out, ":%.0f", html_num(row, "line"));
		fputs("</td>", out);
		return;
	case COL_NODES:
		fputs("<td>", out);
		if (cJSON_IsArray(v))
			cJSON_ArrayForEach(e, v) {
				fprintf(out, "%.0f:", html_num(e, "node"));
				pct(out, html_num(e, "share"));
				fputc(' ', out);
			}
		else if (cJSON_IsObject(v))
			cJSON_ArrayForEach(e, v) {
				fputs("node ", out);
				html__escape(out, e->string);
				fprintf(out, ": %.0f ", cJSON_GetNumberValue(e));
			}
		fputs("</td>", out);
		return;
	}
}

static void table_head(FILE *out, const struct col *cols, int nr)
{
	fputs("<table class=\"sortable\"><thead><tr>", out);
	for (int i = 0; i < nr; i++) {
		fputs("<th>", out);
		html__escape(out, cols[i].label);
		fputs("</th>", out);
	}
	fputs("</tr></thead><tbody>\n", out);
}

/* The first HTML_MAX_ROWS rows of arr (in the report's order) as a table. */
static void table(FILE *out, const cJSON *arr, const struct col *cols, int nr, const char *what)
{
	const cJSON *row;
	int n = 0, total = cJSON_GetArraySize(arr);

	table_head(out, cols, nr);
	cJSON_ArrayForEach(row, arr) {
		if (n++ == HTML_MAX_ROWS)
			break;
		fputs("<tr>", out);
		for (int i = 0; i < nr; i++)
			cell(out, row, &cols[i]);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>", out);
	if (total > HTML_MAX_ROWS)
		fprintf(out, "<p class=\"more\">%d more %s not shown (see the JSON report).</p>",
			total - HTML_MAX_ROWS, what);
}

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- sections --------------------------------------------------------- */

static void kpi(FILE *out, const char *label, const cJSON *o, const char *key, bool ratio)
{
	double v = html_num(o, key);

	if (isnan(v) && !ratio)
		return;
	fprintf(out, "<span class=\"kpi\" data-key=\"%s\"><b>", key);
	if (ratio)
		pct(out, v);
	else
		fprintf(out, "%.0f", v);
	fprintf(out, "</b>%s</span>", label);
}

static void header(FILE *out, const cJSON *r)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(r, "source");
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(r, "summary");
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(r, "generator");
	const char *file = html_str(src, "file");

	fputs("<h1>numalens report", out);
	if (file) {
		fputs(": ", out);
		html__escape(out, file);
	}
	fputs("</h1><p class=\"dim\">", out);
	if (html_str(src, "hostname")) {
		fputs("recorded on ", out);
		html__escape(out, html_str(src, "hostname"));
		fputs(" (", out);
		html__escape(out, html_str(src, "cpudesc"));
		fputs("), Linux ", out);
		html__escape(out, html_str(src, "os_release"));
		fputs(" · ", out);
	}
	fputs("by ", out);
	html__escape(out, html_str(gen, "name"));
	fputc(' ', out);
	html__escape(out, html_str(gen, "version"));
	fputc(' ', out);
	html__escape(out, html_str(gen, "command"));
	fputs("</p><nav>", out);
	/* Links only to the sections this report has (the key each is drawn from). */
	static const char *const links[][3] = {
		{ "machine", "machine map", "topology" }, { "matrix", "node matrix", "node_matrix" },
		{ "procbars", "processes", "processes" }, { "timeline", "timeline", "timeline" },
		{ "functions", "functions", "functions" }, { "lines", "lines", "lines" },
		{ "mappings", "data objects", "processes" }, { "smt", "HT contention", "smt" },
		{ "counters", "node counters", "node_counters" },
		{ "bandwidth", "bandwidth", "bandwidth" }, { "advice", "advice", "notes" },
		{ "notmeasured", "not measured", "notes" }, { "losses", "losses", "summary" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, links[i][2]);

		if (v && !cJSON_IsNull(v))
			fprintf(out, "<a href=\"#%s\">%s</a>", links[i][0], links[i][1]);
	}
	fputs("</nav><section id=\"summary\"><h2>Summary</h2>", out);
	kpi(out, "remote share of resolved memory samples", sum, "remote_ratio", true);
	kpi(out, "samples", sum, "samples", false);
	kpi(out, "memory samples", sum, "memory_samples", false);
	kpi(out, "remote", sum, "remote", false);
	kpi(out, "local", sum, "local", false);
	kpi(out, "lost", sum, "lost", false);
	kpi(out, "throttled", sum, "throttled", false);
	fputs("</section>\n", out);
}

static void process_table(FILE *out, const cJSON *r)
{
	static const struct col cols[] = {
		{ "pid", "PID", COL_INT }, { "ppid", "PPID", COL_INT }, { "comm", "COMM", COL_STR },
		{ "threads", "THREADS", COL_INT }, { "samples", "SAMPLES", COL_INT },
		{ "memory_samples", "MEMORY", COL_INT }, { "remote_ratio", "REMOTE", COL_PCT },
		{ "remote_exposure", "EXPOSURE", COL_PCT }, { "nodes_ran", "NODES RAN", COL_NODES },
	};
	const cJSON *procs = html_array(r, "processes");

	if (!procs)
		return;
	fputs("<section id=\"processes\"><h2>Processes</h2>", out);
	table(out, procs, cols, NCOLS(cols), "processes");
	fputs("</section>\n", out);
}

static void code_tables(FILE *out, const cJSON *r)
{
	static const struct col fcols[] = {
		{ "function", "FUNCTION", COL_STR }, { "dso", "DSO", COL_PATH },
		{ "kind", "KIND", COL_STR }, { "samples", "SAMPLES", COL_INT },
		{ "memory_samples", "MEMORY", COL_INT }, { "remote", "REMOTE", COL_INT },
		{ "remote_ratio", "REMOTE %", COL_PCT }, { "top_mapping", "TOP DATA", COL_PATH },
	};
	static const struct col lcols[] = {
		{ "file", "LINE", COL_FILELINE }, { "function", "FUNCTION", COL_STR },
		{ "inlined_into", "INLINED INTO", COL_STR }, { "kind", "KIND", COL_STR },
		{ "memory_samples", "MEMORY", COL_INT }, { "remote", "REMOTE", COL_INT },
		{ "remote_ratio", "REMOTE %", COL_PCT }, { "top_mapping", "TOP DATA", COL_PATH },
	};
	const cJSON *f = html_array(r, "functions"), *l = html_array(r, "lines");

	if (f) {
		fputs("<section id=\"functions\"><h2>Top functions</h2>", out);
		table(out, f, fcols, NCOLS(fcols), "functions");
		fputs("</section>\n", out);
	}
	if (l) {
		fputs("<section id=\"lines\"><h2>Top source lines</h2>", out);
		table(out, l, lcols, NCOLS(lcols), "lines");
		fputs("</section>\n", out);
	}
}

struct map_row {
	const cJSON *proc, *map;
	double remote;
};

static int by_remote_desc(const void *a, const void *b)
{
	const struct map_row *x = a, *y = b;

	return x->remote < y->remote ? 1 : x->remote > y->remote ? -1 : 0;
}

/* Data objects: every process's mappings, most remote pages first. */
static void mapping_table(FILE *out, const cJSON *r)
{
	static const struct col mcols[] = {
		{ "pages", "PAGES", COL_INT }, { "remote_pages", "REMOTE PAGES", COL_INT },
		{ "pages_by_node", "PAGES BY NODE", COL_NODES }, { "name", "MAPPING", COL_PATH },
	};
	const cJSON *p, *m, *procs = html_array(r, "processes");
	struct map_row *rows = NULL;
	int n = 0, cap = 0;

	cJSON_ArrayForEach(p, procs)
		cJSON_ArrayForEach(m, html_array(p, "mappings")) {
			if (n == cap) {
				int ncap = cap ? 2 * cap : 256;
				struct map_row *nr = realloc(rows, ncap * sizeof(*nr));

				if (!nr)
					goto out;
				rows = nr;
				cap = ncap;
			}
			rows[n].proc = p;
			rows[n].map = m;
			rows[n].remote = isnan(html_num(m, "remote_pages")) ? 0 :
					 html_num(m, "remote_pages");
			n++;
		}
	if (!n)
		goto out;
	qsort(rows, n, sizeof(*rows), by_remote_desc);
	fputs("<section id=\"mappings\"><h2>Data objects (mappings) with the most pages away "
	      "from their readers</h2><table class=\"sortable\"><thead><tr><th>PID</th>"
	      "<th>COMM</th>", out);
	for (int i = 0; i < NCOLS(mcols); i++)
		fprintf(out, "<th>%s</th>", mcols[i].label);
	fputs("</tr></thead><tbody>\n", out);
	for (int i = 0; i < n && i < HTML_MAX_ROWS; i++) {
		fprintf(out, "<tr><td class=\"n\" data-v=\"%.0f\">%.0f</td><td>",
			html_num(rows[i].proc, "pid"), html_num(rows[i].proc, "pid"));
		html__escape(out, html_str(rows[i].proc, "comm"));
		fputs("</td>", out);
		for (int c = 0; c < NCOLS(mcols); c++)
			cell(out, rows[i].map, &mcols[c]);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>", out);
	if (n > HTML_MAX_ROWS)
		fprintf(out, "<p class=\"more\">%d more mappings not shown (fewer remote pages).</p>",
			n - HTML_MAX_ROWS);
	fputs("</section>\n", out);
out:
	free(rows);
}

static void smt_section(FILE *out, const cJSON *r)
{
	static const struct col tcols[] = {
		{ "pid", "PID", COL_INT }, { "tid", "TID", COL_INT }, { "comm", "COMM", COL_STR },
		{ "run_s", "RUN", COL_SEC }, { "shared_s", "SHARED CORE", COL_SEC },
		{ "shared_ratio", "SHARED %", COL_PCT },
	};
	static const struct col pcols[] = {
		{ "pid_a", "PID A", COL_INT }, { "tid_a", "TID A", COL_INT },
		{ "pid_b", "PID B", COL_INT }, { "tid_b", "TID B", COL_INT },
		{ "cpu", "CORE (FIRST CPU)", COL_INT }, { "corun_s", "CO-RUN", COL_SEC },
		{ "ratio", "CO-RUN %", COL_PCT },
	};
	const cJSON *smt = cJSON_GetObjectItemCaseSensitive(r, "smt");

	if (!cJSON_IsObject(smt))
		return;
	fputs("<section id=\"smt\"><h2>HT (SMT) contention</h2><p>", out);
	fprintf(out, "%.0f busy tasks, %.0f of them shared a core at least half the time; "
		     "%.2f s with every thread of a core busy, %.2f s of it while another core "
		     "of the node was idle.",
		html_num(smt, "busy_tasks"), html_num(smt, "busy_tasks_shared_half"),
		html_num(smt, "double_busy_s"), html_num(smt, "misplaced_s"));
	if (html_str(smt, "one_thread_per_core") && *html_str(smt, "one_thread_per_core")) {
		fputs(" One thread per core: <code class=\"cmd\">taskset -c ", out);
		html__escape(out, html_str(smt, "one_thread_per_core"));
		fputs(" CMD</code>", out);
	}
	fputs("</p>", out);
	if (cJSON_GetArraySize(html_array(smt, "tasks"))) {
		fputs("<h3>Tasks</h3>", out);
		table(out, html_array(smt, "tasks"), tcols, NCOLS(tcols), "tasks");
	}
	if (cJSON_GetArraySize(html_array(smt, "pairs"))) {
		fputs("<h3>Pairs on one core</h3>", out);
		table(out, html_array(smt, "pairs"), pcols, NCOLS(pcols), "pairs");
	}
	fputs("</section>\n", out);
}

static void bandwidth_section(FILE *out, const cJSON *r)
{
	static const struct col cols[] = {
		{ "node", "NODE", COL_INT }, { "read_bytes_per_s", "READ", COL_MBPS },
		{ "write_bytes_per_s", "WRITE", COL_MBPS },
		{ "read_peak_bytes_per_s", "READ PEAK", COL_MBPS },
		{ "write_peak_bytes_per_s", "WRITE PEAK", COL_MBPS },
	};
	const cJSON *bw = cJSON_GetObjectItemCaseSensitive(r, "bandwidth");

	if (!cJSON_IsObject(bw))
		return;
	fputs("<section id=\"bandwidth\"><h2>Memory bandwidth per node</h2>", out);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bw, "measured"))) {
		fputs("<p>Not measured: ", out);
		html__escape(out, html_str(bw, "why"));
		fputs("</p>", out);
	} else if (html_array(bw, "nodes")) {
		table(out, html_array(bw, "nodes"), cols, NCOLS(cols), "nodes");
	}
	fputs("</section>\n", out);
}

static void counters_section(FILE *out, const cJSON *r)
{
	static const struct col cols[] = {
		{ "pid", "PID", COL_INT }, { "comm", "COMM", COL_STR },
		{ "loads", "NODE LOADS", COL_INT }, { "remote_loads", "REMOTE LOADS", COL_INT },
		{ "miss_ratio", "MISS %", COL_PCT }, { "loads_per_second", "LOADS/S", COL_INT },
		{ "stores", "STORES", COL_INT }, { "store_miss_ratio", "STORE MISS %", COL_PCT },
		{ "scaling", "SCALING", COL_NUM }, { "sampled_remote_ratio", "SAMPLED REMOTE", COL_PCT },
		{ "agreement", "AGREE", COL_STR },
	};
	const cJSON *nc = cJSON_GetObjectItemCaseSensitive(r, "node_counters");

	if (!cJSON_IsObject(nc))
		return;
	fputs("<section id=\"counters\"><h2>Node counters</h2>", out);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nc, "available"))) {
		fputs("<p>Not counted: ", out);
		html__escape(out, html_str(nc, "note"));
		fputs("</p></section>\n", out);
		return;
	}
	if (html_array(nc, "processes"))
		table(out, html_array(nc, "processes"), cols, NCOLS(cols), "processes");
	fputs("</section>\n", out);
}

/* Is s[i..] the start of a command line the advice tells to run? */
static size_t command_at(const char *s, size_t i)
{
	static const char *const tools[] = { "numactl ", "taskset ", "migratepages ",
					     "numalens ", "perf ", "chrt " };
	size_t end;

	if (i && s[i - 1] != ' ' && s[i - 1] != '(' && s[i - 1] != '\'')
		return 0;
	for (size_t t = 0; t < sizeof(tools) / sizeof(tools[0]); t++) {
		if (strncmp(s + i, tools[t], strlen(tools[t])))
			continue;
		/* It ends at a closing parenthesis, quote, comma or ", or". */
		for (end = i; s[end] && s[end] != ')' && s[end] != ',' && s[end] != ';' &&
			      s[end] != '\''; end++)
			;
		while (end > i && s[end - 1] == ' ')
			end--;
		return end - i;
	}
	return 0;
}

/* Advice text, each command in it as <code class="cmd"> (JS adds a copy button). */
static void advice_text(FILE *out, const char *s)
{
	size_t i = 0, from = 0, len;
	char *buf = strdup(s);

	if (!buf) {
		html__escape(out, s);
		return;
	}
	while (buf[i]) {
		len = command_at(buf, i);
		if (!len) {
			i++;
			continue;
		}
		buf[i] = '\0';
		html__escape(out, buf + from);
		buf[i] = s[i];
		{
			char c = buf[i + len];

			buf[i + len] = '\0';
			fputs("<code class=\"cmd\">", out);
			html__escape(out, buf + i);
			fputs("</code>", out);
			buf[i + len] = c;
		}
		i += len;
		from = i;
	}
	html__escape(out, buf + from);
	free(buf);
}

static void notes_of(FILE *out, const cJSON *notes, const char *kind, bool advice)
{
	const cJSON *n;

	fputs("<ul class=\"notes\">", out);
	cJSON_ArrayForEach(n, notes) {
		const char *k = html_str(n, "kind");

		if (!k || strcmp(k, kind))
			continue;
		fprintf(out, "<li class=\"note-%s\">", kind);
		if (advice)
			advice_text(out, html_str(n, "text") ? html_str(n, "text") : "-");
		else
			html__escape(out, html_str(n, "text"));
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

static int count_kind(const cJSON *notes, const char *kind)
{
	const cJSON *n;
	int nr = 0;

	cJSON_ArrayForEach(n, notes)
		nr += html_str(n, "kind") && !strcmp(html_str(n, "kind"), kind);
	return nr;
}

static void notes_sections(FILE *out, const cJSON *r)
{
	const cJSON *notes = html_array(r, "notes");
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(r, "summary");
	const cJSON *parse = cJSON_GetObjectItemCaseSensitive(r, "parse");
	static const char *const losses[][2] = {
		{ "lost", "lost samples" }, { "throttled", "throttle events" },
		{ "bad_records", "malformed records" }, { "unknown_records", "unknown records" },
		{ "unresolved", "memory samples whose locality was not resolved" },
	};

	if (count_kind(notes, "advice")) {
		fputs("<section id=\"advice\"><h2>Advice</h2>", out);
		notes_of(out, notes, "advice", true);
		fputs("</section>\n", out);
	}
	if (count_kind(notes, "not_measured")) {
		fputs("<section id=\"notmeasured\"><h2>Not measured, and why</h2>", out);
		notes_of(out, notes, "not_measured", false);
		fputs("</section>\n", out);
	}
	if (count_kind(notes, "info")) {
		fputs("<section id=\"info\"><h2>Notes</h2>", out);
		notes_of(out, notes, "info", false);
		fputs("</section>\n", out);
	}
	fputs("<section id=\"losses\"><h2>Losses</h2><table><tbody>", out);
	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++)
		if (!isnan(html_num(sum, losses[i][0])))
			fprintf(out, "<tr><td>%s</td><td class=\"n\" data-key=\"%s\">%.0f</td></tr>",
				losses[i][1], losses[i][0], html_num(sum, losses[i][0]));
	fputs("</tbody></table>", out);
	if (html_str(parse, "reason")) {
		fprintf(out, "<p>Parsing stopped at byte %.0f: ", html_num(parse, "stopped_at"));
		html__escape(out, html_str(parse, "reason"));
		fputs("</p>", out);
	}
	notes_of(out, notes, "loss", false);
	notes_of(out, notes, "damage", false);
	fputs("</section>\n", out);
}

/* ---- the page --------------------------------------------------------- */

int html__write(FILE *out, const cJSON *report)
{
	const char *schema = html_str(report, "schema");
	const char *file;

	if (!cJSON_IsObject(report) || !schema || strcmp(schema, NL_REPORT_SCHEMA))
		return -EINVAL;
	file = html_str(cJSON_GetObjectItemCaseSensitive(report, "source"), "file");
	errno = 0;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<meta name=\"color-scheme\" content=\"light dark\"><title>numalens report", out);
	if (file) {
		fputs(": ", out);
		html__escape(out, file);
	}
	fprintf(out, "</title><style>%s</style></head><body>\n", css);
	header(out, report);
	html_draw__machine_map(out, report);
	html_draw__node_matrix(out, report);
	html_draw__processes(out, report);
	html_draw__timeline(out, report);
	process_table(out, report);
	code_tables(out, report);
	mapping_table(out, report);
	smt_section(out, report);
	counters_section(out, report);
	bandwidth_section(out, report);
	notes_sections(out, report);
	fprintf(out, "<p class=\"dim\">schema %s · one self-contained file, no network "
		     "access.</p><script>%s</script></body></html>\n", NL_REPORT_SCHEMA, js);
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

int html__write_file(const char *path, const cJSON *report, struct nl_error *err)
{
	bool to_stdout = !strcmp(path, "-");
	const char *schema = html_str(report, "schema");
	FILE *f;
	int ret;

	if (!schema || strcmp(schema, NL_REPORT_SCHEMA))
		return diag__set(err, -EINVAL,
				 "give the output of 'numalens report --json' (schema "
				 NL_REPORT_SCHEMA ")",
				 "schema is '%s', not " NL_REPORT_SCHEMA, schema ? schema : "none");
	errno = 0;
	f = to_stdout ? stdout : outfile__fopen(path, 0);
	if (!f) {
		ret = -(errno ? errno : EIO);
		return diag__set(err, ret, "check the directory exists and is writable",
				 "cannot create: %s", outfile__strerror(ret));
	}
	ret = html__write(f, report);
	if (!to_stdout && fclose(f) && !ret)
		ret = errno ? -errno : -EIO;
	if (ret)
		return diag__set(err, ret, "free space on the target or choose another --html path",
				 "write: %s", strerror(-ret));
	return 0;
}
