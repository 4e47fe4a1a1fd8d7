/*
 * loadgen: syslog load generator for the logserver benchmark.
 *
 *   loadgen --host 127.0.0.1 --port P (--tcp N [--active K] [--sequential] | --udp)
 *           [--count TOTAL] [--size BYTES] [--format 3164|5424] [--rate MSGS_PER_SEC]
 *           [--framing lf|octet] [--timeout SECONDS] [--hold-ms MS]
 *   loadgen --host 127.0.0.1 --port P --tcp N --relp [--window W] [--count TOTAL] [--size BYTES]
 *           [--format 3164|5424] [--timeout SECONDS] [--hold-ms MS]
 *
 * Every message is exactly --size bytes (framing excluded) and carries the
 * sending connection's id and a per-connection sequence number in a fixed,
 * parseable form, padded with 'x':
 *
 *   <13>Nov 20 12:00:00 benchhost loadgen[123]: c=0007 s=000000123 xxxxxxxx...
 *   <13>1 2024-11-20T12:00:00.000000+00:00 benchhost loadgen 123 - - c=0007 s=000000123 xxx...
 *
 * Connection c sends the sequence numbers 1..n_c in order; the TOTAL messages
 * are spread over the K sending connections (the first TOTAL % K get one more).
 * UDP uses a single sender, c=0000 (--senders N: N of them, c=0000..N-1),
 * one datagram per message, no framing.
 *
 * All messages are built in memory before the first byte is sent. TCP writes
 * up to 256 KiB per write() and poll()s over the sending connections to keep
 * all of them busy; UDP sends with sendmmsg() in batches of up to 256.
 * With --tcp N --active K, all N connections are opened first and the N-K
 * idle ones stay open, silent, until every active one is done.
 * With --sequential, the N connections are made one after another, each
 * sending its share and closing before the next one opens.
 * With --hold-ms, concurrent TCP connections stay open that long after the
 * last byte was sent (so that the receiver's memory can be sampled while it
 * still serves all of them); end_ns is taken before the hold; "holding=1" is
 * printed when it starts, and SIGUSR1 ends it early.
 *
 * With --relp, each of the N connections speaks RELP (rsyslog's protocol,
 * doc/relp.md of librelp) the way rsyslog's omrelp does: an "open" (txnr 1)
 * offering relp_version=0, relp_software and commands=syslog, whose rsp must
 * be 200 and accept relp_version and the syslog command; then one "syslog"
 * frame per message (txnr 2, 3, ...; data = the message, no LF), at most
 * --window (default 128, omrelp's default) of them sent and not yet
 * acknowledged; every "rsp" must carry the next txnr in order and code 200.
 * The run is over when every message is acknowledged (ack_end_ns); after
 * --hold-ms, each connection sends "close" and waits for its rsp (a
 * "serverclose" hint, txnr 0, is accepted only then). Anything else -- a
 * 500 (NAK), a txnr out of order, a malformed frame, a closed connection or
 * serverclose before the last ack -- ends loadgen with exit status 1 and a
 * message naming the connection and how many of its messages were acked.
 *
 * With --tls (loadgen_tls.c), the TCP connections speak syslog over TLS
 * (RFC 5425, octet-counted frames by default). With --udp --senders N
 * (loadgen_senders.c), N processes send at once, each on its own socket,
 * sender i as c=i.
 *
 * Output on stdout, one key=value per line:
 *   first_byte_ns=<CLOCK_REALTIME when the first byte was handed to the kernel>
 *   sent=<messages handed to the kernel>
 *   end_ns=<CLOCK_REALTIME after the last byte was handed to the kernel>
 *   plus send_errors=, connections=, bytes=, cpu_s= (loadgen's own CPU time,
 *   building the messages included), connect_max_ms= (slowest TCP connect)
 *   and connect_slow= (connects that took over 100 ms: a SYN was dropped
 *   and retransmitted).
 *   With --relp also: acked= (messages acknowledged with 200), naks= (always
 *   0 on success), ack_end_ns= (CLOCK_REALTIME when the last acknowledgement
 *   was read), open_max_ms= (slowest open handshake), rsp_bytes=, window=,
 *   and acked_per_conn=N0,N1,... (connection c had s=1..Nc acknowledged),
 *   which is printed before the error message on a failure too.
 * Exit status 0 on success, 1 on any error (message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define UDP_BATCH 256
#define MAX_TOTAL_BYTES ((size_t)8 << 30)

struct lg_opt opt = {
	.host = "127.0.0.1", .port = -1, .count = 100000, .size = 100,
	.format = 3164, .timeout = 120, .window = 128, .senders = 1,
};

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long parse_ll(const char *name, const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		die("%s: expected an integer in [%lld, %lld], got '%s'", name, min, max, s);
	return v;
}

static double parse_rate(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v > 0) || v > 1e9)
		die("--rate: expected a positive number of messages per second, got '%s'", s);
	return v;
}

uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned ndigits(uint64_t v)
{
	unsigned n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Writes v as exactly w decimal digits (zero padded) at p. */
static void put_num(char *p, unsigned w, uint64_t v)
{
	for (unsigned i = w; i-- > 0;) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Message template: header up to the number fields, then padding. */
struct lg_tpl tpl;

/* The TIMESTAMP of second t, in the message format (a fixed length each). */
static size_t format_ts(char *ts, size_t cap, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	return strftime(ts, cap, opt.format == 5424 ? "%Y-%m-%dT%H:%M:%S.000000+00:00" : "%b %e %H:%M:%S",
			&tm);
}

/* Messages carry the time they are sent, to the second, as real senders'
 * do (a receiver that keeps a sender's differing TIMESTAMP, as logserver's
 * text format does, would otherwise write it on every record of a long run). */
void refresh_ts(void)
{
	time_t t = time(NULL);
	char ts[64];
	if (t == tpl.ts_sec)
		return;
	size_t n = format_ts(ts, sizeof ts, t);
	if (n != tpl.ts_len)
		die("internal: timestamp length changed");
	memcpy(tpl.head + tpl.ts_off, ts, n);
	tpl.ts_sec = t;
}

/*
 * The frames are built ahead of the run, so each one's TIMESTAMP is written
 * again with the current second just before its first byte is sent (its
 * length never changes): a long run's last messages would otherwise carry
 * the second the run started in, and a receiver that keeps a sender's
 * differing TIMESTAMP (logserver's text records: sent="...") would write
 * it on nearly every record and pay for bytes no real sender causes.
 * msg points at the message (after any octet-count prefix).
 */
void stamp_msg(char *msg)
{
	memcpy(msg + tpl.ts_off, tpl.head + tpl.ts_off, tpl.ts_len);
}

/* stamp_msg() for the frames of tpl.framed bytes in buf that bytes [0, upto)
 * reach and that are not stamped yet; *stamped counts the frames done. */
void stamp_frames(char *buf, size_t upto, uint64_t *stamped)
{
	uint64_t last = (upto + tpl.framed - 1) / tpl.framed;

	if (*stamped >= last)
		return;
	refresh_ts();
	for (uint64_t i = *stamped; i < last; i++)
		stamp_msg(buf + i * tpl.framed + tpl.prefix_len);
	*stamped = last;
}

static void build_template(uint64_t max_conn_id, uint64_t max_seq)
{
	char ts[64];
	time_t t = time(NULL);
	int pid = (int)getpid();
	int n;
	tpl.ts_len = format_ts(ts, sizeof ts, t);
	tpl.ts_sec = t;
	if (opt.format == 5424) {
		tpl.ts_off = 6;		/* after "<13>1 " */
		n = snprintf(tpl.head, sizeof tpl.head, "<13>1 %s benchhost loadgen %d - - c=", ts, pid);
	} else {
		tpl.ts_off = 4;		/* after "<13>" */
		n = snprintf(tpl.head, sizeof tpl.head, "<13>%s benchhost loadgen[%d]: c=", ts, pid);
	}
	if (n < 0 || (size_t)n >= sizeof tpl.head)
		die("internal: header too long");
	tpl.head_len = (size_t)n;
	tpl.cw = ndigits(max_conn_id) < 4 ? 4 : ndigits(max_conn_id);
	tpl.sw = ndigits(max_seq) < 9 ? 9 : ndigits(max_seq);
	/* head + cw + " s=" + sw + " " + at least one 'x' */
	size_t min = tpl.head_len + tpl.cw + 3 + tpl.sw + 2;
	if ((size_t)opt.size < min)
		die("--size %ld is too small: this format needs at least %zu bytes", opt.size, min);
	if (opt.octet) {
		n = snprintf(tpl.prefix, sizeof tpl.prefix, "%ld ", opt.size);
		tpl.prefix_len = (size_t)n;
	}
	tpl.framed = tpl.prefix_len + (size_t)opt.size + (opt.udp ? 0 : (opt.octet ? 0 : 1));
}

/* Writes one framed message at p; returns bytes written (tpl.framed). */
size_t build_msg(char *p, uint64_t conn_id, uint64_t seq)
{
	static unsigned built;
	if ((built++ & 1023) == 0)
		refresh_ts();
	char *q = p;
	memcpy(q, tpl.prefix, tpl.prefix_len);
	q += tpl.prefix_len;
	char *m = q;
	memcpy(q, tpl.head, tpl.head_len);
	q += tpl.head_len;
	put_num(q, tpl.cw, conn_id);
	q += tpl.cw;
	memcpy(q, " s=", 3);
	q += 3;
	put_num(q, tpl.sw, seq);
	q += tpl.sw;
	*q++ = ' ';
	size_t used = (size_t)(q - m);
	memset(q, 'x', (size_t)opt.size - used);
	q += (size_t)opt.size - used;
	if (!opt.udp && !opt.octet)
		*q++ = '\n';
	return (size_t)(q - p);
}

void fill_conn(struct conn *c, uint64_t id)
{
	if (c->nmsg == 0)
		return;
	c->len = c->nmsg * tpl.framed;
	c->buf = malloc(c->len);
	if (!c->buf)
		die("out of memory for %zu bytes", c->len);
	char *p = c->buf;
	for (uint64_t s = 1; s <= c->nmsg; s++)
		p += build_msg(p, id, s);
}

static struct sockaddr_in dest;

static void resolve(void)
{
	memset(&dest, 0, sizeof dest);
	dest.sin_family = AF_INET;
	dest.sin_port = htons((uint16_t)opt.port);
	if (inet_pton(AF_INET, opt.host, &dest.sin_addr) != 1)
		die("--host must be an IPv4 address, got '%s'", opt.host);
}

uint64_t connect_max_ns, connect_slow;	/* slow: > 100 ms (a SYN retransmitted) */

int tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	if (connect(fd, (struct sockaddr *)&dest, sizeof dest) < 0)
		die("connect %s:%ld: %s", opt.host, opt.port, strerror(errno));
	uint64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
	if (dt > connect_max_ns)
		connect_max_ns = dt;
	if (dt > 100000000u)
		connect_slow++;
	return fd;
}

uint64_t first_byte_ns, sent_bytes, send_errors;
static uint64_t t0_mono;	/* monotonic time of the first byte, for pacing */

void mark_first(void)
{
	if (!first_byte_ns) {
		first_byte_ns = now_ns(CLOCK_REALTIME);
		t0_mono = now_ns(CLOCK_MONOTONIC);
	}
}

/* With --rate: how many messages in total may have been sent by now. */
static uint64_t paced_allowance(uint64_t total)
{
	if (opt.rate <= 0 || !t0_mono)
		return total;
	double el = (double)(now_ns(CLOCK_MONOTONIC) - t0_mono) / 1e9;
	double a = el * opt.rate + 1;
	return a >= (double)total ? total : (uint64_t)a;
}

/* Sleeps until message number `next` (0-based) is due under --rate. */
static void pace_sleep(uint64_t next)
{
	uint64_t due = t0_mono + (uint64_t)((double)next / opt.rate * 1e9);
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000u), .tv_nsec = (long)(due % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
}

int poll_ready(struct pollfd *pf, nfds_t n, uint64_t last_progress, int die_stalled)
{
	int r = poll(pf, n, 1000);
	if (r < 0) {
		if (errno != EINTR)
			die("poll: %s", strerror(errno));
		return 0;
	}
	if (r == 0 && now_ns(CLOCK_MONOTONIC) - last_progress > (uint64_t)opt.timeout * 1000000000u) {
		if (die_stalled)
			die("no progress for %ld s (receiver stalled?)", opt.timeout);
		return -1;
	}
	return r;
}

/* Concurrent TCP: conns[0..active) send, the rest are idle. */
static void run_tcp_concurrent(struct conn *conns, long n, long active, uint64_t total)
{
	for (long i = 0; i < n; i++) {
		conns[i].fd = tcp_connect();
		set_nonblock(conns[i].fd);
	}
	struct pollfd *pf = calloc((size_t)active, sizeof *pf);
	long *idx = calloc((size_t)active, sizeof *idx);
	if (!pf || !idx)
		die("out of memory");
	uint64_t sent_msgs_bytes_total = (uint64_t)total * tpl.framed;
	uint64_t last_progress = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		/* Writable candidates: every unfinished active connection. */
		long np = 0;
		for (long i = 0; i < active; i++) {
			if (conns[i].off < conns[i].len) {
				pf[np].fd = conns[i].fd;
				pf[np].events = POLLOUT;
				pf[np].revents = 0;
				idx[np++] = i;
			}
		}
		if (np == 0)
			break;
		/* Pacing: byte budget across all connections. */
		uint64_t budget = UINT64_MAX;
		if (opt.rate > 0 && t0_mono) {
			uint64_t allowed = paced_allowance(total) * tpl.framed;
			if (allowed > sent_msgs_bytes_total)
				allowed = sent_msgs_bytes_total;
			if (allowed <= sent_bytes) {
				pace_sleep(sent_bytes / tpl.framed + 1);
				continue;
			}
			budget = allowed - sent_bytes;
		}
		if (poll_ready(pf, (nfds_t)np, last_progress, 1) == 0)
			continue;
		for (long k = 0; k < np && budget > 0; k++) {
			if (!(pf[k].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			struct conn *c = &conns[idx[k]];
			size_t want = c->len - c->off;
			if (want > WRITE_CHUNK)
				want = WRITE_CHUNK;
			if (want > budget)
				want = (size_t)budget;
			stamp_frames(c->buf, c->off + want, &c->stamped);
			mark_first();
			ssize_t w = write(c->fd, c->buf + c->off, want);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				die("write on connection %ld: %s", idx[k], strerror(errno));
			}
			c->off += (size_t)w;
			sent_bytes += (uint64_t)w;
			budget -= (uint64_t)w;
			last_progress = now_ns(CLOCK_MONOTONIC);
		}
	}
	free(pf);
	free(idx);
}

/* Blocking write of a whole buffer, honouring --rate. */
static void write_all(int fd, char *buf, size_t len, uint64_t total)
{
	size_t off = 0;
	uint64_t stamped = 0;
	while (off < len) {
		size_t want = len - off;
		if (want > WRITE_CHUNK)
			want = WRITE_CHUNK;
		if (opt.rate > 0 && t0_mono) {
			uint64_t allowed = paced_allowance(total) * tpl.framed;
			if (allowed <= sent_bytes) {
				pace_sleep(sent_bytes / tpl.framed + 1);
				continue;
			}
			if (want > allowed - sent_bytes)
				want = (size_t)(allowed - sent_bytes);
		}
		stamp_frames(buf, off + want, &stamped);
		mark_first();
		ssize_t w = write(fd, buf + off, want);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		off += (size_t)w;
		sent_bytes += (uint64_t)w;
	}
}

static void run_tcp_sequential(struct conn *conns, long n, uint64_t total)
{
	struct timeval tv = { .tv_sec = opt.timeout };
	for (long i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		c->fd = tcp_connect();
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		write_all(c->fd, c->buf, c->len, total);
		close(c->fd);
		c->fd = -1;
		free(c->buf);
		c->buf = NULL;
	}
}

void run_udp(struct conn *c, uint64_t total)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int sb = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	if (connect(fd, (struct sockaddr *)&dest, sizeof dest) < 0)
		die("connect %s:%ld: %s", opt.host, opt.port, strerror(errno));
	struct mmsghdr mh[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	uint64_t next = 0;	/* index of the next message to send */
	while (next < total) {
		uint64_t allowed = paced_allowance(total);
		if (allowed <= next) {
			pace_sleep(next);
			continue;
		}
		unsigned b = 0;
		while (b < UDP_BATCH && next + b < allowed) {
			iov[b].iov_base = c->buf + (next + b) * tpl.framed;
			iov[b].iov_len = tpl.framed;
			memset(&mh[b], 0, sizeof mh[b]);
			mh[b].msg_hdr.msg_iov = &iov[b];
			mh[b].msg_hdr.msg_iovlen = 1;
			b++;
		}
		stamp_frames(c->buf, (next + b) * tpl.framed, &c->stamped);
		mark_first();
		int r = sendmmsg(fd, mh, b, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN) {
				/* An ICMP error from an earlier datagram, or a full
				 * queue: this batch was not sent; retry it. */
				if (++send_errors > 1000000)
					die("sendmmsg keeps failing: %s", strerror(errno));
				continue;
			}
			die("sendmmsg: %s", strerror(errno));
		}
		next += (uint64_t)r;
		sent_bytes += (uint64_t)r * tpl.framed;
	}
	close(fd);
}


static void usage(void)
{
	fputs("usage: loadgen --port P (--tcp N [--active K] [--sequential] | --udp) [--host 127.0.0.1]\n"
	      "               [--count TOTAL] [--size BYTES] [--format 3164|5424] [--rate MSGS_PER_SEC]\n"
	      "               [--framing lf|octet] [--timeout SECONDS] [--hold-ms MS]\n"
	      "       loadgen --port P --tcp N --relp [--window W] [--count TOTAL] [--size BYTES]\n"
	      "               [--format 3164|5424] [--timeout SECONDS] [--hold-ms MS]\n"
	      "       loadgen --port P --tcp N [--active K] [--sequential] --tls [--framing lf|octet] ...\n"
	      "       loadgen --port P --udp --senders N ...   (N processes, one socket each)\n", stderr);
	exit(1);
}

static volatile sig_atomic_t hold_cut;
static void on_usr1(int sig)
{
	(void)sig;
	hold_cut = 1;
}

void hold_open(void)
{
	if (opt.hold_ms <= 0)
		return;
	printf("holding=1\n");
	fflush(stdout);
	struct timespec ts = { .tv_sec = opt.hold_ms / 1000, .tv_nsec = (opt.hold_ms % 1000) * 1000000L };
	while (!hold_cut && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double rusage_cpu(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double self_cpu(void)
{
	return rusage_cpu(RUSAGE_SELF);
}

double children_cpu(void)
{
	return rusage_cpu(RUSAGE_CHILDREN);
}

int main(int argc, char **argv)
{
	int framing_set = 0;
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);	/* ends --hold-ms early */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV() do { if (!v) die("%s needs a value", a); i++; } while (0)
		if (!strcmp(a, "--host")) {
			NEEDV();
			opt.host = v;
		} else if (!strcmp(a, "--port")) {
			NEEDV();
			opt.port = (long)parse_ll(a, v, 1, 65535);
		} else if (!strcmp(a, "--tcp")) {
			NEEDV();
			opt.tcp = (long)parse_ll(a, v, 1, 100000);
		} else if (!strcmp(a, "--udp")) {
			opt.udp = 1;
		} else if (!strcmp(a, "--active")) {
			NEEDV();
			opt.active = (long)parse_ll(a, v, 1, 100000);
		} else if (!strcmp(a, "--sequential")) {
			opt.sequential = 1;
		} else if (!strcmp(a, "--relp")) {
			opt.relp = 1;
		} else if (!strcmp(a, "--tls")) {
			opt.tls = 1;
		} else if (!strcmp(a, "--senders")) {
			NEEDV();
			opt.senders = (long)parse_ll(a, v, 1, 64);
		} else if (!strcmp(a, "--window")) {
			NEEDV();
			opt.window = (long)parse_ll(a, v, 1, 1000000);
		} else if (!strcmp(a, "--count")) {
			NEEDV();
			opt.count = parse_ll(a, v, 1, 1000000000000LL);
		} else if (!strcmp(a, "--size")) {
			NEEDV();
			opt.size = (long)parse_ll(a, v, 1, 65000);
		} else if (!strcmp(a, "--format")) {
			NEEDV();
			opt.format = (int)parse_ll(a, v, 3164, 5424);
			if (opt.format != 3164 && opt.format != 5424)
				die("--format must be 3164 or 5424");
		} else if (!strcmp(a, "--rate")) {
			NEEDV();
			opt.rate = parse_rate(v);
		} else if (!strcmp(a, "--framing")) {
			NEEDV();
			framing_set = 1;
			if (!strcmp(v, "lf"))
				opt.octet = 0;
			else if (!strcmp(v, "octet"))
				opt.octet = 1;
			else
				die("--framing must be lf or octet");
		} else if (!strcmp(a, "--hold-ms")) {
			NEEDV();
			opt.hold_ms = (long)parse_ll(a, v, 0, 3600000);
		} else if (!strcmp(a, "--timeout")) {
			NEEDV();
			opt.timeout = (long)parse_ll(a, v, 1, 86400);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
		} else {
			fprintf(stderr, "loadgen: unknown option '%s'\n", a);
			usage();
		}
#undef NEEDV
	}
	if (opt.port < 0)
		die("--port is required");
	if (opt.udp == (opt.tcp > 0))
		die("exactly one of --tcp N or --udp is required");
	if (opt.udp && (opt.active || opt.sequential || opt.octet))
		die("--active, --sequential and --framing octet are TCP-only");
	if (opt.active > opt.tcp)
		die("--active %ld exceeds --tcp %ld", opt.active, opt.tcp);
	if (opt.sequential && opt.active)
		die("--sequential and --active cannot be combined");
	if (opt.relp && (opt.udp || opt.active || opt.sequential || opt.octet || opt.rate > 0))
		die("--relp needs --tcp N and cannot be combined with --udp, --active, --sequential, --framing octet or --rate");
	if (opt.tls && (opt.udp || opt.relp || opt.rate > 0))
		die("--tls needs --tcp N and cannot be combined with --udp, --relp or --rate");
	if (opt.tls && !framing_set)
		opt.octet = 1;	/* RFC 5425 */
	if (opt.senders > 1 && (!opt.udp || opt.rate > 0))
		die("--senders needs --udp and cannot be combined with --rate");
	if (!opt.active)
		opt.active = opt.udp ? opt.senders : opt.tcp;
	resolve();

	long nconn = opt.udp ? opt.senders : opt.tcp;
	long senders = opt.active;
	uint64_t total = (uint64_t)opt.count;
	uint64_t per = total / (uint64_t)senders, extra = total % (uint64_t)senders;
	build_template((uint64_t)(nconn - 1), per + (extra ? 1 : 0));
	if (total * tpl.framed > MAX_TOTAL_BYTES)
		die("%llu messages of %zu bytes exceed the %zu byte in-memory limit",
		    (unsigned long long)total, tpl.framed, MAX_TOTAL_BYTES);

	if (opt.relp)
		return relp_main(nconn, total, per, extra);

	struct conn *conns = calloc((size_t)nconn, sizeof *conns);
	if (!conns)
		die("out of memory");
	for (long i = 0; i < nconn; i++) {
		conns[i].fd = -1;
		conns[i].nmsg = i < senders ? per + ((uint64_t)i < extra ? 1 : 0) : 0;
		fill_conn(&conns[i], (uint64_t)i);
	}

	uint64_t end = 0;
	if (opt.udp && opt.senders > 1)
		run_udp_senders(conns, nconn, &end);
	else if (opt.udp)
		run_udp(&conns[0], total);
	else if (opt.tls)
		run_tls(conns, nconn, senders, &end);
	else if (opt.sequential)
		run_tcp_sequential(conns, nconn, total);
	else
		run_tcp_concurrent(conns, nconn, senders, total);
	if (!end)
		end = now_ns(CLOCK_REALTIME);
	if (!opt.udp && !opt.sequential && !opt.tls)
		hold_open();
	for (long i = 0; i < nconn; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);

	uint64_t sent = sent_bytes / tpl.framed;
	/* The sender processes (--senders) have been waited for: their CPU too. */
	double cpu = self_cpu() + children_cpu();
	printf("first_byte_ns=%llu\nsent=%llu\nend_ns=%llu\nsend_errors=%llu\nconnections=%ld\nbytes=%llu\ncpu_s=%.3f\n"
	       "connect_max_ms=%.1f\nconnect_slow=%llu\ntls_retries=%llu\n",
	       (unsigned long long)first_byte_ns, (unsigned long long)sent, (unsigned long long)end,
	       (unsigned long long)send_errors, nconn, (unsigned long long)sent_bytes, cpu,
	       (double)connect_max_ns / 1e6, (unsigned long long)connect_slow, (unsigned long long)tls_retries);
	return 0;
}

