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

#include "addrcount.h"
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

/* An accepted sender connection that waits in the holder for its first
 * byte (holder.h); its slot number is its index in sv_state.wait. */
struct waiting {
	int used;
	int kind;		/* enum listener */
	socklen_t sslen;
	struct sockaddr_storage ss;
	unsigned char key[16];	/* as struct child's */
	size_t keylen;
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
	} udp[UDP_WORKERS_MAX], metrics, holder;	/* the --metrics-port child and the
						 * connection holder, restarted alike */
	int hold_sock;		/* the supervisor's end of the holder's socket, -1: none */
	struct waiting *wait;	/* --max-clients slots */
	unsigned *wfree;	/* the free slot numbers, nwfree of them */
	size_t nwfree, nwaiting;
	struct addrcount per_ip;	/* children and waiting connections per address and
					 * class (senders 0, query 1), for --max-per-ip */
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
/* Starts the connection holder (holder.h), when a sender port is open. */
void spawn_holder(struct sv_state *st);
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

/* waiting.c: the supervisor's side of the holder */
/* Allocates the slots and the per-address counts. Returns -1 when out of
 * memory. */
int waiting_init(struct sv_state *st);
void waiting_free(struct sv_state *st);
/* Hands an accepted sender connection to the holder. Returns 0 (cfd is
 * closed), or -1 when it cannot (no holder, its socket full): fork now. */
int waiting_hold(struct sv_state *st, int cfd, const struct sockaddr_storage *ss, socklen_t sslen,
    enum listener kind, const unsigned char *key, size_t keylen);
/* Reads the holder's messages: starts the children of connections that
 * became readable, records those it closed as idle. */
void waiting_input(struct sv_state *st);
/* The holder is gone (why: for the record): its connections are closed. */
void waiting_lost(struct sv_state *st, const char *why);

/* supervisor.c: forks the child of an admitted connection (cfd is closed);
 * count: it was not counted as accepted yet. */
void sv_start_child(struct sv_state *st, int cfd, const struct sockaddr_storage *ss,
    socklen_t sslen, enum listener kind, const unsigned char *key, size_t keylen, int count);

#endif
