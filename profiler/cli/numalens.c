/*
 * numalens.c - the command hub: a table of subcommands, nothing else.
 * Each command's purpose line comes from its own option table (cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "samplers/base/diag.h"

struct command {
	const struct cli_command *cli;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ &report_command, cmd_report },
	{ &profile_command, cmd_profile },
	{ &topology_command, cmd_topology },
	{ &diff_command, cmd_diff },
	{ &html_command, cmd_html },
};

static void usage(FILE *out)
{
	fprintf(out, "numalens - find the remote memory accesses that slow a program down\n\n"
		     "USAGE: numalens COMMAND [OPTIONS]\n\nCOMMANDS:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].cli->name, commands[i].cli->purpose);
	fprintf(out, "\n'numalens COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	struct nl_error err;

	if (argc < 2) {
		diag__usage(&err, "command", "run 'numalens --help' for the list", "none given");
		return diag__exit(NULL, &err);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return NL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].cli->name))
			return commands[i].run(argc - 1, argv + 1);
	diag__usage(&err, argv[1], "run 'numalens --help' for the list", "unknown command");
	return diag__exit(NULL, &err);
}
