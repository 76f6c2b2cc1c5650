/*
 * builtin_topology.c - `numalens topology`: print the NUMA and CPU topology
 * of this machine, or of a copied sysfs tree, as text or JSON.
 *
 * Linear: parse options (the table below), read the tree
 * (topology__read_sysfs), render (report/topology_render), report write
 * errors.  Exit status (diag.h): 0, 1 on a read/write error, 2 on a usage
 * error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"
#include "samplers/base/topology.h"
#include "samplers/machine_cost.h"
#include "report/report.h"
#include "report/topology_render.h"

struct env {
	const char *root;       /* --sysfs-root, "/" by default */
	const char *json;       /* --json FILE ("-" = stdout), NULL for text */
	bool measure;           /* --measure: latency and bandwidth per node pair */
	uint32_t measure_mib;
	double measure_seconds;
};

#define ENV struct env
static const struct cli_option options[] = {
	CLI_OPT(0, "sysfs-root", "DIR", CLI_STRING, ENV, root, 0, "a directory",
		"read DIR/sys/devices/system instead of /sys (a copied tree, e.g. from "
		"hwloc-gather-topology)"),
	CLI_OPT_JSON(ENV, json, "print JSON instead of text, to FILE (- or none = stdout)"),
	CLI_OPT(0, "measure", NULL, CLI_FLAG, ENV, measure, 0, NULL,
		"measure idle load latency and read bandwidth for every CPU node x memory "
		"node pair, like Intel MLC (this machine only; about 1 s per pair)"),
	CLI_OPT(0, "measure-mib", "MIB", CLI_COUNT, ENV, measure_mib, 65536, "a size in MiB",
		"buffer per pair for --measure (default 64; larger than the last-level cache)"),
	CLI_OPT(0, "measure-seconds", "SECONDS", CLI_SECONDS, ENV, measure_seconds, 0,
		"a number of seconds", "time per pair and kind for --measure (default 0.3)"),
	CLI_OPT_HELP,
	CLI_END,
};
#undef ENV

const struct cli_command topology_command = {
	.name = "topology",
	.purpose = "show NUMA nodes, CPUs, SMT siblings and node distances",
	.usage = (const char *const[]){ "[--sysfs-root DIR] [--json [FILE]]", NULL },
	.options = options,
	.examples = (const char *const[]){
		"numalens topology                   # this machine, numactl -H style",
		"numalens topology --json topo.json  # JSON into topo.json",
		"numalens topology --sysfs-root /tmp/fsroot --json -",
		"numalens topology --measure         # what a remote access costs here",
		NULL },
	.exit_status = "0 ok, 1 error, 2 usage",
};

/* Fills env from argv.  -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct env *env)
{
	struct cli_operands ops;
	struct nl_error err;
	int r = cli__parse(&topology_command, argc, argv, env, &ops, &err);

	if (r)
		return r > 0 ? NL_EXIT_OK : diag__exit(NULL, &err);
	if (ops.argc) {
		diag__usage(&err, "topology", "run 'numalens topology --help'",
			    "unknown argument '%s'", ops.argv[0]);
		return diag__exit(NULL, &err);
	}
	if (env->measure && strcmp(env->root, "/")) {
		diag__usage(&err, "topology", "measure on the machine itself, without "
			    "--sysfs-root", "--measure needs this machine's topology");
		return diag__exit(NULL, &err);
	}
	return -1;
}

int cmd_topology(int argc, char **argv)
{
	struct env env = { .root = "/" };
	struct nl_topology *topo = NULL;
	struct nl_machine_cost *cost = NULL;
	struct nl_error err;
	int ret = parse_args(argc, argv, &env);

	if (ret >= 0)
		return ret;
	topo = topology__read_sysfs(env.root, &err);
	if (!topo) {
		snprintf(err.fix, sizeof(err.fix),
			 "check --sysfs-root (the directory that holds sys/devices/system/cpu)");
		return diag__exit(env.root, &err);
	}
	ret = NL_EXIT_OK;
	if (env.measure) {
		struct nl_cost_options co = { .size_mib = env.measure_mib,
					      .seconds = env.measure_seconds };

		if (machine_cost__measure(topo, &co, &cost, &err)) {
			topology__free(topo);
			return diag__exit("topology --measure", &err);
		}
	}
	if (env.json) {
		cJSON *doc = topology_render__json(topo);

		if (doc && cost)
			cJSON_AddItemToObject(doc, "measured", topology_render__cost_json(cost));
		if (report_json__write_doc(env.json, doc, &err))
			ret = diag__exit(strcmp(env.json, "-") ? env.json : "stdout", &err);
		cJSON_Delete(doc);
	} else {
		topology_render__text(stdout, topo);
		if (cost)
			topology_render__cost_text(stdout, topo, cost);
	}
	if (fflush(stdout) || ferror(stdout)) {
		diag__set(&err, -errno, "check the output pipe or disk", "%s", strerror(errno));
		ret = diag__exit("stdout", &err);
	}
	machine_cost__free(cost);
	topology__free(topo);
	return ret;
}
