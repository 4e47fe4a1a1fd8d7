/* net: listening and connecting sockets, peer address formatting. */
#include "net.h"
#include "timeouts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
open_one(const struct sockaddr *sa, socklen_t salen, int type, int shared, char *err,
    size_t errlen)
{
	char where[80];
	int one = 1, zero = 0;
	int fd;

	net_format_peer(sa, salen, where, sizeof(where));
	fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create socket for %s: %s", where, strerror(errno));
		return -1;
	}
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) {
		snprintf(err, errlen, "cannot share %s (SO_REUSEPORT): %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	if (sa->sa_family == AF_INET6) {
		/* The wildcard [::] also takes IPv4; a specific address only itself. */
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		int v6only = IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) ? zero : one;
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, sa, salen) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s%s", where, strerror(errno),
		    errno == EADDRINUSE ? " (another program uses this port: choose another)" :
		    errno == EACCES ? " (ports below 1024 need privileges)" : "");
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
net_listen(const char *bindaddr, int port, int type, int *fds, char *note, size_t notelen,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int n = 0, rc, shared = (type & NET_SHARED) != 0;

	type &= ~NET_SHARED;
	note[0] = '\0';
	if (bindaddr[0] == '\0') {
		struct sockaddr_in6 s6;
		struct sockaddr_in s4;
		int fd;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons((unsigned short)port);
		fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
		if (fd != -1) {
			close(fd);
			fd = open_one((struct sockaddr *)&s6, sizeof(s6), type, shared, err, errlen);
			if (fd == -1)
				return -1;
			fds[0] = fd;
			return 1;
		}
		snprintf(note, notelen, "IPv6 unavailable (%s): IPv4 only", strerror(errno));
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		s4.sin_port = htons((unsigned short)port);
		fd = open_one((struct sockaddr *)&s4, sizeof(s4), type, shared, err, errlen);
		if (fd == -1)
			return -1;
		fds[0] = fd;
		return 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = type;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(bindaddr, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve bind address '%s': %s", bindaddr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && n < NET_MAX_LISTEN; ai = ai->ai_next) {
		int fd = open_one(ai->ai_addr, ai->ai_addrlen, type, shared, err, errlen);

		if (fd == -1) {
			while (n > 0)
				close(fds[--n]);
			freeaddrinfo(res);
			return -1;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "bind address '%s' has no usable address", bindaddr);
		return -1;
	}
	return n;
}

/* One address: a non-blocking connect() waited for until deadline (ms of
 * CLOCK_MONOTONIC, -1 none). The socket returned is blocking again. */
static int
connect_one(const struct addrinfo *ai, long long deadline, int *saved)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    ai->ai_protocol);
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd == -1) {
		*saved = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			*saved = errno;
			close(fd);
			return -1;
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			long long left = deadline < 0 ? -1 : deadline - ct_now_ms();
			int r = left < 0 && deadline >= 0 ? 0 :
			    poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);

			if (r == -1 && errno == EINTR)
				continue;	/* a signal: the caller's deadline still holds */
			if (r <= 0) {
				*saved = r == 0 ? ETIMEDOUT : errno;
				close(fd);
				return -1;
			}
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 || soerr != 0) {
			*saved = soerr != 0 ? soerr : errno;
			close(fd);
			return -1;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		*saved = errno;
		close(fd);
		return -1;
	}
	return fd;
}

int
net_connect(const char *host, int port, long long timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int rc, fd = -1, saved = 0;
	long long deadline = timeout_ms < 0 ? -1 : ct_now_ms() + timeout_ms;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	snprintf(portstr, sizeof(portstr), "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return NET_UNRESOLVED;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = connect_one(ai, deadline, &saved);
	freeaddrinfo(res);
	if (fd == -1 && saved == ETIMEDOUT)
		snprintf(err, errlen, "cannot connect to %s port %d: no answer within %lld s",
		    host, port, timeout_ms / 1000);
	else if (fd == -1)
		snprintf(err, errlen, "cannot connect to %s port %d: %s", host, port,
		    strerror(saved));
	return fd;
}

size_t
net_format_peer(const struct sockaddr *sa, socklen_t len, char *dst, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n = -1;

	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		n = snprintf(dst, cap, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
			n = snprintf(dst, cap, "%s:%u", host, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			n = snprintf(dst, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
		}
	} else {
		n = snprintf(dst, cap, "unknown");
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t
net_format_local(int fd, char *dst, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(dst, cap, "?");
		return 1;
	}
	return net_format_peer((struct sockaddr *)&ss, len, dst, cap);
}

size_t
net_addr_key(const struct sockaddr *sa, socklen_t len, unsigned char key[16])
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(key, a->s6_addr + 12, 4);
			return 4;
		}
		memcpy(key, a->s6_addr, 16);
		return 16;
	}
	return 0;
}

int
net_is_loopback(const struct sockaddr *sa, socklen_t len)
{
	unsigned char key[16];
	size_t n = net_addr_key(sa, len, key);
	static const unsigned char v6lo[16] = { [15] = 1 };

	return (n == 4 && key[0] == 127) || (n == 16 && memcmp(key, v6lo, 16) == 0);
}

int
net_keepalive(int fd, int idle)
{
	int on = 1, cnt = 4, intvl = idle / 4 > 0 ? idle / 4 : 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return 0;
}
