/* client_lines: standard input cut into messages (pure). */
#include "client_lines.h"

#include <string.h>

void
lines_init(struct lines *ls, int interactive)
{
	ls->interactive = interactive;
	ls->start = ls->len = 0;
	ls->eof = ls->quit = ls->cut = 0;
}

char *
lines_space(struct lines *ls, size_t *cap)
{
	if (ls->start > 0) {
		memmove(ls->buf, ls->buf + ls->start, ls->len - ls->start);
		ls->len -= ls->start;
		ls->start = 0;
	}
	*cap = sizeof(ls->buf) - ls->len;
	return ls->buf + ls->len;
}

void
lines_added(struct lines *ls, size_t n)
{
	ls->len += n;
}

void
lines_eof(struct lines *ls)
{
	ls->eof = 1;
}

int
lines_next(struct lines *ls, const char **msg, size_t *len)
{
	size_t avail = ls->len - ls->start, look, l, used;
	const char *p = ls->buf + ls->start, *lf;

	if (ls->quit || avail == 0)
		return 0;
	/* A line of LINES_MSG_MAX bytes with CR LF is the longest kept whole. */
	look = avail < LINES_MSG_MAX + 2 ? avail : LINES_MSG_MAX + 2;
	lf = memchr(p, '\n', look);
	if (lf != NULL) {
		l = (size_t)(lf - p);
		used = l + 1;
	} else if (avail >= LINES_MSG_MAX + 2 || ls->eof) {
		l = used = avail;
	} else {
		return 0;	/* the line is not complete yet */
	}
	if (l > 0 && p[l - 1] == '\r')
		l--;
	if (l > LINES_MSG_MAX) {
		*msg = p;
		*len = LINES_MSG_MAX;
		ls->start += LINES_MSG_MAX;
		ls->cut = 1;
		return 1;
	}
	if (ls->interactive && !ls->cut && l == 4 && memcmp(p, "quit", 4) == 0) {
		ls->quit = 1;
		return 0;
	}
	*msg = p;
	*len = l;
	ls->start += used;
	ls->cut = 0;
	return 1;
}

int
lines_done(const struct lines *ls)
{
	return ls->quit || (ls->eof && ls->start == ls->len);
}

int
lines_pending(const struct lines *ls)
{
	return ls->len > ls->start;
}
