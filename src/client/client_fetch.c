/* client_fetch: logclient fetch (with --resume), its progress and summary. */
#include "client_query.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_qconn.h"
#include "digest.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "timeouts.h"
#include "query_proto.h"
#include "sig.h"

#define RESUME_CHECK (64 * 1024)	/* bytes of the local tail compared */
#define PROGRESS_MS 250			/* terminal progress line, rewritten this often */

/* --resume: the local copy must be a prefix of the remote file. */
static int
check_prefix(struct qconn *c, const char *name, const char *path, int fd, off_t local)
{
	char hex[65], req[256], line[QC_REPLY_MAX];
	size_t tail = local > RESUME_CHECK ? RESUME_CHECK : (size_t)local;

	if (digest_file_range(fd, local - (off_t)tail, tail, hex) == -1) {
		log_warnx("fetch: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(req, sizeof(req), "SUM %s %lld %zu\n", name, (long long)(local - (off_t)tail), tail);
	if (qc_send(c, req) == -1 || qc_line(c, line, sizeof(line)) == -1) {
		log_warnx("fetch: %s", qc_why(c));
		return -1;
	}
	if (strncmp(line, "ERR range", 9) == 0) {
		log_warnx("fetch: not resuming: %s has %lld bytes, more than the server's %s; it is "
		    "not a part of that file (remove it, or fetch without --resume)", path,
		    (long long)local, name);
		return -1;
	}
	if (strncmp(line, "OK ", 3) != 0) {
		qc_server_error("fetch", line);
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

/* "12.3 MiB" */
static const char *
human(char *dst, size_t cap, double bytes)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		bytes /= 1024;
		u++;
	}
	snprintf(dst, cap, u == 0 ? "%.0f %s" : "%.1f %s", bytes, unit[u]);
	return dst;
}

struct meter {
	int tty;			/* stderr is a terminal: the progress line */
	long long start_ms, shown_ms;
	unsigned long long base;	/* bytes there before this run (offset) */
};

/* The terminal line, rewritten in place: done of total, percent, rate, ETA. */
static void
show(struct meter *m, unsigned long long done, unsigned long long total, int final)
{
	long long now = ct_now_ms(), ms = now - m->start_ms;
	double rate = ms > 0 ? (double)done * 1000.0 / (double)ms : 0;
	char a[32], b[32], r[32], eta[32] = "";

	if (!m->tty || (!final && now - m->shown_ms < PROGRESS_MS))
		return;
	m->shown_ms = now;
	if (!final && rate > 0) {
		long long left = (long long)((double)(total - done) / rate);

		snprintf(eta, sizeof(eta), "  ETA %lld:%02lld", left / 60, left % 60);
	}
	fprintf(stderr, "\r%s / %s  %3.0f%%  %s/s%s\033[K%s", human(a, sizeof(a),
	    (double)(m->base + done)), human(b, sizeof(b), (double)(m->base + total)),
	    total ? 100.0 * (double)done / (double)total : 100.0, human(r, sizeof(r), rate), eta,
	    final ? "\n" : "");
}

/* Not on a terminal: one line once the file is complete. */
static void
summary(const struct meter *m, const char *path, unsigned long long got)
{
	long long ms = ct_now_ms() - m->start_ms;
	char a[32], r[32];

	if (m->tty)
		return;
	if (ms < 1)
		ms = 1;		/* a rate, even for a file that took no time */
	log_warnx("fetched %s: %s (%llu bytes%s) in %.1f s, %s/s", path,
	    human(a, sizeof(a), (double)(m->base + got)), m->base + got,
	    m->base > 0 ? ", resumed" : "", (double)ms / 1000.0,
	    human(r, sizeof(r), (double)got * 1000.0 / (double)ms));
}

/* The local part (--resume, --offset): it must exist (with --offset) and
 * is read, never changed, until the server has said yes. */
static int
open_part(const struct client_config *cfg, struct qconn *c, const char *name,
    const char *path, int *out, off_t *offset)
{
	struct stat st;

	*out = open(path, O_RDWR | O_CLOEXEC);
	if (*out == -1 && !(errno == ENOENT && cfg->resume)) {
		log_warnx("fetch: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (*out != -1 && fstat(*out, &st) == -1) {
		log_warnx("fetch: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (cfg->resume) {
		*offset = *out != -1 ? st.st_size : 0;
		return *offset > 0 ? check_prefix(c, name, path, *out, *offset) : 0;
	}
	*offset = (off_t)cfg->offset;
	if (st.st_size < *offset) {
		log_warnx("fetch: %s has %lld bytes, fewer than --offset %lld; the bytes before the "
		    "offset must be there already", path, (long long)st.st_size,
		    (long long)*offset);
		return -1;
	}
	return 0;
}

static int
exists_refused(const char *path)
{
	log_warnx("fetch: %s exists; --force overwrites it, --resume continues an interrupted "
	    "download of it", path);
	return 1;
}

/* Copies total bytes from the connection to out. */
static int
copy_body(struct qconn *c, int out, const char *path, unsigned long long total,
    unsigned long long *done, struct meter *m)
{
	while (*done < total && !sig_got_term) {
		size_t have = c->len - c->off;

		if (have == 0) {
			c->off = c->len = 0;
			if (qc_fill(c) <= 0)
				return -1;
			have = c->len;
		}
		if (have > total - *done)
			have = (size_t)(total - *done);
		if (io_write_all(out, c->buf + c->off, have) == -1) {
			log_warnx("fetch: cannot write %s: %s", path, strerror(errno));
			return -2;
		}
		c->off += have;
		*done += have;
		show(m, *done, total, 0);
	}
	return *done < total ? -1 : 0;
}

int
cq_fetch(const struct client_config *cfg, const char *name)
{
	const char *path = cfg->output[0] != '\0' ? cfg->output : name;
	int to_stdout = strcmp(path, "-") == 0, rc = 1, out = -1, part = cfg->resume ||
	    cfg->offset > 0, existed, r;
	char req[256], line[QC_REPLY_MAX];
	unsigned long long total, done = 0;
	struct meter m = { isatty(STDERR_FILENO), 0, 0, 0 };
	struct stat st;
	struct qconn c;
	off_t offset = 0;
	long long v;

	if (cfg->resume && (to_stdout || cfg->offset >= 0)) {
		log_warnx("fetch: --resume needs an output file and no --offset");
		return 1;
	}
	existed = !to_stdout && stat(path, &st) == 0;
	if (existed && !part && !cfg->force && S_ISREG(st.st_mode))
		return exists_refused(path);
	if (qc_open(cfg, &c) == -1)
		return 1;
	if (to_stdout) {
		out = STDOUT_FILENO;
		offset = cfg->offset > 0 ? (off_t)cfg->offset : 0;
	} else if (part && open_part(cfg, &c, name, path, &out, &offset) == -1) {
		goto done;
	}
	snprintf(req, sizeof(req), "FETCH %s %lld\n", name, (long long)offset);
	if (qc_send(&c, req) == -1 || qc_line(&c, line, sizeof(line)) == -1) {
		log_warnx("fetch: %s", qc_why(&c));
		goto done;
	}
	if (strncmp(line, "OK ", 3) != 0 || parse_ll(line + 3, strlen(line + 3), 0, LLONG_MAX,
	    &v) == -1) {
		qc_server_error("fetch", line);
		goto done;
	}
	/* Only now is the local file created or cut to the offset; without
	 * --force a file that appeared meanwhile is still not overwritten. */
	if (!to_stdout && out == -1) {
		out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (existed || cfg->force ? 0 :
		    O_EXCL), 0644);
		if (out == -1 && errno == EEXIST) {
			exists_refused(path);
			goto done;
		}
	}
	/* A regular file is cut to the offset; a device (-o /dev/null) is not. */
	if (!to_stdout && (out == -1 || fstat(out, &st) == -1 || (S_ISREG(st.st_mode) &&
	    (ftruncate(out, offset) == -1 || lseek(out, offset, SEEK_SET) == -1)))) {
		log_warnx("fetch: cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	total = (unsigned long long)v;
	m.base = (unsigned long long)offset;
	m.start_ms = ct_now_ms();
	r = copy_body(&c, out, path, total, &done, &m);
	if (r == -2)
		goto done;
	show(&m, done, total, 1);
	if (r == -1) {
		log_warnx("fetch: interrupted after %llu of %llu bytes (%s); run the same command "
		    "with --resume to continue", done, total, sig_got_term ? "by a signal" :
		    qc_why(&c));
		goto done;
	}
	summary(&m, to_stdout ? name : path, done);
	rc = 0;
done:
	if (out != -1 && out != STDOUT_FILENO)
		close(out);
	qc_close(&c);
	return rc;
}
