/*
 * completion.h - the bash completion of numalens, generated from the
 * command tables (cli.h) like --help and the man pages (man.h), so it
 * offers exactly the commands and options the parser accepts.
 *
 * The script completes: the command name; each command's options (long
 * and short); option values by the table's value name (FILE: files, DIR:
 * directories, PID: running processes, others: nothing to guess); after
 * `--` of a command whose operands end its options (profile), a command
 * and then files; operands otherwise as files.  It needs bash only, not
 * the bash-completion package.  The build runs `numalens --bash-completion`.
 */
#ifndef NUMALENS_COMPLETION_H
#define NUMALENS_COMPLETION_H

#include <stdio.h>

#include "profiler/cli/man.h"

/* Writes the bash completion script for prog's commands to out. */
void completion__bash(FILE *out, const struct man_program *prog);

#endif
