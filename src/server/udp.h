/*
 * udp: the UDP receiver (RFC 5426): one datagram is one message.
 *
 * Contract: udp_setup() prepares the bound sockets (receive buffer size,
 * kernel drop counter) in the supervisor at start-up. udp_run() is the
 * body of the dedicated receiver process: it reads many datagrams per
 * system call (recvmmsg), formats them into one batch, and appends the
 * batch with one logstore_append(). A datagram longer than max-line is kept
 * truncated and an event records it. One trailing LF, CRLF or NUL is
 * removed. The kernel's drop counter for the sockets (SO_MEMINFO) is
 * reported in the statistics record written every stats-interval seconds
 * (when set) and at shutdown. On SIGTERM it reads what the sockets already
 * hold, writes it, and returns the exit status.
 */
#ifndef LOGSERVER_UDP_H
#define LOGSERVER_UDP_H

#include <signal.h>
#include <stddef.h>

#include "acl.h"
#include "config.h"
#include "logstore.h"

#define UDP_WORKERS_MAX 16	/* --udp-workers */

/* Applies the receive buffer size and makes the socket non-blocking.
 * Returns the receive buffer the kernel granted (bytes), or -1 with err. */
long udp_setup(int fd, long long rcvbuf, char *err, size_t errlen);

/* Datagrams from senders that allow does not list are dropped, counted in
 * the statistics, and the first one from each run of such datagrams is
 * recorded as an event. */
int udp_run(const int *fds, int nfds, int worker, const struct server_config *cfg,
    struct logstore *store,
    const struct acl *allow, const sigset_t *waitmask);

#endif
