/* tls_session: handshake, authentication, then the TCP session over TLS. */
#include "tls_session.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "events.h"
#include "log.h"
#include "net.h"
#include "record.h"
#include "session.h"

int
tls_session_run(int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct tls_server *t, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask)
{
	char name[TLS_NAME_MAX + 1], err[400], addr[REC_PEER_MAX];
	struct stream c;
	int plaintext;

	if (tls_server_accept(t, fd, waitmask, &c, name, &plaintext, err, sizeof(err)) == 0)
		return session_run(&c, peer, peerlen, name[0] != '\0' ? name : NULL, cfg, store,
		    waitmask);
	if (plaintext) {
		char line[160];
		int n = snprintf(line, sizeof(line), "logserver: refused: this is the TLS port; "
		    "plain TCP goes to port %lld (--port)\n", cfg->port);

		if (n > 0 && (size_t)n < sizeof(line))
			(void)!send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	close(fd);
	net_format_peer(peer, peerlen, addr, sizeof(addr));
	if (event_write(store, cfg->format, RL_PROTOCOL, peer, peerlen, 1, "refused tls %s: %s",
	    addr, err) == -1)
		log_warn("cannot write the TLS refusal of %s", addr);
	return 0;
}
