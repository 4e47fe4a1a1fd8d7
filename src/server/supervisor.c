/* supervisor: accept, fork per client, reap, shut down gracefully. */
#include "supervisor_int.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/prctl.h>

#include "events.h"
#include "log.h"
#include "notify.h"
#include "metrics.h"
#include "record.h"
#include "relp.h"
#include "session.h"
#include "query.h"
#include "sig.h"
#include "timeouts.h"
#include "udp.h"

#define ACCEPTS_PER_WAKE 64
#define EMFILE_PAUSE_MS 100
#define QUEUE_RETRY_MS 100	/* events waiting for the lock are retried this often */
#define SUMMARY_CHECK_MS 5000	/* flood-control summaries are looked for this often */

void
sv_event(struct sv_state *st, const char *fmt, ...)
{
	char text[2048];	/* the start record carries every note and warning */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Never waits for the lock: a stopped child holding it cannot stall us. */
	if (event_write(st->sv->store, st->sv->cfg->format, RL_NONE, NULL, 0, st->stopping,
	    "%s", text) == -1)
		log_warn("cannot write server event '%s' to %s", text, st->sv->cfg->dir);
}

/*
 * SIGHUP: the certificate, key and CA files are read again into a new
 * context, which the connections accepted from now on get; children
 * already running keep the one they were forked with. A new set that does
 * not load leaves the old one in use, and the reason is recorded.
 */
static void
reload_tls(struct sv_state *st)
{
	struct tls_server fresh;
	char err[512], warn[256];

	if (tls_server_init(&fresh, st->sv->cfg, warn, sizeof(warn), err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: TLS not reloaded, the old certificate stays in use: %s", err);
		sv_event(st, "reload: SIGHUP, TLS not reloaded, the old certificate stays in use: %s",
		    err);
		return;
	}
	tls_server_free(&st->sv->tls);
	st->sv->tls = fresh;
	sv_event(st, "reload: SIGHUP, TLS certificate, key and CA read again");
}

/* The receiver's zone for RFC 3164 timestamps (record.c): read here, where
 * the zone file may be opened, and inherited by every child forked after. */
static void
zone_refresh(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) != NULL)
		rec_set_utc_offset(tm.tm_gmtoff);
}

/* The service manager hears of a reload begun and done, and of the stop. */
static void
sv_notify(const char *text)
{
	char err[256];

	int rc = text == NULL ? notify_reloading(err, sizeof(err)) :
	    notify_send(text, err, sizeof(err));

	if (rc == -1)
		log_warnx("%s", err);
}

static void
reload(struct sv_state *st)
{
	char err[512], name[LOGNAME_LEN + 1];
	uint64_t size;

	zone_refresh();
	if (st->sv->store->audit_fd != -1 &&
	    logstore_open_audit(st->sv->store, st->sv->cfg->audit_file, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: %s (audit records keep going to the old one)", err);
		sv_event(st, "reload: SIGHUP, %s; audit records keep going to the old one", err);
	}
	if (st->sv->tls.ctx != NULL)
		reload_tls(st);
	if (logstore_reopen(st->sv->store, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: %s", err);
		return;
	}
	logstore_current(st->sv->store, name, sizeof(name), &size);
	sv_event(st, "reopen: SIGHUP, %swriting to %s", err, name);
	/* SIGHUP also restarts a UDP receiver that waits out its backoff. */
	for (int w = 0; w < st->sv->udp_workers; w++)
		if (st->udp[w].restart_at != 0 && st->udp[w].pid == 0) {
			st->udp[w].restart_at = 0;
			st->udp[w].backoff = 0;
			spawn_udp(st, w);
		}
}

static void
handle_hup(struct sv_state *st)
{
	sig_got_hup = 0;
	sv_notify(NULL);
	reload(st);
	sv_notify("READY=1");
}

/*
 * Closes a connection that may not be served, and records why. The client
 * is told in one line first: a sender never gets bytes from the server
 * otherwise, so logclient knows its messages were not taken.
 */
static void
refuse(struct sv_state *st, int cfd, struct sockaddr_storage *ss, socklen_t sslen,
    enum listener kind, enum mx_refusal reason, const char *why)
{
	const char *what = kind == L_QUERY ? "query from " : "";
	char peer[REC_PEER_MAX], line[192];
	int n;

	/* On the query port in the protocol's own words (docs/PROTOCOL.md). */
	n = snprintf(line, sizeof(line), what[0] != '\0' ? "ERR denied %s\n" :
	    "logserver: refused: %s\n", why);
	if (n > 0)
		(void)!send(cfd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(cfd);
	st->refused++;
	mx_add((enum mx_id)(MX_REFUSED + sv_transport(kind) * MX_NREFUSAL + reason), 1);
	net_format_peer((struct sockaddr *)ss, sslen, peer, sizeof(peer));
	if (event_write(st->sv->store, st->sv->cfg->format, RL_REFUSED, (struct sockaddr *)ss,
	    sslen, 0, "refused %s%s: %s", what, peer, why) == -1)
		log_warn("cannot write a refusal to %s", st->sv->cfg->dir);
}

void
sv_start_child(struct sv_state *st, int cfd, const struct sockaddr_storage *ss, socklen_t sslen,
    enum listener kind, const unsigned char *key, size_t keylen, int count)
{
	struct conn c = { cfd, (struct sockaddr_storage *)ss, sslen };
	char why[128];
	struct child *k;
	pid_t pid;

	/* Counted before the fork, so that what the child counts (a TLS
	 * failure, its messages) is never seen before its connection is. A
	 * failed fork is then also counted as a refusal (reason fork). */
	if (count) {
		st->served++;
		mx_add((enum mx_id)(MX_ACCEPTED + sv_transport(kind)), 1);
	}
	pid = spawn_client(st, &c, kind);
	if (pid == -1) {
		snprintf(why, sizeof(why), "cannot fork: %s", strerror(errno));
		refuse(st, cfd, (struct sockaddr_storage *)ss, sslen, kind, MX_RF_FORK, why);
		return;
	}
	close(cfd);
	k = &st->kids[st->nkids++];
	k->pid = pid;
	k->query = kind == L_QUERY;
	memcpy(k->key, key, keylen);
	k->keylen = keylen;
	(void)addrcount_add(&st->per_ip, key, keylen, k->query);	/* (within its bound) */
	st->nquery += kind == L_QUERY;
	net_format_peer((struct sockaddr *)ss, sslen, k->peer, sizeof(k->peer));
	sv_count_children(st);
}

/* Admits or refuses an accepted connection; an admitted plain TCP or RELP
 * sender waits in the holder for its first byte, a query client gets its
 * child at once (the server speaks first there), and so does TLS. */
static void
spawn(struct sv_state *st, int cfd, struct sockaddr_storage *ss, socklen_t sslen,
    enum listener kind)
{
	int query = kind == L_QUERY;
	const struct server_config *cfg = st->sv->cfg;
	char why[128];

	if (!acl_allows(query ? &st->sv->query_allow : &st->sv->allow, (struct sockaddr *)ss,
	    sslen)) {
		refuse(st, cfd, ss, sslen, kind, MX_RF_ALLOW, query ? "not in query-allow" :
		    "not in allow");
		return;
	}
	unsigned char key[16];
	size_t keylen = net_addr_key((struct sockaddr *)ss, sslen, key);

	/* (a sender's count holds its children and its waiting connections) */
	if (addrcount_get(&st->per_ip, key, keylen, query) >= (size_t)cfg->max_per_ip) {
		snprintf(why, sizeof(why), "max-per-ip (%lld) reached", cfg->max_per_ip);
		refuse(st, cfd, ss, sslen, kind, MX_RF_PER_IP, why);
		return;
	}
	if (query ? st->nquery >= (size_t)cfg->query_max_clients :
	    st->nkids - st->nquery + st->nwaiting >= (size_t)cfg->max_clients) {
		snprintf(why, sizeof(why), "%s (%lld) reached",
		    query ? "query-max-clients" : "max-clients",
		    query ? cfg->query_max_clients : cfg->max_clients);
		refuse(st, cfd, ss, sslen, kind, MX_RF_MAX_CLIENTS, why);
		return;
	}
	/* A TLS client sends its ClientHello at once, and its handshake
	 * deadline runs in the child: TLS ports are not held. */
	if ((kind == L_TCP || kind == L_RELP) &&
	    waiting_hold(st, cfd, ss, sslen, kind, key, keylen) == 0) {
		st->served++;
		mx_add((enum mx_id)(MX_ACCEPTED + sv_transport(kind)), 1);
	} else {
		sv_start_child(st, cfd, ss, sslen, kind, key, keylen, 1);
	}
}

/* Returns -1 when accept() ran out of descriptors (pause accepting). */
static int
accept_some(struct sv_state *st, int lfd, enum listener kind)
{
	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int cfd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);

		if (cfd == -1) {
			if ((errno == EMFILE || errno == ENFILE) && st->spare_fd != -1) {
				/* Out of descriptors: give up the spare one to take the
				 * connection off the queue and close it, so the queue
				 * neither fills nor makes poll() spin. */
				close(st->spare_fd);
				cfd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
				if (cfd != -1)
					refuse(st, cfd, &ss, sslen, kind, MX_RF_NO_FDS,
					    "out of file descriptors");
				st->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
				if (cfd != -1)
					continue;
			}
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept");
				return -1;
			}
			return 0;	/* EAGAIN, ECONNABORTED, EINTR ... */
		}
		spawn(st, cfd, &ss, sslen, kind);
		if (sig_got_chld)
			reap(st);
	}
	return 0;
}

static void
read_stdin(struct sv_state *st)
{
	char buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			st->stdin_watch = 0;	/* EOF on the terminal: stop watching */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (st->stdin_len < sizeof(st->stdin_line) - 1)
				st->stdin_line[st->stdin_len++] = buf[i];
			continue;
		}
		st->stdin_line[st->stdin_len] = '\0';
		if (strcmp(st->stdin_line, "quit") == 0)
			st->stop_reason = "quit typed on the terminal";
		else if (st->stdin_len > 0)
			log_info("type 'quit' to stop the server");
		st->stdin_len = 0;
	}
}

/* Appends label and the local addresses of fds to buf, and makes the
 * sockets non-blocking for accept_some(). */
static void
append_addrs(char *buf, size_t cap, const char *label, const int *fds, int n)
{
	size_t used = strlen(buf);

	for (int i = 0; i < n; i++) {
		const char *sep = i == 0 ? label : ",";
		size_t seplen = strlen(sep);

		net_set_nonblock(fds[i]);
		if (used + seplen + 2 >= cap)
			continue;
		memcpy(buf + used, sep, seplen + 1);
		used += seplen;
		used += net_format_local(fds[i], buf + used, cap - used);
	}
}

/* How long poll() may sleep: queued events, a due UDP restart, and the
 * flood-control summaries each want a wake-up. */
static int
loop_timeout(struct sv_state *st, int paused_ms)
{
	int ms = SUMMARY_CHECK_MS;

	if (paused_ms > 0 && paused_ms < ms)
		ms = paused_ms;
	if (events_flush(st->sv->store, st->sv->cfg->format, 0) > 0 && ms > QUEUE_RETRY_MS)
		ms = QUEUE_RETRY_MS;
	for (int w = 0; w <= st->sv->udp_workers + 1; w++) {
		const struct udp_worker *u = w < st->sv->udp_workers ? &st->udp[w] :
		    w == st->sv->udp_workers ? &st->metrics : &st->holder;
		long long left = u->restart_at - ct_now_ms();

		if (u->restart_at != 0 && left < ms)
			ms = left < 0 ? 0 : (int)left;
	}
	if (st->next_stats != 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		long long left = ((long long)st->next_stats - now.tv_sec) * 1000;
		if (left < ms)
			ms = left < 0 ? 0 : (int)left;
	}
	return ms;
}

/* After every wake-up: a due UDP or metrics restart, summaries and
 * statistics that are due. */
static void
housekeeping(struct sv_state *st)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int w = 0; w < st->sv->udp_workers; w++)
		if (st->udp[w].restart_at != 0 && ct_now_ms() >= st->udp[w].restart_at &&
		    st->udp[w].pid == 0) {
			st->udp[w].restart_at = 0;
			spawn_udp(st, w);
		}
	if (st->metrics.restart_at != 0 && ct_now_ms() >= st->metrics.restart_at &&
	    st->metrics.pid == 0) {
		st->metrics.restart_at = 0;
		spawn_metrics(st);
	}
	if (st->holder.restart_at != 0 && ct_now_ms() >= st->holder.restart_at &&
	    st->holder.pid == 0) {
		st->holder.restart_at = 0;
		spawn_holder(st);
	}
	if (st->next_stats != 0 && now.tv_sec >= st->next_stats) {
		sv_stats(st, "periodic");
		st->next_stats = now.tv_sec + st->sv->cfg->stats_interval;
	}
	if (now.tv_sec >= st->next_summary) {
		(void)logstore_summaries(st->sv->store, 0, 0);
		st->next_summary = now.tv_sec + SUMMARY_CHECK_MS / 1000;
	}
}

int
supervisor_run(struct supervisor *sv)
{
	const struct server_config *cfg = sv->cfg;
	struct pollfd pfds[L_NKINDS * NET_MAX_LISTEN + 2];
	enum listener pkind[L_NKINDS * NET_MAX_LISTEN + 2];
	/* every listening socket, by the kind of child its clients get */
	const struct { int *fds, *n; enum listener kind; } groups[] = {
		{ sv->lfds, &sv->nlfds, L_TCP }, { sv->tfds, &sv->ntfds, L_TLS },
		{ sv->rfds, &sv->nrfds, L_RELP }, { sv->rtfds, &sv->nrtfds, L_RELP_TLS },
		{ sv->qfds, &sv->nqfds, L_QUERY },
	};
	const size_t ngroups = sizeof(groups) / sizeof(groups[0]);
	struct sv_state st;
	char name[LOGNAME_LEN + 1], where[384] = "";
	uint64_t size;
	int sigfd, paused_ms = 0;

	memset(&st, 0, sizeof(st));
	st.sv = sv;
	st.kids = calloc((size_t)(cfg->max_clients + cfg->query_max_clients), sizeof(*st.kids));
	if (st.kids == NULL || waiting_init(&st) == -1) {
		log_warnx("out of memory for %lld client slots", cfg->max_clients);
		free(st.kids);
		return 1;
	}
	zone_refresh();		/* before the first fork */
	sigfd = sig_init_supervisor();
	if (sigfd == -1) {
		log_warn("cannot create the signal pipe");
		free(st.kids);
		return 1;
	}
	st.stdin_watch = isatty(STDIN_FILENO);
	st.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	append_addrs(where, sizeof(where), "", sv->lfds, sv->nlfds);
	append_addrs(where, sizeof(where), " tls=", sv->tfds, sv->ntfds);
	append_addrs(where, sizeof(where), " relp=", sv->rfds, sv->nrfds);
	append_addrs(where, sizeof(where), " relp-tls=", sv->rtfds, sv->nrtfds);
	append_addrs(where, sizeof(where), cfg->query_tls ? " query-tls=" : " query=", sv->qfds,
	    sv->nqfds);
	append_addrs(where, sizeof(where), " metrics=", sv->mfds, sv->nmfds);
	if (sv->ntfds > 0 || sv->nrtfds > 0 || cfg->query_tls)
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " tls-auth=%s",
		    tls_auth_name(sv->tls.auth));
	logstore_current(sv->store, name, sizeof(name), &size);
	char ignored[96] = "";
	if (sv->store->foreign > 0)
		snprintf(ignored, sizeof(ignored), " ignored=%lu (symlinks or files not ours, named "
		    "like ours)", sv->store->foreign);
	st.stopping = 1;	/* the start record may wait for the lock */
	sv_event(&st, "start version=%s pid=%ld listen=%s%s dir=%s file=%s max-size=%lld "
	    "max-files=%lld format=%s%s%s%s%s%s", LOGSERVER_VERSION, (long)getpid(), where,
	    sv->udp_note, cfg->dir, name, cfg->max_size, cfg->max_files,
	    cfg->format == REC_JSON ? "json" : cfg->format == REC_RAW ? "raw" : "text",
	    sv->run_note, sv->listen_note[0] ? " note=" : "", sv->listen_note, ignored,
	    sv->warn_note);
	st.stopping = 0;
	for (int w = 0; w < sv->udp_workers; w++)
		spawn_udp(&st, w);
	spawn_metrics(&st);
	spawn_holder(&st);
	sv_count_children(&st);
	sv_note_listeners(&st);
	if (cfg->stats_interval > 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		st.next_stats = now.tv_sec + cfg->stats_interval;
	}
	log_info("listening on %s, writing to %s/%s%s", where, cfg->dir, name,
	    st.stdin_watch ? " (type 'quit' to stop)" : "");
	sv_notify("READY=1");	/* every port is bound, the store open */

	while (!sig_got_term && st.stop_reason == NULL) {
		int n = 0, sig_i, stdin_i = -1, hold_i = -1, r;

		pfds[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		sig_i = 0;
		for (size_t g = 0; g < ngroups && paused_ms == 0; g++)
			for (int i = 0; i < *groups[g].n; i++) {
				pkind[n] = groups[g].kind;
				pfds[n++] = (struct pollfd){ .fd = groups[g].fds[i], .events = POLLIN };
			}
		if (st.hold_sock != -1) {
			hold_i = n;
			pfds[n++] = (struct pollfd){ .fd = st.hold_sock, .events = POLLIN };
		}
		if (st.stdin_watch) {
			stdin_i = n;
			pfds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		r = poll(pfds, (nfds_t)n, loop_timeout(&st, paused_ms));
		int poll_errno = errno;	/* housekeeping() may set errno */

		paused_ms = 0;
		housekeeping(&st);
		if (r == -1 && poll_errno == ENOMEM) {
			/* the kernel short of memory for the poll table: wait, retry */
			errno = poll_errno;
			log_warn("poll (retrying in %d ms)", EMFILE_PAUSE_MS);
			paused_ms = EMFILE_PAUSE_MS;
		} else if (r == -1 && poll_errno != EINTR) {
			errno = poll_errno;
			log_warn("poll");
			break;
		}
		if (r > 0 && (pfds[sig_i].revents & POLLIN))
			sig_drain();
		if (sig_got_chld)
			reap(&st);
		if (sig_got_hup)
			handle_hup(&st);
		if (r <= 0)
			continue;
		for (int i = 1; i < n; i++) {
			if (i == stdin_i) {
				if (pfds[i].revents & (POLLIN | POLLHUP))
					read_stdin(&st);
			} else if (i == hold_i) {
				if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
					waiting_input(&st);
			} else if (pfds[i].revents & POLLIN) {
				if (accept_some(&st, pfds[i].fd, pkind[i]) == -1)
					paused_ms = EMFILE_PAUSE_MS;
			}
		}
	}
	if (st.stop_reason == NULL)
		st.stop_reason = sig_got_term == SIGINT ? "SIGINT" : "SIGTERM";
	sv_notify("STOPPING=1");
	waiting_lost(&st, "the server is stopping");
	for (size_t g = 0; g < ngroups; g++) {
		for (int i = 0; i < *groups[g].n; i++)
			close(groups[g].fds[i]);
		*groups[g].n = 0;
	}
	shutdown_children(&st, sigfd);
	for (int w = 0; w < sv->udp_workers; w++)
		for (int i = 0; i < sv->nufds; i++)
			close(sv->ufds[w * NET_MAX_LISTEN + i]);
	sv->nufds = 0;
	(void)events_flush(sv->store, cfg->format, 1);
	(void)logstore_summaries(sv->store, 1, 1);
	sv_stats(&st, "shutdown");
	/* The totals are in the stats (shutdown) records just before; this
	 * line keeps its layout for what already parses it. */
	sv_event(&st, "stop: %s; clients served=%llu refused=%llu", st.stop_reason, st.served,
	    st.refused);
	log_info("stopped (%s)", st.stop_reason);
	if (st.spare_fd != -1)
		close(st.spare_fd);
	free(st.kids);
	waiting_free(&st);
	return 0;
}
