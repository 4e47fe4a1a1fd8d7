/*
 * client_sender: the state logclient's RELP sender shares between its loop
 * (client_send.c: input, window, deadlines, report) and its connection
 * (client_conn.c: connect, open, frames out, answers in, breaking). Internal
 * to those two files.
 */
#ifndef LOGSERVER_CLIENT_SENDER_H
#define LOGSERVER_CLIENT_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "client_lines.h"
#include "client_relp.h"
#include "config.h"
#include "relp_frame.h"
#include "stream.h"

#define IN_CAP (64 * 1024)		/* the server's frames not yet parsed */
#define OUT_CAP (4 * (LINES_MSG_MAX + RELP_FRAME_OVERHEAD))
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define NEVER INT64_MAX
#define HINT_PORT " (is logserver listening there for RELP? -p names its --relp-port " \
    "(--relp-tls-port with --tls); --plain sends to its plain --port)"

struct msg {
	uint64_t seq;		/* message number, 1, 2, ... over the whole run */
	uint32_t txnr;		/* of its syslog frame on this connection */
	size_t len;
	char *data;
};

enum conn { DOWN, OPENING, OPEN, CLOSING, CLOSED };

struct sender {
	const struct client_config *cfg;
	int port;
	char peer[300];		/* HOST:PORT, for messages */
	char session[CRELP_SESSION_HEX + 1];

	/* The window: unacknowledged messages, oldest at head. */
	struct msg *ring;
	size_t cap, head, count;
	size_t sent;		/* of them, framed on this connection */
	uint64_t next_seq;	/* the next message's number */

	/* The connection: io.fd -1 when there is none; TLS with --tls. */
	struct stream io;
	enum conn st;
	uint32_t txnr;		/* the next frame's */
	uint32_t close_txnr;
	int ever_open;
	int reopen;		/* open again once the close is answered */
	uint64_t offered;	/* logserver_seq of this connection's open */
	char *out;
	size_t outlen, outoff;
	char in[IN_CAP];
	size_t inlen;

	/* Times in ms of CLOCK_MONOTONIC. */
	int64_t progress;	/* last acknowledgement or accepted open */
	int64_t waiting;	/* since when an answer is awaited */
	int64_t retry_at;	/* next connection attempt (NEVER: when needed) */
	int64_t backoff;
	int64_t stop_by;	/* after a signal; NEVER before */

	/* The input. */
	struct lines *ls;	/* standard input, or NULL */
	const char *words;	/* else the message from the arguments */
	size_t wlen, woff;
	int input_over, need_read, tty, prompted;

	char why[600];		/* why the last connection failed */
	const char *hint;	/* what may fix it, after the why */
	uint64_t told;		/* message whose refusal was printed */
	int fatal, gave_up;
};

static inline struct msg *
cs_slot(struct sender *s, size_t i)
{
	return &s->ring[(s->head + i) % s->cap];
}

/* client_send.c: the oldest message is acknowledged. */
void cs_pop(struct sender *s, int64_t now);

/* client_conn.c */
int64_t cs_now_ms(void);
void cs_why(struct sender *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Connects and queues the open (s->why and a retry when it fails). */
void conn_open(struct sender *s);
/* Frames the messages not yet sent on this connection while they fit. */
void conn_fill(struct sender *s, int64_t now);
void conn_close(struct sender *s, int64_t now);
/* Reads what the server sent (all of it with drain) and handles its frames. */
void conn_rx(struct sender *s, int drain, int64_t now);
void conn_tx(struct sender *s, int64_t now);
/* The connection failed or broke (s->why says how): retry later or give up. */
void conn_broken(struct sender *s, int64_t now);
void conn_drop(struct sender *s);
/* 1 when an answer was awaited for --timeout seconds: then broken. */
int conn_timed_out(struct sender *s, int64_t now);

#endif
