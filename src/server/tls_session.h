/*
 * tls_session: one TLS connection, served in its own child: a syslog sender
 * (RFC 5425), a RELP sender (rsyslog's omrelp tls="on") or a query client.
 *
 * Contract: tls_session_run() owns the accepted socket. It runs the TLS
 * handshake and the --tls-auth checks (tls.h) under --tls-handshake-timeout,
 * then hands the TLS stream and the peer's certificate name (NULL when it
 * showed none) to serve(), which owns the stream from then on and returns
 * the child's exit status. For syslog the framing is the TCP port's
 * (framing.h): RFC 5425 octet counting, and LF-ended lines as rsyslog's
 * omfwd sends by default. A connection that fails is recorded once, with
 * its reason ("refused tls PEER: REASON"); a client speaking plain text
 * also gets the one plain line plain_hint (when not NULL).
 */
#ifndef LOGSERVER_TLS_SESSION_H
#define LOGSERVER_TLS_SESSION_H

#include <signal.h>
#include <sys/socket.h>

#include "config.h"
#include "logstore.h"
#include "tls.h"

#include "stream.h"

typedef int (*tls_serve_fn)(struct stream *c, const char *tls_peer, void *arg);

int tls_session_run(int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct tls_server *t, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask, const char *plain_hint, tls_serve_fn serve, void *arg);

#endif
