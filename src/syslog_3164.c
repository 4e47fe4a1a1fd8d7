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
		all &= syslog_ctype[(unsigned char)*n];
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
int
parse_3164(const char *p, const char *end, int have_pri,
    struct syslog_msg *out)
{
	const char *ts = p, *te, *q = p, *w, *lim;
	int have_ts = 0;

	if (ts < end && (*ts == '*' || *ts == '.'))
		ts++;
	te = ts_scan_bsd(ts, end);
	if (te == NULL && ts == p)
		te = ts_scan_rfc3339(ts, end, TS_3164);
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

