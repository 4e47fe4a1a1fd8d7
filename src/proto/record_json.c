/* record_json: a client's message as a JSON record. */
#include "record_int.h"

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

size_t
rec_format_json(char *dst, const struct rec_clock *c, const struct rec_source *src,
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
