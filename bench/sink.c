/*
 * sink: the trivial receiver that sets the benchmark's ceiling.
 *
 *   sink --bind 127.0.0.1 --port TCPPORT [--udp-port UDPPORT] --out FILE [--udp-rcvbuf BYTES] [--relp]
 *
 * One thread, one epoll set over the TCP listener, every TCP connection and
 * the UDP socket. TCP bytes are read into a 256 KiB buffer per connection and
 * every complete line is appended to FILE with one write() per read(), so
 * lines from different connections never interleave; a partial line waits in
 * its connection's buffer (and is written, newline added, at EOF). UDP is
 * read with recvmmsg() in batches of 256 datagrams (each cut at 8 KiB), one
 * line per datagram, and written with one write() per batch. No parsing, no timestamps, no
 * fsync: it measures what the machine can move from sockets into a file.
 * SIGTERM/SIGINT end it cleanly (buffered partial lines are flushed).
 *
 * With --relp the TCP port speaks RELP instead (the benchmark's relp modes):
 * every complete frame in what one read() returned is handled, the data of
 * its "syslog" frames appended to FILE as lines with one write(), and only
 * then are their "rsp 200" answers sent, in order, with one write() (an
 * "open" is answered with relp_version=0 and commands=syslog, a "close" with
 * an empty rsp followed by the connection's end). Acknowledged means in the
 * page cache, no fsync: the ceiling for a RELP receiver on this machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONN_BUF (256 * 1024)
#define UDP_BATCH 256
#define UDP_MAX 8192	/* longer datagrams are cut, as rsyslog and logserver do by default */

struct conn {
	int fd;
	char *buf;
	size_t have;
};

static int relp_mode;

static int out_fd = -1;
static volatile sig_atomic_t stop;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sink: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long parse_long(const char *name, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		die("%s: expected an integer in [%ld, %ld], got '%s'", name, min, max, s);
	return v;
}

static void write_out(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(out_fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int make_socket(int type, const char *bind_addr, long port)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1)
		die("--bind must be an IPv4 address");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind %s:%ld: %s", bind_addr, port, strerror(errno));
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

static void close_conn(int ep, struct conn *c)
{
	if (c->have && !relp_mode) {
		if (c->buf[c->have - 1] != '\n')
			c->buf[c->have++] = '\n';	/* buffer always keeps one spare byte */
		write_out(c->buf, c->have);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	free(c);
}

/* Reads what is available on c; returns 0 when the connection is finished. */
static int read_conn(struct conn *c)
{
	for (int rounds = 0; rounds < 4; rounds++) {
		if (!c->buf && !(c->buf = malloc(CONN_BUF)))
			die("out of memory");
		ssize_t r = read(c->fd, c->buf + c->have, CONN_BUF - 1 - c->have);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			return 0;
		c->have += (size_t)r;
		char *nl = memrchr(c->buf, '\n', c->have);
		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;
			write_out(c->buf, n);
			memmove(c->buf, c->buf + n, c->have - n);
			c->have -= n;
		} else if (c->have == CONN_BUF - 1) {
			write_out(c->buf, c->have);	/* a line longer than the buffer */
			c->have = 0;
		}
		if ((size_t)r < CONN_BUF / 2)
			return 1;
	}
	return 1;
}


/* ---- RELP (--relp) ---- */

/* Writes all of p to a client socket (non-blocking: waits for room, at
 * most 10 s in all); returns -1 when the client is gone or stuck. */
static int send_all(int fd, const char *p, size_t n)
{
	int waited = 0;
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && waited++ < 100) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };
				poll(&pf, 1, 100);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends decimal v at p; returns the length. */
static size_t dec(char *p, unsigned long v)
{
	char t[24];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

/* 1..9 digits at *p (< e): 0 and *v set, -1 malformed, 1 incomplete. */
static int num9(const char **p, const char *e, unsigned long *v)
{
	const char *q = *p;
	unsigned long x = 0;
	while (q < e && *q >= '0' && *q <= '9' && q - *p < 10)
		x = x * 10 + (unsigned long)(*q++ - '0');
	if (q == *p || q - *p > 9)
		return q == e && q == *p ? 1 : -1;
	if (q == e)
		return 1;	/* more digits may follow */
	*v = x;
	*p = q;
	return 0;
}

#define RELP_OPEN_RSP "200 OK\nrelp_version=0\nrelp_software=bench-sink\ncommands=syslog"

/* Handles the complete RELP frames in c->buf; returns 0 when the connection
 * is finished (close answered, or a protocol error). */
static int relp_frames(struct conn *c)
{
	static char *lines, *rsp;
	static size_t rspcap;
	if (!lines && !(lines = malloc(CONN_BUF)))
		die("out of memory");
	size_t nl = 0, nr = 0;
	int keep = 1;
	const char *b = c->buf, *e = c->buf + c->have;
	while (b < e && keep) {
		const char *p = b;
		unsigned long txnr, len;
		int r = num9(&p, e, &txnr);
		if (r > 0)
			break;
		if (r < 0 || *p != ' ')
			goto bad;
		const char *cmd = ++p;
		while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && p - cmd <= 32)
			p++;
		if (p == e && p - cmd <= 32)
			break;
		size_t cl = (size_t)(p - cmd);
		if (cl == 0 || cl > 32 || *p != ' ')
			goto bad;
		p++;
		r = num9(&p, e, &len);
		if (r > 0)
			break;
		if (r < 0 || len > CONN_BUF - 64)
			goto bad;
		const char *data = p + 1;
		if (len > 0) {
			if (*p != ' ')
				goto bad;
			if ((size_t)(e - data) < len + 1)
				break;
			p = data + len;
		}
		if (*p != '\n')
			goto bad;
		b = p + 1;
		/* the answer: at most "999999999 rsp 999 " + the open's offers */
		if (nr + 32 + sizeof RELP_OPEN_RSP > rspcap) {
			rspcap = rspcap ? rspcap * 2 : 64 * 1024;
			if (!(rsp = realloc(rsp, rspcap)))
				die("out of memory");
		}
		if (cl == 6 && !memcmp(cmd, "syslog", 6)) {
			memcpy(lines + nl, data, len);
			nl += len;
			lines[nl++] = '\n';
			nr += dec(rsp + nr, txnr);
			memcpy(rsp + nr, " rsp 6 200 OK\n", 14);
			nr += 14;
		} else if (cl == 4 && !memcmp(cmd, "open", 4)) {
			nr += dec(rsp + nr, txnr);
			memcpy(rsp + nr, " rsp ", 5);
			nr += 5;
			nr += dec(rsp + nr, sizeof RELP_OPEN_RSP - 1);
			rsp[nr++] = ' ';
			memcpy(rsp + nr, RELP_OPEN_RSP "\n", sizeof RELP_OPEN_RSP);
			nr += sizeof RELP_OPEN_RSP;
		} else if (cl == 5 && !memcmp(cmd, "close", 5)) {
			nr += dec(rsp + nr, txnr);
			memcpy(rsp + nr, " rsp 0\n", 7);
			nr += 7;
			keep = 0;
		} else {
			goto bad;
		}
	}
	if (nl)
		write_out(lines, nl);	/* written before it is acknowledged */
	if (nr && send_all(c->fd, rsp, nr) < 0)
		keep = 0;
	memmove(c->buf, b, (size_t)(e - b));
	c->have = (size_t)(e - b);
	return keep;
bad:
	if (nl)
		write_out(lines, nl);
	if (nr)
		send_all(c->fd, rsp, nr);
	fprintf(stderr, "sink: malformed RELP frame, closing the connection\n");
	c->have = 0;
	return 0;
}

static int read_relp(struct conn *c)
{
	if (!c->buf && !(c->buf = malloc(CONN_BUF)))
		die("out of memory");
	for (int rounds = 0; rounds < 4; rounds++) {
		ssize_t r = read(c->fd, c->buf + c->have, CONN_BUF - c->have);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			return 0;
		c->have += (size_t)r;
		if (!relp_frames(c))
			return 0;
		if (c->have == CONN_BUF)
			return 0;	/* a frame larger than the buffer */
		if ((size_t)r < CONN_BUF / 2)
			return 1;
	}
	return 1;
}

static void read_udp(int fd)
{
	static char *bufs, *out;
	static struct mmsghdr mh[UDP_BATCH];
	static struct iovec iov[UDP_BATCH];
	if (!bufs) {
		bufs = malloc((size_t)UDP_BATCH * UDP_MAX);
		out = malloc((size_t)UDP_BATCH * (UDP_MAX + 1));
		if (!bufs || !out)
			die("out of memory");
	}
	for (int rounds = 0; rounds < 64; rounds++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = bufs + (size_t)i * UDP_MAX;
			iov[i].iov_len = UDP_MAX;
			memset(&mh[i].msg_hdr, 0, sizeof mh[i].msg_hdr);
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, mh, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		size_t o = 0;
		for (int i = 0; i < n; i++) {
			size_t len = mh[i].msg_len;
			memcpy(out + o, iov[i].iov_base, len);
			o += len;
			if (len == 0 || out[o - 1] != '\n')
				out[o++] = '\n';
		}
		write_out(out, o);
		if (n < UDP_BATCH)
			return;
	}
}

int main(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1", *out = NULL;
	long port = -1, uport = -1, rcvbuf = 4 << 20;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--relp")) {
			relp_mode = 1;
			continue;
		}
		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--bind"))
			bind_addr = v;
		else if (!strcmp(a, "--port"))
			port = parse_long(a, v, 1, 65535);
		else if (!strcmp(a, "--udp-port"))
			uport = parse_long(a, v, 1, 65535);
		else if (!strcmp(a, "--udp-rcvbuf"))
			rcvbuf = parse_long(a, v, 4096, 1L << 30);
		else if (!strcmp(a, "--out"))
			out = v;
		else
			die("unknown option '%s'", a);
	}
	if (port < 0 || !out)
		die("usage: sink --port TCPPORT [--udp-port UDPPORT] [--bind ADDR] --out FILE [--udp-rcvbuf BYTES] [--relp]");

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out_fd < 0)
		die("open %s: %s", out, strerror(errno));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int lfd = make_socket(SOCK_STREAM, bind_addr, port);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	int ufd = -1;
	static int udp_tag;
	if (uport > 0) {
		ufd = make_socket(SOCK_DGRAM, bind_addr, uport);
		int rb = (int)rcvbuf;
		if (setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) < 0)
			setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
		ev.data.ptr = &udp_tag;
		epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	}

	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == NULL) {
				for (;;) {
					int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (cfd < 0)
						break;
					struct conn *c = calloc(1, sizeof *c);
					if (!c)
						die("out of memory");
					c->fd = cfd;
					struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
				}
			} else if (p == &udp_tag) {
				read_udp(ufd);
			} else {
				struct conn *c = p;
				if (!(relp_mode ? read_relp(c) : read_conn(c)))
					close_conn(ep, c);
			}
		}
	}
	close(out_fd);
	return 0;
}
