/*
 * timeouts: the deadlines of one connection, for its ppoll().
 *
 * Contract: --idle-timeout closes a sender silent that long;
 * --frame-timeout closes one whose message (or RELP frame) has begun and
 * not ended that long (the slowloris deadline: a byte now and then does not
 * reset it). 0 turns either off. Only CLOCK_MONOTONIC is read; no I/O.
 */
#ifndef LOGSERVER_TIMEOUTS_H
#define LOGSERVER_TIMEOUTS_H

#include <time.h>

struct conn_timeouts {
	long long idle_ms, frame_ms;	/* 0: off */
	long long last_byte;		/* monotonic ms of the last byte read */
	long long partial_since;	/* monotonic ms a message began, 0 when none is open */
};

enum ct_expired { CT_NONE, CT_IDLE, CT_FRAME };

/* Monotonic milliseconds. */
long long ct_now_ms(void);
void ct_init(struct conn_timeouts *t, long long idle_s, long long frame_s);
/* Bytes arrived; partial says whether a message is open after processing them. */
void ct_bytes(struct conn_timeouts *t, int partial);
/* The ppoll timeout until the nearer deadline; tmo is filled and returned,
 * or NULL when none applies (wait for ever). */
struct timespec *ct_wait(const struct conn_timeouts *t, struct timespec *tmo);
/* Which deadline has passed, if any. */
enum ct_expired ct_check(const struct conn_timeouts *t);

#endif
