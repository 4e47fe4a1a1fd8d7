/*
 * tls_session: a syslog-over-TLS sender (RFC 5425), served in its own child.
 *
 * Contract: tls_session_run() owns the accepted socket. It runs the TLS
 * handshake and the --tls-auth checks (tls.h) under --tls-handshake-timeout,
 * then serves the connection as a TCP session (session.h) with the peer's
 * certificate name in every record. Framing is the TCP port's (framing.h):
 * RFC 5425 octet counting, and LF-ended lines as rsyslog's omfwd sends by
 * default. A connection that fails is recorded once, with its reason
 * ("refused tls PEER: REASON"); a sender speaking plain text also gets one
 * plain line telling where plain TCP goes. Returns the child's exit status.
 */
#ifndef LOGSERVER_TLS_SESSION_H
#define LOGSERVER_TLS_SESSION_H

#include <signal.h>
#include <sys/socket.h>

#include "config.h"
#include "logstore.h"
#include "tls.h"

int tls_session_run(int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct tls_server *t, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask);

#endif
