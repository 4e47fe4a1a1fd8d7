/*
 * loadgen_tls.c: --tcp N --tls: the same messages over syslog over TLS
 * (RFC 5425; octet-counted frames unless --framing lf is given). OpenSSL
 * client, no client certificate, the server's certificate not verified (a
 * throw-away CA made for the run; the benchmark measures the receivers, not
 * the PKI). Session resumption is off, so every connection makes a full
 * handshake: with --sequential (tls-short2000) the rate includes N of them.
 *
 * Concurrent: every connection connects and completes its handshake first
 * (blocking), then all send, non-blocking, poll()ing over the unfinished
 * ones; connections beyond --active stay open, idle. After --hold-ms each
 * sends close_notify and is closed.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "loadgen.h"

static SSL_CTX *ctx;

static const char *ssl_why(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();
	if (!e)
		return errno ? strerror(errno) : "connection closed";
	ERR_error_string_n(e, buf, sizeof buf);
	return buf;
}

uint64_t tls_retries;	/* handshakes that failed before any data and were made again */

/* Connects and completes the handshake; a handshake the receiver breaks off
 * (before any message was sent on it) is made again on a new connection, at
 * most TLS_TRIES times in all, and counted in tls_retries. */
#define TLS_TRIES 3
static SSL *tls_open(long idx)
{
	for (int t = 1;; t++) {
		int fd = tcp_connect();
		SSL *s = SSL_new(ctx);
		if (!s || !SSL_set_fd(s, fd))
			die("connection %ld: SSL_new: %s", idx, ssl_why());
		errno = 0;
		if (SSL_connect(s) == 1)
			return s;
		if (t == TLS_TRIES)
			die("connection %ld: TLS handshake failed %d times: %s", idx, t, ssl_why());
		ERR_clear_error();
		SSL_free(s);
		close(fd);
		tls_retries++;
	}
}

static void tls_close(SSL *s)
{
	int fd = SSL_get_fd(s);
	SSL_shutdown(s);	/* close_notify; the peer's answer is not waited for */
	SSL_free(s);
	close(fd);
}

static void tls_write_all(SSL *s, long idx, char *buf, size_t len)
{
	size_t off = 0;
	uint64_t stamped = 0;
	while (off < len) {
		size_t want = len - off;
		if (want > WRITE_CHUNK)
			want = WRITE_CHUNK;
		stamp_frames(buf, off + want, &stamped);	/* once: a retry sends the same bytes */
		mark_first();
		int w = SSL_write(s, buf + off, (int)want);
		if (w <= 0)
			die("connection %ld: SSL_write: %s", idx, ssl_why());
		off += (size_t)w;
		sent_bytes += (uint64_t)w;
	}
}

static void run_concurrent(struct conn *conns, SSL **ssl, long n, long active)
{
	for (long i = 0; i < n; i++) {
		ssl[i] = tls_open(i);
		set_nonblock(conns[i].fd = SSL_get_fd(ssl[i]));
	}
	struct pollfd *pf = calloc((size_t)active, sizeof *pf);
	long *idx = calloc((size_t)active, sizeof *idx);
	short *ev = calloc((size_t)active, sizeof *ev);	/* what each connection waits for */
	if (!pf || !idx || !ev)
		die("out of memory");
	for (long i = 0; i < active; i++)
		ev[i] = POLLOUT;
	uint64_t last_progress = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		long np = 0;
		for (long i = 0; i < active; i++) {
			if (conns[i].off < conns[i].len) {
				pf[np] = (struct pollfd){ .fd = conns[i].fd, .events = ev[i] };
				idx[np++] = i;
			}
		}
		if (np == 0)
			break;
		if (poll_ready(pf, (nfds_t)np, last_progress, 1) == 0)
			continue;
		for (long k = 0; k < np; k++) {
			if (!pf[k].revents)
				continue;
			long i = idx[k];
			struct conn *c = &conns[i];
			size_t want = c->len - c->off;
			if (want > WRITE_CHUNK)
				want = WRITE_CHUNK;
			stamp_frames(c->buf, c->off + want, &c->stamped);	/* once per frame */
			mark_first();
			int w = SSL_write(ssl[i], c->buf + c->off, (int)want);
			if (w <= 0) {
				int e = SSL_get_error(ssl[i], w);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					ev[i] = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
					continue;
				}
				die("connection %ld: SSL_write: %s", i, ssl_why());
			}
			ev[i] = POLLOUT;
			c->off += (size_t)w;
			sent_bytes += (uint64_t)w;
			last_progress = now_ns(CLOCK_MONOTONIC);
		}
	}
	free(pf);
	free(idx);
	free(ev);
}

void run_tls(struct conn *conns, long n, long active, uint64_t *end_ns)
{
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		die("SSL_CTX_new: %s", ssl_why());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL **ssl = calloc((size_t)n, sizeof *ssl);
	if (!ssl)
		die("out of memory");
	if (opt.sequential) {
		for (long i = 0; i < n; i++) {
			SSL *s = tls_open(i);
			tls_write_all(s, i, conns[i].buf, conns[i].len);
			tls_close(s);
			free(conns[i].buf);
			conns[i].buf = NULL;
		}
		*end_ns = now_ns(CLOCK_REALTIME);
	} else {
		run_concurrent(conns, ssl, n, active);
		*end_ns = now_ns(CLOCK_REALTIME);	/* before the hold, as for plain TCP */
		hold_open();
		for (long i = 0; i < n; i++) {
			tls_close(ssl[i]);
			conns[i].fd = -1;
		}
	}
	free(ssl);
	SSL_CTX_free(ctx);
}
