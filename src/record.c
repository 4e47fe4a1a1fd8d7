/* record: one log line per message or server event. */
#include "record.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
put_digits(char *d, unsigned v, int n)
{
	while (n-- > 0) {
		d[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
rec_clock_set(struct rec_clock *c, time_t sec, long ms)
{
	if (sec != c->sec || c->text[0] == '\0') {
		struct tm tm;

		if (gmtime_r(&sec, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		/* 2026-11-20T23:24:46.123Z */
		memcpy(c->text, "0000-00-00T00:00:00.000Z", REC_TIME_LEN + 1);
		put_digits(c->text, (unsigned)(tm.tm_year + 1900) % 10000, 4);
		put_digits(c->text + 5, (unsigned)tm.tm_mon + 1, 2);
		put_digits(c->text + 8, (unsigned)tm.tm_mday, 2);
		put_digits(c->text + 11, (unsigned)tm.tm_hour, 2);
		put_digits(c->text + 14, (unsigned)tm.tm_min, 2);
		put_digits(c->text + 17, (unsigned)tm.tm_sec, 2);
		c->sec = sec;
	}
	c->ms = ms;
	put_digits(c->text + 20, (unsigned)ms % 1000, 3);
}

void
rec_clock_update(struct rec_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	rec_clock_set(c, ts.tv_sec, ts.tv_nsec / 1000000);
}

size_t
record_message(char *dst, const struct rec_clock *c, const char *peer, size_t peerlen,
    const char *msg, size_t len, int truncated)
{
	char *d = dst;

	if (peerlen > REC_PEER_MAX)
		peerlen = REC_PEER_MAX;
	memcpy(d, c->text, REC_TIME_LEN);
	d += REC_TIME_LEN;
	*d++ = ' ';
	memcpy(d, peer, peerlen);
	d += peerlen;
	*d++ = ' ';
	d += escape_text(d, msg, len);
	if (truncated) {
		memcpy(d, REC_TRUNC_MARK, sizeof(REC_TRUNC_MARK) - 1);
		d += sizeof(REC_TRUNC_MARK) - 1;
	}
	*d++ = '\n';
	return (size_t)(d - dst);
}

size_t
record_event(char *dst, const struct rec_clock *c, long pid, const char *fmt, ...)
{
	char text[512];	/* escaped: at most 2048 bytes, plus 72 of prefix */
	va_list ap;
	int n;
	size_t len;
	char *d = dst;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	memcpy(d, c->text, REC_TIME_LEN);
	d += REC_TIME_LEN;
	n = snprintf(d, 48, " - logserver[%ld]: ", pid);
	d += n > 0 && n < 48 ? n : 0;
	d += escape_text(d, text, len);
	*d++ = '\n';
	return (size_t)(d - dst);
}
