/* record: one log line per message or server event, in text, json or raw. */
#include "record.h"
#include "record_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sendtime.h"
#include "syslog.h"

static long utc_offset;		/* rec_set_utc_offset() */

void
rec_set_utc_offset(long seconds_east)
{
	utc_offset = seconds_east;
}

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
	put_digits(c->text + 20, (unsigned)ms % 1000, 3);
}

void
rec_clock_update(struct rec_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	rec_clock_set(c, ts.tv_sec, ts.tv_nsec / 1000000);
}
static char *
put_text_span(char *d, struct span s)
{
	if (s.p == NULL)
		return PUTS(d, "-");
	return d + escape_text(d, s.p, s.len);
}

/*
 * "facility.severity " of a text record for a PRI (0..191), made once per
 * PRI value and then copied, as the JSON fields above: the two names
 * copied a byte at a time were 70 instructions of every text record. From
 * "lpr.err " (8 bytes) to "solaris-cron.warning " (21): two overlapping
 * fixed-size moves.
 */
#define PRI_TEXT_MAX 24

static char *
put_text_pri(char *d, int pri)
{
	static struct {
		unsigned char len;
		char text[PRI_TEXT_MAX];
	} memo[192];
	unsigned u = (unsigned)pri % 192;
	size_t n = memo[u].len;

	if (n == 0) {
		char *t = memo[u].text;

		t = put_name(t, syslog_facility_name((int)u / 8));
		*t++ = '.';
		t = put_name(t, syslog_severity_name((int)u % 8));
		*t++ = ' ';
		n = (size_t)(t - memo[u].text);
		memo[u].len = (unsigned char)n;
	}
	if (n <= 16) {
		memcpy(d, memo[u].text, 8);
		memcpy(d + n - 8, memo[u].text + n - 8, 8);
	} else {
		memcpy(d, memo[u].text, 16);
		memcpy(d + n - 16, memo[u].text + n - 16, 16);
	}
	return d + n;
}

/*
 * 1 when an RFC 3164 message's bytes from HOSTNAME to the end are already
 * laid out as the text format writes them, "host app[pid]: msg" (or
 * "host app: msg"), so they can be escaped in one piece. This is the common
 * case and saves escaping four short fields one by one; the output is the
 * same byte for byte.
 */
static int
verbatim_3164(const struct syslog_msg *m)
{
	const char *p;

	if (m->kind != SYSLOG_3164 || m->host.p == NULL || m->app.p == NULL ||
	    m->msg.p == NULL || m->sd.p != NULL || m->msg.len == 0)
		return 0;
	p = m->host.p + m->host.len;
	if (*p != ' ' || p + 1 != m->app.p)
		return 0;
	p = m->app.p + m->app.len;
	if (m->procid.p != NULL) {
		if (*p != '[' || p + 1 != m->procid.p)
			return 0;
		p = m->procid.p + m->procid.len;
		if (*p++ != ']')
			return 0;
	}
	/* ": " then the message; p stays below msg.p, inside the buffer. */
	return p + 2 == m->msg.p && p[0] == ':' && p[1] == ' ';
}

/*
 * sendtime_differs() with a memo of the last answer: a sender stamps many
 * messages with the same second, and parsing the TIMESTAMP each time was 7 %
 * of a TCP child's time. Process-local (every child is one thread).
 */
#define SENT_MEMO_MAX 40	/* longer TIMESTAMPs are parsed every time */

/*
 * a[0..n) == b[0..n) for 8 <= n <= SENT_MEMO_MAX, in two or three
 * fixed-size compares that the compiler makes plain loads (overlapping
 * when n is not a multiple of 8 or 16): a libc memcmp() call of a variable
 * length was a third of the memo's cost.
 */
static int
same_ts(const char *a, const char *b, size_t n)
{
	if (n <= 16)
		return memcmp(a, b, 8) == 0 && memcmp(a + n - 8, b + n - 8, 8) == 0;
	if (n <= 32)
		return memcmp(a, b, 16) == 0 && memcmp(a + n - 16, b + n - 16, 16) == 0;
	return memcmp(a, b, 32) == 0 && memcmp(a + n - 8, b + n - 8, 8) == 0;
}

static int
sent_differs(const struct span *ts, time_t now)
{
	static struct { char ts[SENT_MEMO_MAX]; size_t len; time_t now; long off; int differs; } memo;

	if (ts->len > sizeof(memo.ts) || ts->len < 8)
		return sendtime_differs(ts->p, ts->len, now, utc_offset);
	if (memo.now != now || memo.len != ts->len || memo.off != utc_offset ||
	    !same_ts(memo.ts, ts->p, ts->len)) {
		memcpy(memo.ts, ts->p, ts->len);
		memo.len = ts->len;
		memo.now = now;
		memo.off = utc_offset;
		memo.differs = sendtime_differs(ts->p, ts->len, now, utc_offset);
	}
	return memo.differs;
}

static size_t
format_text(char *dst, const struct rec_clock *c, const struct rec_source *src,
    const char *msg, size_t len, int truncated)
{
	struct syslog_msg m;
	char *d = dst;
	size_t peerlen = src->peerlen > REC_PEER_MAX ? REC_PEER_MAX : src->peerlen;

	d = put(d, c->text, REC_TIME_LEN);
	*d++ = ' ';
	d = copy_run(d, src->peer, peerlen);	/* (an IPv4 peer: two 8-byte moves) */
	*d++ = ' ';
	if (src->tls_peer != NULL) {
		d = PUTS(d, "tls=");
		d += escape_text(d, src->tls_peer, strnlen(src->tls_peer, REC_TLS_PEER_MAX));
		*d++ = ' ';
		if (src->tls_mismatch)
			d = PUTS(d, "tls-host-mismatch ");
	}
	if (parse_syslog(msg, len, &m)) {
		if (m.pri >= 0) {
			d = put_text_pri(d, m.pri);	/* facility, severity: pri / 8, pri % 8 */
		} else {
			*d++ = '-';	/* an RFC 3164 header without PRI */
			*d++ = ' ';
		}
		/* "host app[procid]:", with "-" for one that is missing; nothing
		 * when all are (a bare "<13>text"). The sender's timestamp and
		 * MSGID, when kept, go between the tag and its ':'. */
		int sep = 0;
		int sent = m.timestamp.p != NULL && sent_differs(&m.timestamp, c->sec);
		if (!sent && m.msgid.p == NULL && verbatim_3164(&m)) {
			/* The sender's bytes are already "host app[pid]: msg". */
			d += escape_text(d, m.host.p, (size_t)(m.msg.p + m.msg.len - m.host.p));
			goto done;
		}
		if (m.host.p != NULL || m.app.p != NULL || m.procid.p != NULL || sent ||
		    m.msgid.p != NULL) {
			d = put_text_span(d, m.host);
			*d++ = ' ';
			d = put_text_span(d, m.app);
			if (m.procid.p != NULL) {
				*d++ = '[';
				d += escape_text(d, m.procid.p, m.procid.len);
				*d++ = ']';
			}
			if (sent) {
				/* A parsed TIMESTAMP holds no '"' and no control byte. */
				d = PUTS(d, " sent=\"");
				d += escape_text(d, m.timestamp.p, m.timestamp.len);
				*d++ = '"';
			}
			if (m.msgid.p != NULL) {
				d = PUTS(d, " msgid=");
				d += escape_text(d, m.msgid.p, m.msgid.len);
			}
			*d++ = ':';
			sep = 1;
		}
		if (m.sd.p != NULL) {
			if (sep)
				*d++ = ' ';
			d += escape_text(d, m.sd.p, m.sd.len);
			sep = 1;
		}
		if (m.msg.p != NULL && m.msg.len > 0) {
			if (sep)
				*d++ = ' ';
			d += escape_text(d, m.msg.p, m.msg.len);
		}
	} else {
		d += escape_text(d, msg, len);
	}
done:
	if (truncated)
		d = PUTS(d, REC_TRUNC_MARK);
	*d++ = '\n';
	return (size_t)(d - dst);
}

size_t
record_message(char *dst, const struct rec_clock *c, const struct rec_source *src,
    const char *msg, size_t len, int truncated)
{
	char *d = dst;

	switch (src->format) {
	case REC_JSON:
		return rec_format_json(dst, c, src, msg, len, truncated);
	case REC_RAW:
		d += escape_text(d, msg, len);
		*d++ = '\n';
		return (size_t)(d - dst);
	case REC_TEXT:
		break;
	}
	return format_text(dst, c, src, msg, len, truncated);
}

size_t
record_event(char *dst, const struct rec_clock *c, enum rec_format format, long pid,
    const char *fmt, ...)
{
	char text[512], pidtext[32];
	va_list ap;
	int n;
	size_t len;
	char *d = dst;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	n = snprintf(pidtext, sizeof(pidtext), "%ld", pid);
	if (format == REC_JSON) {
		d = PUTS(d, "{\"time\":\"");
		d = put(d, c->text, REC_TIME_LEN);
		d = PUTS(d, "\",\"peer\":\"-\",\"transport\":\"-\",\"app\":\"logserver\",\"procid\":\"");
		d = put(d, pidtext, (size_t)n);
		d = PUTS(d, "\",\"msg\":\"");
		d += escape_json(d, text, len);
		d = PUTS(d, "\"}\n");
		return (size_t)(d - dst);
	}
	/* Events keep the text layout in raw files too, with the sender "\-"
	 * there: a raw message is the client's escaped bytes alone, and escaped
	 * text never holds a backslash after a space that does not begin one of
	 * \\ \t \r \n \xHH, so no client can write " \- " (docs/SECURITY.md). */
	d = put(d, c->text, REC_TIME_LEN);
	d = format == REC_RAW ? PUTS(d, " \\- logserver[") : PUTS(d, " - logserver[");
	d = put(d, pidtext, (size_t)n);
	d = PUTS(d, "]: ");
	d += escape_text(d, text, len);
	*d++ = '\n';
	return (size_t)(d - dst);
}

int
record_format_of(const char *head, size_t len)
{
	static const char json[] = "{\"time\":\"";
	static const char text[] = " - logserver[", raw[] = " \\- logserver[";

	if (len >= sizeof(json) - 1 && memcmp(head, json, sizeof(json) - 1) == 0)
		return REC_JSON;
	if (len < REC_TIME_LEN + sizeof(raw) - 1)
		return -1;
	if (memcmp(head + REC_TIME_LEN, text, sizeof(text) - 1) == 0)
		return REC_TEXT;
	if (memcmp(head + REC_TIME_LEN, raw, sizeof(raw) - 1) == 0)
		return REC_RAW;
	return -1;
}
