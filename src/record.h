/*
 * record: formatting of log records, one line each, into a caller's buffer.
 *
 * Contract: pure apart from reading the clock in rec_clock_update(). A
 * record is
 *     TIME PEER MESSAGE\n
 * TIME is the receive time, RFC 3339 in UTC with milliseconds; PEER is
 * "addr:port" ("[addr]:port" for IPv6). The server's own events use PEER
 * "-", which no client address can produce, followed by "logserver[PID]:".
 * Message bytes always go through escape_text(), so a record is exactly one
 * line. The functions write into dst, which the caller sizes with the
 * RECORD_*_MAX bounds, and return the number of bytes written.
 */
#ifndef LOGSERVER_RECORD_H
#define LOGSERVER_RECORD_H

#include <stddef.h>
#include <time.h>

#include "escape.h"

#define REC_TIME_LEN 24		/* "2026-11-20T23:24:46.123Z" */
#define REC_PEER_MAX 64		/* "[ipv6]:port" fits */
#define REC_TRUNC_MARK " [truncated]"
#define REC_EVENT_MAX 2304	/* one event record, all included */

/* Bound for record_message() of a len-byte message. */
#define RECORD_MSG_MAX(len) (REC_TIME_LEN + 1 + REC_PEER_MAX + 1 + ESCAPE_TEXT_MAX(len) + \
	sizeof(REC_TRUNC_MARK) + 1)

/* The receive time, formatted once per second and patched per millisecond. */
struct rec_clock {
	time_t sec;
	long ms;
	char text[REC_TIME_LEN + 1];
};

/* Reads CLOCK_REALTIME and refreshes c->text (cheap when the second holds). */
void rec_clock_update(struct rec_clock *c);
/* Formats the given time (for tests and for replay). */
void rec_clock_set(struct rec_clock *c, time_t sec, long ms);

/* A client's message. peer is the formatted peer address. */
size_t record_message(char *dst, const struct rec_clock *c, const char *peer, size_t peerlen,
    const char *msg, size_t len, int truncated);

/* A server event: "TIME - logserver[pid]: " then the printf text, escaped.
 * At most REC_EVENT_MAX bytes are written (the text is cut to fit). */
size_t record_event(char *dst, const struct rec_clock *c, long pid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
