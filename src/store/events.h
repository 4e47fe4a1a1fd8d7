/*
 * events: the server's own event records, written from any process.
 *
 * Contract: event_write() formats one event (record.h) and appends it
 * through the store's flood control (logstore_event): kind RL_NONE for the
 * server's own events (start, stop, a child's end), another kind for events
 * that others cause, limited per source (src, the peer's address, may be
 * NULL) and per kind. With wait 0 the caller never waits for the store's
 * lock (the supervisor: a stopped child holding the lock must not stall
 * accepting): a record that finds the lock busy is queued in this process,
 * at most EV_QUEUE of them, and events_flush() writes the queue later; what
 * does not fit in the queue is counted and the count written with the next
 * flush. Errors are reported by the caller only through the return value.
 */
#ifndef LOGSERVER_EVENTS_H
#define LOGSERVER_EVENTS_H

#include <sys/socket.h>

#include "logstore.h"
#include "ratelimit.h"

#define EV_QUEUE 32

/* Returns 0 (written, suppressed or queued) or -1 with errno. */
int event_write(struct logstore *ls, int format, enum rl_kind kind, const struct sockaddr *src,
    socklen_t srclen, int wait, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* A query audit event: as event_write() with wait 1, written to the
 * store's audit file (--audit-file) when it has one. */
int event_audit(struct logstore *ls, int format, enum rl_kind kind, const struct sockaddr *src,
    socklen_t srclen, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Writes what is queued (wait as above). Returns the number still queued. */
size_t events_flush(struct logstore *ls, int format, int wait);

#endif
