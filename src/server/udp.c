/* udp: batch-receive datagrams with recvmmsg and write them as records. */
#include "udp.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "record.h"
#include "sig.h"
#include "srcrate.h"
#include "timeouts.h"

#define BATCH 64			/* datagrams per recvmmsg() */
#define DGRAM_MAX 65535			/* no UDP payload is longer */
#define OUT_BATCH (256 * 1024)
#define ROUNDS_PER_WAKE 16		/* recvmmsg() calls before writing */
#define DRAIN_ROUNDS 1024		/* at shutdown, at most */
#define PEER_MEMO 8			/* sources remembered, formatted and checked */

/*
 * A recent source: its address formatted, its allow-list verdict and its
 * --udp-max-rate bucket, so that datagrams of a few senders interleaved on
 * one socket (udp-flood4 in bench/run.sh) are not formatted and checked
 * again at every change of sender. Replaced in turn; a bucket pointer stays
 * valid, since fewer than PEER_MEMO lookups happen while it is remembered
 * and the rate table (srcrate.h) evicts only its least recently seen of
 * thousands.
 */
struct peer_memo {
	struct sockaddr_storage addr;
	socklen_t len;			/* 0: unused */
	int allowed;
	char peer[REC_PEER_MAX];
	size_t peerlen;
	struct srcrate_slot *slot;	/* looked up when first needed */
};

_Static_assert(MX_UDP_SLOTS >= UDP_WORKERS_MAX, "one kernel-drop metric slot per receiver");

struct udp_state {
	const struct server_config *cfg;
	struct logstore *store;
	enum rec_format format;
	size_t bufsize;			/* per datagram */
	char *slab;			/* BATCH buffers of bufsize */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage addrs[BATCH];
	char *obuf;
	size_t ocap, olen;
	struct rec_clock clk;
	struct peer_memo memo[PEER_MEMO];
	struct peer_memo *cur;		/* the current datagram's source */
	unsigned next_memo;		/* the one replaced next */
	struct rec_source src;
	const struct acl *allow;
	struct srcrate rate;		/* --udp-max-rate */
	unsigned long long datagrams, truncated, lost_writes, denied, over_rate;
	const int *fds;
	int nfds;
	int write_failed;
	int worker;			/* its index, for its kernel-drop metric slot */
	time_t drops_read;		/* monotonic s the kernel's drop count was last read */
	struct mx_batch mxb;		/* datagram counts not yet in the shared metrics */
};

long
udp_setup(int fd, long long rcvbuf, char *err, size_t errlen)
{
	int val;
	socklen_t len = sizeof(val);

	if (rcvbuf > 0) {
		val = rcvbuf > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf;
		/* Beyond net.core.rmem_max only with privileges; then the plain call. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &val, sizeof(val)) == -1 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)) == -1) {
			snprintf(err, errlen, "cannot set the UDP receive buffer to %lld bytes: %s",
			    rcvbuf, strerror(errno));
			return -1;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len) == -1)
		val = 0;
	if (net_set_nonblock(fd) == -1) {
		snprintf(err, errlen, "cannot make the UDP socket non-blocking: %s", strerror(errno));
		return -1;
	}
	return val;
}

static void
flush(struct udp_state *u)
{
	size_t written;

	mx_batch_flush(&u->mxb);
	if (u->olen == 0)
		return;
	if (logstore_append(u->store, u->obuf, u->olen, &written) == 0) {
		u->olen = 0;
		u->write_failed = 0;
		return;
	}
	/* UDP cannot push back: what cannot be written is counted as lost. */
	mx_add(MX_WRITE_ERRORS, 1);
	if (!u->write_failed)
		log_warn("cannot write UDP records to %s; counting them as lost", u->cfg->dir);
	u->write_failed = 1;
	unsigned long long before = u->lost_writes;
	for (size_t i = written; i < u->olen; i++)
		u->lost_writes += u->obuf[i] == '\n';
	mx_add(MX_RECORDS_LOST, u->lost_writes - before);
	u->olen = 0;
}

static void
event(struct udp_state *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
event(struct udp_state *u, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (u->ocap - u->olen < REC_EVENT_MAX)
		flush(u);
	u->olen += record_event(u->obuf + u->olen, &u->clk, u->format, (long)getpid(), "%s", text);
}

/* Datagrams the kernel dropped at the sockets (their queue was full), as
 * counted by the kernel itself (SO_MEMINFO, SK_MEMINFO_DROPS). */
static unsigned long long
kernel_drops(const struct udp_state *u)
{
	unsigned long long drops = 0;

	for (int i = 0; i < u->nfds; i++) {
		uint32_t mem[SK_MEMINFO_VARS];
		socklen_t len = sizeof(mem);

		if (getsockopt(u->fds[i], SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
		    len > SK_MEMINFO_DROPS * sizeof(uint32_t))
			drops += mem[SK_MEMINFO_DROPS];
	}
	return drops;
}

/* The kernel's drop count into this receiver's metrics slot, at most once a second. */
static void
publish_drops(struct udp_state *u, int force)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && now.tv_sec == u->drops_read)
		return;
	u->drops_read = now.tv_sec;
	mx_set(MX_UDP_KDROPS + u->worker, kernel_drops(u));
}

static void
stats(struct udp_state *u, const char *when)
{
	rec_clock_update(&u->clk);
	event(u, "udp stats (%s): datagrams=%llu truncated=%llu kernel_drops=%llu write_lost=%llu "
	    "denied=%llu over_rate=%llu", when, u->datagrams, u->truncated, kernel_drops(u),
	    u->lost_writes, u->denied, u->over_rate);
	flush(u);
}

/*
 * --udp-max-rate: 1 when the datagram's source is over its rate (dropped,
 * counted). A source is recorded when it is first dropped and then at most
 * once a minute while it goes on, under flood control (sources are
 * spoofable).
 */
static int
over_rate(struct udp_state *u, const struct mmsghdr *mh)
{
	int64_t now = ct_now_ms();

	struct peer_memo *c = u->cur;

	if (c->slot == NULL) {
		unsigned char key[16];
		size_t n = net_addr_key(mh->msg_hdr.msg_name, mh->msg_hdr.msg_namelen, key);

		c->slot = srcrate_find(&u->rate, key, n, now);
	}
	if (srcrate_allow(&u->rate, c->slot, now))
		return 0;
	u->over_rate++;
	mx_add(MX_UDP_OVER_RATE, 1);
	if (c->slot->told_ms == 0 || now - c->slot->told_ms >= 60000) {
		c->slot->told_ms = now > 0 ? now : 1;
		(void)event_write(u->store, u->format, RL_UDP_REFUSED, mh->msg_hdr.msg_name,
		    mh->msg_hdr.msg_namelen, 1, "udp-max-rate: %s sends more than %lld datagrams/s; "
		    "the excess is dropped and counted (over_rate in the udp stats)", c->peer,
		    (long long)u->rate.rate);
	}
	return 1;
}

static int
same_source(const struct peer_memo *m, const struct mmsghdr *mh)
{
	return m->len != 0 && mh->msg_hdr.msg_namelen == m->len &&
	    memcmp(mh->msg_hdr.msg_name, &m->addr, m->len) == 0;
}

/* Makes the datagram's source u->cur: remembered, or formatted and checked. */
static void
find_source(struct udp_state *u, const struct mmsghdr *mh)
{
	struct peer_memo *m = NULL;

	for (int i = 0; i < PEER_MEMO && m == NULL; i++)
		if (same_source(&u->memo[i], mh))
			m = &u->memo[i];
	if (m == NULL) {
		socklen_t len = mh->msg_hdr.msg_namelen;

		m = &u->memo[u->next_memo++ % PEER_MEMO];
		if (len > sizeof(m->addr))
			len = sizeof(m->addr);
		m->len = len;
		memcpy(&m->addr, mh->msg_hdr.msg_name, len);
		m->peerlen = net_format_peer(mh->msg_hdr.msg_name, len, m->peer, sizeof(m->peer));
		m->allowed = acl_allows(u->allow, mh->msg_hdr.msg_name, len);
		m->slot = NULL;
		/* Sources are spoofable: flood control bounds these records. */
		if (!m->allowed)
			(void)event_write(u->store, u->format, RL_UDP_REFUSED, mh->msg_hdr.msg_name,
			    len, 1, "refused UDP from %s: not in allow (further datagrams are "
			    "counted)", m->peer);
	}
	u->cur = m;
	u->src.peer = m->peer;
	u->src.peerlen = m->peerlen;
}

static void
one_datagram(struct udp_state *u, struct mmsghdr *mh)
{
	const char *p = mh->msg_hdr.msg_iov->iov_base;
	size_t real = mh->msg_len;
	size_t len = real < u->bufsize ? real : u->bufsize;
	int trunc = real > len || (mh->msg_hdr.msg_flags & MSG_TRUNC);
	if (u->cur == NULL || !same_source(u->cur, mh))
		find_source(u, mh);
	if (!u->cur->allowed) {
		u->denied++;
		mx_add(MX_UDP_DENIED, 1);
		return;
	}
	if (u->rate.rate > 0 && over_rate(u, mh))
		return;
	if (!trunc) {
		/* One trailer: senders differ in adding LF, CRLF or NUL. */
		if (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\0'))
			len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
	}
	if (len > (size_t)u->cfg->max_line) {
		len = (size_t)u->cfg->max_line;
		trunc = 1;
	}
	if (u->ocap - u->olen < RECORD_MSG_MAX(len) + REC_EVENT_MAX)
		flush(u);
	u->olen += record_message(u->obuf + u->olen, &u->clk, &u->src, p, len, trunc);
	u->datagrams++;
	mx_batch_add(&u->mxb, len, trunc);
	if (trunc) {
		u->truncated++;
		event(u, "truncated datagram from %s: kept the first %zu of %zu bytes (max-line)",
		    u->cur->peer, len, real);
	}
}

/* Reads what one socket holds, up to rounds recvmmsg() calls. */
static void
receive(struct udp_state *u, int fd, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			u->iov[i].iov_base = u->slab + (size_t)i * u->bufsize;
			u->iov[i].iov_len = u->bufsize;
			memset(&u->msgs[i].msg_hdr, 0, sizeof(u->msgs[i].msg_hdr));
			u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
			u->msgs[i].msg_hdr.msg_iovlen = 1;
			u->msgs[i].msg_hdr.msg_name = &u->addrs[i];
			u->msgs[i].msg_hdr.msg_namelen = sizeof(u->addrs[i]);
		}
		n = recvmmsg(fd, u->msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (n <= 0)
			return;
		rec_clock_update(&u->clk);
		for (int i = 0; i < n; i++)
			one_datagram(u, &u->msgs[i]);
		if (u->olen >= OUT_BATCH)
			flush(u);
		if (n < BATCH)
			return;
	}
}

int
udp_run(const int *fds, int nfds, int worker, const struct server_config *cfg,
    struct logstore *store, const struct acl *allow, const sigset_t *waitmask)
{
	struct pollfd pfds[NET_MAX_LISTEN];
	struct udp_state *u;
	struct timespec next = { 0, 0 };

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return 1;
	u->cfg = cfg;
	u->store = store;
	u->allow = allow;
	u->fds = fds;
	u->nfds = nfds;
	u->worker = worker >= 0 && worker < MX_UDP_SLOTS ? worker : 0;
	u->mxb.base = MX_UDP;
	u->format = (enum rec_format)cfg->format;
	u->bufsize = (size_t)cfg->max_line + 1 < DGRAM_MAX ? (size_t)cfg->max_line + 1 : DGRAM_MAX;
	u->slab = malloc(u->bufsize * BATCH);
	if (srcrate_init(&u->rate, cfg->udp_max_rate) == -1) {
		free(u->slab);
		u->slab = NULL;
	}
	u->ocap = OUT_BATCH + RECORD_MSG_MAX(u->bufsize) + 2 * REC_EVENT_MAX;
	u->obuf = malloc(u->ocap);
	if (u->slab == NULL || u->obuf == NULL) {
		log_warnx("out of memory for the UDP receiver");
		free(u->slab);
		free(u->obuf);
		free(u);
		return 1;
	}
	u->src.format = u->format;
	u->src.transport = "udp";
	for (int i = 0; i < nfds; i++)
		pfds[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (cfg->stats_interval > 0) {
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += cfg->stats_interval;
	}
	while (!sig_got_term) {
		struct timespec now, wait, *tmo = NULL;

		if (cfg->stats_interval > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec >= next.tv_sec) {
				stats(u, "periodic");
				next.tv_sec = now.tv_sec + cfg->stats_interval;
			}
			wait.tv_sec = next.tv_sec - now.tv_sec;
			wait.tv_nsec = 0;
			tmo = &wait;
		}
		if (ppoll(pfds, (nfds_t)nfds, tmo, waitmask) <= 0)
			continue;
		for (int i = 0; i < nfds; i++)
			if (pfds[i].revents & POLLIN)
				receive(u, fds[i], ROUNDS_PER_WAKE);
		flush(u);
		publish_drops(u, 0);
	}
	/* Shutdown: what the kernel already received is written too. */
	for (int i = 0; i < nfds; i++)
		receive(u, fds[i], DRAIN_ROUNDS);
	flush(u);
	publish_drops(u, 1);
	stats(u, "shutdown");
	srcrate_free(&u->rate);
	free(u->slab);
	free(u->obuf);
	free(u);
	return 0;
}
