/*
 * syslog: pure parser for one syslog message held in a byte buffer.
 *
 * Contract: syslog_parse() recognises RFC 5424 and RFC 3164 messages (with the
 * real-world deviations that rsyslog and syslog-ng accept) and fills a
 * struct syslog_msg whose spans point INTO the caller's buffer: nothing is
 * allocated, nothing is copied, no byte outside [buf, buf+len) is read, and
 * the buffer need not be NUL-terminated. The spans are valid as long as the
 * caller's buffer is. A message that is neither format yields
 * kind == SYSLOG_NONE with msg spanning the whole buffer: nothing is dropped.
 * The spans, where present, lie in the buffer in the order of the fields
 * below (seq first, msg last) and do not overlap.  The rules, and where
 * they differ from rsyslog and syslog-ng, are in docs/PARSING.md.
 */
#ifndef LOGSERVER_SYSLOG_H
#define LOGSERVER_SYSLOG_H

#include <stddef.h>

/* A byte range inside the parsed buffer; p == NULL means "absent". */
struct span {
	const char *p;
	size_t len;
};

enum syslog_kind {
	SYSLOG_NONE = 0,	/* not syslog: msg is the whole input */
	SYSLOG_3164,		/* BSD syslog, RFC 3164 */
	SYSLOG_5424,		/* RFC 5424 */
};

struct syslog_msg {
	enum syslog_kind kind;
	int pri;		/* 0..191, or -1 when the message has no PRI */
	int facility;		/* pri / 8, or -1 */
	int severity;		/* pri % 8, or -1 */
	int version;		/* 1 for RFC 5424, 0 otherwise */
	struct span seq;	/* 3164 only: Cisco IOS sequence number before the header */
	struct span timestamp;	/* sender's timestamp text as sent; absent for "-" */
	struct span host;	/* HOSTNAME; absent for "-" or when missing */
	struct span app;	/* APP-NAME (5424) or TAG without [pid] (3164) */
	struct span procid;	/* PROCID (5424) or the pid inside TAG[pid] (3164) */
	struct span msgid;	/* MSGID (5424 only) */
	struct span sd;		/* STRUCTURED-DATA text, brackets included; absent for "-" */
	struct span msg;	/* MSG, after a UTF-8 BOM if one was present */
};

/* Parses buf[0..len). Always returns the kind it found and fills *out. */
enum syslog_kind syslog_parse(const char *buf, size_t len, struct syslog_msg *out);

/*
 * Iteration over RFC 5424 STRUCTURED-DATA (sd span from syslog_parse).
 * Usage:
 *   struct sd_iter it; sd_iter_init(&it, m.sd);
 *   struct span id; while (sd_next_element(&it, &id) == 1) {
 *     struct span name, value;
 *     while (sd_next_param(&it, &name, &value) == 1) ...
 *   }
 * value is the raw PARAM-VALUE between the quotes, still carrying its
 * backslash escapes (\" \\ \]); use sd_unescape_len/sd_unescape to decode.
 * Both return 1 for an item, 0 at the end, -1 on malformed input (stop there).
 */
struct sd_iter {
	const char *p;
	const char *end;
	int in_element;
};

void sd_iter_init(struct sd_iter *it, struct span sd);
int sd_next_element(struct sd_iter *it, struct span *id);
int sd_next_param(struct sd_iter *it, struct span *name, struct span *value);

/* Copies value into dst (capacity cap) with RFC 5424 6.3.3 escapes removed;
 * returns the decoded length (which may exceed cap: then dst holds cap bytes). */
size_t sd_unescape(struct span value, char *dst, size_t cap);
/* The decoded length alone: sd_unescape(value, NULL, 0). */
size_t sd_unescape_len(struct span value);

/* Facility and severity keywords ("local0", "err"); "?" for out-of-range. */
const char *syslog_facility_name(int facility);
const char *syslog_severity_name(int severity);

#endif
