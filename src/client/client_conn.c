/* client_conn: logclient's RELP connection: connect, open, frames, answers. */
#include "client_sender.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "log.h"
#include "net.h"
#include "tls.h"

#define RSP_MAX_DATA (16 * 1024)
#define REFUSAL "logserver: refused:"
#define REFUSAL_MAX 512

int64_t
cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cs_why(struct sender *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->hint = "";
}

/* The server's text, cut at 200 bytes, control bytes as '?'. */
static const char *
clean(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < 200 ? len : 200;

	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
	return dst;
}

void
conn_drop(struct sender *s)
{
	if (s->io.fd != -1)
		stream_close(&s->io);
	stream_plain(&s->io, -1);
	s->st = DOWN;
	s->inlen = s->outlen = s->outoff = s->sent = 0;
}

void
conn_broken(struct sender *s, int64_t now)
{
	int64_t limit = s->progress + s->cfg->retry_for * 1000;

	conn_drop(s);
	s->retry_at = NEVER;	/* when idle: reconnect once there is something to send */
	if (s->fatal || (s->count == 0 && s->ever_open))
		return;
	if (s->stop_by < limit)
		limit = s->stop_by;
	if (now >= limit) {
		s->gave_up = 1;
		return;
	}
	s->retry_at = now + s->backoff < limit ? now + s->backoff : limit;
	s->backoff = s->backoff * 2 < BACKOFF_MAX_MS ? s->backoff * 2 : BACKOFF_MAX_MS;
}

/* --tls: the handshake, under --tls-handshake-timeout; a failure is
 * fatal (a wrong certificate or name does not heal by retrying). */
static int
tls_start(struct sender *s, int fd, int64_t now)
{
	const char *name = s->cfg->tls_server_name[0] != '\0' ? s->cfg->tls_server_name :
	    s->cfg->host;
	char err[512];
	SSL_CTX *ctx = tls_client_ctx(s->cfg->ca, s->cfg->cert, s->cfg->key, err, sizeof(err));
	int rc = -1;

	if (ctx != NULL) {
		rc = tls_client_connect(ctx, fd, name, s->cfg->tls_handshake_timeout * 1000, &s->io,
		    err, sizeof(err));
		SSL_CTX_free(ctx);	/* the connection keeps its own reference */
	}
	if (rc == 0)
		return 0;
	cs_why(s, "TLS with %s (server name %s): %s", s->peer, name, err);
	s->fatal = ctx == NULL || strstr(err, "timeout") == NULL;
	conn_broken(s, now);
	return -1;
}

void
conn_open(struct sender *s)
{
	char err[300], offers[512];
	size_t n;
	int fd = net_connect(s->cfg->host, s->port, s->cfg->timeout * 1000, err, sizeof(err));
	int64_t now = cs_now_ms();

	s->reopen = 0;
	if (fd < 0) {
		cs_why(s, "%s", err);
		s->hint = fd == NET_UNRESOLVED ? "" : HINT_PORT;
		conn_broken(s, now);
		return;
	}
	if (net_set_nonblock(fd) == -1) {
		close(fd);
		cs_why(s, "cannot make the socket to %s non-blocking: %s", s->peer,
		    strerror(errno));
		conn_broken(s, now);
		return;
	}
	stream_plain(&s->io, fd);
	if (s->cfg->tls && tls_start(s, fd, now) == -1)
		return;
	s->st = OPENING;
	s->inlen = s->outoff = s->sent = 0;
	s->offered = s->next_seq - s->count;
	n = crelp_offers(offers, sizeof(offers), LOGSERVER_VERSION, s->session, s->offered);
	s->outlen = relp_format(s->out, OUT_CAP, 1, "open", offers, n);
	s->txnr = 2;
	s->waiting = now;
}

void
conn_fill(struct sender *s, int64_t now)
{
	while (s->sent < s->count) {
		struct msg *m = cs_slot(s, s->sent);
		size_t n;

		if (OUT_CAP - s->outlen < m->len + RELP_FRAME_OVERHEAD && s->outoff > 0) {
			memmove(s->out, s->out + s->outoff, s->outlen - s->outoff);
			s->outlen -= s->outoff;
			s->outoff = 0;
		}
		n = relp_format(s->out + s->outlen, OUT_CAP - s->outlen, s->txnr, "syslog",
		    m->data, m->len);
		if (n == 0)
			return;		/* no room until more is written */
		m->txnr = s->txnr;
		s->txnr = crelp_txnr_next(s->txnr);
		s->outlen += n;
		if (s->sent++ == 0)
			s->waiting = now;
	}
}

void
conn_close(struct sender *s, int64_t now)
{
	s->outlen += relp_format(s->out + s->outlen, OUT_CAP - s->outlen, s->txnr, "close",
	    NULL, 0);
	s->close_txnr = s->txnr;
	s->st = CLOSING;
	s->waiting = now;
}

static void
opened(struct sender *s, const struct relp_frame *f, int64_t now)
{
	struct crelp_open o;
	char text[256];

	switch (crelp_open_reply(f->data, f->datalen, &o)) {
	case CRELP_OPEN_OK:
		break;
	case CRELP_OPEN_REFUSED:
		cs_why(s, "%s did not open the RELP session: %d %s", s->peer, o.code,
		    clean(text, sizeof(text), o.text, o.textlen));
		conn_broken(s, now);
		return;
	case CRELP_OPEN_NO_VERSION:
		cs_why(s, "%s is no RELP server: its answer to open has no relp_version "
		    "offer", s->peer);
		s->hint = HINT_PORT;
		s->fatal = 1;
		conn_broken(s, now);
		return;
	case CRELP_OPEN_NO_SYSLOG:
		cs_why(s, "%s does not take syslog messages over RELP: its answer to open "
		    "has no commands=syslog offer", s->peer);
		s->fatal = 1;
		conn_broken(s, now);
		return;
	case CRELP_OPEN_BAD:
		cs_why(s, "%s answered open with a malformed response", s->peer);
		conn_broken(s, now);
		return;
	}
	if (o.has_seq) {
		if (o.seq >= s->next_seq) {
			cs_why(s, "%s says it has message %llu of this session, but only %llu "
			    "were sent", s->peer, (unsigned long long)o.seq,
			    (unsigned long long)(s->next_seq - 1));
			conn_broken(s, now);
			return;
		}
		while (s->count > 0 && cs_slot(s, 0)->seq <= o.seq)
			cs_pop(s, now);
	}
	s->st = OPEN;
	s->ever_open = 1;
	s->progress = s->waiting = now;
	if (o.has_seq && o.seq >= s->offered) {
		/* This connection's frames would carry the numbers from the one
		 * offered, which the server has: close it and open again with
		 * the first message it does not have. */
		s->reopen = 1;
		conn_close(s, now);
	}
}

/* The rsp to the oldest message sent. */
static void
answered(struct sender *s, const struct relp_frame *f, int64_t now)
{
	struct relp_rsp r;
	struct msg *m = cs_slot(s, 0);
	char text[256];

	if (relp_parse_rsp(f->data, f->datalen, &r) == -1) {
		cs_why(s, "%s sent a malformed response", s->peer);
		conn_broken(s, now);
		return;
	}
	if (r.code == 200) {
		cs_pop(s, now);
		return;
	}
	clean(text, sizeof(text), r.text, r.textlen);
	if (m->seq != s->told) {
		log_warnx("server did not take message %llu: %s; retrying",
		    (unsigned long long)m->seq, text);
		s->told = m->seq;
	}
	cs_why(s, "%s did not take message %llu: %s", s->peer, (unsigned long long)m->seq,
	    text);
	conn_broken(s, now);
}

/* One frame from the server. */
static void
frame(struct sender *s, const struct relp_frame *f, int64_t now)
{
	if (f->txnr == 0) {
		if (relp_is(f, "serverclose")) {
			cs_why(s, "%s closed the RELP session (serverclose)", s->peer);
			conn_broken(s, now);
		}
		return;		/* other hints mean nothing to us */
	}
	if (!relp_is(f, "rsp")) {
		cs_why(s, "%s sent a command, not a response", s->peer);
		conn_broken(s, now);
	} else if (s->st == OPENING && f->txnr == 1) {
		opened(s, f, now);
	} else if (s->st == OPEN && s->sent > 0 && f->txnr == cs_slot(s, 0)->txnr) {
		answered(s, f, now);
	} else if (s->st == CLOSING && f->txnr == s->close_txnr) {
		conn_drop(s);
		if (s->reopen) {
			s->reopen = 0;
			s->retry_at = s->count > 0 ? now : NEVER;
		} else {
			s->st = CLOSED;
		}
	} else {
		cs_why(s, "%s answered transaction %u, which was not the next outstanding one",
		    s->peer, (unsigned)f->txnr);
		conn_broken(s, now);
	}
}

/* Handles the frames in s->in; eof: nothing more will come. */
static void
parse_in(struct sender *s, int eof, int64_t now)
{
	size_t pos = 0, rl = strlen(REFUSAL);

	while (s->io.fd != -1 && pos < s->inlen) {
		struct relp_frame f;
		size_t used;
		const char *why, *p = s->in + pos;
		size_t avail = s->inlen - pos;
		enum relp_status st = relp_parse(p, avail, RSP_MAX_DATA, &f, &used, &why);

		if (st == RELP_MORE)
			break;
		if (st == RELP_OK) {
			pos += used;
			frame(s, &f, now);
			continue;
		}
		if (memcmp(p, REFUSAL, avail < rl ? avail : rl) == 0) {
			const char *lf = memchr(p, '\n', avail);
			char text[256];

			if (lf == NULL && !eof && avail < REFUSAL_MAX && avail < IN_CAP - pos)
				break;	/* the rest of the line is on its way */
			if (avail >= rl) {
				cs_why(s, "the server refused the messages: %s",
				    clean(text, sizeof(text), p, lf != NULL ? (size_t)(lf - p) : avail));
				s->fatal = 1;
				conn_broken(s, now);
				return;
			}
		}
		cs_why(s, "%s sent a malformed RELP frame (%s)", s->peer, why);
		conn_broken(s, now);
		return;
	}
	if (s->io.fd == -1)
		return;
	memmove(s->in, s->in + pos, s->inlen - pos);
	s->inlen -= pos;
}

void
conn_rx(struct sender *s, int drain, int64_t now)
{
	do {
		ssize_t n;

		if (s->inlen == IN_CAP) {	/* parse_in leaves less: never */
			cs_why(s, "%s sent a frame too long to be an answer", s->peer);
			conn_broken(s, now);
			return;
		}
		n = stream_read_nowait(&s->io, s->in + s->inlen, IN_CAP - s->inlen);

		if (n > 0) {
			s->inlen += (size_t)n;
			parse_in(s, 0, now);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == 0) {
			parse_in(s, 1, now);
			if (s->io.fd == -1)
				return;
			cs_why(s, "%s closed the connection", s->peer);
		} else {
			const char *tls = stream_tls_reason(&s->io);

			cs_why(s, "connection to %s lost: %s", s->peer, tls != NULL ? tls :
			    strerror(errno));
		}
		if (s->io.fd != -1)
			conn_broken(s, now);
		return;
	} while (drain && s->io.fd != -1);
}

void
conn_tx(struct sender *s, int64_t now)
{
	ssize_t n = stream_send(&s->io, s->out + s->outoff, s->outlen - s->outoff);
	int e = errno;

	if (n >= 0) {
		s->outoff += (size_t)n;
		if (s->outoff == s->outlen)
			s->outoff = s->outlen = 0;
		return;
	}
	if (e == EAGAIN || e == EINTR)
		return;
	conn_rx(s, 1, now);		/* a refusal may be waiting */
	if (s->io.fd != -1) {
		cs_why(s, "connection to %s lost: %s", s->peer, strerror(e));
		conn_broken(s, now);
	}
}

int
conn_timed_out(struct sender *s, int64_t now)
{
	if (s->io.fd == -1 || (s->st == OPEN && s->sent == 0) ||
	    now - s->waiting < s->cfg->timeout * 1000)
		return 0;
	cs_why(s, "%s sent no answer for --timeout %lld s", s->peer, s->cfg->timeout);
	if (!s->ever_open)
		s->hint = HINT_PORT;
	conn_broken(s, now);
	return 1;
}
