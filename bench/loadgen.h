/*
 * loadgen.h: what the load generator's parts (loadgen.c: options, messages,
 * TCP and UDP; loadgen_relp.c: RELP; loadgen_tls.c: syslog over TLS;
 * loadgen_senders.c: several UDP sender processes) share.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#define WRITE_CHUNK (256 * 1024)

struct conn {
	int fd;
	char *buf;		/* all of this connection's framed messages */
	size_t len, off;	/* bytes built, bytes written */
	uint64_t nmsg;		/* messages this connection sends */
	uint64_t stamped;	/* frames given their send time (stamp_frames) */
};

struct lg_opt {
	const char *host;
	long port;
	int udp;
	long tcp, active;
	int sequential;
	long long count;
	long size;
	int format;		/* 3164 or 5424 */
	double rate;		/* 0 = unpaced */
	int octet;		/* 1 = octet-counted framing */
	long timeout;		/* seconds without progress before giving up */
	long hold_ms;		/* keep the connections open this long after sending */
	int relp;		/* 1 = RELP over the TCP connections */
	long window;		/* RELP: most unacknowledged syslog frames per connection */
	int tls;		/* 1 = syslog over TLS (RFC 5425) on the TCP connections */
	long senders;		/* UDP: sender processes, one socket each */
};

struct lg_tpl {
	char head[160];
	size_t head_len;	/* bytes before the "c=" digits */
	unsigned cw, sw;	/* digit widths of c= and s= */
	char prefix[24];	/* octet-count prefix "NNN " or "" */
	size_t prefix_len;
	size_t framed;		/* bytes per framed message */
	size_t ts_off;		/* where the TIMESTAMP sits in head */
	size_t ts_len;		/* its length (fixed for a format) */
	time_t ts_sec;		/* the second it shows */
};

extern struct lg_opt opt;
extern struct lg_tpl tpl;
extern uint64_t first_byte_ns, sent_bytes, send_errors;
extern uint64_t connect_max_ns, connect_slow;
extern uint64_t tls_retries;	/* loadgen_tls.c */

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
uint64_t now_ns(clockid_t clk);
size_t build_msg(char *p, uint64_t conn_id, uint64_t seq);
void stamp_frames(char *buf, size_t upto, uint64_t *stamped);
void stamp_msg(char *msg);
void refresh_ts(void);	/* tpl.head shows the current second */
void fill_conn(struct conn *c, uint64_t id);
int tcp_connect(void);
void mark_first(void);
void set_nonblock(int fd);
double self_cpu(void);
double children_cpu(void);	/* of the waited-for sender processes */
/* poll() for up to a second: what poll() returns, 0 also on EINTR; when nothing
 * is ready and nothing has progressed for --timeout: dies (die_stalled) or -1. */
int poll_ready(struct pollfd *pf, nfds_t n, uint64_t last_progress, int die_stalled);
/* Keeps the connections open for --hold-ms (SIGUSR1 ends it early). */
void hold_open(void);
void run_udp(struct conn *c, uint64_t total);

/* loadgen_relp.c: the whole RELP run, with its own output; returns the exit status. */
int relp_main(long nconn, uint64_t total, uint64_t per, uint64_t extra);
/* loadgen_tls.c: sends every connection's buffer over TLS (concurrently, or
 * with opt.sequential one connection after another, each a full handshake);
 * *end_ns: when the last byte was handed to the kernel (before --hold-ms). */
void run_tls(struct conn *conns, long n, long active, uint64_t *end_ns);
/* loadgen_senders.c: n processes, sender i sends conns[i] (c=i, s=1..n_i)
 * on its own UDP socket, all starting together; puts their figures into the
 * globals above (earliest first byte, sums) and *end_ns (the last sender's end). */
void run_udp_senders(struct conn *conns, long n, uint64_t *end_ns);

#endif
