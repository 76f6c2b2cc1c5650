/*
 * builtin.h - the subcommands of the numalens binary.
 *
 * Each lives in profiler/cli/builtin_<name>.c with one entry point and one
 * option table (struct cli_command, cli.h), exported so the command hub
 * (numalens.c) and a man page generator read the same purpose and options
 * that --help prints.  Only these and main() may exit the process;
 * everything else returns 0 or -errno.  Exit status: enum nl_exit
 * (samplers/base/diag.h), printed errors through diag__exit().
 */
#ifndef NUMALENS_BUILTIN_H
#define NUMALENS_BUILTIN_H

#include "samplers/base/diag.h"

struct cli_command;

int cmd_report(int argc, char **argv);
int cmd_topology(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_serve(int argc, char **argv);

extern const struct cli_command report_command, profile_command, topology_command,
	diff_command, html_command, serve_command;

#endif
