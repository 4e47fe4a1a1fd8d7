/* tls: OpenSSL contexts, handshakes under a deadline, and the --tls-auth checks. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "sig.h"
#include "timeouts.h"

#define TLS_RECORD_HANDSHAKE 0x16	/* RFC 8446 5.1: ContentType handshake */

/* The most useful reason OpenSSL has queued, or fallback. */
static const char *
ssl_reason(const char *fallback)
{
	unsigned long code = ERR_peek_last_error();
	const char *r = code != 0 ? ERR_reason_error_string(code) : NULL;

	return r != NULL ? r : fallback;
}

/* A file OpenSSL is about to read: say plainly when it cannot be opened. */
static int
check_file(const char *opt, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int
load_file(int ok, const char *opt, const char *path, char *err, size_t errlen)
{
	if (ok == 1)
		return 0;
	if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
		snprintf(err, errlen, "%s %s does not belong to the certificate (%s)", opt, path,
		    opt[0] == '-' ? "--cert" : "tls-cert");
	else
		snprintf(err, errlen, "%s %s: %s", opt, path, ssl_reason("cannot be loaded"));
	return -1;
}

/* fingerprint mode: the chain is not checked, only the pinned digest. */
static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

static void
common_options(SSL_CTX *ctx, int min13)
{
	SSL_CTX_set_min_proto_version(ctx, min13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

const char *
tls_auth_name(int auth)
{
	static const char *const names[] = { "auto", "anon", "certvalid", "name", "fingerprint" };

	return auth >= 0 && auth < (int)(sizeof(names) / sizeof(names[0])) ? names[auth] : "?";
}

static int
server_auth(struct tls_server *t, const struct server_config *cfg, char *err, size_t errlen)
{
	int verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;

	t->auth = cfg->tls_auth;
	if (t->auth == TLS_AUTH_AUTO)
		t->auth = cfg->tls_ca[0] != '\0' ? TLS_AUTH_CERTVALID : TLS_AUTH_ANON;
	if ((t->auth == TLS_AUTH_CERTVALID || t->auth == TLS_AUTH_NAME) && cfg->tls_ca[0] == '\0') {
		snprintf(err, errlen, "tls-auth %s needs the CA that signs the client certificates "
		    "(--tls-ca FILE)", t->auth == TLS_AUTH_NAME ? "name" : "certvalid");
		return -1;
	}
	if (t->auth == TLS_AUTH_NAME && cfg->tls_permitted_peer[0] == '\0') {
		snprintf(err, errlen, "tls-auth name needs the names to accept "
		    "(--tls-permitted-peer NAME,*.DOMAIN,...)");
		return -1;
	}
	if (t->auth == TLS_AUTH_FINGERPRINT) {
		char why[160];

		if (tls_fpr_list_check(cfg->tls_permitted_peer, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "tls-permitted-peer: %s (tls-auth fingerprint wants "
			    "sha256:HEX,...)", why);
			return -1;
		}
	}
	if (cfg->tls_ca[0] != '\0') {
		STACK_OF(X509_NAME) *names;

		if (check_file("tls-ca", cfg->tls_ca, err, errlen) == -1 ||
		    load_file(SSL_CTX_load_verify_locations(t->ctx, cfg->tls_ca, NULL), "tls-ca",
		    cfg->tls_ca, err, errlen) == -1)
			return -1;
		names = SSL_load_client_CA_file(cfg->tls_ca);
		if (names != NULL)
			SSL_CTX_set_client_CA_list(t->ctx, names);
	}
	if (t->auth == TLS_AUTH_ANON)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	else if (t->auth == TLS_AUTH_FINGERPRINT)
		SSL_CTX_set_verify(t->ctx, verify, accept_any);
	else
		SSL_CTX_set_verify(t->ctx, verify, NULL);
	return 0;
}

size_t
tls_stream_names(const struct stream *c, struct tls_names *names)
{
	X509 *cert = c->ssl != NULL ? SSL_get0_peer_certificate(c->ssl) : NULL;

	names->n = 0;
	if (cert != NULL)
		tls_peer_names(cert, names);
	return names->n;
}

void
tls_server_free(struct tls_server *t)
{
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
}

int
tls_server_init(struct tls_server *t, const struct server_config *cfg, char *warn,
    size_t warnlen, char *err, size_t errlen)
{
	const char *key = cfg->tls_key[0] != '\0' ? cfg->tls_key : cfg->tls_cert;

	memset(t, 0, sizeof(*t));
	warn[0] = '\0';
	t->permitted = cfg->tls_permitted_peer;
	t->timeout_ms = cfg->tls_handshake_timeout * 1000;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL) {
		snprintf(err, errlen, "TLS: %s", ssl_reason("cannot create a context"));
		return -1;
	}
	common_options(t->ctx, cfg->tls_min_version == 1);
	SSL_CTX_set_options(t->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (cfg->tls_ciphers[0] != '\0' && SSL_CTX_set_cipher_list(t->ctx, cfg->tls_ciphers) != 1) {
		snprintf(err, errlen, "tls-ciphers '%s': no cipher OpenSSL knows (see ciphers(1))",
		    cfg->tls_ciphers);
		goto fail;
	}
	if (check_file("tls-cert", cfg->tls_cert, err, errlen) == -1 ||
	    load_file(SSL_CTX_use_certificate_chain_file(t->ctx, cfg->tls_cert), "tls-cert",
	    cfg->tls_cert, err, errlen) == -1 ||
	    check_file("tls-key", key, err, errlen) == -1 ||
	    load_file(SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM), "tls-key", key,
	    err, errlen) == -1)
		goto fail;
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		snprintf(err, errlen, "tls-key %s does not belong to the certificate in tls-cert %s",
		    key, cfg->tls_cert);
		goto fail;
	}
	if (server_auth(t, cfg, err, errlen) == -1)
		goto fail;
	if (t->auth == TLS_AUTH_ANON)
		snprintf(warn, warnlen, "tls-auth anon: TLS clients are not authenticated; anyone "
		    "who reaches the TLS port can write records (give --tls-ca for certvalid)");
	return 0;
fail:
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
	return -1;
}

/* Waits for ev on fd until deadline: 0 ready, -1 timed out, -2 told to stop,
 * -3 poll failed. */
static int
wait_fd(int fd, short ev, long long deadline, const sigset_t *mask)
{
	for (;;) {
		long long left = deadline - ct_now_ms();
		struct pollfd pfd = { .fd = fd, .events = ev };
		struct timespec ts;
		int r;

		if (left <= 0)
			return -1;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		r = ppoll(&pfd, 1, &ts, mask);
		if (r > 0)
			return 0;
		if (r == 0)
			return -1;
		if (errno != EINTR)
			return -3;
		if (sig_got_term)
			return -2;
	}
}

static void
wait_why(int w, long long timeout_ms, char *err, size_t errlen)
{
	if (w == -1)
		snprintf(err, errlen, "TLS handshake timeout: not finished within %lld s "
		    "(tls-handshake-timeout)", timeout_ms / 1000);
	else if (w == -2)
		snprintf(err, errlen, "stopped during the TLS handshake");
	else
		snprintf(err, errlen, "TLS handshake: poll: %s", strerror(errno));
}

/* The handshake's failure in words: OpenSSL's reason and the certificate
 * check's, when that is what failed. */
static void
handshake_why(SSL *ssl, int e, char *err, size_t errlen)
{
	unsigned long code = ERR_peek_last_error();
	long v = SSL_get_verify_result(ssl);

	if (code == 0 && e == SSL_ERROR_SYSCALL)
		snprintf(err, errlen, "TLS handshake failed: connection closed by the peer%s%s",
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	else if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && v != X509_V_OK)
		snprintf(err, errlen, "TLS handshake failed: certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	else
		snprintf(err, errlen, "TLS handshake failed: %s", ssl_reason("unknown error"));
}

/* Runs the handshake on the non-blocking fd until deadline (timeout_ms is
 * the configured time, for the message); -1 with err. */
static int
handshake(SSL *ssl, int fd, int server, long long deadline, long long timeout_ms,
    const sigset_t *mask, char *err, size_t errlen)
{
	for (;;) {
		int r, e, w;

		ERR_clear_error();
		errno = 0;
		r = server ? SSL_accept(ssl) : SSL_connect(ssl);
		if (r == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE &&
		    !(e == SSL_ERROR_SYSCALL && errno == EINTR && !sig_got_term)) {
			handshake_why(ssl, e, err, errlen);
			return -1;
		}
		w = wait_fd(fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline, mask);
		if (w != 0) {
			wait_why(w, timeout_ms, err, errlen);
			return -1;
		}
	}
}

/* RFC 5425 4.2: the first bytes are a TLS record; anything else is a
 * sender speaking plain text to the TLS port. */
static int
first_byte(const struct tls_server *t, int fd, long long deadline, const sigset_t *mask,
    int *plaintext, char *err, size_t errlen)
{
	for (;;) {
		unsigned char b;
		ssize_t n = recv(fd, &b, 1, MSG_PEEK);
		int w;

		if (n == 1 && b == TLS_RECORD_HANDSHAKE)
			return 0;
		if (n == 1) {
			*plaintext = 1;
			snprintf(err, errlen, "plain text on the TLS port (first byte 0x%02x, not a TLS "
			    "handshake)", b);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "closed before the TLS handshake");
			return -1;
		}
		if (errno == EINTR && !sig_got_term)
			continue;
		if (errno != EAGAIN) {
			snprintf(err, errlen, "before the TLS handshake: %s", strerror(errno));
			return -1;
		}
		if ((w = wait_fd(fd, POLLIN, deadline, mask)) != 0) {
			wait_why(w, t->timeout_ms, err, errlen);
			return -1;
		}
	}
}

/* --tls-auth after a finished handshake; fills name. */
static int
check_peer(const struct tls_server *t, SSL *ssl, char *name, char *err, size_t errlen)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	char fpr[TLS_FPR_LEN + 1] = "";
	struct tls_names names;
	int i = 0;

	if (cert == NULL) {
		if (t->auth == TLS_AUTH_ANON)
			return 0;
		snprintf(err, errlen, "no client certificate (tls-auth wants one)");
		return -1;
	}
	tls_peer_names(cert, &names);
	(void)tls_peer_fpr(cert, fpr);
	if (t->auth == TLS_AUTH_NAME && (i = tls_names_permitted(t->permitted, &names)) == -1) {
		snprintf(err, errlen, "certificate name %s%s not in tls-permitted-peer",
		    names.n > 0 ? names.name[0] : "(none)", names.n > 1 ? " (and others)" : "");
		return -1;
	}
	if (t->auth == TLS_AUTH_FINGERPRINT && !tls_fpr_listed(t->permitted, fpr)) {
		snprintf(err, errlen, "certificate fingerprint %s not in tls-permitted-peer", fpr);
		return -1;
	}
	snprintf(name, TLS_NAME_MAX + 1, "%s", names.n > 0 ? names.name[i] : fpr);
	return 0;
}

int
tls_server_accept(const struct tls_server *t, int fd, const sigset_t *waitmask,
    struct stream *c, char name[TLS_NAME_MAX + 1], int *plaintext, char *err, size_t errlen)
{
	long long deadline = ct_now_ms() + t->timeout_ms;
	SSL *ssl;

	name[0] = '\0';
	*plaintext = 0;
	(void)net_set_nonblock(fd);
	if (first_byte(t, fd, deadline, waitmask, plaintext, err, errlen) == -1)
		return -1;
	ssl = SSL_new(t->ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, errlen, "TLS: %s", ssl_reason("out of memory"));
		SSL_free(ssl);
		return -1;
	}
	if (handshake(ssl, fd, 1, deadline, t->timeout_ms, waitmask, err, errlen) == -1) {
		SSL_free(ssl);
		return -1;
	}
	c->fd = fd;
	c->ssl = ssl;
	c->want_write = 0;
	if (check_peer(t, ssl, name, err, errlen) == -1) {
		char line[320];
		int n = snprintf(line, sizeof(line), "logserver: refused: %s\n", err);

		/* Told inside TLS, so the client can say why. */
		if (n > 0)
			(void)stream_send(c, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)SSL_shutdown(ssl);
		SSL_free(ssl);
		c->ssl = NULL;
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_client_ctx(const char *ca, const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: %s", ssl_reason("cannot create a context"));
		return NULL;
	}
	common_options(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca[0] != '\0') {
		if (check_file("--ca", ca, err, errlen) == -1 ||
		    load_file(SSL_CTX_load_verify_locations(ctx, ca, NULL), "--ca", ca, err,
		    errlen) == -1)
			goto fail;
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "TLS: cannot load the system's CA certificates (give --ca FILE)");
		goto fail;
	}
	if (cert[0] != '\0') {
		const char *k = key[0] != '\0' ? key : cert;

		if (check_file("--cert", cert, err, errlen) == -1 ||
		    load_file(SSL_CTX_use_certificate_chain_file(ctx, cert), "--cert", cert, err,
		    errlen) == -1 || check_file("--key", k, err, errlen) == -1 ||
		    load_file(SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM), "--key", k, err,
		    errlen) == -1)
			goto fail;
		if (SSL_CTX_check_private_key(ctx) != 1) {
			snprintf(err, errlen, "--key %s does not belong to the certificate in --cert %s",
			    k, cert);
			goto fail;
		}
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_client_connect(SSL_CTX *ctx, int fd, const char *server_name, long long timeout_ms,
    struct stream *c, char *err, size_t errlen)
{
	unsigned char addr[16];
	SSL *ssl = SSL_new(ctx);
	int is_ip = inet_pton(AF_INET, server_name, addr) == 1 ||
	    inet_pton(AF_INET6, server_name, addr) == 1;

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(err, errlen, "TLS: %s", ssl_reason("out of memory"));
		SSL_free(ssl);
		return -1;
	}
	/* The server's certificate must name what we connected to (RFC 5425 5.2). */
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name) != 1 :
	    SSL_set1_host(ssl, server_name) != 1 || SSL_set_tlsext_host_name(ssl, server_name) != 1) {
		snprintf(err, errlen, "TLS: cannot check the server name '%s'", server_name);
		SSL_free(ssl);
		return -1;
	}
	(void)net_set_nonblock(fd);
	if (handshake(ssl, fd, 0, ct_now_ms() + timeout_ms, timeout_ms, NULL, err, errlen) == -1) {
		SSL_free(ssl);
		return -1;
	}
	c->fd = fd;
	c->ssl = ssl;
	c->want_write = 0;
	return 0;
}
