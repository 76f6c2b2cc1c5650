/*
 * diag.h - the one way numalens talks to the user on stderr.
 *
 * Every error is a single line "numalens: <object>: <cause> - <fix>", lower
 * case, with strerror text rather than numbers.  Notes about paths that
 * cannot run here ("no hardware PMU: ...") are single lines too.  Nothing
 * else in the tree writes to stderr directly.
 */
#ifndef NUMALENS_DIAG_H
#define NUMALENS_DIAG_H

#include <stddef.h>

/*
 * An error carried up to the command that prints it: modules below the
 * commands fill one instead of printing, so the line names the object the
 * user gave (the file, the PID) and a fix that fits the cause.
 */
struct nl_error {
	int code;               /* -errno */
	char cause[256];
	char fix[256];
};

/* Fills e (code, fix may be NULL) and returns code, for `return diag__set(...)`. */
int diag__set(struct nl_error *e, int code, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints e as "numalens: object: cause - fix". */
void diag__print(const char *object, const struct nl_error *e);

/* "numalens: object: cause - fix".  fix may be NULL. */
void diag__error(const char *object, const char *cause, const char *fix);
/* Same line, printf-formatted after "numalens: ". */
void diag__errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An informational line ("numalens: ..."), suppressed by diag__quiet. */
void diag__note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Silences diag__note (errors are never silenced). */
void diag__set_quiet(int quiet);

#endif
