/*
 * syslog_ts.c: the timestamps of syslog headers, RFC 5424 6.2.3 (RFC 3339)
 * and RFC 3164 4.1.2 with the variants real senders emit.  Pure; see
 * syslog_scan.h for the scanning contract.
 */

#include "syslog_scan.h"

/*
 * TIME-SECFRAC may have up to 9 digits in RFC 5424 (Go's time.RFC3339Nano
 * emits them) although RFC 5424 6.2.3 allows 6.  RFC 3339 5.6 itself puts
 * no bound on time-secfrac, and real 3164-style senders emit more (syslog-ng's
 * test suite has "10:43:21.15600000000" from a BalaBit device), so outside
 * strict RFC 5424 up to FRAC_LONG digits are taken; a longer run is no
 * timestamp (it bounds the scan, and no clock has that resolution).
 */
#define FRAC_MAX	9
#define FRAC_LONG	64

/*
 * Optional ".digits" after the seconds, at most max digits; returns p if
 * absent, NULL if bad.  A '.' without digits is bad in RFC 5424 (6.2.3,
 * max == FRAC_MAX); elsewhere it is taken as an empty fraction, as
 * syslog-ng does ("Aug 29 02:00:00. ctld snmpd[2499]: ..." in its tests).
 */
static const char *
scan_frac(const char *p, const char *end, long max)
{
	const char *q;

	if (p == end || *p != '.')
		return p;
	/* Consumes at most max digits; a further digit means too long. */
	for (q = p + 1; q < end && is_digit(*q) && q - p <= max; q++)
		;
	if ((q == p + 1 && max == FRAC_MAX) || (q < end && is_digit(*q)))
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
 * "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)".  In 5424 mode "T"/"Z" must
 * be upper case, seconds stop at 59 and the fraction at FRAC_MAX digits
 * (6.2.3).  The offset, which 6.2.3 requires, may be missing in both modes:
 * Juniper SRX devices send "2010-09-15T12:00:00.000" in their RFC 5424
 * ("structured-data") format; the text is kept as sent and carries no offset.
 * In 3164 mode (an ISO timestamp in a 3164 header, as rsyslog's
 * RSYSLOG_ForwardFormat sends it) lower case is accepted (RFC 3339 5.6 NOTE),
 * a leap second and up to FRAC_LONG fraction digits too.  Returns the end of
 * the timestamp or NULL.
 */
const char *
ts_scan_rfc3339(const char *p, const char *end, enum ts_mode mode)
{
	int strict = mode == TS_5424, mo, d, oh, om;
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
	    (p = scan_frac(p, end, strict ? FRAC_MAX : FRAC_LONG)) == NULL)
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
	return p;
}

/* The month abbreviations, three lower-case letters packed in one word. */
#define MON(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))

/*
 * 1 when key (MON() of three lower-case letters) names a month; a switch on
 * the first letter leaves at most three words to compare.
 */
static int
is_month(unsigned key)
{
	switch (key >> 16) {
	case 'j':
		return key == MON('j', 'a', 'n') || key == MON('j', 'u', 'n') ||
		    key == MON('j', 'u', 'l');
	case 'f':
		return key == MON('f', 'e', 'b');
	case 'm':
		return key == MON('m', 'a', 'r') || key == MON('m', 'a', 'y');
	case 'a':
		return key == MON('a', 'p', 'r') || key == MON('a', 'u', 'g');
	case 's':
		return key == MON('s', 'e', 'p');
	case 'o':
		return key == MON('o', 'c', 't');
	case 'n':
		return key == MON('n', 'o', 'v');
	case 'd':
		return key == MON('d', 'e', 'c');
	default:
		return 0;
	}
}

/*
 * RFC 3164 4.1.2 TIMESTAMP "Mmm dd hh:mm:ss", the day padded with a space.
 * Also accepted, as real senders emit them: any letter case in the month,
 * an unpadded single-digit day ("Nov 5"), fractional seconds, and a year
 * either after the day ("Mar 01 2024 10:00:00", Cisco ASA) or after the time
 * ("Nov 20 12:00:00 2024"; a hostname of exactly four digits right after
 * the time would be taken for that year) or before the month (Cisco NX-OS),
 * and up to FRAC_LONG fraction digits.  Returns the end of the timestamp
 * or NULL.
 */
const char *
ts_scan_bsd(const char *p, const char *end)
{
	const char *q;
	int day;
	char a, b, c;

	/*
	 * Cisco NX-OS puts the year first ("2022 Oct 19 11:34:01"), as does
	 * RFC 3164 5.4's fifth example: 4 digits and a SP, 5 bytes checked.
	 */
	if (end - p >= 5 && is_digit(p[0]) && is_digit(p[1]) &&
	    is_digit(p[2]) && is_digit(p[3]) && p[4] == ' ')
		p += 5;
	/* "Mmm d" is the shortest prefix that can match: 5 bytes. */
	if (end - p < 5 || p[3] != ' ')
		return NULL;
	/* c | 0x20 lies in 'a'..'z' only when c is an ASCII letter. */
	a = p[0] | 0x20;
	b = p[1] | 0x20;
	c = p[2] | 0x20;
	unsigned key = MON((unsigned char)a, (unsigned char)b, (unsigned char)c);
	if (!is_month(key))
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
	    (q = scan_frac(q, end, FRAC_LONG)) == NULL)
		return NULL;
	/* Year after the time: SP, 4 digits, then SP or end of input. */
	if (end - q >= 5 && q[0] == ' ' && is_digit(q[1]) && is_digit(q[2]) &&
	    is_digit(q[3]) && is_digit(q[4]) && (end - q == 5 || q[5] == ' '))
		q += 5;
	return q;
}

