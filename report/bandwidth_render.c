/*
 * bandwidth_render.c - memory bandwidth per node.  See bandwidth_render.h.
 */
#include "report/bandwidth_render.h"

#include <cjson/cJSON.h>

#include "samplers/uncore.h"

/* RDT's local/remote split, under the controllers' figures. */
static void rdt_text(FILE *out, const struct nl_rdt_result *r)
{
	if (!r->measured) {
		if (r->why[0])
			fprintf(out, "  local/remote split (RDT): not measured - %s\n", r->why);
		return;
	}
	fprintf(out, "  local/remote split (RDT monitoring, default group, %.1f s)\n"
		"     NODE  L3  TOTAL GB/s  LOCAL GB/s  REMOTE GB/s  REMOTE\n", r->seconds);
	for (int i = 0; i < r->nr_domains; i++) {
		const struct nl_rdt_domain *d = &r->domains[i];
		double remote = d->total_mean > d->local_mean ? d->total_mean - d->local_mean : 0;

		fprintf(out, "  %7d %3d %11.2f %11.2f %12.2f %6.1f%%\n", d->node, d->domain,
			d->total_mean / 1e9, d->local_mean / 1e9, remote / 1e9,
			d->total_mean > 0 ? remote * 100 / d->total_mean : 0);
	}
}

static cJSON *rdt_json(const struct nl_rdt_result *r)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (!o)
		return NULL;
	cJSON_AddBoolToObject(o, "measured", r->measured);
	if (!r->measured) {
		cJSON_AddStringToObject(o, "why", r->why);
		return o;
	}
	cJSON_AddStringToObject(o, "source", "resctrl mon_data, default group");
	cJSON_AddNumberToObject(o, "seconds", r->seconds);
	arr = cJSON_AddArrayToObject(o, "domains");
	for (int i = 0; arr && i < r->nr_domains; i++) {
		const struct nl_rdt_domain *d = &r->domains[i];
		cJSON *x = cJSON_CreateObject();

		if (!x)
			break;
		cJSON_AddNumberToObject(x, "l3_domain", d->domain);
		cJSON_AddNumberToObject(x, "node", d->node);
		cJSON_AddNumberToObject(x, "total_bytes_per_s", d->total_mean);
		cJSON_AddNumberToObject(x, "local_bytes_per_s", d->local_mean);
		cJSON_AddNumberToObject(x, "remote_bytes_per_s",
					d->total_mean > d->local_mean ? d->total_mean - d->local_mean : 0);
		cJSON_AddItemToArray(arr, x);
	}
	return o;
}

void bandwidth_render__text(FILE *out, const struct nl_bandwidth *bw)
{
	if (!bw)
		return;
	if (!bw->measured) {
		fprintf(out, "\nMemory bandwidth: not measured - %s\n", bw->why);
		rdt_text(out, &bw->rdt);
		return;
	}
	if (bw->estimate)
		fprintf(out, "\nMemory bandwidth per node (estimate: %llu sampled DRAM accesses x "
			"period x 64 B over %.1f s; a lower bound, no peaks%s%s)\n"
			"     NODE   READ GB/s  (peak)  WRITE GB/s  (peak)\n",
			(unsigned long long)bw->estimate_samples, bw->seconds,
			bw->why[0] ? "; memory controllers not counted: " : "", bw->why);
	else if (bw->directions_combined)
		fprintf(out, "\nMemory bandwidth per node (data fabric DRAM channels, %.1f s%s; "
			"reads and writes are counted together)\n"
			"     NODE  READ+WRITE GB/s  (peak)\n", bw->seconds,
			bw->multiplexed ? ", counters multiplexed: scaled by enabled/running" : "");
	else
		fprintf(out, "\nMemory bandwidth per node (memory controllers, %.1f s%s)\n"
			"     NODE   READ GB/s  (peak)  WRITE GB/s  (peak)\n", bw->seconds,
			bw->multiplexed ? ", counters multiplexed: scaled by enabled/running" : "");
	for (int n = 0; n < bw->nr_nodes && bw->directions_combined && !bw->estimate; n++)
		fprintf(out, "  %7d %16.2f %7.2f\n", bw->nodes[n].node, bw->nodes[n].read_mean / 1e9,
			bw->nodes[n].read_peak / 1e9);
	for (int n = 0; n < bw->nr_nodes && !(bw->directions_combined && !bw->estimate); n++)
		fprintf(out, "  %7d %11.2f %7.2f %11.2f %7.2f\n", bw->nodes[n].node,
			bw->nodes[n].read_mean / 1e9, bw->nodes[n].read_peak / 1e9,
			bw->nodes[n].write_mean / 1e9, bw->nodes[n].write_peak / 1e9);
	rdt_text(out, &bw->rdt);
}

struct cJSON *bandwidth_render__json(const struct nl_bandwidth *bw)
{
	cJSON *o, *nodes, *series;

	if (!bw)
		return cJSON_CreateNull();
	if (!(o = cJSON_CreateObject()))
		return NULL;
	cJSON_AddBoolToObject(o, "measured", bw->measured);
	cJSON_AddItemToObject(o, "rdt", rdt_json(&bw->rdt));
	if (!bw->measured) {
		cJSON_AddStringToObject(o, "why", bw->why);
		return o;
	}
	cJSON_AddBoolToObject(o, "estimate", bw->estimate);
	if (bw->estimate) {
		cJSON_AddStringToObject(o, "source", "estimate: sampled DRAM accesses x period x 64 B");
		cJSON_AddNumberToObject(o, "estimate_samples", (double)bw->estimate_samples);
		cJSON_AddNumberToObject(o, "estimate_unplaced", (double)bw->estimate_unplaced);
		if (bw->why[0])
			cJSON_AddStringToObject(o, "why", bw->why);
	} else {
		cJSON_AddStringToObject(o, "source", "memory controllers (uncore)");
	}
	cJSON_AddNumberToObject(o, "seconds", bw->seconds);
	cJSON_AddBoolToObject(o, "multiplexed", bw->multiplexed);
	cJSON_AddBoolToObject(o, "directions_combined", bw->directions_combined);
	nodes = cJSON_AddArrayToObject(o, "nodes");
	for (int n = 0; nodes && n < bw->nr_nodes; n++) {
		cJSON *x = cJSON_CreateObject();

		if (!x)
			break;
		cJSON_AddNumberToObject(x, "node", bw->nodes[n].node);
		cJSON_AddNumberToObject(x, "read_bytes_per_s", bw->nodes[n].read_mean);
		cJSON_AddNumberToObject(x, "write_bytes_per_s", bw->nodes[n].write_mean);
		cJSON_AddNumberToObject(x, "read_peak_bytes_per_s", bw->nodes[n].read_peak);
		cJSON_AddNumberToObject(x, "write_peak_bytes_per_s", bw->nodes[n].write_peak);
		cJSON_AddItemToArray(nodes, x);
	}
	/* per second, bytes/s read + write, one array per tick indexed like nodes */
	series = cJSON_AddArrayToObject(o, "per_second");
	for (int t = 0; series && bw->series && t < bw->nr_ticks; t++) {
		cJSON *row = cJSON_CreateArray();

		for (int n = 0; row && n < bw->nr_nodes; n++)
			cJSON_AddItemToArray(row, cJSON_CreateNumber(bw->series[t][n]));
		if (row)
			cJSON_AddItemToArray(series, row);
	}
	return o;
}
