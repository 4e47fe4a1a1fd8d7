/* timeouts: idle and frame deadlines of one connection. */
#include "timeouts.h"

long long
ct_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
ct_init(struct conn_timeouts *t, long long idle_s, long long frame_s)
{
	t->idle_ms = idle_s * 1000;
	t->frame_ms = frame_s * 1000;
	t->last_byte = ct_now_ms();
	t->partial_since = 0;
}

void
ct_bytes(struct conn_timeouts *t, int partial)
{
	t->last_byte = ct_now_ms();
	if (!partial)
		t->partial_since = 0;
	else if (t->partial_since == 0)
		t->partial_since = t->last_byte;
}

/* Monotonic ms of the nearer deadline, or -1. */
static long long
next_deadline(const struct conn_timeouts *t)
{
	long long d = -1;

	if (t->idle_ms > 0)
		d = t->last_byte + t->idle_ms;
	if (t->frame_ms > 0 && t->partial_since != 0 &&
	    (d == -1 || t->partial_since + t->frame_ms < d))
		d = t->partial_since + t->frame_ms;
	return d;
}

struct timespec *
ct_wait(const struct conn_timeouts *t, struct timespec *tmo)
{
	long long d = next_deadline(t), left;

	if (d == -1)
		return NULL;
	left = d - ct_now_ms();
	if (left < 0)
		left = 0;
	tmo->tv_sec = (time_t)(left / 1000);
	tmo->tv_nsec = (long)(left % 1000) * 1000000L;
	return tmo;
}

enum ct_expired
ct_check(const struct conn_timeouts *t)
{
	long long now = ct_now_ms();

	if (t->frame_ms > 0 && t->partial_since != 0 && now >= t->partial_since + t->frame_ms)
		return CT_FRAME;
	if (t->idle_ms > 0 && now >= t->last_byte + t->idle_ms)
		return CT_IDLE;
	return CT_NONE;
}
