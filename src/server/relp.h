/*
 * relp: one RELP sender (rsyslog's omrelp, logclient), served in its own
 * child process. The frames themselves are parsed by relp_frame.h.
 *
 * Contract: relp_run() owns the connection (conn.h) and closes it. It reads
 * what the socket has, parses every whole frame, formats each "syslog"
 * frame's message as a record into one batch, appends the batch (one lock,
 * one write), syncs it when --fsync batch asks (group commit), and only then
 * answers the frames, in the order they came: "200 OK" for a message whose
 * record is in the file, "500 REASON" for one that is not (then it closes
 * the connection). The sender's window is bounded only by our buffers: we
 * stop reading while answers wait to be sent.
 * A session named in "open" (offers logserver_session=HEX32 and
 * logserver_seq=N: the message number of the connection's first syslog
 * frame) is de-duplicated: a message whose number the store already holds
 * for that session is answered 200 without being written again, and the
 * open's answer tells the highest number held (logserver_seq=M).
 * A malformed frame gets "500 REASON" (txnr 0 when its own is unreadable),
 * the connection is closed and the reason recorded. On SIGTERM it reads what
 * the kernel already holds, writes and answers it, sends the "serverclose"
 * hint and returns. Returns the child's exit status.
 */
#ifndef LOGSERVER_RELP_H
#define LOGSERVER_RELP_H

#include <signal.h>
#include <sys/socket.h>

#include "config.h"
#include "stream.h"
#include "logstore.h"

/* tls_peer: the verified certificate name of a sender over TLS, or NULL;
 * it goes into every record. */
int relp_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store, const sigset_t *waitmask);

#endif
