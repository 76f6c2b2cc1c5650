/*
 * html.h - the HTML renderer: one self-contained page (inline CSS, SVG and
 * a little vanilla JS, no external fonts, scripts or requests) drawn from a
 * JSON report document (schema numalens.report/1, report_json__build or a
 * saved --json file), not from the aggregate, so old reports and CI
 * artifacts render too.
 *
 * Promises: every section is drawn only when its key is present (a report
 * from an older numalens renders without the newer sections); every string
 * of the report goes through html__escape (markup characters as entities,
 * invalid UTF-8 bytes as the literal text \xNN), so a hostile comm, path or
 * symbol is shown, never interpreted; tables are capped (HTML_MAX_ROWS)
 * and say how many rows were left out, so the page stays small (a
 * 90-worker report is well under 2 MB).  The page reads without JS; JS only
 * sorts tables and adds copy buttons.  It does not analyse: every number
 * drawn is a number of the report (shares are count / total of the same
 * picture).
 */
#ifndef NUMALENS_HTML_H
#define NUMALENS_HTML_H

#include <stdio.h>

#include "samplers/base/diag.h"

struct cJSON;

/* Rows kept in each table and per-process picture. */
#define HTML_MAX_ROWS 50

/*
 * Writes the page for report to out.  Returns 0; -EINVAL (nothing written)
 * when report is not an object of schema numalens.report/1; or -errno
 * (-EIO when errno says nothing) when writing failed.
 */
int html__write(FILE *out, const struct cJSON *report);

/*
 * html__write to path ("-" = stdout; a file is created through
 * outfile__fopen: a symbolic link is refused).  0, or -errno with err
 * filled (cause and fix; the object is the caller's to name).
 */
int html__write_file(const char *path, const struct cJSON *report, struct nl_error *err);

/*
 * Writes s as HTML text, safe in element content and in quoted attribute
 * values: & < > " ' as entities, valid UTF-8 unchanged, any other byte
 * (invalid UTF-8, control characters) as the four characters \xNN.
 * NULL writes "-".
 */
void html__escape(FILE *out, const char *s);

#endif
