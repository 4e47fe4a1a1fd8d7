/*
 * syslog_scan: the byte-level helpers shared by the syslog parser's modules
 * (syslog.c, syslog_ts.c, syslog_sd.c, syslog_5424.c, syslog_3164.c).
 * Internal to the parser: callers use syslog.h.
 *
 * Contract: every scanner takes a cursor p and the end of the input and
 * returns the end of what it recognised, or NULL (or p) when it recognised
 * nothing.  A byte is dereferenced only after its position was checked
 * against end, so no scanner reads outside [p, end) and none needs a NUL
 * terminator.  Nothing allocates, nothing copies.
 */
#ifndef LOGSERVER_SYSLOG_SCAN_H
#define LOGSERVER_SYSLOG_SCAN_H

#include <stddef.h>

#include "syslog.h"

#define SPAN_NONE	((struct span){ NULL, 0 })

/* RFC 5424 6: maximum lengths of the header fields. */
#define HOSTNAME_MAX	255
#define APPNAME_MAX	48
#define PROCID_MAX	128
#define MSGID_MAX	32
#define SDNAME_MAX	32

/* Byte classes of syslog_ctype[] (built in syslog.c). */
#define C_DIGIT		0x01	/* 0-9 */
#define C_PRINT		0x02	/* PRINTUSASCII = %d33-126 (RFC 5424 6) */
#define C_SDNAME	0x04	/* SD-NAME: PRINTUSASCII but '=' ']' '"' (6.3) */
#define C_HOST		0x08	/* hostname, IPv4 or IPv6 literal */
#define C_TAG		0x10	/* 3164 TAG, see syslog_3164.c */

extern const unsigned char syslog_ctype[256];

static inline struct span
mkspan(const char *p, const char *q)
{
	struct span s = { p, (size_t)(q - p) };

	return s;
}

static inline int
is(char c, int cls)
{
	return syslog_ctype[(unsigned char)c] & cls;
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

/* syslog_ts.c: timestamps.  Each returns the end of the timestamp or NULL. */

/* RFC 3339 / RFC 5424 6.2.3 "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)". */
enum ts_mode {
	TS_5424,	/* RFC 5424 6.2.3 as written, but see syslog_ts.c */
	TS_3164,	/* an ISO timestamp in a 3164 header: lenient */
};
const char *ts_scan_rfc3339(const char *p, const char *end, enum ts_mode mode);
/* RFC 3164 4.1.2 "Mmm dd hh:mm:ss" and its real-world variants. */
const char *ts_scan_bsd(const char *p, const char *end);

/* syslog_sd.c: RFC 5424 6.3 STRUCTURED-DATA, p at the first '['. */
const char *sd_scan(const char *p, const char *end);

/* syslog_5424.c: p just after the PRI; 0 = not 5424 (*out untouched). */
int parse_5424(const char *p, const char *end, struct syslog_msg *out);

/* syslog_3164.c: p just after the PRI, if any; 0 = not syslog. */
int parse_3164(const char *p, const char *end, int have_pri,
    struct syslog_msg *out);

#endif
