/* stream: plain or TLS reads and writes behind one interface. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "io.h"

void
stream_plain(struct stream *c, int fd)
{
	c->fd = fd;
	c->ssl = NULL;
	c->want_write = 0;
}

/* Maps the result of an SSL_read_ex/SSL_write_ex that did nothing. */
static ssize_t
tls_result(struct stream *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);

	c->want_write = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == EINTR)
			return -1;
		/* OpenSSL 3 with SSL_OP_IGNORE_UNEXPECTED_EOF reports a bare EOF
		 * as ZERO_RETURN; anything else here is the socket's own error. */
		if (errno == 0)
			errno = ECONNRESET;
		return -1;
	default:
		errno = ECONNRESET;
		return -1;
	}
}

static ssize_t
tls_read(struct stream *c, void *buf, size_t len)
{
	size_t got = 0;

	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(c->ssl, buf, len, &got) == 1) {
		c->want_write = 0;
		return (ssize_t)got;
	}
	return tls_result(c, 0);
}

ssize_t
stream_read(struct stream *c, void *buf, size_t len, const volatile sig_atomic_t *stop)
{
	ssize_t n;

	if (c->ssl == NULL)
		return io_read(c->fd, buf, len, stop);
	do
		n = tls_read(c, buf, len);
	while (n == -1 && errno == EINTR && !*stop);
	return n;
}

ssize_t
stream_read_nowait(struct stream *c, void *buf, size_t len)
{
	int fl;
	ssize_t n;

	if (c->ssl == NULL)
		return recv(c->fd, buf, len, MSG_DONTWAIT);
	if (SSL_pending(c->ssl) > 0)
		return tls_read(c, buf, len);
	fl = fcntl(c->fd, F_GETFL);
	if (fl == -1)
		return -1;
	if (!(fl & O_NONBLOCK))
		(void)fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	n = tls_read(c, buf, len);
	if (!(fl & O_NONBLOCK)) {
		int saved = errno;

		(void)fcntl(c->fd, F_SETFL, fl);
		errno = saved;
	}
	return n;
}

ssize_t
stream_send(struct stream *c, const void *buf, size_t len)
{
	size_t done = 0;

	if (c->ssl == NULL)
		return send(c->fd, buf, len, MSG_NOSIGNAL);
	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(c->ssl, buf, len, &done) == 1) {
		c->want_write = 0;
		return (ssize_t)done;
	}
	return tls_result(c, 0);
}

int
stream_write_all(struct stream *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = stream_send(c, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = c->fd, .events = stream_events(c, POLLOUT) };

				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					return -1;
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

short
stream_events(const struct stream *c, short want)
{
	if (c->ssl == NULL)
		return want;
	return c->want_write ? POLLOUT : POLLIN;
}

int
stream_pending(const struct stream *c)
{
	return c->ssl != NULL && SSL_pending(c->ssl) > 0;
}

const char *
stream_tls_reason(const struct stream *c)
{
	unsigned long code;

	if (c->ssl == NULL || (code = ERR_peek_last_error()) == 0)
		return NULL;
	return ERR_reason_error_string(code);
}

void
stream_close(struct stream *c)
{
	if (c->ssl != NULL) {
		/* One close_notify, never waiting for the peer's. */
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}
