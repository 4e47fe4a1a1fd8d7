/* waiting: the supervisor's side of the holder — connections that have not sent yet. */
#include "supervisor_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "holder.h"
#include "log.h"
#include "net.h"
#include "timeouts.h"

#define READS_PER_WAKE 256	/* holder messages handled per wake-up */

int
waiting_init(struct sv_state *st)
{
	size_t cap = (size_t)st->sv->cfg->max_clients;
	uint64_t seed;

	/* The hash seed: peers choose their addresses, and must not be able to
	 * pick ones that share a probe run. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	st->hold_sock = -1;
	st->wait = calloc(cap, sizeof(*st->wait));
	st->wfree = malloc(cap * sizeof(*st->wfree));
	/* senders (waiting or with a child) and query clients, each bounded */
	if (st->wait == NULL || st->wfree == NULL || addrcount_init(&st->per_ip,
	    cap + (size_t)st->sv->cfg->query_max_clients, seed) == -1) {
		waiting_free(st);
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		st->wfree[i] = (unsigned)(cap - 1 - i);	/* slot 0 first */
	st->nwfree = cap;
	return 0;
}

void
waiting_free(struct sv_state *st)
{
	free(st->wait);
	free(st->wfree);
	addrcount_free(&st->per_ip);
	st->wait = NULL;
	st->wfree = NULL;
	st->nwfree = 0;
}

static void
release(struct sv_state *st, unsigned slot)
{
	st->wait[slot].used = 0;
	addrcount_del(&st->per_ip, st->wait[slot].key, st->wait[slot].keylen, 0);
	st->wfree[st->nwfree++] = slot;
	st->nwaiting--;
	sv_count_children(st);
}

int
waiting_hold(struct sv_state *st, int cfd, const struct sockaddr_storage *ss, socklen_t sslen,
    enum listener kind, const unsigned char *key, size_t keylen)
{
	if (st->hold_sock == -1 || st->nwfree == 0)
		return -1;
	unsigned slot = st->wfree[st->nwfree - 1];
	struct hold_msg m = { HOLD_NEW, slot, ct_now_ms() };

	/* Dead peers are found while it waits, too: the holder then hands the
	 * connection back and its child sees the error. */
	(void)net_keepalive(cfd, NET_KEEPALIVE_IDLE);
	if (hold_send(st->hold_sock, &m, cfd, MSG_DONTWAIT) == -1)
		return -1;	/* (full: this one gets its child at once) */
	st->nwfree--;
	st->nwaiting++;
	st->wait[slot] = (struct waiting){ 1, kind, sslen, *ss, { 0 }, keylen };
	memcpy(st->wait[slot].key, key, keylen);
	(void)addrcount_add(&st->per_ip, key, keylen, 0);	/* (within its bound) */
	close(cfd);
	sv_count_children(st);
	return 0;
}

void
waiting_input(struct sv_state *st)
{
	for (int i = 0; i < READS_PER_WAKE && st->hold_sock != -1; i++) {
		struct hold_msg m = { 0, 0, 0 };
		int fd, r = hold_recv(st->hold_sock, &m, &fd);

		if (r == 0)
			return;
		if (r == -1) {	/* the holder is gone; reap() says how */
			close(st->hold_sock);
			st->hold_sock = -1;
			return;
		}
		if (m.what == HOLD_HELLO)
			continue;	/* (it came after spawn_holder() stopped waiting) */
		if (m.slot >= (unsigned)st->sv->cfg->max_clients || !st->wait[m.slot].used ||
		    (m.what == HOLD_READY) != (fd != -1) || m.what == HOLD_NEW) {
			log_warnx("connection holder: a message for no waiting connection");
			if (fd != -1)
				close(fd);
			continue;
		}
		struct waiting w = st->wait[m.slot];
		char peer[REC_PEER_MAX];

		release(st, m.slot);
		if (m.what == HOLD_READY) {
			sv_start_child(st, fd, &w.ss, w.sslen, (enum listener)w.kind, w.key,
			    w.keylen, 0);
			continue;
		}
		net_format_peer((const struct sockaddr *)&w.ss, w.sslen, peer, sizeof(peer));
		if (m.what == HOLD_CLOSED) {
			/* the records its child would have written */
			if (st->sv->cfg->events != EVENTS_NONE) {
				int relp = w.kind == L_RELP;

				sv_event(st, "connect %s%s", peer, relp ? " relp" : "");
				sv_event(st, "disconnect %s messages=0 %s=0", peer,
				    relp ? "duplicates" : "truncated");
			}
		} else if (m.what == HOLD_LOST)
			sv_event(st, "cannot keep %s waiting: the connection holder is out of "
			    "descriptors (raise the limit: ulimit -n, LimitNOFILE=); closed", peer);
		else
			sv_event(st, "idle timeout: %s sent nothing for %lld s; closing "
			    "(idle-timeout)", peer, st->sv->cfg->idle_timeout);
	}
}

void
waiting_lost(struct sv_state *st, const char *why)
{
	size_t n = st->nwaiting;

	if (st->hold_sock != -1) {
		close(st->hold_sock);
		st->hold_sock = -1;
	}
	for (size_t i = 0; st->nwaiting > 0 && i < (size_t)st->sv->cfg->max_clients; i++)
		if (st->wait[i].used)
			release(st, (unsigned)i);
	if (n > 0)
		sv_event(st, "%zu connections that had sent nothing yet were closed (%s)", n, why);
}
