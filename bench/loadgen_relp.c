/*
 * loadgen_relp.c: the load generator's RELP sender (see loadgen.c's comment
 * for what it sends and what it checks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadgen.h"

/* ------------------------------------------------------------------ RELP */

#define RELP_TXNR_MAX 999999999ull
#define RELP_RBUF (64 * 1024)
#define RELP_OFFERS "relp_version=0\nrelp_software=logserver-bench-loadgen,0.1,-\ncommands=syslog"

enum relp_state { R_OPENING, R_SENDING, R_ACKED, R_CLOSING, R_DONE };

struct relpconn {
	int fd;
	enum relp_state st;
	char *buf;		/* all syslog frames "TXNR syslog LEN MSG\n", built in advance */
	size_t len, off;	/* bytes built, bytes written */
	size_t *ends;		/* ends[k]: offset just past frame k */
	uint64_t nmsg, acked;
	uint64_t stamped;	/* frames given their send time */
	uint64_t open_sent_ns;
	char *rbuf;		/* received bytes not yet parsed */
	size_t rlen;
};

/* stamp_frames() for RELP's frames, which differ in length: every frame that
 * bytes [0, upto) reach gets the current second, once; its message starts
 * at the '<' after "TXNR syslog LEN ". */
static void stamp_relp(struct relpconn *c, size_t upto)
{
	if (c->stamped < c->nmsg)
		refresh_ts();
	for (; c->stamped < c->nmsg; c->stamped++) {
		size_t start = c->stamped == 0 ? 0 : c->ends[c->stamped - 1];
		if (start >= upto)
			break;
		char *m = memchr(c->buf + start, '<', c->ends[c->stamped] - start);
		if (m == NULL)
			die("internal: RELP frame %llu has no message", (unsigned long long)c->stamped);
		stamp_msg(m);
	}
}

static uint64_t relp_acked_total, relp_rsp_bytes, relp_open_max_ns;
static struct relpconn *relp_conns;	/* for the acked_per_conn= line, also on failure */
static long relp_nconns;

/* Prints acked_per_conn=N0,N1,... (connection c's messages s=1..Nc were
 * acknowledged: RELP answers in order) so that the harness can check that
 * every acknowledged message is in the output, also after a failure. */
static void relp_print_acked(void)
{
	fputs("acked_per_conn=", stdout);
	for (long i = 0; i < relp_nconns; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)relp_conns[i].acked);
	putchar('\n');
	fflush(stdout);
}
static uint64_t relp_last_write_ns;	/* CLOCK_REALTIME when the last syslog byte was written */

/* Writes the decimal digits of v at p; returns how many. */
static size_t put_dec(char *p, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Builds connection id's syslog frames (txnr 2 .. nmsg+1). */
static void relp_fill(struct relpconn *c, uint64_t id)
{
	if (c->nmsg + 2 > RELP_TXNR_MAX)
		die("--relp: %llu messages on one connection would wrap the transaction number",
		    (unsigned long long)c->nmsg);
	/* header "TXNR syslog LEN " is at most 9 + 8 + 5 + 1 bytes */
	size_t cap = c->nmsg * (tpl.framed + 24);
	c->buf = malloc(cap ? cap : 1);
	c->ends = malloc((c->nmsg ? c->nmsg : 1) * sizeof *c->ends);
	c->rbuf = malloc(RELP_RBUF);
	if (!c->buf || !c->ends || !c->rbuf)
		die("out of memory for %zu bytes", cap);
	char *p = c->buf;
	for (uint64_t s = 1; s <= c->nmsg; s++) {
		p += put_dec(p, s + 1);
		memcpy(p, " syslog ", 8);
		p += 8;
		p += put_dec(p, (uint64_t)opt.size);
		*p++ = ' ';
		p += build_msg(p, id, s);	/* the message and its LF: the frame's trailer */
		c->ends[s - 1] = (size_t)(p - c->buf);
	}
	c->len = (size_t)(p - c->buf);
}

/* Writes a small frame (open, close) whole; the socket is fresh or idle. */
static void relp_send_small(struct relpconn *c, long idx, const char *frame, size_t n)
{
	size_t o = 0;
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)opt.timeout * 1000000000u;
	while (o < n) {
		ssize_t w = write(c->fd, frame + o, n - o);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && now_ns(CLOCK_MONOTONIC) < deadline) {
				struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
				poll(&pf, 1, 100);
				continue;
			}
			die("relp: connection %ld: write: %s", idx, strerror(errno));
		}
		o += (size_t)w;
	}
}

/* Parses a decimal number of 1..9 digits at *p (< e), moving *p past it. */
static int relp_num(const char **p, const char *e, uint64_t *v)
{
	const char *q = *p;
	uint64_t x = 0;
	while (q < e && *q >= '0' && *q <= '9' && q - *p < 10)
		x = x * 10 + (uint64_t)(*q++ - '0');
	if (q == *p || q - *p > 9)
		return -1;
	*v = x;
	*p = q;
	return 0;
}

/* Does the LF-separated offer list [d, d+n) hold an offer starting with `want`? */
static int relp_has_offer(const char *d, size_t n, const char *want)
{
	size_t wl = strlen(want);
	const char *e = d + n;
	while (d < e) {
		const char *nl = memchr(d, '\n', (size_t)(e - d));
		const char *le = nl ? nl : e;
		if ((size_t)(le - d) >= wl && !memcmp(d, want, wl))
			return 1;
		d = le + 1;
	}
	return 0;
}

static void relp_fail(const struct relpconn *c, long idx, const char *what, const char *frame, size_t n)
    __attribute__((noreturn));
static void relp_fail(const struct relpconn *c, long idx, const char *what, const char *frame, size_t n)
{
	char shown[81];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof shown - 1; i++)
		shown[k++] = (frame[i] >= 32 && frame[i] < 127) ? frame[i] : '.';
	shown[k] = 0;
	relp_print_acked();
	die("RELP FAILURE on connection %ld: %s; %llu of its %llu messages acknowledged, "
	    "%llu acknowledged in all (frame: \"%s\")",
	    idx, what, (unsigned long long)c->acked, (unsigned long long)c->nmsg,
	    (unsigned long long)relp_acked_total, shown);
}

/*
 * Handles the complete frames in c->rbuf. Returns 1 when one or more
 * messages were acknowledged (progress), 0 otherwise; dies on any protocol
 * error.
 */
static int relp_consume(struct relpconn *c, long idx, uint64_t *ack_end)
{
	int progress = 0;
	const char *b = c->rbuf, *e = c->rbuf + c->rlen;
	while (b < e) {
		const char *p = b;
		uint64_t txnr, dlen;
		if (relp_num(&p, e, &txnr) < 0)
			relp_fail(c, idx, "malformed frame (transaction number)", b, (size_t)(e - b));
		if (p == e)
			break;	/* more digits may follow */
		if (*p++ != ' ')
			relp_fail(c, idx, "malformed frame (no space after txnr)", b, (size_t)(e - b));
		const char *cmd = p;
		while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && p - cmd <= 32)
			p++;
		if (p == e) {
			if (p - cmd > 32)
				relp_fail(c, idx, "malformed frame (command too long)", b, (size_t)(e - b));
			break;
		}
		size_t cmdlen = (size_t)(p - cmd);
		if (cmdlen == 0 || cmdlen > 32 || *p++ != ' ')
			relp_fail(c, idx, "malformed frame (command)", b, (size_t)(e - b));
		const char *lp = p;
		if (relp_num(&p, e, &dlen) < 0) {
			if (p == e)
				break;
			relp_fail(c, idx, "malformed frame (data length)", b, (size_t)(e - b));
		}
		if (p == e && p - lp < 9)
			break;	/* more digits may follow */
		const char *data = NULL;
		if (dlen > 0) {
			if (p == e)
				break;
			if (*p++ != ' ')
				relp_fail(c, idx, "malformed frame (no space before data)", b, (size_t)(e - b));
			if (dlen > RELP_RBUF - 64)
				relp_fail(c, idx, "response longer than loadgen accepts", b, (size_t)(e - b));
			if ((size_t)(e - p) < dlen + 1)
				break;
			data = p;
			p += dlen;
		} else if (p == e) {
			break;
		}
		if (*p++ != '\n')
			relp_fail(c, idx, "malformed frame (no LF trailer)", b, (size_t)(p - b));
		size_t flen = (size_t)(p - b);
		relp_rsp_bytes += flen;

		if (txnr == 0) {
			if (cmdlen == 11 && !memcmp(cmd, "serverclose", 11)) {
				if (c->st != R_CLOSING && c->st != R_DONE)
					relp_fail(c, idx, "the server closed the session (serverclose) before every message was acknowledged",
						  b, flen);
			}
			/* other hints: ignored, as the spec allows */
			b = p;
			continue;
		}
		if (cmdlen != 3 || memcmp(cmd, "rsp", 3))
			relp_fail(c, idx, "a command other than rsp from the server", b, flen);
		int code = -1;
		if (dlen >= 3 && data[0] >= '0' && data[0] <= '9' && data[1] >= '0' && data[1] <= '9' &&
		    data[2] >= '0' && data[2] <= '9' && (dlen == 3 || data[3] == ' ' || data[3] == '\n'))
			code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
		switch (c->st) {
		case R_OPENING:
			if (txnr != 1)
				relp_fail(c, idx, "the open's rsp has the wrong txnr", b, flen);
			if (code != 200)
				relp_fail(c, idx, "the server refused the open", b, flen);
			if (!relp_has_offer(data, dlen, "relp_version="))
				relp_fail(c, idx, "the open's rsp offers no relp_version", b, flen);
			{
				const char *cm = NULL;
				for (const char *q = data; q + 9 <= data + dlen; q++)
					if (!memcmp(q, "commands=", 9) && (q == data || q[-1] == '\n')) {
						cm = q + 9;
						break;
					}
				const char *ce = cm ? memchr(cm, '\n', (size_t)(data + dlen - cm)) : NULL;
				if (!cm || !memmem(cm, (size_t)((ce ? ce : data + dlen) - cm), "syslog", 6))
					relp_fail(c, idx, "the open's rsp does not accept the syslog command", b, flen);
			}
			{
				uint64_t dt = now_ns(CLOCK_MONOTONIC) - c->open_sent_ns;
				if (dt > relp_open_max_ns)
					relp_open_max_ns = dt;
			}
			c->st = c->nmsg ? R_SENDING : R_ACKED;
			break;
		case R_SENDING:
			if (txnr != c->acked + 2)
				relp_fail(c, idx, "rsp out of order (expected the next txnr)", b, flen);
			if (code != 200)
				relp_fail(c, idx, "message not acknowledged (NAK)", b, flen);
			c->acked++;
			relp_acked_total++;
			progress = 1;
			if (c->acked == c->nmsg) {
				c->st = R_ACKED;
				*ack_end = now_ns(CLOCK_REALTIME);
			}
			break;
		case R_ACKED:
			relp_fail(c, idx, "a rsp for nothing outstanding", b, flen);
		case R_CLOSING:
			if (txnr != c->nmsg + 2)
				relp_fail(c, idx, "the close's rsp has the wrong txnr", b, flen);
			c->st = R_DONE;
			break;
		case R_DONE:
			relp_fail(c, idx, "a rsp after the close's rsp", b, flen);
		}
		b = p;
	}
	size_t rest = (size_t)(e - b);
	memmove(c->rbuf, b, rest);
	c->rlen = rest;
	return progress;
}

/* Reads what is there; returns 1 on progress, 0 otherwise, -1 at EOF. */
static int relp_read(struct relpconn *c, long idx, uint64_t *ack_end)
{
	int progress = 0;
	for (int rounds = 0; rounds < 8; rounds++) {
		ssize_t r = read(c->fd, c->rbuf + c->rlen, RELP_RBUF - c->rlen);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return progress;
			if (c->st == R_DONE)
				return -1;
			relp_fail(c, idx, strerror(errno), "", 0);
		}
		if (r == 0) {
			if (c->st == R_DONE || (c->st == R_CLOSING && c->rlen == 0))
				return -1;
			relp_fail(c, idx, "the server closed the connection", c->rbuf, c->rlen);
		}
		c->rlen += (size_t)r;
		progress |= relp_consume(c, idx, ack_end);
		if (c->rlen == RELP_RBUF)
			relp_fail(c, idx, "a frame larger than loadgen's buffer", c->rbuf, 80);
		if ((size_t)r < RELP_RBUF / 2)
			break;
	}
	return progress;
}

static void relp_wait(struct relpconn *conns, long n, enum relp_state until, uint64_t *ack_end,
		      struct pollfd *pf, long *idx)
{
	uint64_t last_progress = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		long np = 0;
		for (long i = 0; i < n; i++) {
			struct relpconn *c = &conns[i];
			if (c->st >= until)
				continue;
			pf[np].fd = c->fd;
			pf[np].events = POLLIN;
			if (c->st == R_SENDING) {
				uint64_t lim = c->acked + (uint64_t)opt.window;
				if (lim > c->nmsg)
					lim = c->nmsg;
				if (c->off < c->ends[lim - 1])
					pf[np].events |= POLLOUT;
			}
			pf[np].revents = 0;
			idx[np++] = i;
		}
		if (np == 0)
			return;
		int r = poll_ready(pf, (nfds_t)np, last_progress, 0);
		if (r < 0) {
			long i = idx[0];
			for (long k = 0; k < np; k++)
				if (conns[idx[k]].st < conns[i].st)
					i = idx[k];
			relp_fail(&conns[i], i, "no acknowledgement for the --timeout (receiver stalled?)", "", 0);
		}
		if (r <= 0)
			continue;
		for (long k = 0; k < np; k++) {
			struct relpconn *c = &conns[idx[k]];
			if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				int g = relp_read(c, idx[k], ack_end);
				if (g > 0)
					last_progress = now_ns(CLOCK_MONOTONIC);
				if (g < 0) {
					close(c->fd);
					c->fd = -1;
					c->st = R_DONE;
					continue;
				}
			}
			if (c->st == R_SENDING) {
				/* send up to the end of frame acked + window */
				uint64_t lim = c->acked + (uint64_t)opt.window;
				if (lim > c->nmsg)
					lim = c->nmsg;
				size_t stop = c->ends[lim - 1];
				if (c->off >= stop)
					continue;
				size_t want = stop - c->off;
				if (want > WRITE_CHUNK)
					want = WRITE_CHUNK;
				stamp_relp(c, c->off + want);
				ssize_t w = write(c->fd, c->buf + c->off, want);
				if (w < 0) {
					if (errno == EAGAIN || errno == EINTR)
						continue;
					relp_fail(c, idx[k], strerror(errno), "", 0);
				}
				c->off += (size_t)w;
				sent_bytes += (uint64_t)w;
				if (c->off == c->len)
					relp_last_write_ns = now_ns(CLOCK_REALTIME);
			}
		}
	}
}

static void run_relp(struct relpconn *conns, long n, uint64_t *ack_end, uint64_t *send_end)
{
	struct pollfd *pf = calloc((size_t)n, sizeof *pf);
	long *idx = calloc((size_t)n, sizeof *idx);
	if (!pf || !idx)
		die("out of memory");
	for (long i = 0; i < n; i++) {
		conns[i].fd = tcp_connect();
		set_nonblock(conns[i].fd);
		int one = 1;
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	char frame[256];
	int fl = snprintf(frame, sizeof frame, "1 open %zu %s\n", strlen(RELP_OFFERS), RELP_OFFERS);
	if (fl < 0 || (size_t)fl >= sizeof frame)
		die("internal: open frame too long");
	for (long i = 0; i < n; i++) {
		mark_first();
		conns[i].open_sent_ns = now_ns(CLOCK_MONOTONIC);
		relp_send_small(&conns[i], i, frame, (size_t)fl);
	}
	/* open handshakes, then the messages, until every one is acknowledged */
	relp_wait(conns, n, R_ACKED, ack_end, pf, idx);
	*send_end = now_ns(CLOCK_REALTIME);
	if (!*ack_end)
		*ack_end = *send_end;	/* no messages at all */
	if (opt.hold_ms > 0) {
		struct timespec ts = { .tv_sec = opt.hold_ms / 1000, .tv_nsec = (opt.hold_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	for (long i = 0; i < n; i++) {
		struct relpconn *c = &conns[i];
		fl = snprintf(frame, sizeof frame, "%llu close 0\n", (unsigned long long)(c->nmsg + 2));
		if (fl < 0 || (size_t)fl >= sizeof frame)
			die("internal: close frame too long");
		c->st = R_CLOSING;
		relp_send_small(c, i, frame, (size_t)fl);
	}
	relp_wait(conns, n, R_DONE, ack_end, pf, idx);
	for (long i = 0; i < n; i++)
		if (conns[i].fd >= 0) {
			close(conns[i].fd);
			conns[i].fd = -1;
		}
	free(pf);
	free(idx);
}


int relp_main(long nconn, uint64_t total, uint64_t per, uint64_t extra)
{
	struct relpconn *rc = calloc((size_t)nconn, sizeof *rc);
	if (!rc)
		die("out of memory");
	relp_conns = rc;
	relp_nconns = nconn;
	for (long i = 0; i < nconn; i++) {
		rc[i].fd = -1;
		rc[i].nmsg = per + ((uint64_t)i < extra ? 1 : 0);
		relp_fill(&rc[i], (uint64_t)i);
	}
	uint64_t ack_end = 0, send_end = 0;
	run_relp(rc, nconn, &ack_end, &send_end);
	uint64_t sent = 0, bytes = 0;
	for (long i = 0; i < nconn; i++) {
		sent += rc[i].acked;	/* all written, or loadgen would have died */
		bytes += rc[i].off;
	}
	printf("first_byte_ns=%llu\nsent=%llu\nend_ns=%llu\nsend_errors=0\nconnections=%ld\nbytes=%llu\ncpu_s=%.3f\n"
	       "connect_max_ms=%.1f\nconnect_slow=%llu\nacked=%llu\nnaks=0\nack_end_ns=%llu\nopen_max_ms=%.1f\n"
	       "rsp_bytes=%llu\nwindow=%ld\n",
	       (unsigned long long)first_byte_ns, (unsigned long long)sent,
	       (unsigned long long)(relp_last_write_ns ? relp_last_write_ns : send_end), nconn,
	       (unsigned long long)bytes, self_cpu(), (double)connect_max_ns / 1e6,
	       (unsigned long long)connect_slow, (unsigned long long)relp_acked_total,
	       (unsigned long long)ack_end, (double)relp_open_max_ns / 1e6, (unsigned long long)relp_rsp_bytes,
	       opt.window);
	relp_print_acked();
	if (relp_acked_total != total)
		die("RELP FAILURE: %llu of %llu messages acknowledged", (unsigned long long)relp_acked_total,
		    (unsigned long long)total);
	return 0;
}

