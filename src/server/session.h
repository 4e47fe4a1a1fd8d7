/*
 * session: one client connection, served in its own child process.
 *
 * Contract: session_run() owns the connection (conn.h, plain or TLS after
 * its handshake) and closes it. tls_peer is the verified certificate name
 * of a TLS sender (tls.h), written into its records, or NULL. It
 * reads large chunks, splits them into messages (framing.h), formats each
 * as a record (record.h) into one output buffer, and hands whole batches to
 * logstore_append(): one lock and one write() for many records. It writes a
 * connect record first and a disconnect record (with the message count)
 * last. On SIGTERM/SIGINT it reads what the kernel has already received,
 * writes it, and returns. Returns the exit status for the child.
 */
#ifndef LOGSERVER_SESSION_H
#define LOGSERVER_SESSION_H

#include <signal.h>
#include <sys/socket.h>

#include "config.h"
#include "stream.h"
#include "logstore.h"

int session_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask);

#endif
