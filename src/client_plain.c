/* client_plain: logclient --plain, plain TCP lines without acknowledgements. */
#include "client_plain.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_send.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "sig.h"

#define IN_CHUNK (64 * 1024)
#define CONFIRM_TIMEOUT_MS 10000

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

/*
 * After our last byte: half-close and wait until the server has closed too,
 * which it does only after writing everything it received. A server closing
 * before our half-close, or sending anything, did not take the messages.
 */
static int
finish(int fd)
{
	char buf[512];
	int waited = 0;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0) {
		log_warnx("the server closed the connection before all messages were sent");
		return 1;
	}
	if (n > 0)
		return refused(buf, (size_t)n);
	if (shutdown(fd, SHUT_WR) == -1) {
		log_warn("connection lost before all messages were sent");
		return 1;
	}
	while (waited < CONFIRM_TIMEOUT_MS) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, 100);

		waited += 100;
		if (r <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n > 0)
			return refused(buf, (size_t)n);
		if (errno != EINTR) {
			log_warn("connection broke before the server confirmed the messages");
			return 1;
		}
	}
	log_warnx("the server did not close the connection within %d s after the last message",
	    CONFIRM_TIMEOUT_MS / 1000);
	return 1;
}

/* Sends stdin line by line until EOF, "quit", or a signal. */
static int
send_stdin(int fd)
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
			 * unless it is "quit". */
			if (len > 0 && !(len == 4 && memcmp(buf, "quit", 4) == 0)) {
				buf[len++] = '\n';
				if (io_write_all(fd, buf, len) == -1)
					goto lost;
			}
			break;
		}
		len += (size_t)n;
		/* Send every complete line, stopping at a line "quit". */
		for (size_t i = 0; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			size_t l = i - start;
			if (l > 0 && buf[i - 1] == '\r')
				l--;
			if (l == 4 && memcmp(buf + start, "quit", 4) == 0) {
				done = 1;
				break;
			}
			start = sendto = i + 1;
		}
		if (!done && sendto == 0 && len == IN_CHUNK)
			sendto = len;	/* a line longer than the buffer goes in pieces */
		if (sendto > 0 && io_write_all(fd, buf, sendto) == -1)
			goto lost;
		memmove(buf, buf + sendto, len - sendto);
		len -= sendto;
		if (sig_got_term)
			done = 1;
	}
	return finish(fd);
lost:
	log_warn("connection to the server lost; not every line was sent");
	return 1;
}

static int
send_words(int fd, char **words, int n)
{
	size_t len;
	char *msg = cs_join_words(words, n, &len);
	int rc;

	msg[len++] = '\n';
	rc = io_write_all(fd, msg, len);
	free(msg);
	if (rc == -1) {
		log_warn("cannot send the message");
		return 1;
	}
	return finish(fd);
}

int
plain_send(const struct client_config *cfg, char **words, int nwords)
{
	char err[512];
	int fd, rc;

	fd = net_connect(cfg->host, cfg->port != 0 ? (int)cfg->port : PLAIN_PORT, err,
	    sizeof(err));
	if (fd == -1) {
		log_warnx("%s (is logserver running there?)", err);
		return 1;
	}
	rc = nwords > 0 ? send_words(fd, words, nwords) : send_stdin(fd);
	close(fd);
	return rc;
}
