/*
 * syslog_sd.c: RFC 5424 6.3 STRUCTURED-DATA: the scanner the parser uses to
 * accept an SD part, the iterator over its elements and parameters, and
 * PARAM-VALUE unescaping.  Pure; see syslog.h and syslog_scan.h.
 *
 * An unescaped ']' inside a quoted PARAM-VALUE is taken literally (RFC 5424
 * 6.3.3 wants it escaped, but inside quotes it is unambiguous).  Other
 * limits of RFC 5424 6.3 are enforced: SD-NAME of 1..32 PRINTUSASCII without
 * '=', SP, ']', '"', single SP separators.
 */

#include <string.h>

#include "syslog_scan.h"

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
const char *
sd_scan(const char *p, const char *end)
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

