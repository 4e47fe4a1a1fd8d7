/*
 * supervisor: the parent process. Accepts TCP clients and forks one child
 * per client (the parent closes the connected socket, the child closes the
 * listeners), reaps children, enforces --max-clients, and writes the
 * server's own events (start, stop, refusals, abnormal child exits).
 *
 * The query port is served the same way: one child per connection
 * (query.h), at most query-max-clients at once. Both ports check their
 * allow-list before forking; a refusal is a server event.
 * Syslog over TLS (tls_session.h) is served like TCP, counted with the
 * senders; its handshake runs in the child.
 * It also runs the UDP receiver (udp.h) as a child of its own, restarted
 * if it dies.
 *
 * Contract: supervisor_run() owns the listening sockets and returns the
 * process exit status after a graceful stop (SIGTERM, SIGINT, or "quit" on
 * a terminal stdin): stop accepting, SIGTERM the children, wait for them at
 * most shutdown_timeout seconds (SIGKILL after that), write the stop record.
 * SIGHUP reopens the log file. Children never return into this code: they
 * leave with _exit().
 */
#ifndef LOGSERVER_SUPERVISOR_H
#define LOGSERVER_SUPERVISOR_H

#include <sys/types.h>

#include "acl.h"
#include "config.h"
#include "logstore.h"
#include "net.h"
#include "tls.h"
#include "udp.h"

struct supervisor {
	const struct server_config *cfg;
	struct logstore *store;
	int lfds[NET_MAX_LISTEN];	/* TCP listeners */
	int nlfds;
	/* UDP sockets: receiver w serves ufds[w * NET_MAX_LISTEN ..], nufds of
	 * them; with several receivers each has its own, bound with
	 * SO_REUSEPORT, and the kernel keeps each sender on one of them. */
	int ufds[UDP_WORKERS_MAX * NET_MAX_LISTEN];
	int nufds;
	int udp_workers;
	int rfds[NET_MAX_LISTEN];	/* RELP listeners */
	int nrfds;
	int qfds[NET_MAX_LISTEN];	/* query service listeners */
	int nqfds;
	int tfds[NET_MAX_LISTEN];	/* syslog over TLS listeners */
	int ntfds;
	int rtfds[NET_MAX_LISTEN];	/* RELP over TLS listeners */
	int nrtfds;
	int mfds[NET_MAX_LISTEN];	/* the metrics endpoint (--metrics-port) */
	int nmfds;
	struct tls_server tls;		/* loaded before the first fork */
	struct acl allow;		/* who may send (TCP here, UDP in udp.c) */
	struct acl query_allow;		/* who may query */
	const char *token;		/* query token, or NULL */
	size_t tokenlen;
	char listen_note[256];
	char udp_note[256];
	char run_note[256];		/* " user=U group=G sandbox=..." for the start record */
	char warn_note[704];		/* " warning=\"...\"": start-up warnings, same record */
};

int supervisor_run(struct supervisor *sv);

#endif
