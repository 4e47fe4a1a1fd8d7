/* logclient: sends messages to a logserver. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "client_query.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "sig.h"

#define IN_CHUNK (64 * 1024)
#define CONFIRM_TIMEOUT_MS 10000

static const struct cli_program client_program = {
	.name = "logclient",
	.usage = "[-c FILE] [-H HOST] [-p PORT] [[send] MESSAGE ...]\n"
	    "       logclient [options] list\n"
	    "       logclient [options] fetch NAME [-o FILE] [--offset N | --resume]\n"
	    "       logclient [options] follow [NAME] [--from-start | --lines N]",
	.summary = "Sends MESSAGE (the arguments joined by spaces) to a logserver, or else every\n"
	    "line of standard input until EOF or a line 'quit'. list, fetch and follow talk\n"
	    "to the server's query port: list its log files, download one (resumable),\n"
	    "or print records as they are written. To send a message that starts with\n"
	    "one of these words, write 'send' before it.",
	.default_config = "./logclient.conf",
	.tab = client_options,
	.n = &client_noptions,
	.help_tail = "exit status: 0 when every message was sent and the server closed the "
	    "connection cleanly,\n1 when the server cannot be reached or the connection broke, "
	    "2 on a usage error.\n",
};

static void
usage_error(const char *msg)
{
	fprintf(stderr, "logclient: %s (see --help)\n", msg);
	exit(2);
}

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
	size_t len = 1;
	char *msg, *p;
	int rc;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	msg = malloc(len);
	if (msg == NULL)
		fatalx("out of memory");
	p = msg;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		memcpy(p, words[i], l);
		p += l;
		*p++ = i + 1 < n ? ' ' : '\n';
	}
	/* One message: line breaks inside it become spaces. */
	for (char *q = msg; q < p - 1; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	rc = io_write_all(fd, msg, (size_t)(p - msg));
	free(msg);
	if (rc == -1) {
		log_warn("cannot send the message");
		return 1;
	}
	return finish(fd);
}

/* Runs the subcommand or sends the message; returns the exit status. */
static int
run(const struct client_config *cfg, char **ops, int nops)
{
	char err[512];
	int fd, rc;

	if (nops > 0 && strcmp(ops[0], "list") == 0) {
		if (nops != 1)
			usage_error("list takes no argument");
		return cq_list(cfg);
	}
	if (nops > 0 && strcmp(ops[0], "fetch") == 0) {
		if (nops != 2)
			usage_error("fetch takes one file NAME (see 'logclient list')");
		return cq_fetch(cfg, ops[1]);
	}
	if (nops > 0 && strcmp(ops[0], "follow") == 0) {
		if (nops > 2)
			usage_error("follow takes at most one file NAME");
		return cq_follow(cfg, nops == 2 ? ops[1] : NULL);
	}
	if (nops > 0 && strcmp(ops[0], "send") == 0) {
		ops++;
		nops--;
		if (nops == 0)
			usage_error("send needs a MESSAGE");
	}
	fd = net_connect(cfg->host, cfg->port != 0 ? (int)cfg->port : 5140, err, sizeof(err));
	if (fd == -1) {
		log_warnx("%s (is logserver running there?)", err);
		return 1;
	}
	rc = nops > 0 ? send_words(fd, ops, nops) : send_stdin(fd);
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct client_config cfg;
	char **operands;
	int noperands, rc;

	log_init("logclient");
	operands = cli_configure(&client_program, &cfg, argc, argv, &noperands);
	sig_init_client();
	rc = run(&cfg, operands, noperands);
	free(operands);
	return rc;
}
