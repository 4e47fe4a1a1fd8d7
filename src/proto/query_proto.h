/*
 * query_proto: the query service's request lines, parsed without I/O.
 *
 * Contract: one request per line (LF or CRLF, at most QUERY_LINE_MAX bytes):
 *   AUTH <token>
 *   LIST
 *   FETCH <name> [<offset>]
 *   SUM <name> <offset> <length>
 *   FOLLOW <name|-> [START | END | LINES <n> | OFFSET <n>]
 *   QUIT
 * The server greets first (QUERY_GREETING). Replies start with "OK ..." or
 * "ERR <code> <text>" (docs/PROTOCOL.md).
 * query_parse() fills a struct q_request whose name is a copy (NUL-ended).
 * A name must look like one of the server's own log files (logname.h):
 * anything else, "../x", "/etc/passwd", a lock file, is refused with
 * Q_ERR_DENIED before any file is touched.
 */
#ifndef LOGSERVER_QUERY_PROTO_H
#define LOGSERVER_QUERY_PROTO_H

#include <stddef.h>

#include "logname.h"

#define QUERY_LINE_MAX 1024
#define QUERY_TOKEN_MAX 512
/* The first line the server sends on every query connection it serves
 * (after the TLS handshake with --query-tls): a client sends nothing, not
 * even AUTH, before it has read it. The number is the protocol version. */
#define QUERY_GREETING "OK logserver-query 1"
#define QUERY_DEFAULT_PORT 5141
#define QUERY_SUM_MAX (16ULL * 1024 * 1024)	/* longest range SUM hashes */

enum q_cmd { Q_AUTH, Q_LIST, Q_FETCH, Q_SUM, Q_FOLLOW, Q_QUIT };
enum q_from { Q_FROM_END, Q_FROM_START, Q_FROM_LINES, Q_FROM_OFFSET };

enum q_err {
	Q_OK = 0,
	Q_ERR_BADREQ,	/* syntax */
	Q_ERR_DENIED,	/* not a name of ours: outside the log directory */
	Q_ERR_NOFILE,	/* a name of ours that does not exist */
	Q_ERR_RANGE,	/* offset or length past the end */
	Q_ERR_AUTH,	/* token missing or wrong */
	Q_ERR_INTERNAL,
};

struct q_request {
	enum q_cmd cmd;
	char name[LOGNAME_LEN + 1];	/* "" for FOLLOW - (the current file) */
	unsigned long long offset;	/* FETCH, SUM, FOLLOW OFFSET */
	unsigned long long length;	/* SUM; FOLLOW LINES n */
	enum q_from from;		/* FOLLOW */
	char token[QUERY_TOKEN_MAX + 1];	/* AUTH */
	size_t tokenlen;
};

/* Parses line[0..len) (without its line end). Returns Q_OK, or an error
 * code with a one-line explanation in err. */
enum q_err query_parse(const char *line, size_t len, struct q_request *rq, char *err,
    size_t errlen);

/* The word for an error code in replies: "badreq", "denied", ... */
const char *query_err_word(enum q_err e);

/* Equal tokens, compared in time that does not depend on where they differ. */
int query_token_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
