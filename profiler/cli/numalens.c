/*
 * numalens.c - the command hub: a table of subcommands, nothing else.
 * Each command's purpose line comes from its own option table (cli.h).
 * Two hidden options, for the build, generate from the same tables:
 * `--man DIR` the manual pages (man.h), `--bash-completion` the completion
 * script on stdout (completion.h); a command added here gets both.
 */
#include <stdio.h>
#include <string.h>

#include "profiler/cli/builtin.h"
#include "profiler/cli/cli.h"
#include "profiler/cli/completion.h"
#include "profiler/cli/man.h"
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
	{ &serve_command, cmd_serve },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))
static const char tagline[] = "find the remote memory accesses that slow a program down";

static void usage(FILE *out)
{
	fprintf(out, "numalens - %s\n\n"
		     "USAGE: numalens COMMAND [OPTIONS]\n\nCOMMANDS:\n", tagline);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].cli->name, commands[i].cli->purpose);
	fprintf(out, "\n'numalens COMMAND --help' describes each command.\n");
}

/* `numalens --man DIR` and `numalens --bash-completion`: the build's generators. */
static int generate(int argc, char **argv)
{
	const struct cli_command *cli[NR_COMMANDS];
	struct man_program prog = { tagline, cli, NR_COMMANDS };
	struct nl_error err;

	for (size_t i = 0; i < NR_COMMANDS; i++)
		cli[i] = commands[i].cli;
	if (!strcmp(argv[1], "--bash-completion") && argc == 2) {
		completion__bash(stdout, &prog);
		return fflush(stdout) ? NL_EXIT_ERROR : NL_EXIT_OK;
	}
	if (argc != 3) {
		diag__usage(&err, argv[1], "give one DIR: numalens --man DIR", "wrong operands");
		return diag__exit(NULL, &err);
	}
	return man__write_pages(argv[2], &prog, &err) ? diag__exit(NULL, &err) : NL_EXIT_OK;
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
	if (!strcmp(argv[1], "--man") || !strcmp(argv[1], "--bash-completion"))
		return generate(argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].cli->name))
			return commands[i].run(argc - 1, argv + 1);
	diag__usage(&err, argv[1], "run 'numalens --help' for the list", "unknown command");
	return diag__exit(NULL, &err);
}
