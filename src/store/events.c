/* events: server events through flood control, queued while the lock is busy. */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "record.h"

struct queued {
	enum rl_kind kind;
	unsigned char key[16];
	size_t keylen;
	size_t n;
	char rec[REC_EVENT_MAX];
};

/* Per process: only the supervisor writes with wait 0. */
static struct queued queue[EV_QUEUE];
static size_t nqueued;
static unsigned long long overflowed;

static int
push(enum rl_kind kind, const unsigned char *key, size_t keylen, const char *rec, size_t n)
{
	if (nqueued == EV_QUEUE) {
		overflowed++;
		return 0;
	}
	queue[nqueued].kind = kind;
	memcpy(queue[nqueued].key, key, keylen);
	queue[nqueued].keylen = keylen;
	memcpy(queue[nqueued].rec, rec, n);
	queue[nqueued].n = n;
	nqueued++;
	return 0;
}

size_t
events_flush(struct logstore *ls, int format, int wait)
{
	size_t done = 0;

	while (done < nqueued) {
		struct queued *q = &queue[done];

		if (logstore_event(ls, q->kind, q->key, q->keylen, q->rec, q->n, wait) == -1 &&
		    errno == EAGAIN)
			break;
		done++;
	}
	memmove(queue, queue + done, (nqueued - done) * sizeof(queue[0]));
	nqueued -= done;
	if (nqueued == 0 && overflowed > 0) {
		char rec[REC_EVENT_MAX];
		struct rec_clock clk = { 0 };
		unsigned long long lost = overflowed;

		rec_clock_update(&clk);
		size_t n = record_event(rec, &clk, format, (long)getpid(), "%llu events were not "
		    "written: the log was locked by another process for too long", lost);
		if (logstore_event(ls, RL_NONE, NULL, 0, rec, n, wait) == 0)
			overflowed -= lost;
	}
	return nqueued;
}

/* Formats one event and writes it: audit events to the audit file (query
 * children, which always wait), others to the log, queued when busy. */
static int
vevent(struct logstore *ls, int format, enum rl_kind kind, const struct sockaddr *src,
    socklen_t srclen, int wait, int audit, const char *fmt, va_list ap)
{
	char text[512], rec[REC_EVENT_MAX];
	unsigned char key[16];
	struct rec_clock clk = { 0 };
	size_t keylen = src != NULL ? net_addr_key(src, srclen, key) : 0;

	vsnprintf(text, sizeof(text), fmt, ap);
	rec_clock_update(&clk);
	size_t n = record_event(rec, &clk, format, (long)getpid(), "%s", text);
	if (audit)
		return logstore_audit(ls, kind, key, keylen, rec, n);
	/* Keep the order: nothing overtakes what is already queued. */
	if (nqueued > 0 && events_flush(ls, format, wait) > 0)
		return push(kind, key, keylen, rec, n);
	if (logstore_event(ls, kind, key, keylen, rec, n, wait) == 0)
		return 0;
	if (errno == EAGAIN && !wait)
		return push(kind, key, keylen, rec, n);
	return -1;
}

int
event_write(struct logstore *ls, int format, enum rl_kind kind, const struct sockaddr *src,
    socklen_t srclen, int wait, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vevent(ls, format, kind, src, srclen, wait, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int
event_audit(struct logstore *ls, int format, enum rl_kind kind, const struct sockaddr *src,
    socklen_t srclen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vevent(ls, format, kind, src, srclen, 1, 1, fmt, ap);
	va_end(ap);
	return rc;
}
