/*
 * bwestimate.c - bandwidth from sampled DRAM accesses.  See bwestimate.h.
 */
#include "profiler/bwestimate.h"

#include <string.h>

#include "profiler/datasrc.h"
#include "samplers/base/topology.h"
#include "samplers/sample.h"

void bwestimate__init(struct nl_bwestimate *e, const struct nl_topology *topo)
{
	memset(e, 0, sizeof(*e));
	e->topo = topo;
}

void bwestimate__add(struct nl_bwestimate *e, const struct nl_record *rec)
{
	const struct nl_sample *s = &rec->sample;
	const uint32_t need = NL_SAMPLE_DATA_SRC | NL_SAMPLE_PERIOD | NL_SAMPLE_TIME;
	struct nl_mem_access m;
	int node, idx;

	if (rec->kind != NL_REC_SAMPLE || !e->topo || (s->valid & need) != need || !s->period)
		return;
	datasrc__decode(s->data_src, &m);
	if (m.cls != NL_MEM_LOCAL_RAM && m.cls != NL_MEM_REMOTE_RAM)
		return;
	if (s->valid & NL_SAMPLE_MEM_NODE)
		node = s->mem_node;
	else if ((s->valid & NL_SAMPLE_PHYS_ADDR) && s->phys_addr &&
		 topology__node_of_phys(e->topo, s->phys_addr) >= 0)
		node = topology__node_of_phys(e->topo, s->phys_addr);
	else if (m.cls == NL_MEM_LOCAL_RAM && (s->valid & NL_SAMPLE_CPU))
		node = topology__node_of_cpu(e->topo, s->cpu);
	else
		node = -1;
	idx = node >= 0 ? topology__node_index(e->topo, node) : -1;
	if (idx < 0 || idx >= NL_UNCORE_MAX_PMUS) {
		e->unplaced++;
		return;
	}
	if (m.store && !m.load)
		e->write_lines[idx] += (double)s->period;
	else
		e->read_lines[idx] += (double)s->period;
	if (!e->samples || s->time < e->first_ns)
		e->first_ns = s->time;
	if (s->time > e->last_ns)
		e->last_ns = s->time;
	e->samples++;
}

bool bwestimate__result(const struct nl_bwestimate *e, struct nl_bandwidth *bw)
{
	double seconds = (double)(e->last_ns - e->first_ns) / 1e9;
	int n;

	if (e->samples < 2 || seconds <= 0)
		return false;
	memset(bw, 0, sizeof(*bw));
	bw->measured = true;
	bw->estimate = true;
	bw->seconds = seconds;
	bw->estimate_samples = e->samples;
	bw->estimate_unplaced = e->unplaced;
	n = e->topo->nr_nodes < NL_UNCORE_MAX_PMUS ? e->topo->nr_nodes : NL_UNCORE_MAX_PMUS;
	for (int i = 0; i < n; i++) {
		struct nl_bandwidth_node *x = &bw->nodes[bw->nr_nodes++];

		x->node = e->topo->nodes[i].id;
		x->read_mean = e->read_lines[i] * NL_BWEST_LINE_BYTES / seconds;
		x->write_mean = e->write_lines[i] * NL_BWEST_LINE_BYTES / seconds;
	}
	return true;
}
