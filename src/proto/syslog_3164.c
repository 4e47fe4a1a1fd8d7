/*
 * syslog_3164.c: the RFC 3164 4.1 header (TIMESTAMP, HOSTNAME) and TAG, with
 * the deviations real senders emit.  Pure; see syslog.h and syslog_scan.h.
 */

#include "syslog_scan.h"

/*
 * RFC 3164 4.1.3 limits TAG to 32 characters, but real tags (Kubernetes and
 * Docker container names, Java class names) are longer; 128 still keeps a
 * long word of free text from being mistaken for a tag.
 */
#define TAG_MAX		128
#define PID_MAX		128
/* Cisco IOS sequence numbers are 32-bit counters: at most 10 digits. */
#define SEQ_MAX		10

/*
 * TAG at p: NAME followed by ':' (see below), NAME[PID] followed by ':', SP
 * or the end, or, when bare is set (a timestamp was seen, so the header is
 * known to continue), NAME followed by SP.  NAME is 1..TAG_MAX tag
 * characters (CT_TAG in syslog.c), not all digits; PID is 0..PID_MAX
 * PRINTUSASCII ("[]" gives an absent procid).  One SP after the TAG belongs
 * to the header, further ones to the content.  Fills app and procid and
 * returns the start of the content, or returns p unchanged when there is no
 * tag.  Reads at most TAG_MAX + PID_MAX + 4 bytes.
 *
 * "name:" followed by SP or the end is a TAG.  "name:x" is one too when the
 * header is known to continue (RFC 3164 4.1.3: "any non-alphanumeric
 * character will terminate the TAG field", so "tag:msgnum:3" is TAG "tag"
 * and CONTENT "msgnum:3", as rsyslog and syslog-ng read it), except when x
 * is '/' or ':' ("http://host/", "fe80::1"): a ':' inside a word.  Without
 * a timestamp "name:x" is prose ("<14>note:see below").
 */
static const char *
parse_tag(const char *p, const char *end, int bare, struct syslog_msg *out)
{
	const char *n, *t, *lim, *pid = NULL, *pid_end = NULL;
	int all = C_DIGIT;

	lim = limit(p, end, TAG_MAX + 1);
	for (n = p; n < lim && is(*n, C_TAG); n++)
		all &= syslog_ctype[(unsigned char)*n];
	/* All digits is a number, not a program. */
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
		if (t < end && *t != ' ' &&
		    (!bare || (pid == NULL && (*t == '/' || *t == ':'))))
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
 * Cisco IOS "service sequence-numbers" puts "NNN: " before the timestamp
 * ("<186>1541800: Feb 27 06:08:59.485: %HARDWARE-2-FAN_ERROR: ..."): up to
 * SEQ_MAX digits, ':' and SP.  NX-OS sends the ": " without a number
 * ("<190>: 2017 Mar 06 09:22:34 CET: %AUTHPRIV-6-SYSTEM_MSG: ...", in
 * Graylog's tests); the caller keeps it only before a timestamp or a
 * mnemonic, as the number.  Returns the byte after the SP, or p.
 */
static const char *
scan_cisco_seq(const char *p, const char *end)
{
	const char *q, *lim = limit(p, end, SEQ_MAX + 1);

	for (q = p; q < lim && is_digit(*q); q++)
		;
	if (q - p > SEQ_MAX || end - q < 2 || q[0] != ':' || q[1] != ' ')
		return p;
	return q + 2;
}

/*
 * Cisco IOS "service timestamps log datetime show-timezone" writes the time
 * zone after the time ("*Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: ...",
 * "May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: ..." in rsyslog's testbench,
 * NX-OS "clock timezone": "2022 Oct 19 11:34:01 Berlin: %ETHPORT-..."):
 * 1 to ZONE_MAX letters (the limit of IOS "clock timezone"), ':', SP and
 * the '%' of the %FACILITY-SEVERITY-MNEMONIC that follows; that '%' tells
 * the zone from a TAG after a missing hostname ("Nov 20 12:00:00 su: msg").
 * [p, w) is the word after the timestamp, w[-1] == ':' and *w == SP; 1 when
 * it is such a zone.  Only a word that ends in ':' is looked at, so the
 * common header with a HOSTNAME costs nothing more.
 */
#define ZONE_MAX	7

static int
is_cisco_zone(const char *p, const char *w, const char *end)
{
	const char *q;

	if (w - p < 2 || w - p > ZONE_MAX + 1 || end - w < 2 || w[1] != '%')
		return 0;
	for (q = p; q < w - 1; q++)
		if ((*q | 0x20) < 'a' || (*q | 0x20) > 'z')
			return 0;
	return 1;
}

/*
 * The TIMESTAMP at p: BSD (ts_scan_bsd) or, when iso is set, RFC 3339.
 * Cisco IOS's leading '*' or '.' (clock not synchronised) and trailing ':'
 * are skipped and kept out of the span (a time zone before that ':' is
 * added by the caller, see is_cisco_zone()).  It must be followed by SP or
 * the end.  Sets *ts and returns the byte after it (SP or end), or NULL.
 */
static const char *
scan_header_time(const char *p, const char *end, int iso, struct span *ts)
{
	const char *t = p, *te, *q;

	if (t < end && (*t == '*' || *t == '.'))
		t++;
	te = ts_scan_bsd(t, end);
	if (te == NULL && t == p && iso)
		te = ts_scan_rfc3339(t, end, TS_3164);
	if (te == NULL)
		return NULL;
	q = te;
	if (q < end && *q == ':')
		q++;
	if (q != end && *q != ' ')
		return NULL;
	*ts = mkspan(t, te);
	return q;
}

/*
 * RFC 4291 2.2: a compressed IPv6 address may end in "::" ("0002::",
 * rsyslog's testbench).  w is the end of a word of C_HOST bytes that ends in
 * ':'; 1 when it is such an address (hex digits, ':' and '.' for an IPv4
 * tail), so that it is a HOSTNAME and not a "tag:".
 */
static int
ipv6_ends_in_colons(const char *p, const char *w)
{
	const char *q;

	if (w - p < 2 || w[-2] != ':')
		return 0;
	for (q = p; q < w; q++)
		if (!is_digit(*q) && *q != ':' && *q != '.' &&
		    !((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f'))
			return 0;
	return 1;
}

/*
 * RFC 3164 4.1: [PRI] HEADER MSG, HEADER = TIMESTAMP SP HOSTNAME SP, MSG =
 * TAG CONTENT; p just after the PRI if there was one.  Deviations accepted:
 *
 * - SP between PRI and TIMESTAMP ("<38> Mar  7 19:06:53 example tag: ..."),
 *   as appliances send and rsyslog's testbench has: skipped when a
 *   timestamp follows them, else they stay in the msg.
 * - Cisco IOS sequence number before the timestamp, see scan_cisco_seq():
 *   kept in seq.  With "logging origin-id hostname" the device's name
 *   comes between the number and the timestamp ("<14>123456789: HOSTNAME:
 *   May 21 12:00:01.123 gmt: %IOSXE-..."): a HOSTNAME before the TIMESTAMP
 *   is no RFC 3164 header, so that message is a PRI and a msg.  Also before a "%FAC-SEV-MNEMONIC:" tag when the device's
 *   timestamps are off ("<189>36: %SYS-5-CONFIG_I: ...").  After a
 *   relay's HOSTNAME ("host 585917: Feb  8 04:00:47.272: %SEC-6-...") the
 *   number and the device's own header stay in the msg: seq and timestamp
 *   are the relay's header's.
 * - TIMESTAMP is BSD or RFC 3339, see scan_header_time().
 * - A year after the time may be followed by more than one SP
 *   ("<6>AUG 10 22:18:24 2009  netips-warden2-p [audit] ...", syslog-ng's
 *   test suite): all of them are skipped.
 * - No TIMESTAMP ("<14>myapp: msg", "<190>nginx: ..."): then there is no
 *   HOSTNAME either, and a TAG is only recognised by its ':' or "[pid]".
 * - HOSTNAME missing ("<13>Nov 20 12:00:00 su: msg", Docker's default
 *   "<30>Nov 20 12:00:00 abc123[42]: msg"): the word after the timestamp is
 *   the TAG, not a hostname, if it ends with ':' (but for an IPv6 address
 *   ending in "::", see ipv6_ends_in_colons()) or contains '[' (or any other
 *   byte that cannot be in a hostname or IP literal).  Otherwise it is the
 *   hostname if it is made of hostname characters, is at most 255 bytes and
 *   is followed by SP.  A hostname that is really a bare tag ("<13>Nov 20
 *   12:00:00 myapp text") cannot be told apart; like rsyslog we take it as
 *   the hostname.
 * - TAG up to TAG_MAX bytes, with or without ':'; see parse_tag().
 * - No PRI: syslog only with a full RFC 3164 header, that is a BSD
 *   TIMESTAMP (4.1.2; an ISO one is not RFC 3164 and starts many an
 *   application's own log lines) followed by a HOSTNAME or a TAG:
 *   "Feb 18 16:01:59 serverX -- MARK --", "journalctl -o short" lines, Cisco
 *   "*Mar  1 18:46:11: %SYS-5-CONFIG_I: ...".  It is SYSLOG_3164 with pri
 *   -1 (no PRI is invented).  Anything else returns 0: not syslog.
 * Whatever is left after the recognised parts is the msg.
 */
int
parse_3164(const char *p, const char *end, int have_pri,
    struct syslog_msg *out)
{
	const char *h = p, *s, *q, *w, *lim;
	struct span ts = SPAN_NONE;

	if (have_pri)
		while (h < end && *h == ' ')
			h++;
	s = scan_cisco_seq(h, end);
	q = scan_header_time(s, end, have_pri, &ts);
	if (q == NULL) {
		if (!have_pri)
			return 0;
		/* "NNN: %FAC-SEV-MNEMONIC:" keeps its sequence number. */
		if (s == h || s == end || *s != '%')
			s = h = p;
	}
	if (s - 2 > h)
		out->seq = mkspan(h, s - 2);
	p = s;
	if (q != NULL) {
		out->timestamp = ts;
		p = q < end ? q + 1 : q;
		/* A year after the time: ts ends in " yyyy" only then. */
		if (ts.len >= 5 && ts.p[ts.len - 5] == ' ')
			while (p < end && *p == ' ')
				p++;

		/* One pass over the next word, at most HOSTNAME_MAX + 1 bytes. */
		lim = limit(p, end, HOSTNAME_MAX + 1);
		for (w = p; w < lim && is(*w, C_HOST); w++)
			;
		if (w > p && w - p <= HOSTNAME_MAX && w < end && *w == ' ') {
			if (w[-1] != ':' || ipv6_ends_in_colons(p, w)) {
				out->host = mkspan(p, w);
				p = w + 1;
			} else if (is_cisco_zone(p, w, end)) {
				/* The zone is part of the sender's time. */
				out->timestamp = mkspan(ts.p, w - 1);
				p = w + 1;
			}
		}
	}
	w = p;
	/* Cisco ASA with "logging device-id": "host : %ASA-6-...", an empty
	 * TAG; rsyslog and syslog-ng take the ": " as the header's end too. */
	if (q != NULL && end - p >= 2 && p[0] == ':' && p[1] == ' ')
		p += 2;
	else
		p = parse_tag(p, end, q != NULL, out);
	/* No PRI: a timestamp alone ("Nov 20 23:29:19 text") is no header. */
	if (!have_pri && out->host.p == NULL && p == w)
		return 0;
	out->kind = SYSLOG_3164;
	out->msg = mkspan(skip_bom(p, end), end);
	return 1;
}
