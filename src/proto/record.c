/* record: one log line per message or server event, in text, json or raw. */
#include "record.h"

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

static char *
put(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

#define PUTS(d, lit) put(d, lit, sizeof(lit) - 1)

/* A facility or severity keyword: short, NUL-terminated, ours. */
static char *
put_name(char *d, const char *name)
{
	while (*name != '\0')
		*d++ = *name++;
	return d;
}

static char *
put_text_span(char *d, struct span s)
{
	if (s.p == NULL)
		return PUTS(d, "-");
	return d + escape_text(d, s.p, s.len);
}

/*
 * What the JSON writer knows of which message bytes need no escaping: those
 * in [msg, upto) are plain (escape_plain_len()), and upto is the end of the
 * message or a byte that is not. One scan serves every field up to the
 * first byte that needs escaping; a field after it (structured data values
 * after their quotes, the MSG after them) is scanned by itself. Each byte is
 * scanned at most twice (here and in escape_json()).
 */
struct json_plain {
	const char *msg, *upto;
};

static void
json_plain_init(struct json_plain *jp, const char *msg, size_t len)
{
	jp->msg = msg;
	jp->upto = msg + escape_plain_len(msg, len);
}

/* 1 when the n bytes at p, a part of the message, need no escaping. */
static int
json_plain_has(const struct json_plain *jp, const char *p, size_t n)
{
	if (p >= jp->msg && p + n <= jp->upto)
		return 1;
	if (p >= jp->msg && p <= jp->upto)
		return 0;	/* the byte at upto is in the field */
	return escape_plain_len(p, n) == n;
}

/* n bytes at p, a part of the message, as the inside of a JSON string. */
static inline __attribute__((always_inline)) char *
put_json_bytes(char *d, const struct json_plain *jp, const char *p, size_t n)
{
	if (json_plain_has(jp, p, n))
		return copy_run(d, p, n);
	return d + escape_json(d, p, n);
}

/* ,"key":"escaped" when the span is present. Inlined, so that each key is
 * written with constant stores. */
static inline __attribute__((always_inline)) char *
put_json_field(char *d, const struct json_plain *jp, const char *key, size_t keylen, struct span s)
{
	if (s.p == NULL)
		return d;
	d = PUTS(d, ",\"");
	d = put(d, key, keylen);
	d = PUTS(d, "\":\"");
	d = put_json_bytes(d, jp, s.p, s.len);
	return PUTS(d, "\"");
}

#define JSON_FIELD(d, jp, key, s) put_json_field(d, jp, key, sizeof(key) - 1, s)

/* A PARAM-VALUE as a JSON string: RFC 5424 6.3.3 escapes (\" \\ \]) undone. */
static char *
put_json_sd_value(char *d, const struct json_plain *jp, struct span v)
{
	const char *p = v.p, *end = v.p + v.len;

	*d++ = '"';
	if (json_plain_has(jp, v.p, v.len)) {	/* no backslash, nothing to escape */
		d = put(d, v.p, v.len);
		p = end;
	}
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		const char *stop = bs != NULL ? bs : end;

		d += escape_json(d, p, (size_t)(stop - p));
		if (bs == NULL)
			break;
		if (bs + 1 < end && (bs[1] == '"' || bs[1] == '\\' || bs[1] == ']')) {
			d += escape_json(d, bs + 1, 1);
			p = bs + 2;
		} else {
			d += escape_json(d, bs, 1);
			p = bs + 1;
		}
	}
	*d++ = '"';
	return d;
}

#define SD_GROUP_MAX 128	/* params per element grouped by name */

static int
span_eq(struct span a, struct span b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/*
 * "sd":{"id":{"name":"value",...},...}. RFC 5424 7.2.2 lets a name repeat
 * inside one element (origin ip=... ip=...): such a name gets an array of
 * its values, in order, so no value is lost to duplicate keys. Grouping
 * looks at the first SD_GROUP_MAX params of an element (real elements have a
 * handful); any beyond that are written one by one, which bounds the work
 * per message.
 */
static char *
put_json_sd(char *d, const struct json_plain *jp, struct span sd)
{
	struct span names[SD_GROUP_MAX], values[SD_GROUP_MAX];
	struct sd_iter it;
	struct span id, name, value;
	int first_el = 1;

	d = PUTS(d, ",\"sd\":{");
	sd_iter_init(&it, sd);
	while (sd_next_element(&it, &id) == 1) {
		size_t n = 0;
		int first_p = 1, r;

		if (!first_el)
			*d++ = ',';
		first_el = 0;
		*d++ = '"';
		d = put_json_bytes(d, jp, id.p, id.len);
		d = PUTS(d, "\":{");
		while (n < SD_GROUP_MAX && (r = sd_next_param(&it, &names[n], &values[n])) == 1)
			n++;
		for (size_t i = 0; i < n; i++) {
			size_t same = 0, j;

			for (j = 0; j < i && !span_eq(names[j], names[i]); j++)
				;
			if (j < i)
				continue;	/* written with the first of its name */
			for (j = i + 1; j < n; j++)
				same += span_eq(names[j], names[i]);
			if (!first_p)
				*d++ = ',';
			first_p = 0;
			*d++ = '"';
			d = put_json_bytes(d, jp, names[i].p, names[i].len);
			d = PUTS(d, "\":");
			if (same == 0) {
				d = put_json_sd_value(d, jp, values[i]);
				continue;
			}
			*d++ = '[';
			d = put_json_sd_value(d, jp, values[i]);
			for (j = i + 1; j < n; j++) {
				if (!span_eq(names[j], names[i]))
					continue;
				*d++ = ',';
				d = put_json_sd_value(d, jp, values[j]);
			}
			*d++ = ']';
		}
		while (n == SD_GROUP_MAX && sd_next_param(&it, &name, &value) == 1) {
			*d++ = ',';
			*d++ = '"';
			d = put_json_bytes(d, jp, name.p, name.len);
			d = PUTS(d, "\":");
			d = put_json_sd_value(d, jp, value);
		}
		*d++ = '}';
	}
	*d++ = '}';
	return d;
}

/*
 * A message is syslog when it starts with a PRI, or when it has a full
 * RFC 3164 header without one (syslog.c decides, docs/PARSING.md): such a
 * record has no pri, facility or severity. A plain line that happens to
 * begin with a time ("2026-01-02T03:04:05Z disk full", "Nov 20 23:29:19
 * text") is written as it came, not taken apart.
 */
static int
parse_syslog(const char *msg, size_t len, struct syslog_msg *m)
{
	return syslog_parse(msg, len, m) != SYSLOG_NONE;
}

/* A PRI value (0..191): its decimal digits. */
static char *
put_json_pri(char *d, int v)
{
	unsigned u = v < 0 ? 0 : (unsigned)v;

	if (u >= 100)
		*d++ = (char)('0' + u / 100 % 10);
	if (u >= 10)
		*d++ = (char)('0' + u / 10 % 10);
	*d++ = (char)('0' + u % 10);
	return d;
}

/*
 * ,"pri":N,"facility":"F","severity":"S" for a PRI (0..191), written once
 * per PRI value and then copied: a memo of a pure function, so the records
 * stay the same whatever came before.
 */
#define PRI_JSON_MAX 80		/* the longest, 57 bytes: ,"pri":124 with "solaris-cron" and "warning" */

static char *
put_json_pri_fields(char *d, int pri)
{
	static struct {
		unsigned char len;
		char text[PRI_JSON_MAX - 1];
	} memo[192];
	unsigned u = (unsigned)pri % 192;

	if (memo[u].len == 0) {
		char *t = memo[u].text;

		t = PUTS(t, ",\"pri\":");
		t = put_json_pri(t, (int)u);
		t = PUTS(t, ",\"facility\":\"");
		t = put_name(t, syslog_facility_name((int)u / 8));
		t = PUTS(t, "\",\"severity\":\"");
		t = put_name(t, syslog_severity_name((int)u % 8));
		*t++ = '"';
		memo[u].len = (unsigned char)(t - memo[u].text);
	}
	/* 42 ("lpr", "err") to 57 bytes: two overlapping fixed-size moves (a
	 * memcpy of a variable length here became a slow "rep movs"). */
	memcpy(d, memo[u].text, 32);
	memcpy(d + memo[u].len - 32, memo[u].text + memo[u].len - 32, 32);
	return d + memo[u].len;
}

static size_t
format_json(char *dst, const struct rec_clock *c, const struct rec_source *src,
    const char *msg, size_t len, int truncated)
{
	struct syslog_msg m;
	struct json_plain jp;
	char *d = dst;

	d = PUTS(d, "{\"time\":\"");
	d = put(d, c->text, REC_TIME_LEN);
	d = PUTS(d, "\",\"peer\":\"");
	/* An address we formatted: plain, but checked as any other bytes. */
	if (escape_plain_len(src->peer, src->peerlen) == src->peerlen)
		d = copy_run(d, src->peer, src->peerlen);
	else
		d += escape_json(d, src->peer, src->peerlen);
	d = PUTS(d, "\",\"transport\":\"");
	d = put_name(d, src->transport);
	*d++ = '"';
	if (src->tls_peer != NULL) {
		d = PUTS(d, ",\"tls_peer\":\"");
		d += escape_json(d, src->tls_peer, strnlen(src->tls_peer, REC_TLS_PEER_MAX));
		*d++ = '"';
		if (src->tls_mismatch)
			d = PUTS(d, ",\"tls_host_mismatch\":true");
	}
	json_plain_init(&jp, msg, len);
	if (parse_syslog(msg, len, &m)) {
		if (m.pri >= 0)
			d = put_json_pri_fields(d, m.pri);	/* facility, severity: pri / 8, pri % 8 */
		d = JSON_FIELD(d, &jp, "seq", m.seq);
		d = JSON_FIELD(d, &jp, "timestamp", m.timestamp);
		d = JSON_FIELD(d, &jp, "host", m.host);
		d = JSON_FIELD(d, &jp, "app", m.app);
		d = JSON_FIELD(d, &jp, "procid", m.procid);
		d = JSON_FIELD(d, &jp, "msgid", m.msgid);
		if (m.sd.p != NULL)
			d = put_json_sd(d, &jp, m.sd);
		msg = m.msg.p != NULL ? m.msg.p : msg + len;
		len = m.msg.p != NULL ? m.msg.len : 0;
	}
	d = PUTS(d, ",\"msg\":\"");
	d = put_json_bytes(d, &jp, msg, len);
	*d++ = '"';
	if (truncated)
		d = PUTS(d, ",\"truncated\":true");
	d = PUTS(d, "}\n");
	return (size_t)(d - dst);
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
		return format_json(dst, c, src, msg, len, truncated);
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
