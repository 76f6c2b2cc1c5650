/*
 * cli.h - option parsing shared by the subcommands, so every command reads
 * numbers the same way and rejects them with the same kind of line.
 */
#ifndef NUMALENS_CLI_H
#define NUMALENS_CLI_H

/* A whole decimal number in [1, max], or -1 when text is not one. */
long long cli__parse_positive(const char *text, long long max);

/*
 * Prints "numalens: OPT ARG: not WHAT - run 'numalens COMMAND --help'" and
 * returns NL_EXIT_USAGE, for `return cli__bad_option(...)`.
 */
int cli__bad_option(const char *command, const char *opt, const char *arg, const char *what);

#endif
