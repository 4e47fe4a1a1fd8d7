/* client_send: logclient's RELP sender (window, reconnect, resend). */
#include "client_send.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_lines.h"
#include "client_relp.h"
#include "log.h"
#include "net.h"
#include "relp_frame.h"
#include "sig.h"

#define IN_CAP (64 * 1024)		/* the server's frames not yet parsed */
#define RSP_MAX_DATA (16 * 1024)
#define OUT_CAP (4 * (LINES_MSG_MAX + RELP_FRAME_OVERHEAD))
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define NEVER INT64_MAX
#define REFUSAL "logserver: refused:"
#define REFUSAL_MAX 512
#define HINT_PORT " (is logserver listening there for RELP? -p names its --relp-port; " \
    "--plain sends to its plain --port)"

struct msg {
	uint64_t seq;		/* message number, 1, 2, ... over the whole run */
	uint32_t txnr;		/* of its syslog frame on this connection */
	size_t len;
	char *data;
};

enum conn { DOWN, OPENING, OPEN, CLOSING, CLOSED };

struct sender {
	const struct client_config *cfg;
	int port;
	char peer[300];		/* HOST:PORT, for messages */
	char session[CRELP_SESSION_HEX + 1];

	/* The window: unacknowledged messages, oldest at head. */
	struct msg *ring;
	size_t cap, head, count;
	size_t sent;		/* of them, framed on this connection */
	uint64_t next_seq;	/* the next message's number */

	/* The connection. */
	int fd;
	enum conn st;
	uint32_t txnr;		/* the next frame's */
	uint32_t close_txnr;
	int ever_open;
	int reopen;		/* open again once the close is answered */
	uint64_t offered;	/* logserver_seq of this connection's open */
	char *out;
	size_t outlen, outoff;
	char in[IN_CAP];
	size_t inlen;

	/* Times in ms of CLOCK_MONOTONIC. */
	int64_t progress;	/* last acknowledgement or accepted open */
	int64_t waiting;	/* since when an answer is awaited */
	int64_t retry_at;	/* next connection attempt (NEVER: when needed) */
	int64_t backoff;
	int64_t stop_by;	/* after a signal; NEVER before */

	/* The input. */
	struct lines *ls;	/* standard input, or NULL */
	const char *words;	/* else the message from the arguments */
	size_t wlen, woff;
	int input_over, need_read, tty, prompted;

	char why[600];		/* why the last connection failed */
	const char *hint;	/* what may fix it, after the why */
	uint64_t told;		/* message whose refusal was printed */
	int fatal, gave_up;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
set_why(struct sender *s, const char *fmt, ...)
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

char *
cs_join_words(char **words, int nwords, size_t *len)
{
	size_t total = 1;
	char *msg, *p;

	for (int i = 0; i < nwords; i++)
		total += strlen(words[i]) + 1;
	msg = malloc(total);
	if (msg == NULL)
		fatalx("out of memory");
	p = msg;
	for (int i = 0; i < nwords; i++) {
		size_t l = strlen(words[i]);

		if (i > 0)
			*p++ = ' ';
		memcpy(p, words[i], l);
		p += l;
	}
	/* One message: line breaks inside it become spaces. */
	for (char *q = msg; q < p; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	*len = (size_t)(p - msg);
	return msg;
}

/* ---- the window ---- */

static struct msg *
slot(struct sender *s, size_t i)
{
	return &s->ring[(s->head + i) % s->cap];
}

static void
push(struct sender *s, const char *data, size_t len, int64_t now)
{
	struct msg *m = slot(s, s->count);

	m->data = NULL;
	if (len > 0 && (m->data = malloc(len)) == NULL)
		fatalx("out of memory");
	if (len > 0)
		memcpy(m->data, data, len);
	m->len = len;
	m->seq = s->next_seq++;
	s->count++;
	if (s->st == DOWN && s->retry_at == NEVER) {
		/* Idle without a connection: the need starts the clock. */
		s->progress = s->retry_at = now;
		s->backoff = BACKOFF_FIRST_MS;
	}
}

/* The oldest message is acknowledged. */
static void
pop(struct sender *s, int64_t now)
{
	free(slot(s, 0)->data);
	s->head = (s->head + 1) % s->cap;
	s->count--;
	if (s->sent > 0)
		s->sent--;
	s->progress = s->waiting = now;
	s->backoff = BACKOFF_FIRST_MS;
}

/* Moves messages from the input into the window while it has room. */
static void
take_input(struct sender *s, int64_t now)
{
	const char *m;
	size_t l;

	s->need_read = 0;
	while (!s->input_over && s->count < s->cap) {
		if (s->ls == NULL) {
			l = s->wlen - s->woff < LINES_MSG_MAX ? s->wlen - s->woff : LINES_MSG_MAX;
			push(s, s->words + s->woff, l, now);
			s->woff += l;
			s->input_over = s->woff >= s->wlen;
		} else if (lines_next(s->ls, &m, &l)) {
			push(s, m, l, now);
		} else {
			s->input_over = lines_done(s->ls);
			s->need_read = !s->input_over;
			break;
		}
	}
}

static void
read_input(struct sender *s)
{
	size_t cap;
	char *p = lines_space(s->ls, &cap);
	ssize_t n = read(STDIN_FILENO, p, cap);

	s->prompted = 0;
	if (n > 0) {
		lines_added(s->ls, (size_t)n);
	} else if (n == 0) {
		lines_eof(s->ls);
	} else if (errno != EINTR && errno != EAGAIN) {
		log_warn("cannot read standard input");
		lines_eof(s->ls);
	}
}

/* ---- the connection ---- */

static void
drop_connection(struct sender *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->st = DOWN;
	s->inlen = s->outlen = s->outoff = s->sent = 0;
}

/* The connection failed or broke (s->why says how): retry or give up. */
static void
broken(struct sender *s, int64_t now)
{
	int64_t limit = s->progress + s->cfg->retry_for * 1000;

	drop_connection(s);
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

static void
connect_open(struct sender *s)
{
	char err[300], offers[512];
	size_t n;
	int fd = net_connect(s->cfg->host, s->port, err, sizeof(err));
	int64_t now = now_ms();

	s->reopen = 0;
	if (fd == -1) {
		set_why(s, "%s", err);
		s->hint = HINT_PORT;
		broken(s, now);
		return;
	}
	if (net_set_nonblock(fd) == -1) {
		close(fd);
		set_why(s, "cannot make the socket to %s non-blocking: %s", s->peer,
		    strerror(errno));
		broken(s, now);
		return;
	}
	s->fd = fd;
	s->st = OPENING;
	s->inlen = s->outoff = s->sent = 0;
	s->offered = s->next_seq - s->count;
	n = crelp_offers(offers, sizeof(offers), LOGSERVER_VERSION, s->session, s->offered);
	s->outlen = relp_format(s->out, OUT_CAP, 1, "open", offers, n);
	s->txnr = 2;
	s->waiting = now;
}

/* Frames the messages not yet sent on this connection while they fit. */
static void
fill(struct sender *s, int64_t now)
{
	while (s->sent < s->count) {
		struct msg *m = slot(s, s->sent);
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

static void
queue_close(struct sender *s, int64_t now)
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
		set_why(s, "%s did not open the RELP session: %d %s", s->peer, o.code,
		    clean(text, sizeof(text), o.text, o.textlen));
		broken(s, now);
		return;
	case CRELP_OPEN_NO_VERSION:
		set_why(s, "%s is no RELP server: its answer to open has no relp_version "
		    "offer", s->peer);
		s->hint = HINT_PORT;
		s->fatal = 1;
		broken(s, now);
		return;
	case CRELP_OPEN_NO_SYSLOG:
		set_why(s, "%s does not take syslog messages over RELP: its answer to open "
		    "has no commands=syslog offer", s->peer);
		s->fatal = 1;
		broken(s, now);
		return;
	case CRELP_OPEN_BAD:
		set_why(s, "%s answered open with a malformed response", s->peer);
		broken(s, now);
		return;
	}
	if (o.has_seq) {
		if (o.seq >= s->next_seq) {
			set_why(s, "%s says it has message %llu of this session, but only %llu "
			    "were sent", s->peer, (unsigned long long)o.seq,
			    (unsigned long long)(s->next_seq - 1));
			broken(s, now);
			return;
		}
		while (s->count > 0 && slot(s, 0)->seq <= o.seq)
			pop(s, now);
	}
	s->st = OPEN;
	s->ever_open = 1;
	s->progress = s->waiting = now;
	if (o.has_seq && o.seq >= s->offered) {
		/* This connection's frames would carry the numbers from the one
		 * offered, which the server has: close it and open again with
		 * the first message it does not have. */
		s->reopen = 1;
		queue_close(s, now);
	}
}

/* The rsp to the oldest message sent. */
static void
answered(struct sender *s, const struct relp_frame *f, int64_t now)
{
	struct relp_rsp r;
	struct msg *m = slot(s, 0);
	char text[256];

	if (relp_parse_rsp(f->data, f->datalen, &r) == -1) {
		set_why(s, "%s sent a malformed response", s->peer);
		broken(s, now);
		return;
	}
	if (r.code == 200) {
		pop(s, now);
		return;
	}
	clean(text, sizeof(text), r.text, r.textlen);
	if (m->seq != s->told) {
		log_warnx("server did not take message %llu: %s; retrying",
		    (unsigned long long)m->seq, text);
		s->told = m->seq;
	}
	set_why(s, "%s did not take message %llu: %s", s->peer, (unsigned long long)m->seq,
	    text);
	broken(s, now);
}

/* One frame from the server. */
static void
frame(struct sender *s, const struct relp_frame *f, int64_t now)
{
	if (f->txnr == 0) {
		if (relp_is(f, "serverclose")) {
			set_why(s, "%s closed the RELP session (serverclose)", s->peer);
			broken(s, now);
		}
		return;		/* other hints mean nothing to us */
	}
	if (!relp_is(f, "rsp")) {
		set_why(s, "%s sent a command, not a response", s->peer);
		broken(s, now);
	} else if (s->st == OPENING && f->txnr == 1) {
		opened(s, f, now);
	} else if (s->st == OPEN && s->sent > 0 && f->txnr == slot(s, 0)->txnr) {
		answered(s, f, now);
	} else if (s->st == CLOSING && f->txnr == s->close_txnr) {
		drop_connection(s);
		if (s->reopen) {
			s->reopen = 0;
			s->retry_at = s->count > 0 ? now : NEVER;
		} else {
			s->st = CLOSED;
		}
	} else {
		set_why(s, "%s answered transaction %u, which was not the next outstanding one",
		    s->peer, (unsigned)f->txnr);
		broken(s, now);
	}
}

/* Handles the frames in s->in; eof: nothing more will come. */
static void
parse_in(struct sender *s, int eof, int64_t now)
{
	size_t pos = 0, rl = strlen(REFUSAL);

	while (s->fd != -1 && pos < s->inlen) {
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
				set_why(s, "the server refused the messages: %s",
				    clean(text, sizeof(text), p, lf != NULL ? (size_t)(lf - p) : avail));
				s->fatal = 1;
				broken(s, now);
				return;
			}
		}
		set_why(s, "%s sent a malformed RELP frame (%s)", s->peer, why);
		broken(s, now);
		return;
	}
	if (s->fd == -1)
		return;
	memmove(s->in, s->in + pos, s->inlen - pos);
	s->inlen -= pos;
}

/* Reads what the server sent; all that is there when drain is set. */
static void
rx(struct sender *s, int drain, int64_t now)
{
	do {
		ssize_t n;

		if (s->inlen == IN_CAP) {	/* parse_in leaves less: never */
			set_why(s, "%s sent a frame too long to be an answer", s->peer);
			broken(s, now);
			return;
		}
		n = read(s->fd, s->in + s->inlen, IN_CAP - s->inlen);

		if (n > 0) {
			s->inlen += (size_t)n;
			parse_in(s, 0, now);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == 0) {
			parse_in(s, 1, now);
			if (s->fd == -1)
				return;
			set_why(s, "%s closed the connection", s->peer);
		} else {
			set_why(s, "connection to %s lost: %s", s->peer, strerror(errno));
		}
		if (s->fd != -1)
			broken(s, now);
		return;
	} while (drain && s->fd != -1);
}

static void
tx(struct sender *s, int64_t now)
{
	ssize_t n = send(s->fd, s->out + s->outoff, s->outlen - s->outoff, MSG_NOSIGNAL);
	int e = errno;

	if (n >= 0) {
		s->outoff += (size_t)n;
		if (s->outoff == s->outlen)
			s->outoff = s->outlen = 0;
		return;
	}
	if (e == EAGAIN || e == EINTR)
		return;
	rx(s, 1, now);		/* a refusal may be waiting */
	if (s->fd != -1) {
		set_why(s, "connection to %s lost: %s", s->peer, strerror(e));
		broken(s, now);
	}
}

/* ---- the loop ---- */

static int64_t
earliest(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void
on_signal(struct sender *s, int64_t now)
{
	sig_got_term = 0;
	s->input_over = 1;
	s->need_read = 0;
	s->stop_by = s->stop_by == NEVER ? now + s->cfg->retry_for * 1000 : now;
}

static int
finished(struct sender *s, int64_t now)
{
	if (s->fatal || s->gave_up || s->st == CLOSED)
		return 1;
	if (now >= s->stop_by) {
		if (s->why[0] == '\0' || s->fd != -1)
			set_why(s, "stopped by a signal before %s acknowledged every message",
			    s->peer);
		return 1;
	}
	if (s->input_over && s->count == 0 && s->ever_open) {
		if (s->st == OPEN)
			queue_close(s, now);
		return s->st == DOWN;
	}
	return 0;
}

/* One poll() round: waits for the socket, standard input or a deadline. */
static void
wait_once(struct sender *s, int64_t now)
{
	struct pollfd p[2];
	int np = 0, sock = -1, in = -1, ms;
	int64_t until = s->stop_by;

	if (s->fd != -1) {
		p[np].fd = s->fd;
		p[np].events = POLLIN | (s->outlen > s->outoff ? POLLOUT : 0);
		sock = np++;
		if (s->st != OPEN || s->sent > 0)
			until = earliest(until, s->waiting + s->cfg->timeout * 1000);
	} else if (s->st == DOWN) {
		until = earliest(until, s->retry_at);
	}
	if (s->need_read) {
		if (s->tty && !s->prompted && !lines_pending(s->ls)) {
			fputs("> ", stderr);
			fflush(stderr);
			s->prompted = 1;
		}
		p[np].fd = STDIN_FILENO;
		p[np].events = POLLIN;
		in = np++;
	}
	ms = until == NEVER ? -1 : until <= now ? 0 : until - now > 60000 ? 60000 :
	    (int)(until - now);
	if (poll(p, (nfds_t)np, ms) <= 0)
		return;
	if (sock != -1 && (p[sock].revents & (POLLIN | POLLHUP | POLLERR)))
		rx(s, 0, now);
	if (sock != -1 && s->fd != -1 && (p[sock].revents & POLLOUT))
		tx(s, now);
	if (in != -1 && (p[in].revents & (POLLIN | POLLHUP | POLLERR)))
		read_input(s);
	else if (in != -1 && (p[in].revents & POLLNVAL))
		lines_eof(s->ls);
}

static int
report(struct sender *s)
{
	if (s->count == 0 && s->ever_open)
		return 0;
	if (s->gave_up)
		log_warnx("%s; gave up after --retry-for %lld s without progress%s", s->why,
		    s->cfg->retry_for, s->hint);
	else
		log_warnx("%s%s", s->why, s->hint);
	if (s->next_seq > 1)
		log_warnx("%zu of %llu messages were not acknowledged by %s", s->count,
		    (unsigned long long)(s->next_seq - 1), s->peer);
	return 1;
}

static int
new_session(char *hex)
{
	unsigned char raw[CRELP_SESSION_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n == -1 && errno != EINTR) {
			log_warn("cannot get random bytes for the RELP session id");
			return -1;
		}
		if (n > 0)
			got += (size_t)n;
	}
	crelp_hex(raw, sizeof(raw), hex);
	return 0;
}

int
cs_send(const struct client_config *cfg, char **words, int nwords)
{
	static struct sender s;
	static struct lines ls;
	int rc;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.port = cfg->port != 0 ? (int)cfg->port : CS_RELP_PORT;
	snprintf(s.peer, sizeof(s.peer), strchr(cfg->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    cfg->host, s.port);
	if (new_session(s.session) == -1)
		return 1;
	s.cap = (size_t)cfg->window;
	s.ring = calloc(s.cap, sizeof(*s.ring));
	s.out = malloc(OUT_CAP);
	if (s.ring == NULL || s.out == NULL)
		fatalx("out of memory");
	s.next_seq = 1;
	s.fd = -1;
	s.st = DOWN;
	s.progress = s.retry_at = now_ms();
	s.backoff = BACKOFF_FIRST_MS;
	s.stop_by = NEVER;
	s.hint = "";
	if (nwords > 0) {
		s.words = cs_join_words(words, nwords, &s.wlen);
	} else {
		lines_init(&ls);
		s.ls = &ls;
		s.tty = isatty(STDIN_FILENO);
	}
	for (;;) {
		int64_t now = now_ms();

		if (s.fatal || s.gave_up)
			break;
		if (sig_got_term)
			on_signal(&s, now);
		take_input(&s, now);
		if (s.st == DOWN && now >= s.retry_at) {
			connect_open(&s);
			continue;
		}
		if (s.st == OPEN)
			fill(&s, now);
		if (s.fd != -1 && (s.st != OPEN || s.sent > 0) &&
		    now - s.waiting >= cfg->timeout * 1000) {
			set_why(&s, "%s sent no answer for --timeout %lld s", s.peer, cfg->timeout);
			if (!s.ever_open)
				s.hint = HINT_PORT;
			broken(&s, now);
			continue;
		}
		if (finished(&s, now))
			break;
		wait_once(&s, now);
	}
	rc = report(&s);
	drop_connection(&s);
	while (s.count > 0)
		pop(&s, 0);
	free(s.ring);
	free(s.out);
	free((char *)s.words);
	return rc;
}
