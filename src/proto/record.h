/*
 * record: formatting of log records, one line each, into a caller's buffer.
 *
 * Contract: pure apart from reading the clock in rec_clock_update() (a
 * memo of the JSON pri/facility/severity fields per PRI value changes no
 * output). Three
 * formats (--format):
 * A message is syslog when syslog_parse() finds it is (a PRI, or a full
 * RFC 3164 header without one: docs/PARSING.md).
 *   text  TIME PEER MESSAGE                         (not syslog)
 *         TIME PEER FAC.SEV HOST APP[PROCID]: MSG   (syslog; "[SD] " before
 *                                                   MSG when it has any;
 *                                                   "-" for FAC.SEV without PRI)
 *         with ' sent="TIMESTAMP"' and then " msgid=MSGID" between the tag
 *         and its ':' when the sender's TIMESTAMP is more than a second from
 *         TIME (or cannot be compared) and when it has a MSGID:
 *         TIME PEER FAC.SEV HOST APP[PROCID] sent="TS" msgid=ID: MSG
 *   json  one JSON object per line: time, peer, transport, and when the
 *         message parsed as syslog: pri, facility, severity (when it has a
 *         PRI), seq (Cisco), timestamp, host, app, procid, msgid, sd (object
 *         of objects), then msg.
 *   raw   the message bytes as received, escaped, and nothing else.
 * TIME is the receive time, RFC 3339 in UTC with milliseconds; PEER is
 * "addr:port" ("[addr]:port" for IPv6). A TLS sender's verified
 * certificate name follows PEER in text as "tls=NAME" and is the field
 * "tls_peer" in json (after "transport", which is then "tls"); a message
 * whose HOSTNAME is none of its names (--tls-check-hostname mark) has
 * "tls-host-mismatch" after it in text and "tls_host_mismatch":true in json. The server's own events use PEER
 * "-", which no client address can produce, and "logserver[PID]:" (in json:
 * peer "-", app "logserver", procid PID). Every byte from the network goes
 * through escape_text()/escape_json(), so a record is exactly one line.
 * The functions write into dst, sized by the caller with RECORD_MSG_MAX /
 * REC_EVENT_MAX, and return the number of bytes written.
 */
#ifndef LOGSERVER_RECORD_H
#define LOGSERVER_RECORD_H

#include <stddef.h>
#include <time.h>

#include "escape.h"

#define REC_TIME_LEN 24		/* "2026-11-20T23:24:46.123Z" */
#define REC_PEER_MAX 64		/* "[ipv6]:port" fits */
#define REC_TRUNC_MARK " [truncated]"
#define REC_EVENT_MAX 3400	/* one event record in any format */
#define REC_TLS_PEER_MAX 128	/* a TLS sender's certificate name, as recorded */
/* Everything of a message record but its bytes (the TLS name escaped). */
#define REC_FIXED_MAX (352 + 48 + ESCAPE_JSON_MAX(REC_TLS_PEER_MAX))

/* Bound for record_message() of a len-byte message, in any format: JSON
 * escaping is at most 6 bytes per input byte, and the syslog fields and the
 * structured data are disjoint parts of the message. */
#define RECORD_MSG_MAX(len) (REC_FIXED_MAX + ESCAPE_JSON_MAX(len) * 2)

enum rec_format { REC_TEXT = 0, REC_JSON = 1, REC_RAW = 2 };

/* The receive time, formatted once per second and patched per millisecond. */
struct rec_clock {
	time_t sec;
	char text[REC_TIME_LEN + 1];
};

/* Reads CLOCK_REALTIME and refreshes c->text (cheap when the second holds). */
void rec_clock_update(struct rec_clock *c);
/* Formats the given time (for tests and for replay). */
void rec_clock_set(struct rec_clock *c, time_t sec, long ms);
/* The receiver's zone, seconds east of UTC, for RFC 3164 timestamps (which
 * carry none): set by the supervisor before it forks (0 until then). */
void rec_set_utc_offset(long seconds_east);

/* Where a message came from. peer is the formatted address (not copied). */
struct rec_source {
	enum rec_format format;
	const char *peer;
	size_t peerlen;
	const char *transport;	/* "tcp", "udp", "tls" */
	const char *tls_peer;	/* verified certificate name of a TLS sender, or NULL;
				 * at most REC_TLS_PEER_MAX bytes are written */
	int tls_mismatch;	/* --tls-check-hostname mark: the message's HOSTNAME is
				 * none of the certificate's names */
};

/* A client's message. */
size_t record_message(char *dst, const struct rec_clock *c, const struct rec_source *src,
    const char *msg, size_t len, int truncated);

/* The format of a log file from its first bytes: every file logserver
 * creates begins with one of its own events (start or rotate), whose
 * layout differs per format. -1 when head is too short or none of them. */
int record_format_of(const char *head, size_t len);

/* A server event: the printf text (cut to 512 bytes), escaped. */
size_t record_event(char *dst, const struct rec_clock *c, enum rec_format format, long pid,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
