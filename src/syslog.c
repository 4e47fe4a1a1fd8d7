/*
 * syslog.c: zero-copy parser for one syslog message (RFC 5424, RFC 3164 and
 * the deviations real senders emit); see syslog.h for the contract.
 *
 * Every scanner takes a cursor and the end of the input and dereferences the
 * cursor only after checking it against the end, so no byte outside
 * [buf, buf+len) is ever read and no NUL terminator is needed.  The input is
 * walked once, left to right; the MSG body itself is never scanned, so the
 * cost per message is the length of the header.
 *
 * Decisions that go beyond the RFCs:
 *
 * - Trailing NUL, CR and LF bytes are framing residue, not content: Python's
 *   SysLogHandler appends a NUL, RSYSLOG_SyslogProtocol23Format and
 *   syslog-ng's network() append a LF.  They are cut off before parsing a
 *   5424 or 3164 message.  A SYSLOG_NONE msg is the whole untouched buffer.
 * - An invalid PRI ("<192>", "<01>", "<>", "<1234>", no '>') makes the
 *   message SYSLOG_NONE: the sender is not speaking syslog, so keep it all.
 * - RFC 5424 is chosen when a valid PRI is followed by VERSION "1", SP and a
 *   valid TIMESTAMP or NILVALUE that ends at SP or at the end of input.  Up
 *   to that point nothing is committed and a failure parses the text after
 *   the PRI as RFC 3164 instead (so "<14>1 apple" is a 3164 msg "1 apple").
 *   Past that point the message is SYSLOG_5424 no matter what: if a later
 *   header field or the STRUCTURED-DATA is malformed, the fields before it
 *   are kept, it and all later ones are absent, and msg is the rest of the
 *   input from the start of the bad field (absent if nothing is left).  This
 *   is rsyslog's spirit: never drop bytes, keep what was understood.
 * - msg is absent only for a 5424 message that has no MSG part; every other
 *   kind always has a (possibly empty) msg.  A leading UTF-8 BOM is skipped
 *   in both formats (RFC 5424 6.4).
 * - TIME-SECFRAC may have up to 9 digits (Go's time.RFC3339Nano emits them)
 *   although RFC 5424 6.2.3 allows 6.  Leap second 60 is refused in 5424
 *   (6.2.3) but accepted in 3164 headers (RFC 3339 5.6 allows it).
 *   Day-of-month is checked against 1..31, not against the month.
 * - SD: an unescaped ']' inside a quoted PARAM-VALUE is taken literally
 *   (RFC 5424 6.3.3 wants it escaped, but inside quotes it is unambiguous).
 *   Other limits of RFC 5424 6 are enforced: header field lengths, SD-NAME of
 *   1..32 PRINTUSASCII without '=', SP, ']', '"', single SP separators.
 * - RFC 3164 heuristics are described at parse_3164() and parse_tag().
 */

#include <string.h>

#include "syslog.h"

#define SPAN_NONE	((struct span){ NULL, 0 })

/* RFC 5424 6: maximum lengths of the header fields. */
#define HOSTNAME_MAX	255
#define APPNAME_MAX	48
#define PROCID_MAX	128
#define MSGID_MAX	32
#define SDNAME_MAX	32

/*
 * RFC 3164 4.1.3 limits TAG to 32 characters, but real tags (Kubernetes and
 * Docker container names, Java class names) are longer; 128 still keeps a
 * long word of free text from being mistaken for a tag.
 */
#define TAG_MAX		128
#define PID_MAX		128
#define FRAC_MAX	9

static inline struct span
mkspan(const char *p, const char *q)
{
	struct span s = { p, (size_t)(q - p) };

	return s;
}

/*
 * Byte classes, one table lookup per byte in the scanning loops.  The table
 * is computed by the compiler from the CT() rules below.
 */
#define C_DIGIT		0x01	/* 0-9 */
#define C_PRINT		0x02	/* PRINTUSASCII = %d33-126 (RFC 5424 6) */
#define C_SDNAME	0x04	/* SD-NAME: PRINTUSASCII but '=' ']' '"' (6.3) */
#define C_HOST		0x08	/* hostname, IPv4 or IPv6 literal */
#define C_TAG		0x10	/* 3164 TAG, see parse_tag() */

#define CT_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define CT_ALNUM(c)	(CT_DIGIT(c) || ((c) >= 'a' && (c) <= 'z') || \
			    ((c) >= 'A' && (c) <= 'Z'))
#define CT_PRINT(c)	((c) >= 33 && (c) <= 126)
/*
 * RFC 3164 4.1.3 says a TAG is alphanumeric; real tags also carry
 * "postfix/smtpd", "systemd-logind", "sshd(pam_unix)", "com.apple.xpc",
 * "%ASA-6-302013", "user@host".  Punctuation that usually belongs to prose
 * (",;!?'\"") is left out so that a sentence is not taken for a tag.
 */
#define CT_TAG(c)	(CT_ALNUM(c) || (c) == '-' || (c) == '_' || \
			    (c) == '.' || (c) == '/' || (c) == '@' || \
			    (c) == '%' || (c) == '+' || (c) == '#' || \
			    (c) == '(' || (c) == ')')
#define CT(c)	((CT_DIGIT(c) ? C_DIGIT : 0) |				\
		(CT_PRINT(c) ? C_PRINT : 0) |				\
		(CT_PRINT(c) && (c) != '=' && (c) != ']' && (c) != '"' ?	\
		    C_SDNAME : 0) |					\
		(CT_ALNUM(c) || (c) == '.' || (c) == '-' || (c) == '_' ||	\
		    (c) == ':' ? C_HOST : 0) |				\
		(CT_TAG(c) ? C_TAG : 0))
#define CT4(c)	CT(c), CT((c) + 1), CT((c) + 2), CT((c) + 3)
#define CT16(c)	CT4(c), CT4((c) + 4), CT4((c) + 8), CT4((c) + 12)
#define CT64(c)	CT16(c), CT16((c) + 16), CT16((c) + 32), CT16((c) + 48)

static const unsigned char ctype[256] = {
	CT64(0), CT64(64), CT64(128), CT64(192)
};

static inline int
is(char c, int cls)
{
	return ctype[(unsigned char)c] & cls;
}

static inline int
is_digit(char c)
{
	return is(c, C_DIGIT);
}

/*
 * End of a scan of at most max bytes from p: p + max, or end if closer.
 * Loops that run to this limit read at most max bytes, and a run that
 * reaches p + max with more bytes left is known to be too long.
 */
static inline const char *
limit(const char *p, const char *end, size_t max)
{
	return (size_t)(end - p) > max ? p + max : end;
}

/* Value of the two digits at p, or -1; the caller guarantees 2 bytes. */
static inline int
num2(const char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Skips a UTF-8 byte order mark (RFC 5424 6.4: MSG-UTF8 = BOM UTF-8-STRING). */
static inline const char *
skip_bom(const char *p, const char *end)
{
	if (end - p >= 3 && (unsigned char)p[0] == 0xEF &&
	    (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		return p + 3;
	return p;
}

/*
 * RFC 5424 6.2.1 (and RFC 3164 4.1.1): PRI = "<" PRIVAL ">", PRIVAL =
 * 1*3DIGIT in 0..191, and "the only time a value of 0 follows the '<' is for
 * the Priority value of 0".  Returns PRIVAL and sets *next past the '>', or
 * returns -1.  At most 5 bytes are looked at, each after a check against end.
 */
static int
scan_pri(const char *p, const char *end, const char **next)
{
	const char *q;
	int v = 0;

	if (p == end || *p != '<')
		return -1;
	for (q = p + 1; q < end && is_digit(*q) && q - p <= 3; q++)
		v = v * 10 + (*q - '0');
	if (q == p + 1 || q == end || *q != '>')
		return -1;
	if (v > 191 || (p[1] == '0' && q - p > 2))
		return -1;
	*next = q + 1;
	return v;
}

/* Optional ".digits" after the seconds; returns p if absent, NULL if bad. */
static const char *
scan_frac(const char *p, const char *end)
{
	const char *q;

	if (p == end || *p != '.')
		return p;
	/* Consumes at most FRAC_MAX digits; a further digit means too long. */
	for (q = p + 1; q < end && is_digit(*q) && q - p <= FRAC_MAX; q++)
		;
	if (q == p + 1 || (q < end && is_digit(*q)))
		return NULL;
	return q;
}

/*
 * "hh:mm:ss" (RFC 3339 5.6 partial-time without the fraction); maxsec is 59
 * where leap seconds are forbidden (RFC 5424 6.2.3), 60 elsewhere.
 */
static const char *
scan_hms(const char *p, const char *end, int maxsec)
{
	int h, m, s;

	if (end - p < 8 || p[2] != ':' || p[5] != ':')
		return NULL;
	h = num2(p);
	m = num2(p + 3);
	s = num2(p + 6);
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > maxsec)
		return NULL;
	return p + 8;
}

/*
 * RFC 5424 6.2.3 TIMESTAMP = FULL-DATE "T" FULL-TIME, i.e. RFC 3339 5.6
 * "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)".  In strict mode (5424) the
 * offset is required and "T"/"Z" must be upper case (6.2.3); otherwise (an
 * ISO timestamp in a 3164 header, as rsyslog's RSYSLOG_ForwardFormat sends)
 * the offset is optional and lower case is accepted (RFC 3339 5.6 NOTE).
 * Returns the end of the timestamp or NULL.
 */
static const char *
scan_rfc3339(const char *p, const char *end, int strict)
{
	int mo, d, oh, om;
	char t;

	/* "YYYY-MM-DDT" is 11 bytes, checked before any of them is read. */
	if (end - p < 11 || p[4] != '-' || p[7] != '-')
		return NULL;
	if (num2(p) < 0 || num2(p + 2) < 0)
		return NULL;
	mo = num2(p + 5);
	d = num2(p + 8);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return NULL;
	t = p[10];
	if (t != 'T' && (strict || t != 't'))
		return NULL;
	if ((p = scan_hms(p + 11, end, strict ? 59 : 60)) == NULL ||
	    (p = scan_frac(p, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'Z' || (!strict && *p == 'z')))
		return p + 1;
	if (p < end && (*p == '+' || *p == '-')) {
		/* "+hh:mm" is 6 bytes, checked before reading. */
		if (end - p < 6 || p[3] != ':')
			return NULL;
		oh = num2(p + 1);
		om = num2(p + 4);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return NULL;
		return p + 6;
	}
	return strict ? NULL : p;
}

/* The month abbreviations, three lower-case letters packed in one word. */
#define MON(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))
static const unsigned months[12] = {
	MON('j', 'a', 'n'), MON('f', 'e', 'b'), MON('m', 'a', 'r'), MON('a', 'p', 'r'),
	MON('m', 'a', 'y'), MON('j', 'u', 'n'), MON('j', 'u', 'l'), MON('a', 'u', 'g'),
	MON('s', 'e', 'p'), MON('o', 'c', 't'), MON('n', 'o', 'v'), MON('d', 'e', 'c'),
};

/*
 * RFC 3164 4.1.2 TIMESTAMP "Mmm dd hh:mm:ss", the day padded with a space.
 * Also accepted, as real senders emit them: any letter case in the month,
 * an unpadded single-digit day ("Nov 5"), fractional seconds, and a year
 * either after the day ("Mar 01 2024 10:00:00", Cisco ASA) or after the time
 * ("Nov 20 12:00:00 2024"; a hostname of exactly four digits right after
 * the time would be taken for that year).  Returns the end of the timestamp
 * or NULL.
 */
static const char *
scan_bsd_time(const char *p, const char *end)
{
	const char *q;
	int i, day;
	char a, b, c;

	/* "Mmm d" is the shortest prefix that can match: 5 bytes. */
	if (end - p < 5 || p[3] != ' ')
		return NULL;
	/* c | 0x20 lies in 'a'..'z' only when c is an ASCII letter. */
	a = p[0] | 0x20;
	b = p[1] | 0x20;
	c = p[2] | 0x20;
	unsigned key = MON((unsigned char)a, (unsigned char)b, (unsigned char)c);
	for (i = 0; i < 12; i++)
		if (months[i] == key)
			break;
	if (i == 12)
		return NULL;
	q = p + 4;
	if (*q == ' ')		/* "Nov  5": padding, the digit must follow */
		q++;
	if (q == end || !is_digit(*q))
		return NULL;
	day = *q++ - '0';
	if (q < end && is_digit(*q) && q - p == 5)
		day = day * 10 + (*q++ - '0');
	if (day < 1 || day > 31 || q == end || *q != ' ')
		return NULL;
	q++;
	/* Year before the time: 4 digits and a SP, 5 bytes checked first. */
	if (end - q >= 5 && is_digit(q[0]) && is_digit(q[1]) &&
	    is_digit(q[2]) && is_digit(q[3]) && q[4] == ' ')
		q += 5;
	if ((q = scan_hms(q, end, 60)) == NULL ||
	    (q = scan_frac(q, end)) == NULL)
		return NULL;
	/* Year after the time: SP, 4 digits, then SP or end of input. */
	if (end - q >= 5 && q[0] == ' ' && is_digit(q[1]) && is_digit(q[2]) &&
	    is_digit(q[3]) && is_digit(q[4]) && (end - q == 5 || q[5] == ' '))
		q += 5;
	return q;
}

/*
 * RFC 5424 6 header field: NILVALUE or 1*max PRINTUSASCII, ending at SP or
 * at the end of input.  At most max + 1 bytes are read.  Returns the end of
 * the token or NULL.
 */
static const char *
scan_field(const char *p, const char *end, size_t max)
{
	const char *q, *lim = limit(p, end, max + 1);

	for (q = p; q < lim && is(*q, C_PRINT); q++)
		;
	if (q == p || (size_t)(q - p) > max || (q < end && *q != ' '))
		return NULL;
	return q;
}

/*
 * RFC 5424 6.3.2/6.3.3 SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']', '"'.
 * Returns its end or NULL; reads at most SDNAME_MAX + 1 bytes.
 */
static const char *
scan_sd_name(const char *p, const char *end)
{
	const char *q, *lim = limit(p, end, SDNAME_MAX + 1);

	for (q = p; q < lim && is(*q, C_SDNAME); q++)
		;
	if (q == p || q - p > SDNAME_MAX)
		return NULL;
	return q;
}

/*
 * RFC 5424 6.3.3 PARAM-VALUE, p just after the opening '"'.  Returns the
 * closing '"' or NULL.  A '"' closes the value unless escaped, and it is
 * escaped exactly when the run of backslashes before it is odd (each '\'
 * consumes the next byte, and the byte before the run is not a '\').  The
 * backward count stops at p, so it never leaves the value.
 */
static const char *
scan_sd_value(const char *p, const char *end)
{
	const char *q, *b;

	for (;;) {
		q = memchr(p, '"', (size_t)(end - p));
		if (q == NULL)
			return NULL;
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return q;
		p = q + 1;
	}
}

/*
 * RFC 5424 6.3.3 SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34, p at the
 * name.  Returns the byte after the closing quote or NULL.
 */
static const char *
scan_sd_param(const char *p, const char *end, struct span *name,
    struct span *value)
{
	const char *n, *v, *q;

	if ((n = scan_sd_name(p, end)) == NULL)
		return NULL;
	/* '=' and '"': 2 bytes, checked before reading. */
	if (end - n < 2 || n[0] != '=' || n[1] != '"')
		return NULL;
	v = n + 2;
	if ((q = scan_sd_value(v, end)) == NULL)
		return NULL;
	*name = mkspan(p, n);
	*value = mkspan(v, q);
	return q + 1;
}

/*
 * RFC 5424 6.3 STRUCTURED-DATA = 1*SD-ELEMENT, SD-ELEMENT = "[" SD-ID
 * *(SP SD-PARAM) "]", elements not separated.  p at the first '['.  Returns
 * the byte after the last ']' or NULL.
 */
static const char *
scan_sd(const char *p, const char *end)
{
	struct span n, v;

	while (p < end && *p == '[') {
		if ((p = scan_sd_name(p + 1, end)) == NULL)
			return NULL;
		while (p < end && *p == ' ')
			if ((p = scan_sd_param(p + 1, end, &n, &v)) == NULL)
				return NULL;
		if (p == end || *p != ']')
			return NULL;
		p++;
	}
	return p;
}

/*
 * RFC 5424 6: HEADER SP STRUCTURED-DATA [SP MSG], p just after the PRI.
 * Returns 0 without touching *out if VERSION and TIMESTAMP do not match (the
 * caller then tries RFC 3164), 1 once the message is committed to 5424.
 */
static int
parse_5424(const char *p, const char *end, struct syslog_msg *out)
{
	struct span *field[4] = { &out->host, &out->app, &out->procid,
	    &out->msgid };
	static const size_t max[4] = { HOSTNAME_MAX, APPNAME_MAX, PROCID_MAX,
	    MSGID_MAX };
	const char *q;
	int i;

	/* RFC 5424 6.2.2: VERSION "1" (the only one defined), then SP. */
	if (end - p < 2 || p[0] != '1' || p[1] != ' ')
		return 0;
	p += 2;
	if (p < end && *p == '-')
		q = p + 1;
	else if ((q = scan_rfc3339(p, end, 1)) == NULL)
		return 0;
	if (q != end && *q != ' ')
		return 0;

	out->kind = SYSLOG_5424;
	out->version = 1;
	out->msg = SPAN_NONE;
	if (*p != '-')
		out->timestamp = mkspan(p, q);
	p = q < end ? q + 1 : q;

	for (i = 0; i < 4; i++) {
		if ((q = scan_field(p, end, max[i])) == NULL)
			goto broken;
		if (q - p != 1 || *p != '-')
			*field[i] = mkspan(p, q);
		/* A field that ends the input leaves p == end: the next fails. */
		p = q < end ? q + 1 : q;
	}

	if (p < end && *p == '-')
		q = p + 1;
	else if (p == end || *p != '[' || (q = scan_sd(p, end)) == NULL)
		goto broken;
	if (q < end && *q != ' ')
		goto broken;
	if (*p != '-')
		out->sd = mkspan(p, q);
	if (q < end)
		out->msg = mkspan(skip_bom(q + 1, end), end);
	return 1;

broken:
	if (p < end)
		out->msg = mkspan(p, end);
	return 1;
}

/*
 * TAG at p: NAME followed by ": " (or ':' at the end), NAME[PID] followed
 * by ':', SP or the end, or, when bare is set (a timestamp was seen, so the
 * header is known to continue), NAME followed by SP.  NAME is 1..TAG_MAX
 * tag characters (CT_TAG), not all digits; PID is 0..PID_MAX PRINTUSASCII
 * ("[]" gives an absent procid).  A bare "name:" not followed by SP or the
 * end ("http://...") is no tag.  One SP after the TAG belongs to the
 * header, further ones to the content.  Fills app and procid and returns
 * the start of the content, or returns p unchanged when there is no tag.
 * Reads at most TAG_MAX + PID_MAX + 4 bytes.
 */
static const char *
parse_tag(const char *p, const char *end, int bare, struct syslog_msg *out)
{
	const char *n, *t, *lim, *pid = NULL, *pid_end = NULL;
	int all = C_DIGIT;

	lim = limit(p, end, TAG_MAX + 1);
	for (n = p; n < lim && is(*n, C_TAG); n++)
		all &= ctype[(unsigned char)*n];
	/* All digits is a number, not a program: Cisco's "36: " sequence. */
	if (n == p || n - p > TAG_MAX || all)
		return p;
	t = n;
	if (t < end && *t == '[') {
		pid = ++t;
		lim = limit(pid, end, PID_MAX + 1);
		for (; t < lim && *t != ']' && is(*t, C_PRINT); t++)
			;
		if (t == lim || *t != ']')
			return p;
		pid_end = t++;
		bare = 1;	/* "tag[pid] msg" is unambiguous */
	}
	if (t < end && *t == ':') {
		t++;
		/* "name:x" is prose ("http://..."); after "[pid]:" it is not. */
		if (t < end && *t != ' ' && pid == NULL)
			return p;
		if (t < end && *t == ' ')
			t++;
	} else if (t < end && *t == ' ' && bare)
		t++;
	else if (!(t == end && pid != NULL))
		return p;
	out->app = mkspan(p, n);
	if (pid != NULL && pid_end > pid)
		out->procid = mkspan(pid, pid_end);
	return t;
}

/*
 * RFC 3164 4.1: [PRI] HEADER MSG, HEADER = TIMESTAMP SP HOSTNAME SP, MSG =
 * TAG CONTENT; p just after the PRI if there was one.  Deviations accepted:
 *
 * - TIMESTAMP is BSD (see scan_bsd_time) or RFC 3339; Cisco IOS's leading
 *   '*' or '.' (clock not synchronised) and trailing ':' are skipped and kept
 *   out of the timestamp span.  It must be followed by SP or the end.
 * - No TIMESTAMP ("<14>myapp: msg", "<190>nginx: ..."): then there is no
 *   HOSTNAME either, and a TAG is only recognised by its ':' or "[pid]".
 * - HOSTNAME missing ("<13>Nov 20 12:00:00 su: msg", Docker's default
 *   "<30>Nov 20 12:00:00 abc123[42]: msg"): the word after the timestamp is
 *   the TAG, not a hostname, if it ends with ':' or contains '[' (or any
 *   other byte that cannot be in a hostname or IP literal).  Otherwise
 *   it is the hostname if it is made of hostname characters, is at most 255
 *   bytes and is followed by SP.  A hostname that is really a bare tag
 *   ("<13>Nov 20 12:00:00 myapp text") cannot be told apart; like rsyslog we
 *   take it as the hostname.
 * - TAG up to TAG_MAX bytes, with or without ':'; see parse_tag().
 * - No PRI but a timestamp: SYSLOG_3164 with pri -1.  No PRI and no
 *   timestamp: not syslog, return 0 without touching *out.
 * Whatever is left after the recognised parts is the msg.
 */
static int
parse_3164(const char *p, const char *end, int have_pri,
    struct syslog_msg *out)
{
	const char *ts = p, *te, *q = p, *w, *lim;
	int have_ts = 0;

	if (ts < end && (*ts == '*' || *ts == '.'))
		ts++;
	te = scan_bsd_time(ts, end);
	if (te == NULL && ts == p)
		te = scan_rfc3339(ts, end, 0);
	if (te != NULL) {
		q = te;
		if (q < end && *q == ':')
			q++;
		if (q == end || *q == ' ')
			have_ts = 1;
	}
	if (!have_ts && !have_pri)
		return 0;

	out->kind = SYSLOG_3164;
	if (have_ts) {
		out->timestamp = mkspan(ts, te);
		p = q < end ? q + 1 : q;

		/* One pass over the next word, at most HOSTNAME_MAX + 1 bytes. */
		lim = limit(p, end, HOSTNAME_MAX + 1);
		for (w = p; w < lim && is(*w, C_HOST); w++)
			;
		if (w > p && w - p <= HOSTNAME_MAX && w < end && *w == ' ' &&
		    w[-1] != ':') {
			out->host = mkspan(p, w);
			p = w + 1;
		}
	}
	p = parse_tag(p, end, have_ts, out);
	out->msg = mkspan(skip_bom(p, end), end);
	return 1;
}

enum syslog_kind
syslog_parse(const char *buf, size_t len, struct syslog_msg *out)
{
	const char *p = buf, *end, *q = NULL;
	int pri;

	/* Adding even 0 to a null pointer is undefined, hence the test. */
	end = len > 0 ? buf + len : buf;

	/* One plain store of every field: all spans absent but msg. */
	*out = (struct syslog_msg){
		.kind = SYSLOG_NONE,
		.pri = -1,
		.facility = -1,
		.severity = -1,
		.version = 0,
		.msg = { buf, len },
	};

	/* Framing residue, see the top of the file. */
	while (end > p && (end[-1] == '\0' || end[-1] == '\n' ||
	    end[-1] == '\r'))
		end--;

	if ((pri = scan_pri(p, end, &q)) >= 0) {
		out->pri = pri;
		out->facility = pri / 8;
		out->severity = pri % 8;
		p = q;
		if (parse_5424(p, end, out))
			return out->kind;
	}
	if (parse_3164(p, end, pri >= 0, out))
		return out->kind;

	out->pri = out->facility = out->severity = -1;
	return SYSLOG_NONE;
}

void
sd_iter_init(struct sd_iter *it, struct span sd)
{
	it->p = sd.p;
	it->end = sd.p != NULL ? sd.p + sd.len : NULL;
	it->in_element = 0;
}

/* Malformed input: every later call returns -1 too. */
static int
sd_fail(struct sd_iter *it)
{
	it->p = it->end;
	it->in_element = -1;
	return -1;
}

int
sd_next_element(struct sd_iter *it, struct span *id)
{
	struct span n, v;
	const char *q;

	/* Skip whatever parameters of the current element were not read. */
	while (it->in_element == 1)
		if (sd_next_param(it, &n, &v) <= 0)
			break;
	if (it->in_element < 0)
		return -1;
	if (it->p == it->end)
		return 0;
	if (*it->p != '[' ||
	    (q = scan_sd_name(it->p + 1, it->end)) == NULL ||
	    q == it->end || (*q != ' ' && *q != ']'))
		return sd_fail(it);
	*id = mkspan(it->p + 1, q);
	it->p = q;
	it->in_element = 1;
	return 1;
}

int
sd_next_param(struct sd_iter *it, struct span *name, struct span *value)
{
	const char *q;

	if (it->in_element < 0)
		return -1;
	if (it->in_element == 0)
		return 0;
	if (it->p == it->end)
		return sd_fail(it);
	if (*it->p == ']') {
		it->p++;
		it->in_element = 0;
		return 0;
	}
	if (*it->p != ' ' ||
	    (q = scan_sd_param(it->p + 1, it->end, name, value)) == NULL)
		return sd_fail(it);
	it->p = q;
	return 1;
}

/*
 * RFC 5424 6.3.3: '\' before '"', '\' or ']' is an escape; before anything
 * else it is a literal backslash and stays.  Runs without a backslash are
 * copied with memcpy.
 */
size_t
sd_unescape(struct span value, char *dst, size_t cap)
{
	const char *p = value.p, *end, *bs;
	size_t n = 0, run;

	if (p == NULL)
		return 0;
	end = p + value.len;
	while (p < end) {
		bs = memchr(p, '\\', (size_t)(end - p));
		if (bs == NULL)
			bs = end;
		run = (size_t)(bs - p);
		if (n < cap && run > 0)
			memcpy(dst + n, p, run < cap - n ? run : cap - n);
		n += run;
		p = bs;
		if (p == end)
			break;
		/* p is at '\'; the escaped byte, if any, is p[1] < end. */
		if (end - p >= 2 && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
			p++;
		if (n < cap)
			dst[n] = *p;
		n++;
		p++;
	}
	return n;
}

size_t
sd_unescape_len(struct span value)
{
	return sd_unescape(value, NULL, 0);
}

static const char *const facility_names[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

static const char *const severity_names[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* RFC 5424 6.2.1 table 1. */
const char *
syslog_facility_name(int facility)
{
	if (facility < 0 || facility >= 24)
		return "?";
	return facility_names[facility];
}

/* RFC 5424 6.2.1 table 2. */
const char *
syslog_severity_name(int severity)
{
	if (severity < 0 || severity >= 8)
		return "?";
	return severity_names[severity];
}
