/*
 * diag.h - the one way numalens talks to the user on stderr, and the one
 * error type every layer fills.
 *
 * Every error is a single line "numalens: <object>: <cause> - <fix>", lower
 * case, with strerror text rather than numbers.  Notes about paths that
 * cannot run here ("no hardware PMU: ...") are single lines too.  Nothing
 * else in the tree writes to stderr.
 *
 * Modules below the commands never print an error: they fill a struct
 * nl_error (diag__set) and return its code.  The command hands it to
 * diag__exit(), the one place that prints an error and maps it to the exit
 * status (enum nl_exit) the command returns.
 */
#ifndef NUMALENS_DIAG_H
#define NUMALENS_DIAG_H

#include <stddef.h>

/* Exit status of the numalens binary (README, "Exit status"). */
enum nl_exit {
	NL_EXIT_OK = 0,
	NL_EXIT_ERROR = 1,      /* nothing, or not everything asked, was done */
	NL_EXIT_USAGE = 2,      /* the command line is wrong */
	NL_EXIT_PARTIAL = 3,    /* a report was written but the input was damaged */
	NL_EXIT_REGRESSION = 4, /* diff: locality regressed past the threshold */
};

/*
 * An error carried up to the command that prints it, so the line names the
 * object the user gave (the file, the PID) and a fix that fits the cause.
 */
struct nl_error {
	int code;               /* -errno */
	int status;             /* enum nl_exit the command ends with (0: ERROR) */
	char object[128];       /* what the line names; "" lets diag__exit's
				   caller name it (the path the user gave) */
	char cause[256];
	char fix[256];          /* "" when there is none */
};

/*
 * Fills e: code, cause (printf), fix (may be NULL), status NL_EXIT_ERROR,
 * object "" (diag__set_object names one).  Returns code, for
 * `return diag__set(...)`.
 */
int diag__set(struct nl_error *e, int code, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sets e's object (printf); returns e->code. */
int diag__set_object(struct nl_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A command-line error: object (the option or argument, may be NULL),
 * cause (printf), fix; code -EINVAL, status NL_EXIT_USAGE.  Returns -EINVAL.
 */
int diag__usage(struct nl_error *e, const char *object, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Prints e as one line "numalens: object: cause - fix", where object is
 * e->object, or else the given object (may be NULL: then no object), and
 * fix is e->fix, or else the usual fix of e->code (ENOMEM, EACCES ...), and
 * returns the exit status it maps to (e->status, NL_EXIT_ERROR when unset),
 * for `return diag__exit(path, &err)`.  Never silenced.
 */
int diag__exit(const char *object, const struct nl_error *e);

/* An informational line ("numalens: ..."), suppressed by diag__quiet. */
void diag__note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Silences diag__note (errors are never silenced). */
void diag__set_quiet(int quiet);

#endif
