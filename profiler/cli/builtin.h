/*
 * builtin.h - the subcommands of the numalens binary.
 *
 * Each lives in profiler/builtin_<name>.c with one entry point.  Only these
 * and main() may exit the process; everything else returns 0 or -errno.
 * Exit status: 0 success, 1 error, 2 usage error, 3 a report was written
 * but the input was damaged (see the note in the report).
 */
#ifndef NUMALENS_BUILTIN_H
#define NUMALENS_BUILTIN_H

enum { NL_EXIT_OK = 0, NL_EXIT_ERROR = 1, NL_EXIT_USAGE = 2, NL_EXIT_PARTIAL = 3 };

int cmd_report(int argc, char **argv);
int cmd_topology(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
