/* log: the daemon's own diagnostics on stderr, one write(2) per line. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "logserver";

void
log_init(const char *progname)
{
	log_prog = progname;
}

/* Appends to line[*n..cap-1), keeping room for the final newline. */
static void
append(char *line, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= cap - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(line + *n, cap - 1 - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r < cap - 1 - *n ? (size_t)r : cap - 2 - *n;
}

static void
log_vwrite(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char line[1024], msg[900];
	size_t n = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	append(line, sizeof(line), &n, "%s: %s", log_prog, msg);
	if (with_errno)
		append(line, sizeof(line), &n, ": %s", strerror(saved));
	line[n++] = '\n';
	/* One write so that concurrent processes' lines stay whole. */
	(void)!write(STDERR_FILENO, line, n);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(0, fmt, ap);
	va_end(ap);
	exit(1);
}
