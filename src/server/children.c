/* children: fork, confine, reap and stop the supervisor's children. */
#include "supervisor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "holder.h"
#include "log.h"
#include "metrics_http.h"
#include "net.h"
#include "query.h"
#include "relp.h"
#include "sandbox.h"
#include "session.h"
#include "sig.h"
#include "stream.h"
#include "timeouts.h"
#include "tls_session.h"
#include "udp.h"

/* "signal N", "status N", or what its sandbox stopped, for the records. */
static const char *
how_it_ended(pid_t pid, int status, char *buf, size_t cap)
{
	char call[96];

	if (WIFEXITED(status) && WEXITSTATUS(status) == SANDBOX_EXIT &&
	    sandbox_lookup(pid, call, sizeof(call)) == 0)
		snprintf(buf, cap, "killed by its sandbox: forbidden system call %s", call);
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
	return buf;
}

/*
 * A UDP receiver or the metrics child ended: unless the server is stopping,
 * it is started again, at once when it had run UDP_STABLE ms, else after a
 * backoff that doubles while it keeps failing.
 */
#define HELPER_HOLDER (-2)	/* helper_ended()'s w for the holder (-1: metrics) */
#define HOLDER_HELLO_MS 1000	/* how long spawn_holder() waits for its hello */

static void
helper_ended(struct sv_state *st, struct udp_worker *u, pid_t pid, int status, const char *what,
    int w)
{
	char how[160];

	u->pid = 0;
	/* Ctrl-C reaches the whole process group: the helper may end
	 * before this process has seen its own SIGINT. */
	if (st->stopping || sig_got_term)
		return;
	long long now = ct_now_ms();

	if (now - u->started >= UDP_STABLE)
		u->backoff = 0;
	u->restart_at = now + u->backoff;
	sv_event(st, "%s %ld ended unexpectedly (%s); restarting it in %lld ms", what, (long)pid,
	    how_it_ended(pid, status, how, sizeof(how)), u->backoff);
	u->backoff = u->backoff == 0 ? UDP_BACKOFF_FIRST :
	    u->backoff * 2 > UDP_BACKOFF_MAX ? UDP_BACKOFF_MAX : u->backoff * 2;
	if (u->restart_at <= now) {
		u->restart_at = 0;
		if (w == HELPER_HOLDER)
			spawn_holder(st);
		else if (w < 0)
			spawn_metrics(st);
		else
			spawn_udp(st, w);
	}
}

static void
kid_remove(struct sv_state *st, pid_t pid, int status)
{
	char how[160];

	if (pid == st->holder.pid) {
		char why[64];

		snprintf(why, sizeof(why), "connection holder %ld ended", (long)pid);
		waiting_lost(st, why);
		helper_ended(st, &st->holder, pid, status, "connection holder", HELPER_HOLDER);
		sv_count_children(st);
		return;
	}
	if (pid == st->metrics.pid) {
		helper_ended(st, &st->metrics, pid, status, "metrics child", -1);
		sv_count_children(st);	/* (a restart counted itself) */
		return;
	}
	for (int w = 0; w < st->sv->udp_workers; w++)
		if (pid == st->udp[w].pid) {
			helper_ended(st, &st->udp[w], pid, status, "UDP receiver", w);
			sv_count_children(st);
			return;
		}
	for (size_t i = 0; i < st->nkids; i++) {
		if (st->kids[i].pid != pid)
			continue;
		if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
			sv_event(st, "child %ld serving %s %s", (long)pid, st->kids[i].peer,
			    how_it_ended(pid, status, how, sizeof(how)));
		st->nquery -= st->kids[i].query != 0;
		addrcount_del(&st->per_ip, st->kids[i].key, st->kids[i].keylen,
		    st->kids[i].query != 0);
		st->kids[i] = st->kids[--st->nkids];
		sv_count_children(st);
		return;
	}
}

void
reap(struct sv_state *st)
{
	pid_t pid;
	int status;

	sig_got_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		kid_remove(st, pid, status);
}

/*
 * Forks a child that closes what it does not own (the listeners, the UDP
 * sockets unless it is the UDP receiver, the audit file unless it is a
 * query child, stdin), installs the children's
 * signal handling before anything can reach it, and enters the sandbox of
 * its kind. Returns the pid in the parent; the child runs body and leaves
 * with _exit().
 */
static pid_t
fork_child(struct sv_state *st, enum sandbox_kind kind, int (*body)(struct sv_state *, void *,
    const sigset_t *), void *arg)
{
	sigset_t all, old;
	pid_t pid, parent = getpid();

	/* Signals stay blocked across fork so the child installs its own first. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		sigset_t waitmask;
		int devnull;

		if (kind == SANDBOX_HOLDER) {	/* (ps and the tests tell it from the others) */
			(void)prctl(PR_SET_NAME, "logserver-hold", 0, 0, 0);
			if (holder_rlimit((size_t)st->sv->cfg->max_clients) == -1)
				log_warnx("connection holder: the descriptor limit (ulimit -n, "
				    "LimitNOFILE=) is below --max-clients %lld: connections over it "
				    "are closed", st->sv->cfg->max_clients);
		}

		/* Die with the supervisor: no orphan may write into a directory
		 * that a new server owns. The alive lock makes a new server wait
		 * until this process is gone; the parent check closes the race
		 * with a supervisor that died before the two were in place. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    logstore_child_alive(st->sv->store) == -1 || getppid() != parent)
			_exit(1);

		for (int i = 0; i < st->sv->nlfds; i++)
			close(st->sv->lfds[i]);
		for (int i = 0; i < st->sv->nqfds; i++)
			close(st->sv->qfds[i]);
		for (int i = 0; i < st->sv->nrfds; i++)
			close(st->sv->rfds[i]);
		for (int i = 0; i < st->sv->ntfds; i++)
			close(st->sv->tfds[i]);
		for (int i = 0; i < st->sv->nrtfds; i++)
			close(st->sv->rtfds[i]);
		/* The holder and the metrics child write nothing: they keep no
		 * log file open (one deleted by retention would stay on disk
		 * for as long as they live), only the lock that says they are
		 * alive. */
		if (kind == SANDBOX_HOLDER || kind == SANDBOX_METRICS) {
			if (st->sv->store->fd != -1)
				close(st->sv->store->fd);
			st->sv->store->fd = -1;
		}
		/* The audit file is the query children's only. */
		if (kind != SANDBOX_QUERY && st->sv->store->audit_fd != -1) {
			close(st->sv->store->audit_fd);
			st->sv->store->audit_fd = -1;
		}
		if (kind != SANDBOX_METRICS)
			for (int i = 0; i < st->sv->nmfds; i++)
				close(st->sv->mfds[i]);
		if (st->hold_sock != -1)	/* (the holder gets its own end) */
			close(st->hold_sock);
		/* A UDP receiver keeps its own sockets only (arg: its index). */
		for (int w = 0; w < st->sv->udp_workers; w++)
			if (kind != SANDBOX_UDP || w != *(const int *)arg)
				for (int i = 0; i < st->sv->nufds; i++)
					close(st->sv->ufds[w * NET_MAX_LISTEN + i]);
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull != -1) {
			dup2(devnull, STDIN_FILENO);
			close(devnull);
		}
		sig_init_child(&old, &waitmask);
		if (kind == SANDBOX_METRICS) {
			char err[256];

			if (metrics_http_load(err, sizeof(err)) == -1) {
				log_warnx("%s", err);
				_exit(1);
			}
		}
		if (st->sv->cfg->sandbox) {
			char err[256];

			if (sandbox_enter(kind, st->sv->store->dirfd, err, sizeof(err)) == -1) {
				log_warnx("%s", err);
				_exit(1);
			}
		}
		_exit(body(st, arg, &waitmask));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* What a child's serve step needs: the supervisor's state and the socket. */
struct served {
	struct sv_state *st;
	struct conn *c;
	const sigset_t *waitmask;
};

static int
serve_syslog(struct stream *s, const char *tls_peer, void *arg)
{
	struct served *v = arg;

	return session_run(s, (struct sockaddr *)v->c->ss, v->c->sslen, tls_peer, v->st->sv->cfg,
	    v->st->sv->store, v->waitmask);
}

static int
serve_relp(struct stream *s, const char *tls_peer, void *arg)
{
	struct served *v = arg;

	return relp_run(s, (struct sockaddr *)v->c->ss, v->c->sslen, tls_peer, v->st->sv->cfg,
	    v->st->sv->store, v->waitmask);
}

static int
serve_query(struct stream *s, const char *tls_peer, void *arg)
{
	struct served *v = arg;

	return query_run(s, (struct sockaddr *)v->c->ss, v->c->sslen, tls_peer, v->st->sv->cfg,
	    v->st->sv->store, v->st->sv->token, v->st->sv->tokenlen, v->waitmask);
}

static const tls_serve_fn serve_fns[L_NKINDS] = {
	[L_TCP] = serve_syslog, [L_TLS] = serve_syslog, [L_RELP] = serve_relp,
	[L_RELP_TLS] = serve_relp, [L_QUERY] = serve_query,
};

/* The child's body: a plain connection is served at once; a TLS one after
 * its handshake, in the same child and under the same sandbox. */
static int
client_body(struct sv_state *st, struct conn *c, enum listener kind, const sigset_t *waitmask)
{
	const struct server_config *cfg = st->sv->cfg;
	struct served v = { st, c, waitmask };
	char hint[160];
	struct stream s;

	if (kind == L_TLS || kind == L_RELP_TLS || (kind == L_QUERY && cfg->query_tls)) {
		if (kind == L_TLS)
			snprintf(hint, sizeof(hint), "logserver: refused: this is the TLS port; plain "
			    "TCP goes to port %lld (--port)\n", cfg->port);
		else if (kind == L_RELP_TLS)
			snprintf(hint, sizeof(hint), "logserver: refused: this is the RELP over TLS "
			    "port; plain RELP goes to port %lld (--relp-port)\n", cfg->relp_port);
		else
			snprintf(hint, sizeof(hint), "logserver: refused: this query port speaks TLS "
			    "(--query-tls on): use logclient --tls\n");
		return tls_session_run(c->fd, (struct sockaddr *)c->ss, c->sslen, &st->sv->tls, cfg,
		    st->sv->store, waitmask, hint, serve_fns[kind], &v);
	}
	stream_plain(&s, c->fd);
	return serve_fns[kind](&s, NULL, &v);
}

#define BODY(name, kind) \
	static int name(struct sv_state *st, void *arg, const sigset_t *waitmask) \
	{ return client_body(st, arg, kind, waitmask); }
BODY(tcp_body, L_TCP)
BODY(tls_body, L_TLS)
BODY(relp_body, L_RELP)
BODY(relp_tls_body, L_RELP_TLS)
BODY(query_body, L_QUERY)

static int
udp_body(struct sv_state *st, void *arg, const sigset_t *waitmask)
{
	int w = *(const int *)arg;

	return udp_run(st->sv->ufds + w * NET_MAX_LISTEN, st->sv->nufds, w, st->sv->cfg,
	    st->sv->store, &st->sv->allow, waitmask);
}

static int
metrics_body(struct sv_state *st, void *arg, const sigset_t *waitmask)
{
	(void)arg;
	return metrics_http_run(st->sv->mfds, st->sv->nmfds, waitmask);
}

pid_t
spawn_client(struct sv_state *st, struct conn *c, enum listener kind)
{
	switch (kind) {
	case L_QUERY:
		return fork_child(st, SANDBOX_QUERY, query_body, c);
	case L_RELP:
		return fork_child(st, SANDBOX_RELP, relp_body, c);
	case L_RELP_TLS:
		return fork_child(st, SANDBOX_RELP, relp_tls_body, c);
	case L_TLS:	/* a TCP session once the handshake is done */
		return fork_child(st, SANDBOX_SESSION, tls_body, c);
	default:
		return fork_child(st, SANDBOX_SESSION, tcp_body, c);
	}
}

/* Forks a UDP receiver or the metrics child into u; a failed fork is tried
 * again in UDP_BACKOFF_MAX ms. */
static void
spawn_helper(struct sv_state *st, struct udp_worker *u, enum sandbox_kind kind,
    int (*body)(struct sv_state *, void *, const sigset_t *), void *arg, const char *what)
{
	pid_t pid;

	u->started = ct_now_ms();
	pid = fork_child(st, kind, body, arg);
	if (pid == -1) {
		sv_event(st, "cannot start the %s: %s; trying again in %d s", what,
		    strerror(errno), UDP_BACKOFF_MAX / 1000);
		u->restart_at = u->started + UDP_BACKOFF_MAX;
	} else {
		u->pid = pid;
	}
	sv_count_children(st);
}

void
spawn_udp(struct sv_state *st, int w)
{
	static const int index[UDP_WORKERS_MAX] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15 };

	if (st->sv->nufds > 0)
		spawn_helper(st, &st->udp[w], SANDBOX_UDP, udp_body, (void *)&index[w],
		    "UDP receiver");
}

void
spawn_metrics(struct sv_state *st)
{
	if (st->sv->nmfds > 0)
		spawn_helper(st, &st->metrics, SANDBOX_METRICS, metrics_body, NULL,
		    "metrics child");
}

static int
holder_body(struct sv_state *st, void *arg, const sigset_t *waitmask)
{
	return holder_run(*(const int *)arg, (size_t)st->sv->cfg->max_clients,
	    st->sv->cfg->idle_timeout * 1000, waitmask);
}

void
spawn_holder(struct sv_state *st)
{
	int sp[2];

	if (st->sv->nlfds + st->sv->nrfds == 0)
		return;
	/* The supervisor's end never blocks (a full socket: that connection
	 * gets its child at once); the holder's end blocks. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    net_set_nonblock(sp[0]) == -1) {
		sv_event(st, "cannot start the connection holder: %s; senders get their children "
		    "at once", strerror(errno));
		return;
	}
	spawn_helper(st, &st->holder, SANDBOX_HOLDER, holder_body, &sp[1], "connection holder");
	close(sp[1]);
	if (st->holder.pid <= 0) {
		close(sp[0]);
		return;
	}
	st->hold_sock = sp[0];
	/* Its hello says it is named and in its sandbox: from then on ps (and
	 * a test) can tell it from a connection's child. Bounded: without it,
	 * connections go to it all the same. */
	struct pollfd pfd = { .fd = sp[0], .events = POLLIN };
	struct hold_msg m = { 0, 0, 0 };
	int fd;

	if (poll(&pfd, 1, HOLDER_HELLO_MS) == 1 && hold_recv(sp[0], &m, &fd) == 1 && fd != -1)
		close(fd);
}

int
helpers_alive(const struct sv_state *st)
{
	int n = (st->metrics.pid > 0) + (st->holder.pid > 0);

	for (int w = 0; w < st->sv->udp_workers; w++)
		n += st->udp[w].pid > 0;
	return n;
}

void
helpers_signal(const struct sv_state *st, int sig)
{
	for (int w = 0; w < st->sv->udp_workers; w++)
		if (st->udp[w].pid > 0)
			kill(st->udp[w].pid, sig);
	if (st->metrics.pid > 0)
		kill(st->metrics.pid, sig);
	if (st->holder.pid > 0)
		kill(st->holder.pid, sig);
}

static long
ms_until(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

void
shutdown_children(struct sv_state *st, int sigfd)
{
	const struct server_config *cfg = st->sv->cfg;
	struct timespec deadline;
	size_t killed = 0;

	st->stopping = 1;
	for (size_t i = 0; i < st->nkids; i++)
		kill(st->kids[i].pid, SIGTERM);
	helpers_signal(st, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += cfg->shutdown_timeout;
	reap(st);
	while (st->nkids > 0 || helpers_alive(st) > 0) {
		struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
		long ms = ms_until(&deadline);

		if (ms == 0)
			break;
		if (poll(&pfd, 1, (int)(ms > 1000 ? 1000 : ms)) > 0)
			sig_drain();
		reap(st);
	}
	if (st->nkids > 0 || helpers_alive(st) > 0) {
		for (size_t i = 0; i < st->nkids; i++)
			kill(st->kids[i].pid, SIGKILL);
		helpers_signal(st, SIGKILL);
		killed = st->nkids + (size_t)helpers_alive(st);
		while (st->nkids > 0 || helpers_alive(st) > 0) {
			int status;
			pid_t pid = waitpid(-1, &status, 0);
			if (pid == -1 && errno != EINTR)
				break;
			if (pid > 0)
				kid_remove(st, pid, status);
		}
		st->nkids = 0;
		for (int w = 0; w < st->sv->udp_workers; w++)
			st->udp[w].pid = 0;
		st->metrics.pid = 0;
		st->holder.pid = 0;
		sv_event(st, "shutdown: %zu children did not finish within %llds and were killed",
		    killed, (long long)cfg->shutdown_timeout);
	}
}

