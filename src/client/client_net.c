/* client_net: connect under a deadline, then TLS with --tls. */
#include "client_net.h"

#include <unistd.h>

#include <openssl/ssl.h>

#include "log.h"
#include "net.h"
#include "tls.h"

/* --tls: the handshake; every failure is one line. */
static int
start_tls(const struct client_config *cfg, int fd, int port, struct stream *c)
{
	const char *name = cfg->tls_server_name[0] != '\0' ? cfg->tls_server_name : cfg->host;
	char err[512];
	SSL_CTX *ctx = tls_client_ctx(cfg->ca, cfg->cert, cfg->key, err, sizeof(err));
	int rc;

	if (ctx == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	rc = tls_client_connect(ctx, fd, name, cfg->tls_handshake_timeout * 1000, c, err,
	    sizeof(err));
	SSL_CTX_free(ctx);	/* the connection keeps its own reference */
	if (rc == -1)
		log_warnx("TLS with %s:%d (server name %s): %s", cfg->host, port, name, err);
	return rc;
}

int
client_connect(const struct client_config *cfg, int port, long long timeout_ms,
    const char *hint, struct stream *c)
{
	char err[512];
	int fd = net_connect(cfg->host, port, timeout_ms, err, sizeof(err));

	if (fd < 0) {
		log_warnx("%s%s", err, fd == NET_UNRESOLVED ? "" : hint);
		return -1;
	}
	stream_plain(c, fd);
	if (cfg->tls && start_tls(cfg, fd, port, c) == -1) {
		close(fd);
		stream_plain(c, -1);
		return -1;
	}
	return 0;
}
