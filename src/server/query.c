/* query: LIST, FETCH, SUM and FOLLOW over the query port. */
#include "query.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "digest.h"
#include "events.h"
#include "log.h"
#include "logscan.h"
#include "net.h"
#include "query_proto.h"
#include "record.h"
#include "sig.h"
#include "stream.h"
#include "timeouts.h"

#define IDLE_TIMEOUT_MS (300 * 1000)	/* between requests */
#define FOLLOW_BUF (256 * 1024)
#define FOLLOW_POLL_MS 1000		/* re-check even without inotify news */
#define LINES_MAX 1000000		/* FOLLOW LINES n, at most */
#define PREAUTH_BAD_MAX 8		/* malformed requests answered before AUTH */
#define REFUSED_MAX 16			/* refused requests of one connection before it is closed */

struct qsess {
	struct stream *conn;
	char peer[REC_PEER_MAX];
	const char *tls_peer;		/* the client certificate's name, or NULL */
	const struct sockaddr *peer_sa;
	socklen_t peer_len;
	const struct server_config *cfg;
	struct logstore *store;
	const sigset_t *waitmask;
	char in[QUERY_LINE_MAX + 2];
	size_t inlen;
	size_t used;			/* bytes of in[] the current request took */
	int gone;			/* the client closed or broke the connection */
	unsigned long requests;
	unsigned long refused;
	int authed;
};

static int
send_all(struct qsess *q, const char *buf, size_t len)
{
	if (stream_write_all(q->conn, buf, len) == -1) {
		q->gone = 1;
		return -1;
	}
	return 0;
}

static int
reply(struct qsess *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
reply(struct qsess *q, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return send_all(q, line, (size_t)n);
}

static int
reply_err(struct qsess *q, enum q_err e, const char *text)
{
	return reply(q, "ERR %s %s", query_err_word(e), text);
}

/* A server event about this query connection; refusals go through flood
 * control (kind RL_QUERY_REFUSED, per client address). */
static void
audit_kind(struct qsess *q, enum rl_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
audit_kind(struct qsess *q, enum rl_kind kind, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (event_audit(q->store, q->cfg->format, kind, q->peer_sa, q->peer_len,
	    "query %s%s%s%s: %s", q->peer, q->conn->ssl != NULL ? " tls" : "",
	    q->tls_peer != NULL ? " peer=" : "", q->tls_peer != NULL ? q->tls_peer : "", text) == -1)
		log_warn("cannot record query event");
}

#define audit(q, ...) audit_kind((q), RL_NONE, __VA_ARGS__)
/* Refusals of a client that has not authenticated are flood-controlled;
 * an admitted client's are all recorded, at most REFUSED_MAX a connection. */
#define audit_refused(q, ...) audit_kind((q), (q)->authed ? RL_NONE : RL_QUERY_REFUSED, \
    __VA_ARGS__)

/* Reads one request line, which must be whole within limit_ms. Returns its
 * length, or -1 when the connection ended, timed out, was too long, or the
 * server stops. */
static ssize_t
read_line(struct qsess *q, char **line, long long limit_ms)
{
	long long deadline = ct_now_ms() + limit_ms;

	for (;;) {
		char *nl = memchr(q->in, '\n', q->inlen);
		struct pollfd pfd = { .fd = q->conn->fd, .events = stream_events(q->conn, POLLIN) };
		long long left = deadline - ct_now_ms();
		struct timespec idle = { left > 0 ? (time_t)(left / 1000) : 0,
		    left > 0 ? (long)(left % 1000) * 1000000L : 0 };
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - q->in);

			*nl = '\0';
			*line = q->in;
			q->used = len + 1;
			return len > 0 && q->in[len - 1] == '\r' ? (ssize_t)len - 1 : (ssize_t)len;
		}
		if (q->inlen > QUERY_LINE_MAX) {
			reply_err(q, Q_ERR_BADREQ, "request line longer than 1024 bytes");
			return -1;
		}
		if (sig_got_term)
			return -1;
		/* Bytes already decrypted are not seen by poll(). */
		n = stream_pending(q->conn) ? 1 : left > 0 ? ppoll(&pfd, 1, &idle, q->waitmask) : 0;
		if (n == 0) {
			reply_err(q, Q_ERR_BADREQ, "idle for too long; closing");
			return -1;
		}
		if (n == -1)
			continue;	/* EINTR: the loop checks the flag */
		n = stream_read(q->conn, q->in + q->inlen, sizeof(q->in) - q->inlen, &sig_got_term);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		q->inlen += (size_t)n;
	}
}

static void
consume_line(struct qsess *q)
{
	memmove(q->in, q->in + q->used, q->inlen - q->used);
	q->inlen -= q->used;
	q->used = 0;
}

/*
 * Opens one of our files read-only: never through a symlink, and without
 * blocking (a FIFO named like a log file would otherwise hang the open);
 * anything but a regular file is refused. A refusal is recorded.
 */
static enum q_err
open_log(struct qsess *q, const char *name, int *fd, struct stat *st, char *err, size_t errlen)
{
	*fd = openat(q->store->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd == -1) {
		if (errno == ENOENT) {
			snprintf(err, errlen, "no log file named %s (see LIST)", name);
			return Q_ERR_NOFILE;
		}
		if (errno == ELOOP) {
			snprintf(err, errlen, "%s is a symbolic link; refused", name);
			audit_refused(q, "refused request: %s", err);
			return Q_ERR_DENIED;
		}
		snprintf(err, errlen, "cannot open %s: %s", name, strerror(errno));
		return Q_ERR_INTERNAL;
	}
	if (fstat(*fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		snprintf(err, errlen, "%s is not a regular file; refused", name);
		audit_refused(q, "refused request: %s", err);
		return Q_ERR_DENIED;
	}
	return Q_OK;
}

static int
do_list(struct qsess *q)
{
	struct logfile *files;
	size_t n;

	if (logstore_list(q->store, &files, &n) == -1)
		return reply_err(q, Q_ERR_INTERNAL, "cannot read the log directory");
	if (reply(q, "OK %zu", n) == -1) {
		free(files);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char first[REC_TIME_LEN + 1], last[REC_TIME_LEN + 1], err[256];
		struct stat st;
		int fd;

		if (open_log(q, files[i].name, &fd, &st, err, sizeof(err)) != Q_OK) {
			/* Deleted between the scan and now: still one line per file. */
			reply(q, "%s 0 - -", files[i].name);
			continue;
		}
		logscan_times(fd, st.st_size, first, last);
		close(fd);
		if (reply(q, "%s %lld %s %s", files[i].name, (long long)st.st_size, first, last) == -1)
			break;
	}
	free(files);
	return q->gone ? -1 : 0;
}

/* Up to len bytes of the file at *off to the client: sendfile(2) when
 * plain, read and written through TLS otherwise. */
static ssize_t
send_file_part(struct qsess *q, int fd, off_t *off, size_t len)
{
	char buf[16384];
	ssize_t n;

	if (q->conn->ssl == NULL)
		return sendfile(q->conn->fd, fd, off, len);
	n = pread(fd, buf, len < sizeof(buf) ? len : sizeof(buf), *off);
	if (n <= 0)
		return n;
	if (stream_write_all(q->conn, buf, (size_t)n) == -1)
		return -1;
	*off += n;
	return n;
}

static int
do_fetch(struct qsess *q, const struct q_request *rq)
{
	char err[256];
	struct stat st;
	enum q_err e;
	off_t off;
	unsigned long long left;
	int fd;

	if ((e = open_log(q, rq->name, &fd, &st, err, sizeof(err))) != Q_OK)
		return reply_err(q, e, err);
	if (rq->offset > (unsigned long long)st.st_size) {
		close(fd);
		snprintf(err, sizeof(err), "offset %llu is past the end of %s (%lld bytes)",
		    rq->offset, rq->name, (long long)st.st_size);
		return reply_err(q, Q_ERR_RANGE, err);
	}
	/* The size now is what is sent, even while the file grows. */
	left = (unsigned long long)st.st_size - rq->offset;
	audit(q, "FETCH %s offset=%llu bytes=%llu", rq->name, rq->offset, left);
	if (reply(q, "OK %llu", left) == -1) {
		close(fd);
		return -1;
	}
	off = (off_t)rq->offset;
	while (left > 0 && !sig_got_term) {
		size_t chunk = left > (1U << 30) ? (1U << 30) : (size_t)left;
		ssize_t n = send_file_part(q, fd, &off, chunk);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The client went away, or the file shrank: the reply cannot be completed. */
			q->gone = 1;
			break;
		}
		left -= (unsigned long long)n;
	}
	close(fd);
	return left == 0 ? 0 : -1;
}

static int
do_sum(struct qsess *q, const struct q_request *rq)
{
	char err[256], hex[DIGEST_HEX_LEN + 1];
	struct stat st;
	enum q_err e;
	int fd, rc;

	if ((e = open_log(q, rq->name, &fd, &st, err, sizeof(err))) != Q_OK)
		return reply_err(q, e, err);
	if (rq->offset > (unsigned long long)st.st_size ||
	    rq->length > (unsigned long long)st.st_size - rq->offset) {
		close(fd);
		snprintf(err, sizeof(err), "range %llu+%llu is past the end of %s (%lld bytes)",
		    rq->offset, rq->length, rq->name, (long long)st.st_size);
		return reply_err(q, Q_ERR_RANGE, err);
	}
	rc = digest_file_range(fd, (off_t)rq->offset, rq->length, hex);
	close(fd);
	if (rc == -1)
		return reply_err(q, Q_ERR_INTERNAL, "the file changed while it was read");
	return reply(q, "OK %s", hex);
}

/* The oldest of our files with a sequence number above seq, or -1. */
static int
open_next(struct qsess *q, uint64_t seq, char *name, uint64_t *nseq)
{
	struct logfile *files;
	size_t n;
	int fd = -1;

	if (logstore_list(q->store, &files, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && fd == -1; i++) {
		if (files[i].seq <= seq)
			continue;
		fd = openat(q->store->dirfd, files[i].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1) {
			memcpy(name, files[i].name, LOGNAME_LEN + 1);
			*nseq = files[i].seq;
		}
	}
	free(files);
	return fd;
}

static int
do_follow(struct qsess *q, const struct q_request *rq)
{
	char name[LOGNAME_LEN + 1], err[256];
	struct stat st;
	enum q_err e;
	uint64_t seq, size;
	time_t t;
	off_t off;
	char *buf;
	int fd, ino;

	if (rq->name[0] != '\0')
		memcpy(name, rq->name, sizeof(name));
	else
		logstore_current(q->store, name, sizeof(name), &size);
	if ((e = open_log(q, name, &fd, &st, err, sizeof(err))) != Q_OK)
		return reply_err(q, e, err);
	(void)logname_parse(name, &t, &seq);
	buf = malloc(FOLLOW_BUF);
	if (buf == NULL) {
		close(fd);
		return reply_err(q, Q_ERR_INTERNAL, "out of memory");
	}
	switch (rq->from) {
	case Q_FROM_START: off = 0; break;
	case Q_FROM_END: off = st.st_size; break;
	case Q_FROM_OFFSET: off = (off_t)rq->offset; break;
	case Q_FROM_LINES:
	default:
		off = logscan_last_lines(fd, st.st_size, rq->length > LINES_MAX ? LINES_MAX : rq->length, buf,
		    FOLLOW_BUF);
		break;
	}
	if (off > st.st_size) {
		free(buf);
		close(fd);
		snprintf(err, sizeof(err), "offset %lld is past the end of %s (%lld bytes)",
		    (long long)off, name, (long long)st.st_size);
		return reply_err(q, Q_ERR_RANGE, err);
	}
	audit(q, "FOLLOW %s offset=%lld", name, (long long)off);
	if (reply(q, "OK %s %lld", name, (long long)off) == -1) {
		free(buf);
		close(fd);
		return -1;
	}
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino != -1 && inotify_add_watch(ino, q->cfg->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) == -1) {
		close(ino);
		ino = -1;	/* polling alone still works */
	}
	while (!sig_got_term && !q->gone) {
		/* Read the current sequence before the file: if it moved on, the
		 * file we hold is complete by the time we read it to its end. */
		uint64_t cur = logstore_current_seq(q->store);
		ssize_t n = pread(fd, buf, FOLLOW_BUF, off);

		if (n > 0) {
			char *nl = memrchr(buf, '\n', (size_t)n);
			size_t take = nl != NULL ? (size_t)(nl - buf) + 1 :
			    n == FOLLOW_BUF ? (size_t)n : 0;

			if (take > 0) {
				if (send_all(q, buf, take) == -1)
					break;
				off += (off_t)take;
				continue;
			}
		}
		if (n == 0 && fstat(fd, &st) == 0 && st.st_size < off) {
			/* Cut back under us (a failed write, a torn tail repaired):
			 * go on at the last record boundary of what is left. */
			off_t to = (off_t)logscan_record_end(fd, 0, (uint64_t)st.st_size);
			audit(q, "FOLLOW %s shrank from %lld to %lld bytes (records cut back by the "
			    "store); continuing at %lld", name, (long long)off, (long long)st.st_size,
			    (long long)to);
			off = to;
			continue;
		}
		if (n >= 0 && cur > seq) {
			uint64_t nseq;
			int nfd = open_next(q, seq, name, &nseq);

			if (nfd != -1) {
				if (nseq != seq + 1)
					audit(q, "FOLLOW skipped %llu file(s) deleted before they were read",
					    (unsigned long long)(nseq - seq - 1));
				close(fd);
				fd = nfd;
				seq = nseq;
				off = 0;
				continue;
			}
		}
		struct pollfd pfds[2] = {
			{ .fd = q->conn->fd, .events = POLLIN },
			{ .fd = ino, .events = POLLIN },
		};
		struct timespec tmo = { FOLLOW_POLL_MS / 1000, (FOLLOW_POLL_MS % 1000) * 1000000L };
		if (ppoll(pfds, ino != -1 ? 2 : 1, &tmo, q->waitmask) > 0) {
			if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
				char tmp[256];
				ssize_t r = stream_read_nowait(q->conn, tmp, sizeof(tmp));
				if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR))
					q->gone = 1;
			}
			if (ino != -1 && (pfds[1].revents & POLLIN))
				while (read(ino, buf, 4096) > 0)
					;
		}
	}
	if (ino != -1)
		close(ino);
	free(buf);
	close(fd);
	return -1;	/* the stream ends only with the connection */
}

int
query_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store, const char *token,
    size_t tokenlen, const sigset_t *waitmask)
{
	struct qsess q;

	memset(&q, 0, sizeof(q));
	q.conn = conn;
	q.tls_peer = tls_peer;
	q.cfg = cfg;
	q.store = store;
	q.waitmask = waitmask;
	net_format_peer(peer, peerlen, q.peer, sizeof(q.peer));
	q.authed = tokenlen == 0;
	q.peer_sa = peer;
	q.peer_len = peerlen;
	/* Replies are whole lines or whole files: no reason to wait for more. */
	(void)setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	/* A client that stops reading frees this child after the idle time. */
	struct timeval stall = { IDLE_TIMEOUT_MS / 1000, 0 };
	(void)setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
	/* The greeting tells a client it reached a query service before it
	 * sends a token (to an ingest port, that would become a record). */
	if (reply(&q, "%s", QUERY_GREETING) == -1) {
		stream_close(conn);
		return 0;
	}

	for (;;) {
		struct q_request rq;
		char err[256], *line;
		/* Before it has authenticated (or, without a token, asked anything)
		 * a client gets the short deadline. */
		ssize_t len = read_line(&q, &line, q.authed && q.requests > 0 ? IDLE_TIMEOUT_MS :
		    q.cfg->query_auth_timeout * 1000);
		enum q_err e;
		int rc = 0;

		if (len < 0)
			break;
		e = query_parse(line, (size_t)len, &rq, err, sizeof(err));
		consume_line(&q);
		q.requests++;
		/* Nothing about names before AUTH: a request other than AUTH
		 * (a malformed line only gets its syntax error, a few times) ends
		 * an unauthenticated connection. */
		if (!q.authed && (e == Q_OK ? rq.cmd != Q_AUTH : e != Q_ERR_BADREQ ||
		    q.requests > PREAUTH_BAD_MAX)) {
			e = Q_ERR_AUTH;
			snprintf(err, sizeof(err), "this server wants AUTH <token> first");
		}
		/* A token sent in clear over the network could be read on the
		 * way: over plain TCP it is taken from loopback only. */
		if (e == Q_OK && rq.cmd == Q_AUTH && conn->ssl == NULL &&
		    !net_is_loopback(peer, peerlen)) {
			e = Q_ERR_AUTH;
			snprintf(err, sizeof(err), "a token is not taken over plain TCP from another "
			    "host; the server must run with --query-tls on, and logclient with --tls");
		} else if (e == Q_OK && rq.cmd == Q_AUTH && tokenlen > 0 &&
		    !query_token_equal(rq.token, rq.tokenlen, token, tokenlen)) {
			e = Q_ERR_AUTH;
			snprintf(err, sizeof(err), "wrong token");
		}
		if (e != Q_OK) {
			reply_err(&q, e, err);
			if (e == Q_ERR_AUTH) {
				audit_refused(&q, "refused: %s", err);
				break;
			}
			if (e == Q_ERR_DENIED)
				audit_refused(&q, "refused request: %s", err);
			if (e == Q_ERR_DENIED && ++q.refused >= REFUSED_MAX) {
				audit(&q, "closed after %d refused requests", REFUSED_MAX);
				break;
			}
			continue;
		}
		switch (rq.cmd) {
		case Q_AUTH:
			q.authed = 1;
			rc = reply(&q, "OK authenticated");
			break;
		case Q_LIST:
			rc = do_list(&q);
			break;
		case Q_FETCH:
			rc = do_fetch(&q, &rq);
			break;
		case Q_SUM:
			rc = do_sum(&q, &rq);
			break;
		case Q_FOLLOW:
			rc = do_follow(&q, &rq);
			break;
		case Q_QUIT:
			reply(&q, "OK bye");
			rc = -1;
			break;
		}
		if (rc == -1 || q.gone)
			break;
	}
	stream_close(conn);
	return 0;
}
