/* holder: keeps idle accepted connections in one process until their first byte. */
#include "holder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "timeouts.h"

#define EVENTS 64
#define SCAN_MS 1000		/* how often silent connections are looked for */
#define CTL_SLOT UINT32_MAX	/* the epoll tag of the supervisor's socket */

int
hold_send(int sock, const struct hold_msg *m, int fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd != -1) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int
hold_recv(int sock, struct hold_msg *m, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
		.msg_controllen = sizeof(u.buf) };
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	if (n != (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_TRUNC)) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		errno = EPROTO;
		return -1;
	}
	return 1;
}

#define FD_SPARE 64	/* descriptors beyond the connections: the store's, epoll's ... */

int
holder_rlimit(size_t cap)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cap + FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur >= want ? 0 : -1;
}

struct held {
	int fd;			/* -1: free */
	long long since;
};

/* Hands slot back to the supervisor (ready: with its descriptor) and forgets it. */
static int
give_back(int sock, int ep, struct held *h, uint32_t slot, enum hold_what what)
{
	struct hold_msg m = { what, slot, h->since };
	int rc = hold_send(sock, &m, what == HOLD_READY ? h->fd : -1, 0);

	(void)epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	h->fd = -1;
	return rc;
}

int
holder_run(int sock, size_t cap, long long idle_ms, const sigset_t *waitmask)
{
	struct held *tab = malloc(cap * sizeof(*tab));
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = CTL_SLOT };
	int ep = epoll_create1(EPOLL_CLOEXEC), status = 0;
	size_t hi = 0;		/* slots at or above are all free */
	long long next_scan = ct_now_ms() + SCAN_MS;

	if (tab == NULL || ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev) == -1) {
		log_warn("connection holder: cannot start");
		free(tab);
		return 1;
	}
	for (size_t i = 0; i < cap; i++)
		tab[i].fd = -1;
	struct hold_msg hello = { HOLD_HELLO, 0, 0 };

	if (hold_send(sock, &hello, -1, 0) == -1)
		status = 1;
	while (!sig_got_term && status == 0) {
		struct epoll_event evs[EVENTS];
		int n = epoll_pwait(ep, evs, EVENTS, idle_ms > 0 ? SCAN_MS : -1, waitmask);

		if (n == -1 && errno != EINTR) {
			log_warn("connection holder: epoll_wait");
			status = 1;
		}
		for (int i = 0; i < n && status == 0; i++) {
			uint32_t slot = evs[i].data.u32;

			if (slot != CTL_SLOT) {
				char c;

				/* Peeked, never read: an orderly close without a byte
				 * needs no child; bytes, or a reset, go to one. */
				if (slot < cap && tab[slot].fd != -1 &&
				    give_back(sock, ep, &tab[slot], slot,
				    recv(tab[slot].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0 ?
				    HOLD_CLOSED : HOLD_READY) == -1)
					status = 1;
				continue;
			}
			for (int k = 0; k < EVENTS && status == 0; k++) {
				struct hold_msg m = { 0, 0, 0 };
				int fd, r = hold_recv(sock, &m, &fd);

				if (r == 0)
					break;
				if (r == -1) {
					status = errno == EPIPE ? 0 : 1;	/* the supervisor is gone */
					sig_got_term = 1;
					break;
				}
				struct epoll_event fev = { .events = EPOLLIN | EPOLLRDHUP,
					.data.u32 = m.slot };
				if (fd == -1 && m.what == HOLD_NEW && m.slot < cap) {
					/* no descriptor left for it: the kernel closed it */
					struct hold_msg lost = { HOLD_LOST, m.slot, m.since_ms };

					if (hold_send(sock, &lost, -1, 0) == -1)
						status = 1;
					continue;
				}
				if (fd == -1 || m.what != HOLD_NEW || m.slot >= cap ||
				    tab[m.slot].fd != -1 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &fev) == -1) {
					log_warnx("connection holder: a bad message from the supervisor");
					if (fd != -1)
						close(fd);
					continue;
				}
				tab[m.slot] = (struct held){ fd, m.since_ms };
				if (m.slot >= hi)
					hi = m.slot + 1;
			}
		}
		long long now = ct_now_ms();

		if (idle_ms > 0 && now >= next_scan) {
			next_scan = now + SCAN_MS;
			for (size_t s = 0; s < hi && status == 0; s++)
				if (tab[s].fd != -1 && now - tab[s].since >= idle_ms &&
				    give_back(sock, ep, &tab[s], (uint32_t)s, HOLD_EXPIRED) == -1)
					status = 1;
			while (hi > 0 && tab[hi - 1].fd == -1)
				hi--;
		}
	}
	free(tab);
	close(ep);
	return status;
}
