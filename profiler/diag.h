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

/* "numalens: object: cause - fix".  fix may be NULL. */
void diag__error(const char *object, const char *cause, const char *fix);
/* Same line, printf-formatted after "numalens: ". */
void diag__errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An informational line ("numalens: ..."), suppressed by diag__quiet. */
void diag__note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Silences diag__note (errors are never silenced). */
void diag__set_quiet(int quiet);

#endif
