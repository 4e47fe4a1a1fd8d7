/* pace: a token bucket in thousandths of a message, integer only. */
#include "pace.h"

void
pace_init(struct pace *p, int64_t rate, int64_t now_ms)
{
	p->rate = rate < 0 ? 0 : rate > PACE_RATE_MAX ? PACE_RATE_MAX : rate;
	p->milli = p->rate * 1000;	/* a full second's burst */
	p->last_ms = now_ms;
}

static void
refill(struct pace *p, int64_t now_ms)
{
	int64_t dt = now_ms - p->last_ms, cap = p->rate * 1000;

	if (dt <= 0)
		return;
	if (dt > 61000)
		dt = 61000;	/* pays the largest debt and fills the bucket; no overflow */
	p->milli += dt * p->rate;	/* rate messages/s = rate thousandths per ms */
	if (p->milli > cap)
		p->milli = cap;
	p->last_ms = now_ms;
}

void
pace_take(struct pace *p, uint64_t n, int64_t now_ms)
{
	if (p->rate == 0)
		return;
	refill(p, now_ms);
	if (n > (uint64_t)PACE_RATE_MAX)
		n = (uint64_t)PACE_RATE_MAX;
	p->milli -= (int64_t)n * 1000;
	if (p->milli < -p->rate * 1000 * 60)
		p->milli = -p->rate * 1000 * 60;	/* owe at most a minute */
}

int64_t
pace_wait_ms(struct pace *p, int64_t now_ms)
{
	if (p->rate == 0)
		return 0;
	refill(p, now_ms);
	if (p->milli >= 0)
		return 0;
	return (-p->milli + p->rate - 1) / p->rate;	/* ceil(owed / rate per ms) */
}
