/*
 * client_qconn: one connection of logclient to the query service (plain or
 * TLS, stream.h): connect, greeting, AUTH, request lines and replies, each
 * wait under a deadline.
 *
 * Contract: qc_open() connects to the query port (--query-port when set,
 * else -p, else 5141) within --timeout, with TLS when --tls; reads the
 * server's greeting (QUERY_GREETING) within the same deadline and sends
 * nothing before it, so a token never reaches a port that is not a query
 * service; then sends AUTH when a token file is configured and checks the
 * answer. Any failure is one line on stderr and -1. Afterwards every read
 * waits at most c->timeout_ms (-1: without limit, for follow); a read that
 * times out fails with errno ETIMEDOUT, a signal (sig_got_term) with EINTR.
 */
#ifndef LOGSERVER_CLIENT_QCONN_H
#define LOGSERVER_CLIENT_QCONN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "stream.h"

#define QC_BUF (256 * 1024)
#define QC_REPLY_MAX 4096

struct qconn {
	struct stream io;
	char *buf;		/* QC_BUF bytes; [off, len) not yet used */
	size_t len, off;
	long long timeout_ms;	/* each read's limit; -1: none */
	char peer[300];		/* HOST:PORT, for messages */
	int err;		/* errno of the last failed read; 0: EOF */
	long long timeout_s;	/* --timeout, for messages */
};

int qc_port(const struct client_config *cfg);
int qc_open(const struct client_config *cfg, struct qconn *c);
void qc_close(struct qconn *c);

int qc_send(struct qconn *c, const char *line);

/* More bytes into the buffer: > 0, 0 at EOF, -1 with errno. */
ssize_t qc_fill(struct qconn *c);

/* One reply line into line (cap bytes), without its LF; -1 with errno at
 * EOF (0), error, timeout or signal. */
int qc_line(struct qconn *c, char *line, size_t cap);

/* Why the last qc_fill()/qc_line() failed, for "WHAT: %s" ("connection
 * lost", "no answer within --timeout 60 s", ...). */
const char *qc_why(const struct qconn *c);

/* Prints the server's ERR reply (or an unexpected one) for what; returns 1. */
int qc_server_error(const char *what, const char *reply);

#endif
