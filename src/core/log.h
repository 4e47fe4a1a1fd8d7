/*
 * log: the daemon's own diagnostics on stderr (not the log store).
 *
 * Contract: four verbs in the OpenBSD manner. log_warn appends
 * strerror(errno); log_warnx does not; fatal/fatalx do the same and exit(1).
 * Every line is "PROG: message\n", written with one write(2) so lines of
 * concurrent processes do not mix. errno is preserved across every call.
 * Lower modules never call these: they return errors and their caller
 * reports once.
 */
#ifndef LOGSERVER_LOG_H
#define LOGSERVER_LOG_H

#include <stdarg.h>

/* Sets the program name printed before every message (not copied). */
void log_init(const char *progname);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
