/* logserver: start-up only; the supervisor runs the loop. */
#include <stdio.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acl.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
#include "metrics.h"
#include "metrics_http.h"
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
	.summary = "Central log server: writes what its clients send into log files rotated by size (and by time, --rotate-interval).",
	.default_config = LS_CONFIG_PATH,
	.tab = server_options,
	.n = &server_noptions,
	.help_tail = "exit status: 0 after a graceful stop, 1 on a start-up error "
	    "(configuration file, port, directory), 2 on a command-line usage error "
	    "(a bad option or value on the command line); with --check-config 0 when the "
	    "configuration is valid, 1 when not.\n",
};

/* Where each option's value came from (cli_configure). */
static struct opt_origin *origins;

/* "--NAME VALUE, from ./logserver.conf:3" (or "from the command line", "by
 * default"): the option a message is about and where its value was set. */
static const char *
opt_from(const char *name, const char *value, char *buf, size_t len)
{
	int i = opt_index(server_options, server_noptions, name);
	const struct opt_origin *o = i >= 0 && origins != NULL ? &origins[i] : NULL;
	char where[1100];

	if (o == NULL || o->from == OPT_FROM_DEFAULT)
		snprintf(where, sizeof(where), "by default");
	else if (o->from == OPT_FROM_CMDLINE)
		snprintf(where, sizeof(where), "from the command line");
	else
		snprintf(where, sizeof(where), "from %s", opt_origin_text(o, buf, len));
	snprintf(buf, len, "--%s %s, %s", name, value, where);
	return buf;
}

/* A value the server cannot use: one line naming the option and where it
 * was set; exit 2 when it came from the command line (a usage error), 1
 * when from the configuration file or a default. */
static void __attribute__((noreturn, format(printf, 3, 4)))
opt_fatal(const char *name, const char *value, const char *fmt, ...)
{
	int i = opt_index(server_options, server_noptions, name);
	int usage = i >= 0 && origins != NULL && origins[i].from == OPT_FROM_CMDLINE;
	char msg[1024], from[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s (%s)", msg, opt_from(name, value, from, sizeof(from)));
	exit(usage ? 2 : 1);
}

/* A port that cannot be listened on: what, the error, and the option that
 * sets the port with where its value came from. Exit 1 (a runtime failure). */
static void __attribute__((noreturn))
listen_fatal(const char *what, const char *opt, long long port, const char *err,
    const char *disable)
{
	char val[24], from[1400];

	snprintf(val, sizeof(val), "%lld", port);
	fatalx("%s (%s): %s%s", what, opt_from(opt, val, from, sizeof(from)), err, disable);
}

/* Reads the query token: one word on one line, surrounding white space
 * removed. tok has cap bytes; the token may be cap - 1 bytes long. */
static size_t
load_token(const char *path, char *tok, size_t cap)
{
	char buf[QUERY_TOKEN_MAX + 64];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	char from[1400];

	opt_from("query-token-file", path, from, sizeof(from));
	if (fd == -1)
		fatalx("%s: %s", from, strerror(errno));
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatalx("%s: %s", from, strerror(errno));
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
	    buf[len - 1] == '\t'))
		len--;
	if (len == 0 || memchr(buf, ' ', len) != NULL || memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\t', len) != NULL || memchr(buf, '\0', len) != NULL)
		fatalx("%s: expected one word on one line", from);
	if (len >= cap)
		fatalx("%s: the token is longer than %zu bytes", from, cap - 1);
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
			listen_fatal("RELP over TLS", "relp-tls-port", cfg->relp_tls_port, err,
			    "; 0 disables it");
	}
	if (port == 0)
		return;
	sv->ntfds = net_listen(cfg->bind, port, SOCK_STREAM, sv->tfds, note, sizeof(note), err,
	    sizeof(err));
	if (sv->ntfds == -1)
		listen_fatal("TLS", "tls-port", port, err, "; 0 disables TLS");
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
			listen_fatal(cfg->udp_port == -1 ? "UDP (on the TCP port, as --udp-port is "
			    "not set)" : "UDP", cfg->udp_port == -1 ? "port" : "udp-port", uport, err,
			    "; --udp-port 0 disables UDP");
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

/* --check-config: the log directory exists and is one we can write, or
 * start-up can create it (its parent exists). Nothing is created. */
static void
check_dir(const char *dir)
{
	struct stat st;
	char parent[sizeof(((struct server_config *)0)->dir)];
	char *slash;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			fatalx("dir %s: not a directory (choose another with --dir)", dir);
		if (access(dir, W_OK | X_OK) == -1)
			fatalx("dir %s: %s (choose another with --dir)", dir, strerror(errno));
		return;
	}
	if (errno != ENOENT)
		fatalx("dir %s: %s (choose another with --dir)", dir, strerror(errno));
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		return;		/* created in the working directory */
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode))
		fatalx("dir %s: missing, and so is its parent %s (create it, or choose another "
		    "with --dir)", dir, parent);
}

/* --check-config: two TCP listeners on one port would fail at bind time. */
static void
check_ports(const struct server_config *cfg)
{
	const struct { const char *opt; long long port; } tcp[] = {
		{ "--port", cfg->port }, { "--relp-port", cfg->relp_port },
		{ "--tls-port", cfg->tls_port == -1 && cfg->tls_cert[0] != '\0' ? TLS_DEFAULT_PORT :
		    cfg->tls_port },
		{ "--relp-tls-port", cfg->relp_tls_port }, { "--query-port", cfg->query_port },
	};
	const size_t n = sizeof(tcp) / sizeof(tcp[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (tcp[i].port > 0 && tcp[i].port == tcp[j].port)
				fatalx("%s and %s are both TCP port %lld (choose another for one of "
				    "them)", tcp[i].opt, tcp[j].opt, tcp[i].port);
}

/* The query service reachable from other hosts, with no token and a
 * --query-allow that admits everyone: anyone there may read every log. Said
 * on stderr and in the start record; the server still starts (a choice). */
static void
warn_open_query(struct supervisor *sv, const struct server_config *cfg)
{
	char text[640];
	int wide = 0;

	if (sv->nqfds == 0 || sv->token != NULL || !acl_everyone(&sv->query_allow))
		return;
	for (int i = 0; i < sv->nqfds; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(sv->qfds[i], (struct sockaddr *)&ss, &len) == 0 &&
		    !net_is_loopback((struct sockaddr *)&ss, len))
			wide = 1;
	}
	if (!wide)
		return;

	snprintf(text, sizeof(text), "the query service (--query-bind %s) is open to every "
	    "address with no token: anyone who reaches it can read every log; set "
	    "--query-token-file FILE, narrow --query-allow CIDR,..., or --query-bind localhost",
	    cfg->query_bind);
	snprintf(sv->warn_note, sizeof(sv->warn_note), " warning=\"%s\"", text);
	log_warnx("warning: %s", text);
}

int
main(int argc, char **argv)
{
	struct server_config cfg;
	struct supervisor sv = { 0 };
	struct logstore store;
	char err[512];
	char **operands;
	int noperands, rc, pidfd = -1;
	struct cli_trace trace;

	log_init("logserver");
	operands = cli_configure(&server_program, &cfg, argc, argv, &noperands, &trace);
	origins = trace.orig;
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
	if (cfg.audit_file[0] != '\0' && logstore_audit_name_ok(cfg.audit_file) == -1)
		opt_fatal("audit-file", cfg.audit_file, "audit-file: '%s' must be a plain file name "
		    "in the log directory (no '/', not hidden, not named like a log file)",
		    cfg.audit_file);
	if (acl_parse(&sv.allow, cfg.allow, err, sizeof(err)) == -1)
		opt_fatal("allow", cfg.allow, "allow: %s", err);
	if (acl_parse(&sv.query_allow, cfg.query_allow, err, sizeof(err)) == -1)
		opt_fatal("query-allow", cfg.query_allow, "query-allow: %s", err);
	if (cfg.query_token_file[0] != '\0') {
		sv.tokenlen = load_token(cfg.query_token_file, token, sizeof(token));
		sv.token = token;
	}
	load_tls(&sv, &cfg);	/* configuration errors before any port is bound */
	if (trace.check_config) {
		check_dir(cfg.dir);
		check_ports(&cfg);
		cli_print_settings(stdout, &server_program, &cfg, &trace);
		cli_trace_free(&trace);
		tls_server_free(&sv.tls);
		exit(0);
	}
	/* (trace.orig stays: listen_fatal() names where a busy port came from) */
	/* Locked before binding: a second server on it stops here, not at a busy port. */
	if (cfg.pid_file[0] != '\0' && (pidfd = pidfile_lock(cfg.pid_file, err, sizeof(err))) == -1)
		fatalx("%s", err);
	if (notify_init(err, sizeof(err)) == -1)
		fatalx("%s", err);
	sv.nlfds = net_listen(cfg.bind, (int)cfg.port, SOCK_STREAM, sv.lfds, sv.listen_note,
	    sizeof(sv.listen_note), err, sizeof(err));
	if (sv.nlfds == -1)
		listen_fatal("TCP", "port", cfg.port, err, "");
	if (cfg.udp_port != 0)
		setup_udp(&sv, &cfg);
	if (cfg.relp_port != 0) {
		char note[256];

		sv.nrfds = net_listen(cfg.bind, (int)cfg.relp_port, SOCK_STREAM, sv.rfds, note,
		    sizeof(note), err, sizeof(err));
		if (sv.nrfds == -1)
			listen_fatal("RELP", "relp-port", cfg.relp_port, err, "; 0 disables RELP");
	}
	listen_tls(&sv, &cfg);
	if (cfg.query_port != 0) {
		char note[256];

		sv.nqfds = net_listen(cfg.query_bind, (int)cfg.query_port, SOCK_STREAM, sv.qfds, note,
		    sizeof(note), err, sizeof(err));
		if (sv.nqfds == -1)
			listen_fatal("query service", "query-port", cfg.query_port, err,
			    "; 0 disables it");
		warn_open_query(&sv, &cfg);
	}
	if (cfg.metrics_port != 0) {
		char note[256];

		sv.nmfds = net_listen(cfg.metrics_bind, (int)cfg.metrics_port, SOCK_STREAM, sv.mfds,
		    note, sizeof(note), err, sizeof(err));
		if (sv.nmfds == -1)
			fatalx("metrics: %s (choose another with --metrics-port, or 0 to disable "
			    "it)", err);
		if (metrics_http_probe(err, sizeof(err)) == -1)
			fatalx("%s", err);
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
	if (cfg.audit_file[0] != '\0') {
		if (logstore_open_audit(&store, cfg.audit_file, err, sizeof(err)) == -1)
			fatalx("%s", err);
		size_t used = strlen(sv.run_note);

		snprintf(sv.run_note + used, sizeof(sv.run_note) - used, " audit-file=%s",
		    cfg.audit_file);
	}
	if (store.other_format != -1) {
		static const char *const names[] = { "text", "json", "raw" };
		size_t used = strlen(sv.run_note);

		snprintf(sv.run_note + used, sizeof(sv.run_note) - used, " new-file=format "
		    "(the newest file is %s)", names[store.other_format]);
	}
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
	if (cfg.events == EVENTS_NONE) {
		size_t used = strlen(sv.run_note);

		snprintf(sv.run_note + used, sizeof(sv.run_note) - used, " events=none");
	}
	/* Some acknowledgement promises "on disk": rotation then syncs too. */
	store.interval = cfg.rotate_interval;
	store.durable = (cfg.relp_port != 0 && cfg.fsync == FSYNC_BATCH) ||
	    cfg.tcp_fsync == FSYNC_BATCH;
	if (pidfd != -1 && pidfile_write(pidfd, cfg.pid_file, err, sizeof(err)) == -1)
		fatalx("%s", err);
	rc = supervisor_run(&sv);
	logstore_close(&store);
	if (pidfd != -1 && pidfile_remove(pidfd, cfg.pid_file, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	return rc;
}
