/*
 * tls: OpenSSL contexts and handshakes for the server and for logclient.
 *
 * Contract: tls_server_init() runs in the supervisor at start-up: it reads
 * the certificate, key and CA (every file is read here, before any child
 * is forked: children are sandboxed) and returns -1 with one line naming
 * the option at fault. tls_server_accept() runs in the forked child: it
 * looks at the first byte (a plain-text sender is named as such), runs the
 * handshake on the non-blocking socket under a deadline, then applies
 * --tls-auth (docs/TLS.md): anon asks no certificate; certvalid wants one
 * that chains to --tls-ca; name also wants one of its names (tls_peer.h)
 * in --tls-permitted-peer; fingerprint wants its SHA-256 in that list
 * (the chain is not checked: pinned self-signed certificates work). On
 * success the conn is TLS and name holds the peer's identity ("" with anon
 * and no certificate); on failure err holds the reason, the descriptor is
 * still open and no SSL object is left. The client side is the same with
 * the roles turned: it verifies the server's chain against --ca and its
 * name (--tls-server-name, by default the host connected to).
 */
#ifndef LOGSERVER_TLS_H
#define LOGSERVER_TLS_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "stream.h"
#include "tls_peer.h"

#define TLS_DEFAULT_PORT 6514	/* RFC 5425 8 */

enum tls_auth { TLS_AUTH_AUTO, TLS_AUTH_ANON, TLS_AUTH_CERTVALID, TLS_AUTH_NAME,
	TLS_AUTH_FINGERPRINT };

struct ssl_ctx_st;

struct tls_server {
	struct ssl_ctx_st *ctx;
	int auth;			/* enum tls_auth, AUTO resolved */
	const char *permitted;		/* --tls-permitted-peer */
	long long timeout_ms;		/* --tls-handshake-timeout */
};

/* The names of the certificate the peer of a TLS stream showed (tls_peer.h);
 * 0 when there is none (plain, or anon). */
size_t tls_stream_names(const struct stream *c, struct tls_names *names);

/* Frees what tls_server_init() made. */
void tls_server_free(struct tls_server *t);

/* "anon", "certvalid", ... */
const char *tls_auth_name(int auth);

/* Start-up (see above). A warning for anon goes into warn ("" if none). */
int tls_server_init(struct tls_server *t, const struct server_config *cfg, char *warn,
    size_t warnlen, char *err, size_t errlen);

/* Child: the handshake and the checks on fd (see above). A plain-text
 * sender sets *plaintext. waitmask is the child's ppoll() mask. */
int tls_server_accept(const struct tls_server *t, int fd, const sigset_t *waitmask,
    struct stream *c, char name[TLS_NAME_MAX + 1], int *plaintext, char *err, size_t errlen);

/* logclient: a context that trusts ca (system defaults when ""), with a
 * client certificate when cert is not "". */
struct ssl_ctx_st *tls_client_ctx(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen);

/* logclient: the handshake on a connected fd, checking server_name. */
int tls_client_connect(struct ssl_ctx_st *ctx, int fd, const char *server_name,
    long long timeout_ms, struct stream *c, char *err, size_t errlen);

#endif
