/* client_query: list, fetch (with resume) and follow for logclient. */
#include "client_query.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "query_proto.h"
#include "sig.h"

#define IO_BUF (256 * 1024)
#define RESUME_CHECK (64 * 1024)	/* bytes of the local tail compared */
#define REPLY_MAX 4096

struct qconn {
	int fd;
	char *buf;
	size_t len, off;
};

static int
send_line(struct qconn *c, const char *line)
{
	return io_write_all(c->fd, line, strlen(line));
}

/* Fills the buffer; 0 at EOF, -1 on error or a signal. */
static ssize_t
fill(struct qconn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	do
		n = recv(c->fd, c->buf + c->len, IO_BUF - c->len, 0);
	while (n == -1 && errno == EINTR && !sig_got_term);
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

/* One reply line into line (cap bytes), without its LF. -1 at EOF/error. */
static int
read_reply(struct qconn *c, char *line, size_t cap)
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
		if (c->len - c->off > REPLY_MAX || fill(c) <= 0)
			return -1;
	}
}

/* Prints the server's ERR reply as the one line of failure. */
static int
server_error(const char *what, const char *reply)
{
	if (strncmp(reply, "ERR ", 4) == 0)
		log_warnx("%s: the server refused: %s", what, reply + 4);
	else
		log_warnx("%s: unexpected reply from the server: '%.80s'", what, reply);
	return 1;
}

static int
open_conn(const struct client_config *cfg, struct qconn *c)
{
	char err[512], line[REPLY_MAX];
	int port = cfg->port != 0 ? (int)cfg->port : (int)cfg->query_port;

	memset(c, 0, sizeof(*c));
	c->buf = malloc(IO_BUF);
	if (c->buf == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	c->fd = net_connect(cfg->host, port, err, sizeof(err));
	if (c->fd == -1) {
		log_warnx("%s (is the logserver query service enabled there?)", err);
		free(c->buf);
		return -1;
	}
	if (cfg->token_file[0] != '\0') {
		char tok[QUERY_TOKEN_MAX + 8], req[QUERY_TOKEN_MAX + 16];
		int fd = open(cfg->token_file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd == -1 ? -1 : read(fd, tok, sizeof(tok) - 1);
		size_t len;

		if (fd != -1)
			close(fd);
		if (n <= 0) {
			log_warnx("cannot read token file %s: %s", cfg->token_file,
			    n == 0 ? "empty" : strerror(errno));
			goto fail;
		}
		len = (size_t)n;
		while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
			len--;
		tok[len] = '\0';
		snprintf(req, sizeof(req), "AUTH %s\n", tok);
		if (send_line(c, req) == -1 || read_reply(c, line, sizeof(line)) == -1) {
			log_warnx("connection lost during authentication");
			goto fail;
		}
		if (strncmp(line, "OK", 2) != 0) {
			server_error("authentication", line);
			goto fail;
		}
	}
	return 0;
fail:
	close(c->fd);
	free(c->buf);
	return -1;
}

/* list and fetch give up on a server silent for cfg->timeout seconds (follow
 * waits as long as it takes: silence is normal there). */
static void
set_deadline(const struct client_config *cfg, struct qconn *c)
{
	struct timeval tv = { (time_t)cfg->timeout, 0 };

	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void
close_conn(struct qconn *c)
{
	close(c->fd);
	free(c->buf);
}

int
cq_list(const struct client_config *cfg)
{
	struct qconn c;
	char line[REPLY_MAX];
	long long n;

	if (open_conn(cfg, &c) == -1)
		return 1;
	set_deadline(cfg, &c);
	if (send_line(&c, "LIST\n") == -1 || read_reply(&c, line, sizeof(line)) == -1) {
		log_warnx("list: connection lost");
		close_conn(&c);
		return 1;
	}
	if (strncmp(line, "OK ", 3) != 0 || parse_ll(line + 3, strlen(line + 3), 0, 100000000,
	    &n) == -1) {
		close_conn(&c);
		return server_error("list", line);
	}
	printf("%-40s %12s  %-24s  %-24s\n", "NAME", "SIZE", "FIRST RECORD", "LAST RECORD");
	for (long long i = 0; i < n; i++) {
		char name[128], first[64], last[64];
		unsigned long long size;

		if (read_reply(&c, line, sizeof(line)) == -1) {
			log_warnx("list: connection lost after %lld of %lld files", i, n);
			close_conn(&c);
			return 1;
		}
		if (sscanf(line, "%127s %llu %63s %63s", name, &size, first, last) != 4) {
			close_conn(&c);
			return server_error("list", line);
		}
		printf("%-40s %12llu  %-24s  %-24s\n", name, size, first, last);
	}
	close_conn(&c);
	return 0;
}

/* SHA-256 of fd's bytes [off, off+len). */
static int
local_sum(int fd, off_t off, size_t len, char hex[65])
{
	return digest_file_range(fd, off, len, hex);
}

/* --resume: the local copy must be a prefix of the remote file. */
static int
check_prefix(struct qconn *c, const char *name, const char *path, int fd, off_t local)
{
	char hex[65], req[256], line[REPLY_MAX];
	size_t tail = local > RESUME_CHECK ? RESUME_CHECK : (size_t)local;

	if (local_sum(fd, local - (off_t)tail, tail, hex) == -1) {
		log_warnx("fetch: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(req, sizeof(req), "SUM %s %lld %zu\n", name, (long long)(local - (off_t)tail), tail);
	if (send_line(c, req) == -1 || read_reply(c, line, sizeof(line)) == -1) {
		log_warnx("fetch: connection lost");
		return -1;
	}
	if (strncmp(line, "ERR range", 9) == 0) {
		log_warnx("fetch: not resuming: %s has %lld bytes, more than the server's %s; it is "
		    "not a part of that file (remove it, or fetch without --resume)", path,
		    (long long)local, name);
		return -1;
	}
	if (strncmp(line, "OK ", 3) != 0) {
		server_error("fetch", line);
		return -1;
	}
	if (strcmp(line + 3, hex) != 0) {
		log_warnx("fetch: not resuming: %s is not a prefix of the server's %s (the server "
		    "rotated and the name now holds another file, or the local copy was edited); "
		    "remove it or fetch without --resume", path, name);
		return -1;
	}
	return 0;
}

static void
progress(unsigned long long done, unsigned long long total, int final)
{
	fprintf(stderr, "\r%llu / %llu bytes (%3.0f%%)%s", done, total,
	    total ? 100.0 * (double)done / (double)total : 100.0, final ? "\n" : "");
}

int
cq_fetch(const struct client_config *cfg, const char *name)
{
	const char *path = cfg->output[0] != '\0' ? cfg->output : name;
	int to_stdout = strcmp(path, "-") == 0, show = isatty(STDERR_FILENO), rc = 1;
	char req[256], line[REPLY_MAX];
	unsigned long long total, done = 0;
	struct timespec last = { 0, 0 };
	struct qconn c;
	off_t offset = 0;
	long long v;
	int out = -1;

	if (cfg->resume && (to_stdout || cfg->offset >= 0)) {
		log_warnx("fetch: --resume needs an output file and no --offset");
		return 1;
	}
	if (open_conn(cfg, &c) == -1)
		return 1;
	set_deadline(cfg, &c);
	if (to_stdout) {
		out = STDOUT_FILENO;
		offset = cfg->offset > 0 ? (off_t)cfg->offset : 0;
	} else if (cfg->resume || cfg->offset > 0) {
		/* The local part must exist; it is read, never changed, until the
		 * server has said yes. */
		struct stat st;

		out = open(path, O_RDWR | O_CLOEXEC);
		if (out == -1 && !(errno == ENOENT && cfg->resume)) {
			log_warnx("fetch: cannot open %s: %s", path, strerror(errno));
			goto done;
		}
		if (out != -1 && fstat(out, &st) == -1) {
			log_warnx("fetch: cannot read %s: %s", path, strerror(errno));
			goto done;
		}
		if (cfg->resume) {
			offset = out != -1 ? st.st_size : 0;
			if (offset > 0 && check_prefix(&c, name, path, out, offset) == -1)
				goto done;
		} else {
			offset = (off_t)cfg->offset;
			if (st.st_size < offset) {
				log_warnx("fetch: %s has %lld bytes, fewer than --offset %lld; the bytes "
				    "before the offset must be there already", path,
				    (long long)st.st_size, (long long)offset);
				goto done;
			}
		}
	}
	snprintf(req, sizeof(req), "FETCH %s %lld\n", name, (long long)offset);
	if (send_line(&c, req) == -1 || read_reply(&c, line, sizeof(line)) == -1) {
		log_warnx("fetch: connection lost");
		goto done;
	}
	if (strncmp(line, "OK ", 3) != 0 || parse_ll(line + 3, strlen(line + 3), 0, LLONG_MAX,
	    &v) == -1) {
		server_error("fetch", line);
		goto done;
	}
	/* Only now is the local file created or cut to the offset. */
	if (!to_stdout) {
		if (out == -1)
			out = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (out == -1 || ftruncate(out, offset) == -1 || lseek(out, offset, SEEK_SET) == -1) {
			log_warnx("fetch: cannot write %s: %s", path, strerror(errno));
			goto done;
		}
	}
	total = (unsigned long long)v;
	while (done < total && !sig_got_term) {
		size_t have = c.len - c.off;

		if (have == 0) {
			c.off = c.len = 0;
			if (fill(&c) <= 0)
				break;
			have = c.len;
		}
		if (have > total - done)
			have = (size_t)(total - done);
		for (size_t w = 0; w < have;) {
			ssize_t n = write(out, c.buf + c.off + w, have - w);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				log_warnx("fetch: cannot write %s: %s", path, strerror(errno));
				goto done;
			}
			w += (size_t)n;
		}
		c.off += have;
		done += have;
		if (show) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec != last.tv_sec) {
				progress(done, total, 0);
				last = now;
			}
		}
	}
	if (show)
		progress(done, total, 1);
	if (done < total) {
		log_warnx("fetch: interrupted after %llu of %llu bytes; run the same command with "
		    "--resume to continue", done, total);
		goto done;
	}
	rc = 0;
done:
	if (out != -1 && out != STDOUT_FILENO)
		close(out);
	close_conn(&c);
	return rc;
}

int
cq_follow(const struct client_config *cfg, const char *name)
{
	char req[256], line[REPLY_MAX];
	struct qconn c;

	if (cfg->from_start)
		snprintf(req, sizeof(req), "FOLLOW %s START\n", name ? name : "-");
	else
		snprintf(req, sizeof(req), "FOLLOW %s LINES %lld\n", name ? name : "-",
		    cfg->lines >= 0 ? cfg->lines : 10);
	if (open_conn(cfg, &c) == -1)
		return 1;
	if (send_line(&c, req) == -1 || read_reply(&c, line, sizeof(line)) == -1) {
		log_warnx("follow: connection lost");
		close_conn(&c);
		return 1;
	}
	if (strncmp(line, "OK ", 3) != 0) {
		close_conn(&c);
		return server_error("follow", line);
	}
	for (;;) {
		size_t have = c.len - c.off;

		if (have > 0 && fwrite(c.buf + c.off, 1, have, stdout) != have) {
			close_conn(&c);
			return 1;	/* stdout closed: nothing more to do */
		}
		fflush(stdout);
		c.off = c.len = 0;
		if (sig_got_term)
			break;
		if (fill(&c) <= 0) {
			if (!sig_got_term)
				log_warnx("follow: the server closed the connection");
			break;
		}
	}
	close_conn(&c);
	return 0;
}
