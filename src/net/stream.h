/*
 * stream: one connected stream, plain TCP or TLS, read and written the same
 * way, so the session, RELP, query and client code never know which.
 *
 * Contract: a stream owns its descriptor (and its SSL object when TLS) and
 * stream_close() frees both. The plain path is a direct read(2)/send(2): one
 * branch more than before, no copy. With TLS the calls map OpenSSL's
 * results onto the plain ones: "would block" is -1 with errno EAGAIN (and
 * stream_events() says whether to wait for POLLIN or POLLOUT), the peer's
 * close (close_notify or a bare EOF) is 0, any other TLS failure is -1 with
 * errno ECONNRESET (the caller records what it knows). SIGPIPE is ignored by
 * both programs; plain writes use MSG_NOSIGNAL as well.
 */
#ifndef LOGSERVER_STREAM_H
#define LOGSERVER_STREAM_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct ssl_st;

struct stream {
	int fd;
	struct ssl_st *ssl;	/* NULL: plain */
	int want_write;		/* the last TLS call needs the socket writable */
};

/* A plain connection on fd. */
void stream_plain(struct stream *c, int fd);

/* One read, retried after EINTR unless *stop is set. Returns what read()
 * would: bytes, 0 at EOF, -1 with errno. */
ssize_t stream_read(struct stream *c, void *buf, size_t len, const volatile sig_atomic_t *stop);

/* One read that never waits, whatever the descriptor's mode (-1, EAGAIN
 * when nothing is there). */
ssize_t stream_read_nowait(struct stream *c, void *buf, size_t len);

/* One write of up to len bytes (a short count is possible; -1 EAGAIN on a
 * full non-blocking socket). */
ssize_t stream_send(struct stream *c, const void *buf, size_t len);

/* Writes every byte or fails, like io_write_all(); on a non-blocking
 * socket it waits for room with poll(). */
int stream_write_all(struct stream *c, const void *buf, size_t len);

/* The poll events to wait for before retrying a call that gave EAGAIN:
 * want (POLLIN for a read) unless TLS needs the other direction first. */
short stream_events(const struct stream *c, short want);

/* 1 when decrypted bytes wait inside the TLS layer (poll would not see them). */
int stream_pending(const struct stream *c);

/* After a TLS call failed: OpenSSL's reason ("tlsv1 alert unknown ca"),
 * or NULL when plain or none is known. */
const char *stream_tls_reason(const struct stream *c);

/* TLS: sends close_notify (without waiting); then closes the descriptor. */
void stream_close(struct stream *c);

#endif
