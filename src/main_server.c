/* logserver: start-up only; the supervisor runs the loop. */
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "logstore.h"
#include "net.h"
#include "privdrop.h"
#include "sandbox.h"
#include "query_proto.h"
#include "supervisor.h"
#include "tls.h"
#include "udp.h"

static const struct cli_program server_program = {
	.name = "logserver",
	.usage = "[-c FILE] [-p PORT] [-d DIR] [options]",
	.summary = "Central log server: writes what its clients send into size-rotated log files.",
	.default_config = "./logserver.conf",
	.tab = server_options,
	.n = &server_noptions,
	.help_tail = "exit status: 0 after a graceful stop, 1 on a start-up error "
	    "(configuration, port, directory), 2 on a command-line usage error.\n",
};

/* Reads the query token: one word on one line, surrounding white space
 * removed. tok has cap bytes; the token may be cap - 1 bytes long. */
static size_t
load_token(const char *path, char *tok, size_t cap)
{
	char buf[QUERY_TOKEN_MAX + 64];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		fatalx("query-token-file %s: %s", path, strerror(errno));
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatalx("query-token-file %s: %s", path, strerror(errno));
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
	    buf[len - 1] == '\t'))
		len--;
	if (len == 0 || memchr(buf, ' ', len) != NULL || memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\t', len) != NULL || memchr(buf, '\0', len) != NULL)
		fatalx("query-token-file %s: expected one word on one line", path);
	if (len >= cap)
		fatalx("query-token-file %s: the token is longer than %zu bytes", path, cap - 1);
	memcpy(tok, buf, len);
	tok[len] = '\0';
	return len;
}

/* TLS: the context (certificate, key, CA read now, before any port is bound
 * and any fork). Without a certificate every other TLS option is an error. */
static void
load_tls(struct supervisor *sv, const struct server_config *cfg)
{
	char err[512], warn[256];

	if (cfg->tls_cert[0] == '\0') {
		if (cfg->tls_port > 0 || cfg->tls_key[0] != '\0' || cfg->tls_ca[0] != '\0')
			fatalx("TLS needs the server's certificate (--tls-cert FILE)");
		if (cfg->relp_tls_port > 0)
			fatalx("RELP over TLS (--relp-tls-port) needs the server's certificate "
			    "(--tls-cert FILE)");
		if (cfg->query_tls)
			fatalx("--query-tls on needs the server's certificate (--tls-cert FILE)");
		if (cfg->tls_check_hostname != CHECK_HOST_OFF)
			fatalx("--tls-check-hostname needs TLS: give the server's certificate "
			    "(--tls-cert FILE)");
		return;
	}
	if (tls_server_init(&sv->tls, cfg, warn, sizeof(warn), err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (warn[0] != '\0')
		log_warnx("%s", warn);
	if (cfg->tls_check_hostname != CHECK_HOST_OFF && sv->tls.auth == TLS_AUTH_ANON)
		log_warnx("tls-check-hostname: with tls-auth anon senders show no certificate, so "
		    "no message is checked (give --tls-ca)");
}

/* The TLS listeners, once load_tls() has the context. */
static void
listen_tls(struct supervisor *sv, const struct server_config *cfg)
{
	char err[512], note[256];
	int port = cfg->tls_port == -1 ? TLS_DEFAULT_PORT : (int)cfg->tls_port;

	if (sv->tls.ctx == NULL)
		return;
	if (cfg->relp_tls_port > 0) {
		sv->nrtfds = net_listen(cfg->bind, (int)cfg->relp_tls_port, SOCK_STREAM, sv->rtfds,
		    note, sizeof(note), err, sizeof(err));
		if (sv->nrtfds == -1)
			fatalx("RELP over TLS: %s (choose another with --relp-tls-port, or 0 to "
			    "disable it)", err);
	}
	if (port == 0)
		return;
	sv->ntfds = net_listen(cfg->bind, port, SOCK_STREAM, sv->tfds, note, sizeof(note), err,
	    sizeof(err));
	if (sv->ntfds == -1)
		fatalx("TLS: %s (choose another with --tls-port, or 0 to disable TLS)", err);
}

/* UDP: --udp-workers sets of sockets on the port (shared with SO_REUSEPORT
 * when more than one), their buffers, and the start record's note. */
static void
setup_udp(struct supervisor *sv, const struct server_config *cfg)
{
	int uport = cfg->udp_port == -1 ? (int)cfg->port : (int)cfg->udp_port;
	int type = SOCK_DGRAM | (cfg->udp_workers > 1 ? NET_SHARED : 0);
	char err[512];
	size_t used;
	long granted = 0;

	sv->udp_workers = (int)cfg->udp_workers;
	for (int w = 0; w < sv->udp_workers; w++) {
		int *fds = sv->ufds + w * NET_MAX_LISTEN;
		int n = net_listen(cfg->bind, uport, type, fds, sv->udp_note, sizeof(sv->udp_note),
		    err, sizeof(err));

		if (n == -1)
			fatalx("UDP: %s", err);
		if (w > 0 && n != sv->nufds)
			fatalx("UDP: the port's addresses changed while binding them (%d, then %d)",
			    sv->nufds, n);
		sv->nufds = n;
		for (int i = 0; i < n; i++)
			if ((granted = udp_setup(fds[i], cfg->udp_rcvbuf, err, sizeof(err))) == -1)
				fatalx("UDP: %s", err);
	}
	used = (size_t)snprintf(sv->udp_note, sizeof(sv->udp_note), " udp=");
	for (int i = 0; i < sv->nufds && used < sizeof(sv->udp_note) - 1; i++) {
		if (i > 0)
			sv->udp_note[used++] = ',';
		used += net_format_local(sv->ufds[i], sv->udp_note + used,
		    sizeof(sv->udp_note) - used);
	}
	if (used < sizeof(sv->udp_note))
		snprintf(sv->udp_note + used, sizeof(sv->udp_note) - used, " udp-rcvbuf=%ld",
		    granted);
	if (sv->udp_workers > 1 && strlen(sv->udp_note) + 24 < sizeof(sv->udp_note))
		snprintf(sv->udp_note + strlen(sv->udp_note), sizeof(sv->udp_note) -
		    strlen(sv->udp_note), " udp-workers=%d", sv->udp_workers);
}

int
main(int argc, char **argv)
{
	struct server_config cfg;
	struct supervisor sv = { 0 };
	struct logstore store;
	char err[512];
	char **operands;
	int noperands, rc;
	log_init("logserver");
	operands = cli_configure(&server_program, &cfg, argc, argv, &noperands);
	if (noperands > 0) {
		fprintf(stderr, "logserver: unexpected argument '%s' (see --help)\n", operands[0]);
		exit(2);
	}
	free(operands);

	static char token[QUERY_TOKEN_MAX + 1];

	sv.cfg = &cfg;
	sv.store = &store;
	struct privdrop pd;
	if (privdrop_resolve(cfg.user, cfg.group, &pd, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (acl_parse(&sv.allow, cfg.allow, err, sizeof(err)) == -1)
		fatalx("allow: %s", err);
	if (acl_parse(&sv.query_allow, cfg.query_allow, err, sizeof(err)) == -1)
		fatalx("query-allow: %s", err);
	if (cfg.query_token_file[0] != '\0') {
		sv.tokenlen = load_token(cfg.query_token_file, token, sizeof(token));
		sv.token = token;
	}
	load_tls(&sv, &cfg);	/* configuration errors before any port is bound */
	sv.nlfds = net_listen(cfg.bind, (int)cfg.port, SOCK_STREAM, sv.lfds, sv.listen_note,
	    sizeof(sv.listen_note), err, sizeof(err));
	if (sv.nlfds == -1)
		fatalx("%s", err);
	if (cfg.udp_port != 0)
		setup_udp(&sv, &cfg);
	if (cfg.relp_port != 0) {
		char note[256];

		sv.nrfds = net_listen(cfg.bind, (int)cfg.relp_port, SOCK_STREAM, sv.rfds, note,
		    sizeof(note), err, sizeof(err));
		if (sv.nrfds == -1)
			fatalx("RELP: %s (choose another with --relp-port, or 0 to disable RELP)", err);
	}
	listen_tls(&sv, &cfg);
	if (cfg.query_port != 0) {
		char note[256];

		sv.nqfds = net_listen(cfg.query_bind, (int)cfg.query_port, SOCK_STREAM, sv.qfds, note,
		    sizeof(note), err, sizeof(err));
		if (sv.nqfds == -1)
			fatalx("query service: %s (or disable it with --query-port 0)", err);
	}
	if (cfg.metrics_port != 0) {
		char note[256];

		sv.nmfds = net_listen(cfg.metrics_bind, (int)cfg.metrics_port, SOCK_STREAM, sv.mfds,
		    note, sizeof(note), err, sizeof(err));
		if (sv.nmfds == -1)
			fatalx("metrics: %s (choose another with --metrics-port, or 0 to disable "
			    "it)", err);
	}
	/* Everything that needs root is done: give it up before the store
	 * creates any file and before the first fork. */
	if (privdrop_prepare_dir(&pd, cfg.dir, err, sizeof(err)) == -1 ||
	    privdrop_apply(&pd, cfg.dir, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (pd.active)
		snprintf(sv.run_note, sizeof(sv.run_note), " user=%s group=%s", pd.user, pd.group);
	if (logstore_open(&store, cfg.dir, (uint64_t)cfg.max_size, (size_t)cfg.max_files,
	    cfg.on_start == ON_START_NEW, cfg.format, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (metrics_init() == -1)
		fatalx("cannot map the shared counters: %s", strerror(errno));
	if (cfg.sandbox) {
		char note[96];
		size_t used = strlen(sv.run_note);

		if (sandbox_prepare(err, sizeof(err)) == -1 ||
		    sandbox_probe(store.dirfd, note, sizeof(note), err, sizeof(err)) == -1)
			fatalx("%s", err);
		snprintf(sv.run_note + used, sizeof(sv.run_note) - used, " sandbox=%s", note);
	} else {
		size_t used = strlen(sv.run_note);

		snprintf(sv.run_note + used, sizeof(sv.run_note) - used, " sandbox=off");
	}
	/* Some acknowledgement promises "on disk": rotation then syncs too. */
	store.durable = (cfg.relp_port != 0 && cfg.fsync == FSYNC_BATCH) ||
	    cfg.tcp_fsync == FSYNC_BATCH;
	rc = supervisor_run(&sv);
	logstore_close(&store);
	return rc;
}
