/*
 * syslog_5424.c: the RFC 5424 6 header (VERSION, TIMESTAMP, HOSTNAME,
 * APP-NAME, PROCID, MSGID), STRUCTURED-DATA and MSG.  Pure; see syslog.h and
 * syslog_scan.h.
 *
 * RFC 5424 is chosen when a valid PRI is followed by VERSION "1", SP and a
 * valid TIMESTAMP or NILVALUE that ends at SP or at the end of input.  Up to
 * that point nothing is committed and a failure makes the caller parse the
 * text after the PRI as RFC 3164 instead (so "<14>1 apple" is a 3164 msg
 * "1 apple").  Past that point the message is SYSLOG_5424 no matter what: if
 * a later header field or the STRUCTURED-DATA is malformed, the fields
 * before it are kept, it and all later ones are absent, and msg is the rest
 * of the input from the start of the bad field (absent if nothing is left).
 * This is rsyslog's spirit: never drop bytes, keep what was understood.
 */

#include "syslog_scan.h"

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
 * RFC 5424 6: HEADER SP STRUCTURED-DATA [SP MSG], p just after the PRI.
 * Returns 0 without touching *out if VERSION and TIMESTAMP do not match (the
 * caller then tries RFC 3164), 1 once the message is committed to 5424.
 */
int
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
	else if ((q = ts_scan_rfc3339(p, end, TS_5424)) == NULL)
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
	else if (p == end || *p != '[' || (q = sd_scan(p, end)) == NULL)
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

