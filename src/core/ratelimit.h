/*
 * ratelimit: how many records the events that others cause (refusals,
 * unauthenticated requests, UDP from senders not allowed) may add.
 *
 * Contract: pure; the caller passes the time and a key naming the source
 * (its address bytes). Per kind of event there is a budget of kind_burst
 * records per window seconds, and within it a budget of src_burst per
 * source, so one noisy source cannot use up what another needs. What goes
 * over a budget is counted, not written; once a kind's window has ended
 * with something suppressed, rl_summary() hands out the count for one
 * "N similar events suppressed" record. Whatever a party does, a kind adds
 * at most kind_burst + 1 records per window. The struct has no pointers, so
 * it can live in shared memory (the store keeps it in its shared page and
 * changes it only under its lock).
 */
#ifndef LOGSERVER_RATELIMIT_H
#define LOGSERVER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum rl_kind {
	RL_NONE = 0,		/* not limited */
	RL_REFUSED,		/* connections refused (allow, limits, fork) */
	RL_UDP_REFUSED,		/* datagrams from senders not allowed */
	RL_QUERY_REFUSED,	/* query requests refused, unauthenticated ones */
	RL_PROTOCOL,		/* malformed input that ends a connection */
	RL_KINDS
};

#define RL_SOURCES 64		/* sources remembered per window, all kinds */
#define RL_KEY_MAX 16
#define RL_WINDOW 60		/* seconds */
#define RL_KIND_BURST 20	/* records per kind per window */
#define RL_SRC_BURST 5		/* records per source and kind per window */

struct rl_source {
	uint8_t kind;
	uint8_t keylen;
	uint8_t key[RL_KEY_MAX];
	uint32_t n;
	time_t start;
};

struct rl_kindstate {
	time_t start;		/* window start, 0 when none is open */
	uint32_t n;
	unsigned long long suppressed;
};

struct ratelimit {
	struct rl_kindstate kind[RL_KINDS];
	struct rl_source src[RL_SOURCES];
};

/* 1: write the record; 0: suppressed (counted). RL_NONE always writes. */
int rl_allow(struct ratelimit *rl, enum rl_kind kind, const void *key, size_t keylen,
    time_t now);

/* A summary that is due (with force: any pending one, at shutdown): returns 1 and sets *kind, *count, *secs (the
 * window's length so far) for one kind whose window ended with suppressed
 * events, and starts that kind afresh; 0 when none is due. */
int rl_summary(struct ratelimit *rl, time_t now, int force, enum rl_kind *kind,
    unsigned long long *count, long *secs);

/* Seconds until the next summary could be due (for a wake-up), -1 if none. */
long rl_next_due(const struct ratelimit *rl, time_t now);

/* "refused connections", "UDP from senders not allowed", ... */
const char *rl_kind_name(enum rl_kind kind);

#endif
