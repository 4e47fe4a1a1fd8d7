/*
 * record_int: what record.c (text, raw, events) and record_json.c (JSON
 * records) share. Internal to the two; pure, as they are.
 */
#ifndef LOGSERVER_RECORD_INT_H
#define LOGSERVER_RECORD_INT_H

#include <string.h>

#include "escape.h"
#include "record.h"
#include "syslog.h"

static inline char *
put(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

#define PUTS(d, lit) put(d, lit, sizeof(lit) - 1)

/* A facility or severity keyword: short, NUL-terminated, ours. */
static inline char *
put_name(char *d, const char *name)
{
	while (*name != '\0')
		*d++ = *name++;
	return d;
}

/*
 * A message is syslog when it starts with a PRI, or when it has a full
 * RFC 3164 header without one (syslog.c decides, docs/PARSING.md): such a
 * record has no pri, facility or severity. A plain line that happens to
 * begin with a time ("2026-01-02T03:04:05Z disk full", "Nov 20 23:29:19
 * text") is written as it came, not taken apart.
 */
static inline int
parse_syslog(const char *msg, size_t len, struct syslog_msg *m)
{
	return syslog_parse(msg, len, m) != SYSLOG_NONE;
}

/* A client's message as a JSON record (record_message() with REC_JSON). */
size_t rec_format_json(char *dst, const struct rec_clock *c, const struct rec_source *src,
    const char *msg, size_t len, int truncated);

#endif
