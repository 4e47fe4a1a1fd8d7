/* client_qconn: logclient's query connection: greeting, AUTH, deadlines. */
#include "client_qconn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_net.h"
#include "log.h"
#include "net.h"
#include "timeouts.h"
#include "query_proto.h"
#include "sig.h"

/* The greeting comes as soon as the server accepts: a port silent this
 * long (at most; --timeout when shorter) is not a query service. */
#define GREETING_MS 5000

int
qc_port(const struct client_config *cfg)
{
	return cfg->query_port != 0 ? (int)cfg->query_port : cfg->port != 0 ? (int)cfg->port :
	    QUERY_DEFAULT_PORT;
}

int
qc_send(struct qconn *c, const char *line)
{
	return stream_write_all(&c->io, line, strlen(line));
}

ssize_t
qc_fill(struct qconn *c)
{
	long long deadline = c->timeout_ms < 0 ? -1 : ct_now_ms() + c->timeout_ms;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	for (;;) {
		struct pollfd p = { .fd = c->io.fd, .events = stream_events(&c->io, POLLIN) };
		long long left = deadline < 0 ? -1 : deadline - ct_now_ms();
		ssize_t n;
		int r;

		if (sig_got_term) {
			c->err = errno = EINTR;
			return -1;
		}
		n = stream_read_nowait(&c->io, c->buf + c->len, QC_BUF - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			return n;
		}
		if (n == 0) {
			c->err = 0;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR) {
			c->err = errno;
			return -1;
		}
		if (deadline >= 0 && left <= 0) {
			c->err = errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, left < 0 ? -1 : left > INT_MAX ? INT_MAX : (int)left);
		if (r == -1 && errno != EINTR) {
			c->err = errno;
			return -1;
		}
	}
}

int
qc_line(struct qconn *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);

		if (nl != NULL) {
			size_t l = (size_t)(nl - (c->buf + c->off));

			if (l >= cap)
				l = cap - 1;
			memcpy(line, c->buf + c->off, l);
			line[l] = '\0';
			c->off = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->len - c->off > QC_REPLY_MAX) {
			c->err = EPROTO;
			return -1;
		}
		if (qc_fill(c) <= 0)
			return -1;
	}
}

const char *
qc_why(const struct qconn *c)
{
	static char why[160];

	if (c->err == 0)
		return "the server closed the connection";
	if (c->err == ETIMEDOUT) {
		snprintf(why, sizeof(why), "no answer within --timeout %lld s", c->timeout_s);
		return why;
	}
	if (c->err == EINTR)
		return "interrupted";
	if (c->err == EPROTO)
		return "the server sent a line too long to be a reply";
	snprintf(why, sizeof(why), "connection lost: %s", strerror(c->err));
	return why;
}

int
qc_server_error(const char *what, const char *reply)
{
	if (strncmp(reply, "ERR ", 4) == 0)
		log_warnx("%s: the server refused: %s", what, reply + 4);
	else
		log_warnx("%s: unexpected reply from the server: '%.80s'", what, reply);
	return 1;
}

/* The first line must be the greeting; an ERR is the server refusing us
 * (query-allow, too many clients); anything else or nothing is not a
 * logserver query service. */
static int
greeted(const struct client_config *cfg, struct qconn *c)
{
	char line[QC_REPLY_MAX];
	long long full = c->timeout_ms;
	int rc;

	if (c->timeout_ms > GREETING_MS)
		c->timeout_ms = GREETING_MS;
	rc = qc_line(c, line, sizeof(line));
	c->timeout_ms = full;
	if (rc == 0 && strcmp(line, QUERY_GREETING) == 0)
		return 0;
	if (rc == 0 && strncmp(line, "ERR ", 4) == 0) {
		log_warnx("%s: the server refused the connection: %s", c->peer, line + 4);
		return -1;
	}
	if (rc == -1 && c->err == EINTR)
		return -1;
	if (rc == -1 && c->io.ssl != NULL && c->err != ETIMEDOUT &&
	    stream_tls_reason(&c->io) != NULL) {
		/* TLS 1.3: a refused client certificate shows only now, as an alert. */
		log_warnx("TLS with %s: the server ended the connection before its greeting: %s "
		    "(does it accept our --cert?)", c->peer, stream_tls_reason(&c->io));
		return -1;
	}
	if (rc == 0 && strncmp(line, "logserver: refused: ", 20) == 0) {
		log_warnx("%s refused the connection: %.300s", c->peer, line + 20);
		return -1;
	}
	log_warnx("%s did not answer as a logserver query service (is that the ingest port? "
	    "set query_port / --query-port%s)", c->peer, cfg->tls ? "; with --tls the server "
	    "needs --query-tls on" : "; a server with --query-tls on needs --tls");
	return -1;
}

static int
authenticate(const struct client_config *cfg, struct qconn *c)
{
	char tok[QUERY_TOKEN_MAX + 8], req[QUERY_TOKEN_MAX + 16], line[QC_REPLY_MAX];
	int fd = open(cfg->token_file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd == -1 ? -1 : read(fd, tok, sizeof(tok) - 1);
	size_t len;

	if (fd != -1)
		close(fd);
	if (n <= 0) {
		log_warnx("cannot read token file %s: %s", cfg->token_file,
		    n == 0 ? "empty" : strerror(errno));
		return -1;
	}
	len = (size_t)n;
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
		len--;
	tok[len] = '\0';
	snprintf(req, sizeof(req), "AUTH %s\n", tok);
	if (qc_send(c, req) == -1) {
		log_warnx("authentication: connection lost: %s", strerror(errno));
		return -1;
	}
	if (qc_line(c, line, sizeof(line)) == -1) {
		log_warnx("authentication: %s", qc_why(c));
		return -1;
	}
	if (strncmp(line, "OK", 2) != 0) {
		qc_server_error("authentication", line);
		return -1;
	}
	return 0;
}

int
qc_open(const struct client_config *cfg, struct qconn *c)
{
	int port = qc_port(cfg);

	memset(c, 0, sizeof(*c));
	stream_plain(&c->io, -1);
	c->timeout_s = cfg->timeout;
	c->timeout_ms = cfg->timeout * 1000;
	snprintf(c->peer, sizeof(c->peer), strchr(cfg->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    cfg->host, port);
	c->buf = malloc(QC_BUF);
	if (c->buf == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	if (client_connect(cfg, port, c->timeout_ms, " (is the logserver query service enabled "
	    "there? --query-port names its port)", &c->io) == -1) {
		free(c->buf);
		c->buf = NULL;
		return -1;
	}
	if (c->io.ssl == NULL && net_set_nonblock(c->io.fd) == -1) {
		log_warn("cannot make the socket to %s non-blocking", c->peer);
		goto fail;
	}
	if (greeted(cfg, c) == -1)
		goto fail;
	if (cfg->token_file[0] != '\0' && authenticate(cfg, c) == -1)
		goto fail;
	return 0;
fail:
	qc_close(c);
	return -1;
}

void
qc_close(struct qconn *c)
{
	if (c->io.fd != -1)
		stream_close(&c->io);
	stream_plain(&c->io, -1);
	free(c->buf);
	c->buf = NULL;
}
