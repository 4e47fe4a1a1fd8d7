/* tls_session: handshake, authentication, then the TCP session over TLS. */
#include "tls_session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "record.h"
#include "sig.h"
#include "timeouts.h"

#define LINGER_MS 2000
#define LINGER_BYTES (256 * 1024)

/*
 * Closes a refused connection so that what we told the client reaches it:
 * closing with its bytes unread would send a reset, which can destroy our
 * last words on the way. Half-closes, then reads and drops until the client
 * closes too, at most LINGER_MS and LINGER_BYTES.
 */
static void
linger_close(int fd, const sigset_t *waitmask)
{
	long long deadline = ct_now_ms() + LINGER_MS;
	size_t got = 0;
	char buf[4096];

	(void)shutdown(fd, SHUT_WR);
	while (got < LINGER_BYTES && !sig_got_term) {
		long long left = deadline - ct_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		ssize_t n;

		if (left <= 0 || ppoll(&pfd, 1, &ts, waitmask) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
}

int
tls_session_run(int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct tls_server *t, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask, const char *plain_hint, tls_serve_fn serve, void *arg)
{
	char name[TLS_NAME_MAX + 1], err[400], addr[REC_PEER_MAX];
	struct stream c;
	int plaintext;

	if (tls_server_accept(t, fd, waitmask, &c, name, &plaintext, err, sizeof(err)) == 0)
		return serve(&c, name[0] != '\0' ? name : NULL, arg);
	if (plaintext && plain_hint != NULL)
		(void)!send(fd, plain_hint, strlen(plain_hint), MSG_DONTWAIT | MSG_NOSIGNAL);
	/* The reason, from tls_server_accept()'s own words (tls.c). */
	mx_add(MX_TLS_FAILS + (plaintext ? MX_TF_PLAINTEXT : strstr(err, "timeout") != NULL ?
	    MX_TF_TIMEOUT : strstr(err, "tls-permitted-peer") != NULL ||
	    strstr(err, "certificate") != NULL ? MX_TF_PEER : MX_TF_HANDSHAKE), 1);
	linger_close(fd, waitmask);
	net_format_peer(peer, peerlen, addr, sizeof(addr));
	if (event_write(store, cfg->format, RL_PROTOCOL, peer, peerlen, 1, "refused tls %s: %s",
	    addr, err) == -1)
		log_warn("cannot write the TLS refusal of %s", addr);
	return 0;
}
