/* client_plain: logclient --plain, plain TCP lines without acknowledgements. */
#include "client_plain.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "client_net.h"
#include "client_send.h"
#include "log.h"
#include "net.h"
#include "timeouts.h"
#include "sig.h"
#include "stream.h"
#include "tls.h"

#define IN_CHUNK (64 * 1024)

/* Reports what the server said: it only ever speaks to refuse. */
static int
refused(const char *buf, size_t n)
{
	size_t len = n;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	log_warnx("the server refused the messages: %.*s", (int)(len > 200 ? 200 : len), buf);
	return 1;
}

/* Over TLS the server's alert says why it ended the connection: reads it
 * and reports it. Returns 1 when it did. */
static int
tls_alert(struct stream *c)
{
	const char *before, *after, *why;
	char b[256];

	if (c->ssl == NULL)
		return 0;
	/* The last failure's reason may be a consequence ("shutdown while in
	 * init"); a read may still bring the alert itself, which says more. */
	before = stream_tls_reason(c);
	(void)stream_read_nowait(c, b, sizeof(b));
	after = stream_tls_reason(c);
	why = after != NULL && strstr(after, "alert") != NULL ? after :
	    before != NULL ? before : after;
	if (why == NULL)
		return 0;
	log_warnx("the server ended the TLS connection before confirming the messages: %s "
	    "(does it accept our --cert?)", why);
	return 1;
}

static long long write_ms;	/* --timeout: a server taking nothing this long is dead */

/* Writes every byte; fails with ETIMEDOUT when the server takes nothing for
 * write_ms (it stopped reading: logclient must not hang on it forever). */
static int
write_all(struct stream *c, const char *p, size_t len)
{
	long long deadline = ct_now_ms() + write_ms;

	while (len > 0) {
		ssize_t n = stream_send(c, p, len);
		struct pollfd pfd = { .fd = c->fd, .events = stream_events(c, POLLOUT) };
		long long left = deadline - ct_now_ms();

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			deadline = ct_now_ms() + write_ms;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n == -1 && errno == EAGAIN && (left <= 0 ||
		    poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) == 0)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* A write failed: reports why, once. */
static int
lost(struct stream *c)
{
	if (errno == ETIMEDOUT)
		log_warnx("the server took nothing for --timeout %lld s; not every line was sent",
		    write_ms / 1000);
	else if (!tls_alert(c))
		log_warn("connection to the server lost; not every line was sent");
	return 1;
}

/*
 * After our last byte: half-close and wait until the server has closed too,
 * which it does only after writing everything it received. A server closing
 * before our half-close, or sending anything, did not take the messages.
 */
static int
finish(struct stream *c)
{
	char buf[512];
	ssize_t n;

	n = c->ssl != NULL ? stream_read_nowait(c, buf, sizeof(buf)) :
	    recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		log_warnx("the server closed the connection before all messages were sent");
		return 1;
	}
	if (n > 0)
		return refused(buf, (size_t)n);
	if (c->ssl != NULL && errno != EAGAIN && errno != EINTR) {	/* an alert came */
		if (!tls_alert(c))
			log_warn("connection lost before all messages were sent");
		return 1;
	}
	/* TLS: close_notify is our half-close (RFC 5425 4.4); we read on. */
	if (c->ssl != NULL ? SSL_shutdown(c->ssl) < 0 : shutdown(c->fd, SHUT_WR) == -1) {
		if (!tls_alert(c))	/* the server's alert may be here already */
			log_warn("connection lost before all messages were sent");
		return 1;
	}
	/* --timeout bounds this wait too, by the clock. */
	for (long long deadline = ct_now_ms() + write_ms, left; (left = deadline - ct_now_ms()) > 0;) {
		struct pollfd pfd = { .fd = c->fd, .events = stream_events(c, POLLIN) };
		int r = stream_pending(c) ? 1 : poll(&pfd, 1, left > 1000 ? 1000 : (int)left);

		if (r <= 0)
			continue;
		n = stream_read(c, buf, sizeof(buf), &sig_got_term);
		if (n == 0)
			return 0;
		if (n > 0)
			return refused(buf, (size_t)n);
		if (errno != EINTR && errno != EAGAIN) {
			if (!tls_alert(c))
				log_warn("connection broke before the server confirmed the messages");
			return 1;
		}
	}
	log_warnx("the server did not close the connection within --timeout %lld s after the "
	    "last message", write_ms / 1000);
	return 1;
}

/*
 * Sends len bytes of whole lines (or one piece of a longer one). Over TLS a
 * syslog message (a line starting with '<') goes as an RFC 5425 frame,
 * "LEN SP MSG"; any other line stays a line: the server's framing takes
 * octet counts only before a PRI (framing.h), and takes lines on every port.
 */
static int
send_lines(struct stream *c, const char *buf, size_t len)
{
	static char out[2 * IN_CHUNK + 64];
	size_t o = 0, start = 0;

	if (c->ssl == NULL)
		return write_all(c, buf, len);
	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl != NULL ? (size_t)(nl - buf) : len, l = end - start;

		if (l > 0 && buf[start + l - 1] == '\r')
			l--;
		if (o + l + 16 > sizeof(out)) {
			if (write_all(c, out, o) == -1)
				return -1;
			o = 0;
		}
		if (l > 0 && buf[start] == '<') {
			int n = snprintf(out + o, 16, "%zu ", l);

			o += (size_t)(n > 0 ? n : 0);
			memcpy(out + o, buf + start, l);
			o += l;
		} else if (l > 0) {
			memcpy(out + o, buf + start, l);
			o += l;
			out[o++] = '\n';
		}
		start = end + 1;
	}
	return write_all(c, out, o);
}

/*
 * Before lines go out: has the server closed (it stopped, or restarted)? A
 * write to a closed connection still succeeds once, so without this check
 * the first line after the server stopped would be lost without a word.
 * Returns 0 when the connection looks alive, else 1 after saying why.
 */
static int
gone(struct stream *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	char buf[512];
	ssize_t n;

	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)))
		return 0;
	n = c->ssl != NULL ? stream_read_nowait(c, buf, sizeof(buf)) :
	    recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return refused(buf, (size_t)n);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;	/* TLS: a record that carried no data (a session ticket) */
	if (n == -1 && tls_alert(c))
		return 1;
	log_warnx("the server closed the connection (it stopped or restarted); the lines "
	    "read since were not sent");
	return 1;
}

/* Sends stdin line by line until EOF, a signal, or (on a terminal) "quit". */
static int
send_stdin(struct stream *c)
{
	static char buf[IN_CHUNK + 1];
	size_t len = 0;
	int tty = isatty(STDIN_FILENO), done = 0;

	while (!done) {
		ssize_t n;
		size_t start = 0, sendto = 0;

		if (tty && len == 0) {
			fputs("> ", stderr);
			fflush(stderr);
		}
		n = read(STDIN_FILENO, buf + len, IN_CHUNK - len);
		if (n == -1 && errno == EINTR && !sig_got_term)
			continue;
		if (n <= 0) {
			if (n == -1 && errno != EINTR)
				log_warn("cannot read standard input");
			/* EOF or a signal: a last line without newline still goes,
			 * unless it is "quit" typed on a terminal. */
			if (len > 0 && !(tty && len == 4 && memcmp(buf, "quit", 4) == 0)) {
				buf[len++] = '\n';
				if (gone(c))
					return 1;
				if (send_lines(c, buf, len) == -1)
					goto lost;
			}
			break;
		}
		len += (size_t)n;
		/* Send every complete line, stopping at a line "quit" typed. */
		for (size_t i = 0; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			size_t l = i - start;
			if (l > 0 && buf[i - 1] == '\r')
				l--;
			if (tty && l == 4 && memcmp(buf + start, "quit", 4) == 0) {
				done = 1;
				break;
			}
			start = sendto = i + 1;
		}
		if (!done && sendto == 0 && len == IN_CHUNK)
			sendto = len;	/* a line longer than the buffer goes in pieces */
		if (sendto > 0 && gone(c))
			return 1;
		if (sendto > 0 && send_lines(c, buf, sendto) == -1)
			goto lost;
		memmove(buf, buf + sendto, len - sendto);
		len -= sendto;
		if (sig_got_term)
			done = 1;
	}
	return finish(c);
lost:
	return lost(c);
}

static int
send_words(struct stream *c, char **words, int n)
{
	size_t len;
	char *msg = cs_join_words(words, n, &len);
	int rc;

	msg[len++] = '\n';
	rc = len <= IN_CHUNK ? send_lines(c, msg, len) : write_all(c, msg, len);
	free(msg);
	if (rc == -1)
		return lost(c);
	return finish(c);
}

int
plain_send(const struct client_config *cfg, char **words, int nwords)
{
	int rc, port = cfg->port != 0 ? (int)cfg->port : cfg->tls ? TLS_DEFAULT_PORT :
	    PLAIN_PORT;
	struct stream c;

	if (client_connect(cfg, port, cfg->timeout * 1000, " (is logserver running there?)",
	    &c) == -1)
		return 1;
	write_ms = cfg->timeout * 1000;
	if (c.ssl == NULL && net_set_nonblock(c.fd) == -1) {
		log_warn("cannot make the socket to the server non-blocking");
		stream_close(&c);
		return 1;
	}
	rc = nwords > 0 ? send_words(&c, words, nwords) : send_stdin(&c);
	stream_close(&c);
	return rc;
}
