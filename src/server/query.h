/*
 * query: one connection to the query service, served in its own child.
 *
 * Contract: query_run() owns the connection (conn.h) and closes it. It reads
 * request lines (query_proto.h) and answers each: LIST, FETCH (the file's
 * bytes from an offset, sent with sendfile), SUM (SHA-256 of a range, so a
 * client can check that its partial copy is a prefix before resuming),
 * FOLLOW (records as they are written, into the next file at each rotation,
 * until the client goes away or the server stops). When a token is
 * configured, the first request must be AUTH with that token. Only files
 * named like the server's own are ever opened, relative to the log
 * directory, without following symlinks. Refusals and every request are
 * recorded as server events. Returns the child's exit status.
 */
#ifndef LOGSERVER_QUERY_H
#define LOGSERVER_QUERY_H

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "stream.h"
#include "logstore.h"

/* tls_peer: the client certificate's name over TLS, or NULL; recorded in
 * the audit events. A token (AUTH) over plain TCP is refused unless the
 * client is on loopback. */
int query_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store, const char *token,
    size_t tokenlen, const sigset_t *waitmask);

#endif
