/*
 * pace: --max-rate, a token bucket per connection (messages per second).
 *
 * Contract: pure; the caller passes the monotonic time in ms. The bucket
 * holds at most one second's worth of messages (the burst) and refills at
 * the rate. pace_take() spends n messages, which may leave it in debt (a
 * read can hold more messages than the bucket has); pace_wait_ms() says
 * how long the caller must stop reading until the debt is paid. A rate of
 * 0 means no limit: nothing is ever owed.
 */
#ifndef LOGSERVER_PACE_H
#define LOGSERVER_PACE_H

#include <stdint.h>

#define PACE_RATE_MAX 100000000LL	/* messages per second, the option's bound */

struct pace {
	int64_t rate;		/* messages per second, 0: unlimited */
	int64_t milli;		/* tokens in thousandths of a message; negative: owed */
	int64_t last_ms;
};

void pace_init(struct pace *p, int64_t rate, int64_t now_ms);
void pace_take(struct pace *p, uint64_t n, int64_t now_ms);
/* 0 when the caller may read now, else the ms until it may. */
int64_t pace_wait_ms(struct pace *p, int64_t now_ms);

#endif
