/*
 * supervisor_int: the supervisor's state, shared by supervisor.c (the
 * accept loop, refusals, SIGHUP) and children.c (forking, sandboxing,
 * reaping and stopping the children). Not for other modules.
 */
#ifndef LOGSERVER_SUPERVISOR_INT_H
#define LOGSERVER_SUPERVISOR_INT_H

#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "record.h"
#include "supervisor.h"

#define UDP_BACKOFF_FIRST 250	/* ms before the second restart in a row */
#define UDP_BACKOFF_MAX 30000	/* ms between restarts of a receiver that keeps failing */
#define UDP_STABLE 10000	/* ms: a receiver that ran this long restarts at once */

struct child {
	pid_t pid;
	int query;		/* a query connection, not a sender */
	unsigned char key[16];	/* the peer's address, for --max-per-ip */
	size_t keylen;
	char peer[REC_PEER_MAX];
};

struct sv_state {
	struct supervisor *sv;
	struct child *kids;	/* senders and query connections */
	size_t nkids;
	size_t nquery;		/* of which query connections */
	unsigned long long served, refused;
	int stdin_watch;
	char stdin_line[64];
	size_t stdin_len;
	const char *stop_reason;
	struct rec_clock clk;
	struct udp_worker {	/* the UDP receivers, --udp-workers */
		pid_t pid;		/* 0 when none */
		long long started;	/* monotonic ms */
		long long restart_at;	/* a restart is due then (0: none pending) */
		long long backoff;	/* ms, doubled while it keeps failing */
	} udp[UDP_WORKERS_MAX], metrics;	/* metrics: the --metrics-port child, restarted alike */
	unsigned listening;	/* 1 << enum mx_transport: the transports served */
	time_t next_stats;	/* monotonic s: the next --stats-interval record */
	time_t next_summary;	/* when to look for flood-control summaries */
	int spare_fd;		/* given up to accept-and-close when out of descriptors */
	int stopping;
};


/* A connection handed to a child. */
struct conn {
	int fd;
	struct sockaddr_storage *ss;
	socklen_t sslen;
};

enum listener { L_TCP, L_TLS, L_RELP, L_RELP_TLS, L_QUERY, L_NKINDS };

/* sv_stats.c */
/* The metrics transport of a listener kind (enum mx_transport). */
int sv_transport(enum listener kind);
/* Sets the live-children gauges. */
void sv_count_children(const struct sv_state *st);
/* Notes which transports have listeners, for the statistics records. */
void sv_note_listeners(struct sv_state *st);
/* Writes the statistics records (when: "periodic", "shutdown"). */
void sv_stats(struct sv_state *st, const char *when);

/* Writes one server event now (never waits for the lock). */
void sv_event(struct sv_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* children.c */
pid_t spawn_client(struct sv_state *st, struct conn *c, enum listener kind);
/* Starts UDP receiver w (0 .. --udp-workers - 1). */
void spawn_udp(struct sv_state *st, int w);
/* Starts the metrics child (--metrics-port). */
void spawn_metrics(struct sv_state *st);
/* UDP receivers and the metrics child running. */
int helpers_alive(const struct sv_state *st);
/* Sends sig to every UDP receiver and the metrics child. */
void helpers_signal(const struct sv_state *st, int sig);
void reap(struct sv_state *st);
void shutdown_children(struct sv_state *st, int sigfd);

#endif
