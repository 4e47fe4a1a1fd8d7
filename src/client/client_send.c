/* client_send: logclient's RELP sender (window, reconnect, resend). */
#include "client_send.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "client_sender.h"
#include "log.h"
#include "sig.h"

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

static void
push(struct sender *s, const char *data, size_t len, int64_t now)
{
	struct msg *m = cs_slot(s, s->count);

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

void
cs_pop(struct sender *s, int64_t now)
{
	free(cs_slot(s, 0)->data);
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
		if (s->why[0] == '\0' || s->io.fd != -1)
			cs_why(s, "stopped by a signal before %s acknowledged every message",
			    s->peer);
		return 1;
	}
	if (s->input_over && s->count == 0 && s->ever_open) {
		if (s->st == OPEN)
			conn_close(s, now);
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

	if (s->io.fd != -1) {
		p[np].fd = s->io.fd;
		/* TLS may need the socket writable to go on reading (want_write). */
		p[np].events = POLLIN | (s->outlen > s->outoff || s->io.want_write ? POLLOUT : 0);
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
	if (sock != -1 && stream_pending(&s->io)) {	/* TLS holds decrypted bytes */
		conn_rx(s, 0, now);
		return;
	}
	if (poll(p, (nfds_t)np, ms) <= 0)
		return;
	/* Over TLS a read may need the socket writable and a write readable:
	 * try both directions on any event. */
	if (sock != -1 && (p[sock].revents & (POLLIN | POLLHUP | POLLERR |
	    (s->io.ssl != NULL ? POLLOUT : 0))))
		conn_rx(s, 0, now);
	if (sock != -1 && s->io.fd != -1 && (p[sock].revents & POLLOUT))
		conn_tx(s, now);
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
	stream_plain(&s.io, -1);
	s.st = DOWN;
	s.progress = s.retry_at = cs_now_ms();
	s.backoff = BACKOFF_FIRST_MS;
	s.stop_by = NEVER;
	s.hint = "";
	if (nwords > 0) {
		s.words = cs_join_words(words, nwords, &s.wlen);
	} else {
		s.tty = isatty(STDIN_FILENO);
		lines_init(&ls, s.tty);
		s.ls = &ls;
	}
	for (;;) {
		int64_t now = cs_now_ms();

		if (s.fatal || s.gave_up)
			break;
		if (sig_got_term)
			on_signal(&s, now);
		take_input(&s, now);
		if (s.st == DOWN && now >= s.retry_at) {
			conn_open(&s);
			continue;
		}
		if (s.st == OPEN)
			conn_fill(&s, now);
		if (conn_timed_out(&s, now))
			continue;
		if (finished(&s, now))
			break;
		wait_once(&s, now);
	}
	rc = report(&s);
	conn_drop(&s);
	while (s.count > 0)
		cs_pop(&s, 0);
	free(s.ring);
	free(s.out);
	free((char *)s.words);
	return rc;
}
