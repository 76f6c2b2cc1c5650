/*
 * man.h - the manual pages, generated from the command tables that --help
 * is generated from (cli.h), so a page cannot drift from the parser.
 *
 * Owns the roff: numalens(1) (the command list, exit status, environment,
 * files, see also) and numalens-NAME(1) per command (the table's purpose,
 * usage, description, options, examples and exit status).  It writes
 * nothing the tables do not hold except numalens(1)'s fixed sections.
 * The build runs `numalens --man DIR` (numalens.c) to make build/man/.
 */
#ifndef NUMALENS_MAN_H
#define NUMALENS_MAN_H

#include <stddef.h>
#include <stdio.h>

struct cli_command;
struct nl_error;

/* The program as numalens(1) and `numalens --help` describe it. */
struct man_program {
	const char *tagline;                    /* "find the remote memory ..." */
	const struct cli_command *const *commands;  /* in the order of the hub */
	size_t nr_commands;
};

/* Writes numalens-NAME(1) of cmd to out; siblings are prog's other commands. */
void man__command_page(FILE *out, const struct man_program *prog,
		       const struct cli_command *cmd);

/* Writes numalens(1) to out. */
void man__program_page(FILE *out, const struct man_program *prog);

/*
 * Writes dir/numalens.1 and dir/numalens-NAME.1 for every command (dir must
 * exist).  Returns 0, or -errno with err filled (object: the file).
 */
int man__write_pages(const char *dir, const struct man_program *prog, struct nl_error *err);

#endif
