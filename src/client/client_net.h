/*
 * client_net: logclient's connection for --plain sending and for queries:
 * TCP connect under a deadline, then the TLS handshake with --tls.
 *
 * Contract: client_connect() prints one line for any failure and returns
 * -1; hint (may be "") follows the reason when the host resolved but the
 * port did not answer, never after "cannot resolve HOST". On success the
 * stream is set up (plain, or TLS checked against --tls-server-name or
 * --host) on a blocking socket for plain, a non-blocking one for TLS.
 */
#ifndef LOGSERVER_CLIENT_NET_H
#define LOGSERVER_CLIENT_NET_H

#include "config.h"
#include "stream.h"

int client_connect(const struct client_config *cfg, int port, long long timeout_ms,
    const char *hint, struct stream *c);

#endif
