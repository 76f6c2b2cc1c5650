/*
 * numalens.c - the command hub: a table of subcommands, nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "samplers/base/diag.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "report", cmd_report, "NUMA locality report of a perf.data recording" },
	{ "profile", cmd_profile, "profile a running process tree or a command" },
	{ "topology", cmd_topology, "nodes, CPUs, SMT siblings and distances" },
	{ "diff", cmd_diff, "compare two JSON reports; fails on locality regressions" },
};

static void usage(FILE *out)
{
	fprintf(out, "numalens - find the remote memory accesses that slow a program down\n\n"
		     "USAGE: numalens COMMAND [OPTIONS]\n\nCOMMANDS:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'numalens COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return NL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	diag__errorf("%s: unknown command - run 'numalens --help' for the list",
		     argv[1]);
	return NL_EXIT_USAGE;
}
