/* session: read, frame, format and batch-write one client's messages. */
#include "session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "conn_setup.h"
#include "framing.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "pace.h"
#include "record.h"
#include "sig.h"
#include "syslog.h"
#include "timeouts.h"
#include "tls.h"

#define READ_CHUNK (64 * 1024)		/* bytes asked of one read() */
#define OUT_BATCH (96 * 1024)		/* flush once a batch is this large */
#define RETRY_MS 1000			/* wait between retries of a failed write */
#define DRAIN_READS 256			/* reads at shutdown, at most */


struct session {
	struct stream *conn;
	char peer[REC_PEER_MAX];
	struct rec_source src;
	long pid;
	const struct server_config *cfg;
	struct logstore *store;
	struct framer fr;
	struct rec_clock clk;
	char *rbuf;
	size_t rcap, rlen;
	char *obuf;
	size_t ocap, olen, oreserve;
	unsigned long long nmsg, ntrunc;
	int write_failed;	/* the last append failed; errno in write_errno */
	int relp_refused;	/* the sender speaks RELP: told where to go, closing */
	struct conn_timeouts to;
	int write_errno;
	struct pace pace;	/* --max-rate */
	long long paced_ms;	/* how long reading was held back for it */
	int check_host;		/* --tls-check-hostname, and the peer has names */
	struct tls_names names;	/* the peer certificate's, when check_host */
	unsigned long long nmismatch;	/* messages whose HOSTNAME is none of them */
	char mismatch_host[64];	/* the first such HOSTNAME, for the event */
	struct mx_batch mxb;	/* message counts not yet in the shared metrics */
};

/* Writes the batch; keeps what did not reach the file. */
static int
flush(struct session *s)
{
	size_t written;

	mx_batch_flush(&s->mxb);
	if (s->olen == 0)
		return 0;
	if (logstore_append(s->store, s->obuf, s->olen, &written) == 0 &&
	    (s->cfg->tcp_fsync != FSYNC_BATCH || logstore_sync(s->store) == 0)) {
		s->olen = 0;
		if (s->write_failed)
			log_warnx("writing to %s works again", s->cfg->dir);
		s->write_failed = 0;
		return 0;
	}
	mx_add(MX_WRITE_ERRORS, 1);
	if (!s->write_failed || s->write_errno != errno)
		log_warn("cannot write records of %s to %s; keeping them and retrying", s->peer,
		    s->cfg->dir);
	s->write_failed = 1;
	s->write_errno = errno;
	memmove(s->obuf, s->obuf + written, s->olen - written);
	s->olen -= written;
	return -1;
}

enum session_event { EV_CONNECT, EV_TRUNCATED, EV_DISCONNECT, EV_RELP_REFUSED, EV_IDLE,
	EV_FRAME_TIMEOUT, EV_PACED, EV_HOST_MISMATCH };

/*
 * Adds one of the session's own events to the batch. TRUNCATED takes
 * (kept, dropped); DISCONNECT takes (reset, shutdown) flags. When the store
 * keeps failing there may be no room: the daemon's log has said so already.
 */
static void
add_event(struct session *s, enum session_event ev, unsigned long long a, unsigned long long b)
{
	char *d;

	/* --events none: a connection is counted by the supervisor, not recorded;
	 * one that was reset still is (a fault). */
	if ((ev == EV_CONNECT || (ev == EV_DISCONNECT && a == 0)) &&
	    s->cfg->events == EVENTS_NONE)
		return;
	if (s->ocap - s->olen < REC_EVENT_MAX)
		(void)flush(s);
	if (s->ocap - s->olen < REC_EVENT_MAX)
		return;
	d = s->obuf + s->olen;
	switch (ev) {
	case EV_CONNECT:
		if (s->src.tls_peer != NULL)
			s->olen += record_event(d, &s->clk, s->src.format, s->pid,
			    "connect %s tls peer=%s", s->peer, s->src.tls_peer);
		else
			s->olen += record_event(d, &s->clk, s->src.format, s->pid, "connect %s",
			    s->peer);
		break;
	case EV_TRUNCATED:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "truncated message from %s: kept the first %llu bytes, dropped %llu (max-line)",
		    s->peer, a, b);
		break;
	case EV_RELP_REFUSED:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "refused %s: a RELP open on the plain TCP port (RELP port: %lld); nothing "
		    "written", s->peer, s->cfg->relp_port);
		break;
	case EV_IDLE:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "idle timeout: %s sent nothing for %llu s; closing (idle-timeout)", s->peer,
		    (unsigned long long)s->cfg->idle_timeout);
		break;
	case EV_FRAME_TIMEOUT:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "frame timeout: %s left a message unfinished for %llu s; wrote the %llu bytes "
		    "it sent, marked truncated, and closed (frame-timeout)", s->peer,
		    (unsigned long long)s->cfg->frame_timeout, a);
		break;
	case EV_PACED:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "max-rate: %s sends faster than %lld messages/s; reading it more slowly, "
		    "nothing is dropped (max-rate)", s->peer, s->cfg->max_rate);
		break;
	case EV_HOST_MISMATCH:
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "tls-check-hostname: %s (certificate %s) sent HOSTNAME '%s', none of its "
		    "certificate's names; such messages are %s", s->peer, s->src.tls_peer,
		    s->mismatch_host, s->cfg->tls_check_hostname == CHECK_HOST_REJECT ?
		    "dropped and counted (tls-check-hostname reject)" :
		    "marked tls-host-mismatch (tls-check-hostname mark)");
		break;
	case EV_DISCONNECT: {
		char extra[96] = "";

		if (s->paced_ms > 0)
			snprintf(extra, sizeof(extra), " paced_ms=%lld", s->paced_ms);
		if (s->nmismatch > 0)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			    " host_mismatch=%llu", s->nmismatch);
		s->olen += record_event(d, &s->clk, s->src.format, s->pid,
		    "disconnect %s messages=%llu truncated=%llu%s%s", s->peer, s->nmsg, s->ntrunc,
		    extra, b ? " (server shutdown)" : a ? " (connection reset)" : "");
		break;
	}
	}
}

/*
 * --tls-check-hostname: 0 when the message names a HOSTNAME that is none
 * of the certificate's names (counted; the first one recorded); with mark
 * its record is then marked. A message without a HOSTNAME claims none.
 */
static int
host_matches(struct session *s, const char *p, size_t len)
{
	struct syslog_msg m;

	if (syslog_parse(p, len, &m) == SYSLOG_NONE || m.host.len == 0 ||
	    tls_names_match_host(&s->names, m.host.p, m.host.len))
		return 1;
	if (s->nmismatch++ == 0) {
		size_t n = m.host.len < sizeof(s->mismatch_host) - 1 ? m.host.len :
		    sizeof(s->mismatch_host) - 1;

		for (size_t i = 0; i < n; i++) {	/* printable ASCII only, in an event */
			unsigned char c = (unsigned char)m.host.p[i];

			s->mismatch_host[i] = c > 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
		}
		s->mismatch_host[n] = '\0';
		add_event(s, EV_HOST_MISMATCH, 0, 0);
	}
	s->src.tls_mismatch = s->cfg->tls_check_hostname == CHECK_HOST_MARK;
	return 0;
}

/* "TXNR open DATALEN ...": a RELP sender that was pointed at this port. */
static int
looks_like_relp_open(const char *p, size_t len)
{
	size_t i = 0, d;

	for (d = 0; i < len && d < 10 && p[i] >= '0' && p[i] <= '9'; i++, d++)
		;
	if (d == 0 || d > 9 || len - i < 7 || memcmp(p + i, " open ", 6) != 0)
		return 0;
	i += 6;
	for (d = 0; i < len && d < 10 && p[i] >= '0' && p[i] <= '9'; i++, d++)
		;
	return d > 0 && d <= 9 && (i == len || p[i] == ' ');
}

/* Refuses a RELP sender on the plain port: one line telling where RELP
 * goes (never written as a message), and the refusal recorded. */
static void
refuse_relp(struct session *s)
{
	char line[200];
	int n;

	if (s->cfg->relp_port != 0)
		n = snprintf(line, sizeof(line), "logserver: refused: this is the plain TCP port; "
		    "RELP goes to port %lld (--relp-port)\n", s->cfg->relp_port);
	else
		n = snprintf(line, sizeof(line), "logserver: refused: this is the plain TCP port "
		    "and RELP is disabled (--relp-port 0)\n");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)stream_send(s->conn, line, (size_t)n);
	add_event(s, EV_RELP_REFUSED, 0, 0);
}

/*
 * Turns the buffered bytes into records. Returns early, leaving bytes in the
 * read buffer, only when the output buffer cannot be flushed.
 */
static void
process(struct session *s, int eof)
{
	size_t off = 0, n;
	struct frame f;

	for (;;) {
		if (s->ocap - s->olen < s->oreserve && flush(s) == -1 &&
		    s->ocap - s->olen < s->oreserve)
			break;
		n = framer_next(&s->fr, s->rbuf + off, s->rlen - off, eof, &f);
		if (n == 0)
			break;
		off += n;
		if (f.type == FRAME_MSG && s->nmsg == 0 && looks_like_relp_open(f.p, f.len)) {
			s->relp_refused = 1;
			break;
		}
		switch (f.type) {
		case FRAME_MSG:
			if (s->check_host && !host_matches(s, f.p, f.len) &&
			    s->cfg->tls_check_hostname == CHECK_HOST_REJECT) {
				mx_add(MX_TLS_HOST_REJECTED, 1);
				break;
			}
			s->olen += record_message(s->obuf + s->olen, &s->clk, &s->src, f.p, f.len,
			    f.truncated);
			s->src.tls_mismatch = 0;
			s->nmsg++;
			s->ntrunc += f.truncated != 0;
			mx_batch_add(&s->mxb, f.len, f.truncated != 0);
			break;
		case FRAME_OVERLONG_END:
			add_event(s, EV_TRUNCATED, s->cfg->max_line, f.dropped);
			break;
		case FRAME_BAD_COUNT:
			/* Not believable as an octet count: the message follows as a line. */
			s->olen += record_event(s->obuf + s->olen, &s->clk, s->src.format, s->pid,
			    "bad octet count '%.*s' from %s; message taken as a line",
			    (int)(f.len > 20 ? 20 : f.len), f.p, s->peer);
			break;
		case FRAME_SKIP:
			break;
		}
	}
	if (off > 0) {
		memmove(s->rbuf, s->rbuf + off, s->rlen - off);
		s->rlen -= off;
	}
	if (eof && s->rlen == 0 && framer_finish(&s->fr, &f))
		add_event(s, EV_TRUNCATED, s->cfg->max_line, f.dropped);
}

/* Reads once. Returns bytes read, 0 at EOF, -1 with errno. */
static ssize_t
read_some(struct session *s)
{
	size_t want = s->rcap - s->rlen;
	ssize_t r;

	if (want > READ_CHUNK + (size_t)s->cfg->max_line)
		want = READ_CHUNK + (size_t)s->cfg->max_line;
	r = stream_read(s->conn, s->rbuf + s->rlen, want, &sig_got_term);
	if (r > 0)
		s->rlen += (size_t)r;
	return r;
}

/* At shutdown: what the kernel already holds for us, bounded. */
static void
drain(struct session *s)
{
	for (int i = 0; i < DRAIN_READS; i++) {
		if (s->rlen == s->rcap)
			process(s, 0);
		if (s->rlen == s->rcap)
			break;
		if (read_some(s) <= 0)
			break;
		rec_clock_update(&s->clk);
		process(s, 0);
	}
}

/*
 * A deadline passed (timeouts.h): an idle sender is closed; one that left a
 * message unfinished has what it sent written, marked truncated, then is
 * closed. Returns 1 when the session ends.
 */
static int
timed_out(struct session *s)
{
	enum ct_expired e = ct_check(&s->to);
	struct frame f;

	if (e == CT_NONE)
		return 0;
	rec_clock_update(&s->clk);
	if (e == CT_IDLE) {
		add_event(s, EV_IDLE, 0, 0);
		return 1;
	}
	if (s->rlen > 0 && s->ocap - s->olen >= s->oreserve) {
		size_t len = s->rlen < (size_t)s->cfg->max_line ? s->rlen : (size_t)s->cfg->max_line;

		s->olen += record_message(s->obuf + s->olen, &s->clk, &s->src, s->rbuf, len, 1);
		s->nmsg++;
		s->ntrunc++;
		mx_batch_add(&s->mxb, len, 1);
	}
	add_event(s, EV_FRAME_TIMEOUT, (unsigned long long)s->rlen, 0);
	s->rlen = 0;
	if (framer_finish(&s->fr, &f))
		add_event(s, EV_TRUNCATED, s->cfg->max_line, f.dropped);
	framer_init(&s->fr, (size_t)s->cfg->max_line);
	return 1;
}

int
session_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask)
{
	struct session s;
	int reset = 0, stopped = 0, status = 0, fd = conn->fd;

	memset(&s, 0, sizeof(s));
	s.conn = conn;
	s.cfg = cfg;
	s.store = store;
	s.pid = (long)getpid();
	s.src.peerlen = net_format_peer(peer, peerlen, s.peer, sizeof(s.peer));
	s.src.peer = s.peer;
	s.src.format = (enum rec_format)cfg->format;
	s.src.transport = conn->ssl != NULL ? "tls" : "tcp";
	s.mxb.base = conn->ssl != NULL ? MX_TLS : MX_TCP;
	s.src.tls_peer = tls_peer;
	s.check_host = cfg->tls_check_hostname != CHECK_HOST_OFF && tls_peer != NULL &&
	    tls_stream_names(conn, &s.names) > 0;
	framer_init(&s.fr, (size_t)cfg->max_line);
	/* Big enough for a whole over-long message; pages are touched only when used. */
	s.rcap = READ_CHUNK + (size_t)cfg->max_line + FRAMER_SLACK;
	s.oreserve = RECORD_MSG_MAX((size_t)cfg->max_line) + REC_EVENT_MAX;
	s.ocap = OUT_BATCH + s.oreserve;
	s.rbuf = malloc(s.rcap);
	s.obuf = malloc(s.ocap);
	if (s.rbuf == NULL || s.obuf == NULL) {
		log_warnx("out of memory for client %s", s.peer);
		free(s.rbuf);
		free(s.obuf);
		stream_close(conn);
		return 1;
	}
	conn_setup(fd, cfg, &s.to, &s.pace, &s.clk);
	add_event(&s, EV_CONNECT, 0, 0);
	(void)flush(&s);

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = stream_events(conn, POLLIN) };
		struct timespec retry = { RETRY_MS / 1000, (RETRY_MS % 1000) * 1000000L }, tmo;
		ssize_t r;
		int pr;

		if (sig_got_term) {
			stopped = 1;
			drain(&s);
			break;
		}
		/* While the store fails, stop reading: TCP pushes back on the client. */
		if (s.write_failed && s.olen > 0) {
			rec_clock_update(&s.clk);
			if (flush(&s) == -1) {
				ppoll(NULL, 0, &retry, waitmask);
				continue;
			}
			process(&s, 0);
		}
		/* --max-rate: stop reading until the sender is within its rate;
		 * TCP pushes back on it, and nothing is dropped. */
		long long owed = cfg->max_rate > 0 ? pace_wait_ms(&s.pace, ct_now_ms()) : 0;
		if (owed > 0) {
			if (s.paced_ms == 0) {
				rec_clock_update(&s.clk);
				add_event(&s, EV_PACED, 0, 0);
			}
			(void)flush(&s);
			io_pause_ms(owed, waitmask);
			s.paced_ms += owed;
			mx_add(MX_PACED_MS, (uint64_t)owed);
			continue;
		}
		r = read_some(&s);
		if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (s.olen > 0 && flush(&s) == -1)
				continue;
			pr = ppoll(&pfd, 1, ct_wait(&s.to, &tmo), waitmask);
			if (pr == -1 && errno != EINTR) {
				status = 1;
				break;
			}
			if (pr == 0 && timed_out(&s))
				break;
			continue;
		}
		if (r == -1) {
			reset = 1;	/* ECONNRESET and the like: keep what we have */
			break;
		}
		if (r == 0)
			break;
		rec_clock_update(&s.clk);
		unsigned long long before = s.nmsg;
		process(&s, 0);
		if (cfg->max_rate > 0)
			pace_take(&s.pace, s.nmsg - before, ct_now_ms());
		ct_bytes(&s.to, s.rlen > 0 || framer_in_message(&s.fr));
		if (s.relp_refused)
			break;
		/* Batch: write once the socket is empty or the batch is large. */
		if (s.olen >= OUT_BATCH)
			(void)flush(&s);
	}
	rec_clock_update(&s.clk);
	if (s.relp_refused)
		refuse_relp(&s);
	else
		process(&s, 1);
	add_event(&s, EV_DISCONNECT, (unsigned long long)reset, (unsigned long long)stopped);
	while (flush(&s) == -1 && !sig_got_term) {
		struct timespec retry = { RETRY_MS / 1000, (RETRY_MS % 1000) * 1000000L };
		ppoll(NULL, 0, &retry, waitmask);
	}
	if (s.olen > 0) {
		log_warnx("lost %zu bytes of records from %s: the log store kept failing", s.olen,
		    s.peer);
		status = 1;
	}
	free(s.rbuf);
	free(s.obuf);
	stream_close(conn);
	return status;
}
