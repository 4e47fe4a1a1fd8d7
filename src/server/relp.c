/* relp: a RELP sender's session: frames in, records written, answers out. */
#include "relp.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream.h"
#include "conn_setup.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "pace.h"
#include "record.h"
#include "relp_frame.h"
#include "sig.h"
#include "timeouts.h"

#define READ_CHUNK (64 * 1024)
#define OUT_BATCH (96 * 1024)
#define ACK_MAX 1024		/* frames answered per batch, at most */
#define RSP_MAX 320		/* one answer frame */
#define DRAIN_READS 256

#define SOFTWARE "logserver," LOGSERVER_VERSION ",https://github.com/logserver/logserver"

enum ack_kind { ACK_RECORD, ACK_OK, ACK_UNSUPPORTED, ACK_CLOSE, ACK_FATAL };

struct ack {
	uint32_t txnr;
	uint8_t kind;
	size_t end;		/* ACK_RECORD: where its record ends in the batch */
	uint64_t seq;		/* ACK_RECORD of a named session: its message number */
};

struct relp {
	struct stream *conn;
	char peer[REC_PEER_MAX];
	struct rec_source src;
	long pid;
	const struct server_config *cfg;
	struct logstore *store;
	const sigset_t *waitmask;
	struct rec_clock clk;
	char *rbuf, *obuf, *wbuf;
	size_t rcap, rlen, ocap, olen, oreserve, wcap, wlen;
	struct ack acks[ACK_MAX];
	size_t nacks;
	int opened, closing, fatal;
	char why[256];			/* reason of the end, for the disconnect record */
	int named;			/* the sender named its session */
	uint8_t sid[LS_SESSION_ID];
	struct ls_tag tag;
	uint64_t next_seq, held;	/* next message number; highest the store held at open */
	unsigned long long nmsg, ndup, nframes;
	struct mx_batch mxb;		/* message counts not yet in the shared metrics */
	struct conn_timeouts to;
	struct pace pace;	/* --max-rate */
	long long paced_ms;	/* how long reading was held back for it */
};

static void
event(struct relp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds one of the session's own events to the batch (room is reserved). */
static void
event(struct relp *r, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (r->ocap - r->olen < REC_EVENT_MAX)
		return;		/* cannot happen: oreserve keeps room for one */
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->olen += record_event(r->obuf + r->olen, &r->clk, r->src.format, r->pid, "%s", text);
}

static void
reply(struct relp *r, uint32_t txnr, int code, const char *text, const char *data, size_t dlen)
{
	size_t n = relp_format_rsp(r->wbuf + r->wlen, r->wcap - r->wlen, txnr, code, text, data,
	    dlen);

	mx_add(code == 200 ? MX_RELP_ACKS : MX_RELP_NAKS, 1);

	r->wlen += n;
}

/* A protocol error: answered 500 in its turn (txnr 0 when its own is
 * unreadable), recorded, and the session ends. parse() keeps a slot free. */
static void
protocol_error(struct relp *r, uint32_t txnr, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s%s", why, r->nframes <= 1 ?
	    " (not RELP? plain TCP senders use the TCP port)" : "");
	r->acks[r->nacks].txnr = txnr;
	r->acks[r->nacks++].kind = ACK_FATAL;
	r->fatal = 1;
}

/* seq_at for the store: the message number of the last record ending at or
 * before end of the batch. */
static uint64_t
seq_at(void *arg, size_t end)
{
	struct relp *r = arg;
	uint64_t seq = 0;

	for (size_t i = 0; i < r->nacks && (r->acks[i].kind != ACK_RECORD ||
	    r->acks[i].end <= end); i++)
		if (r->acks[i].kind == ACK_RECORD)
			seq = r->acks[i].seq;
	return seq;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses the decimal value of an offer into *v (1..2^62). */
static int
offer_number(const struct relp_offer *o, uint64_t *v)
{
	uint64_t x = 0;

	if (o->value == NULL || o->valuelen == 0 || o->valuelen > 18)
		return -1;
	for (size_t i = 0; i < o->valuelen; i++) {
		if (o->value[i] < '0' || o->value[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(o->value[i] - '0');
	}
	if (x == 0)
		return -1;
	*v = x;
	return 0;
}

static void
do_open(struct relp *r, const struct relp_frame *f)
{
	char data[256];
	struct relp_offer o;
	size_t pos = 0;
	uint64_t first = 0;
	int have_id = 0, n;

	if (r->opened) {
		protocol_error(r, f->txnr, "second open");
		return;
	}
	while (relp_offer_next(f->data, f->datalen, &pos, &o)) {
		if (relp_offer_is(&o, "logserver_session") && o.value != NULL &&
		    o.valuelen == 2 * LS_SESSION_ID) {
			have_id = 1;
			for (size_t i = 0; i < LS_SESSION_ID && have_id; i++) {
				int hi = hexval(o.value[2 * i]), lo = hexval(o.value[2 * i + 1]);
				if (hi < 0 || lo < 0)
					have_id = 0;
				else
					r->sid[i] = (uint8_t)(hi << 4 | lo);
			}
		} else if (relp_offer_is(&o, "logserver_seq")) {
			(void)offer_number(&o, &first);
		}
	}
	r->opened = 1;
	n = snprintf(data, sizeof(data), "relp_version=0\nrelp_software=%s\ncommands=syslog",
	    SOFTWARE);
	if (have_id && logstore_session_seq(r->store, r->sid, &r->held) == 0) {
		r->named = 1;
		r->tag.id = r->sid;
		r->tag.slot = -1;
		r->tag.seq_at = seq_at;
		r->tag.arg = r;
		r->next_seq = first != 0 ? first : r->held + 1;
		n += snprintf(data + n, sizeof(data) - (size_t)n, "\nlogserver_seq=%llu",
		    (unsigned long long)r->held);
	}
	reply(r, f->txnr, 200, "OK", data, (size_t)n);
}

static void
do_syslog(struct relp *r, const struct relp_frame *f)
{
	const char *msg = f->data;
	size_t len = f->datalen;
	int trunc = 0;
	struct ack *a = &r->acks[r->nacks++];

	a->txnr = f->txnr;
	if (r->named && r->next_seq <= r->held) {
		/* Resent after a reconnect and already in the file. */
		r->next_seq++;
		r->ndup++;
		mx_add(MX_RELP_DUPLICATES, 1);
		a->kind = ACK_OK;
		return;
	}
	/* omrelp sends no trailer; other senders may add one LF, CRLF or NUL. */
	if (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\0'))
		len--;
	if (len > 0 && msg[len - 1] == '\r')
		len--;
	if (len > (size_t)r->cfg->max_line) {
		len = (size_t)r->cfg->max_line;
		trunc = 1;
	}
	r->olen += record_message(r->obuf + r->olen, &r->clk, &r->src, msg, len, trunc);
	a->kind = ACK_RECORD;
	a->end = r->olen;
	a->seq = r->named ? r->next_seq++ : 0;
	r->nmsg++;
	mx_batch_add(&r->mxb, len, trunc);
}

/* Handles one parsed frame. */
static void
frame(struct relp *r, const struct relp_frame *f)
{
	r->nframes++;
	mx_add(MX_RELP_FRAMES, 1);
	if (f->txnr == 0) {
		protocol_error(r, 0, "transaction number 0 is for server hints");
	} else if (relp_is(f, "open")) {
		do_open(r, f);
	} else if (!r->opened) {
		protocol_error(r, f->txnr, "open expected first");
	} else if (relp_is(f, "syslog")) {
		do_syslog(r, f);
	} else if (relp_is(f, "close")) {
		r->acks[r->nacks].txnr = f->txnr;
		r->acks[r->nacks++].kind = ACK_CLOSE;
		r->closing = 1;
	} else {
		r->acks[r->nacks].txnr = f->txnr;
		r->acks[r->nacks++].kind = ACK_UNSUPPORTED;
	}
}

/* Parses whole frames from the read buffer while the batch has room.
 * Returns how many it handled. */
static size_t
parse(struct relp *r)
{
	size_t off = 0, used, handled = 0;
	struct relp_frame f;
	const char *why;

	while (!r->fatal && !r->closing && r->nacks < ACK_MAX &&
	    r->ocap - r->olen >= r->oreserve && r->wcap - r->wlen >= RSP_MAX * 2) {
		/* The open answer is written at once: no answer can be before it. */
		enum relp_status st = relp_parse(r->rbuf + off, r->rlen - off,
		    (size_t)r->cfg->max_line + 2, &f, &used, &why);

		if (st == RELP_MORE)
			break;
		if (st == RELP_BAD) {
			uint32_t txnr = 0;
			for (size_t i = off; i < r->rlen && i < off + 9 && r->rbuf[i] >= '0' &&
			    r->rbuf[i] <= '9'; i++)
				txnr = txnr * 10 + (uint32_t)(r->rbuf[i] - '0');
			r->nframes++;
			mx_add(MX_RELP_FRAMES, 1);
			protocol_error(r, txnr, why);
			handled++;
			break;
		}
		off += used;
		frame(r, &f);
		handled++;
	}
	if (off > 0) {
		memmove(r->rbuf, r->rbuf + off, r->rlen - off);
		r->rlen -= off;
	}
	return handled;
}

/*
 * Writes the batch, syncs it when asked, and answers every frame of it in
 * order. A record that is not in the file (or not on disk) gets 500, and
 * the session ends.
 */
static void
commit(struct relp *r)
{
	size_t written = 0;
	int rc = 0, err = 0;
	char reason[160] = "";

	mx_batch_flush(&r->mxb);
	if (r->olen > 0) {
		rc = logstore_append_tagged(r->store, r->obuf, r->olen, &written,
		    r->named ? &r->tag : NULL);
		if (rc == -1) {
			err = errno;
			mx_add(MX_WRITE_ERRORS, 1);
			snprintf(reason, sizeof(reason), "cannot write to the log: %s", strerror(err));
		} else if (r->cfg->fsync == FSYNC_BATCH && logstore_sync(r->store) == -1) {
			err = errno;
			written = 0;
			snprintf(reason, sizeof(reason), "written but not on disk: fdatasync: %s",
			    strerror(err));
		}
	}
	unsigned long long refused = 0;
	for (size_t i = 0; i < r->nacks; i++) {
		struct ack *a = &r->acks[i];

		switch (a->kind) {
		case ACK_RECORD:
			if (a->end <= written || (rc == 0 && err == 0)) {
				reply(r, a->txnr, 200, "OK", NULL, 0);
			} else {
				reply(r, a->txnr, 500, reason, NULL, 0);
				refused++;
			}
			break;
		case ACK_OK:
			reply(r, a->txnr, 200, "OK", NULL, 0);
			break;
		case ACK_UNSUPPORTED:
			reply(r, a->txnr, 500, "command not supported", NULL, 0);
			break;
		case ACK_CLOSE:
			reply(r, a->txnr, 200, "OK", NULL, 0);
			break;
		case ACK_FATAL:
			reply(r, a->txnr, 500, r->why, NULL, 0);
			break;
		}
	}
	r->nacks = 0;
	r->olen = 0;
	if (refused > 0) {
		log_warnx("RELP %s: %s; answered 500 to %llu messages", r->peer, reason, refused);
		snprintf(r->why, sizeof(r->why), "%s; answered 500 to %llu messages", reason,
		    refused);
		r->fatal = 1;
	}
}

/* Sends the answers; waits (bounded by nothing but the peer) while the
 * socket is full. Returns -1 when the connection is gone. */
static int
send_answers(struct relp *r)
{
	size_t off = 0;

	while (off < r->wlen) {
		ssize_t n = stream_send(r->conn, r->wbuf + off, r->wlen - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN && !sig_got_term) {
			struct pollfd pfd = { .fd = r->conn->fd,
			    .events = stream_events(r->conn, POLLOUT) };
			if (ppoll(&pfd, 1, NULL, r->waitmask) == -1 && errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
	r->wlen = 0;
	return 0;
}

static ssize_t
read_some(struct relp *r)
{
	size_t want = r->rcap - r->rlen;
	ssize_t n;

	if (want == 0) {	/* cannot happen: a full buffer holds a whole frame */
		errno = ENOBUFS;
		return -1;
	}
	n = stream_read(r->conn, r->rbuf + r->rlen, want, &sig_got_term);
	if (n > 0)
		r->rlen += (size_t)n;
	return n;
}

/* Parses, writes and answers until the read buffer holds no whole frame. */
static int
work(struct relp *r)
{
	size_t handled;

	do {
		rec_clock_update(&r->clk);
		handled = parse(r);
		if (r->nacks > 0 || r->olen > 0)
			commit(r);
		if (r->wlen > 0 && send_answers(r) == -1)
			return -1;
	} while (!r->fatal && !r->closing && handled > 0 && r->rlen > 0);
	return 0;
}

/* A deadline passed: an idle sender, or a frame begun and not finished (it
 * was never answered, so the sender still has it). Returns 1: end. */
static int
timed_out(struct relp *r)
{
	switch (ct_check(&r->to)) {
	case CT_IDLE:
		snprintf(r->why, sizeof(r->why), "idle timeout: nothing for %lld s (idle-timeout)",
		    r->cfg->idle_timeout);
		return 1;
	case CT_FRAME:
		snprintf(r->why, sizeof(r->why), "frame timeout: %zu bytes of an unfinished frame "
		    "for %lld s, not written (frame-timeout)", r->rlen, r->cfg->frame_timeout);
		return 1;
	case CT_NONE:
		break;
	}
	return 0;
}

static int
setup(struct relp *r, struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store,
    const sigset_t *waitmask)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
	r->cfg = cfg;
	r->store = store;
	r->waitmask = waitmask;
	r->pid = (long)getpid();
	r->src.peerlen = net_format_peer(peer, peerlen, r->peer, sizeof(r->peer));
	r->src.peer = r->peer;
	r->src.format = (enum rec_format)cfg->format;
	r->src.transport = conn->ssl != NULL ? "relp-tls" : "relp";
	r->mxb.base = conn->ssl != NULL ? MX_RELP_TLS : MX_RELP;
	r->src.tls_peer = tls_peer;
	r->rcap = READ_CHUNK + (size_t)cfg->max_line + RELP_FRAME_OVERHEAD + 2;
	r->oreserve = RECORD_MSG_MAX((size_t)cfg->max_line) + 2 * REC_EVENT_MAX;
	r->ocap = OUT_BATCH + r->oreserve;
	r->wcap = (ACK_MAX + 4) * RSP_MAX;
	r->rbuf = malloc(r->rcap);
	r->obuf = malloc(r->ocap);
	r->wbuf = malloc(r->wcap);
	if (r->rbuf == NULL || r->obuf == NULL || r->wbuf == NULL) {
		log_warnx("out of memory for RELP client %s", r->peer);
		return -1;
	}
	return 0;
}

int
relp_run(struct stream *conn, const struct sockaddr *peer, socklen_t peerlen,
    const char *tls_peer, const struct server_config *cfg, struct logstore *store, const sigset_t *waitmask)
{
	struct relp r;
	int status = 0, stopped = 0, fd = conn->fd;
	size_t written;

	if (setup(&r, conn, peer, peerlen, tls_peer, cfg, store, waitmask) == -1) {
		free(r.rbuf);
		free(r.obuf);
		free(r.wbuf);
		stream_close(conn);
		return 1;
	}
	conn_setup(fd, cfg, &r.to, &r.pace, &r.clk);
	if (cfg->events == EVENTS_NONE)
		;		/* --events none: no connect/disconnect records */
	else if (conn->ssl == NULL)
		event(&r, "connect %s relp", r.peer);
	else
		event(&r, "connect %s relp-tls peer=%s", r.peer, tls_peer != NULL ? tls_peer : "-");
	(void)logstore_append(store, r.obuf, r.olen, &written);
	r.olen = 0;

	while (!r.fatal && !r.closing) {
		struct pollfd pfd = { .fd = fd, .events = stream_events(conn, POLLIN) };
		struct timespec tmo;
		ssize_t n;
		int pr;

		if (sig_got_term) {
			stopped = 1;
			for (int i = 0; i < DRAIN_READS && !r.fatal && !r.closing; i++) {
				if (read_some(&r) <= 0)
					break;
				if (work(&r) == -1)
					break;
			}
			break;
		}
		/* --max-rate: frames not read are not answered, so the sender's
		 * window fills and it waits; nothing is dropped. */
		long long owed = cfg->max_rate > 0 ? pace_wait_ms(&r.pace, ct_now_ms()) : 0;
		if (owed > 0) {
			if (r.paced_ms == 0) {
				rec_clock_update(&r.clk);
				event(&r, "max-rate: %s sends faster than %lld messages/s; reading it "
				    "more slowly, nothing is dropped (max-rate)", r.peer, cfg->max_rate);
			}
			io_pause_ms(owed, waitmask);
			r.paced_ms += owed;
			mx_add(MX_PACED_MS, (uint64_t)owed);
			continue;
		}
		n = read_some(&r);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			pr = ppoll(&pfd, 1, ct_wait(&r.to, &tmo), waitmask);
			if (pr == -1 && errno != EINTR) {
				status = 1;
				break;
			}
			if (pr == 0 && timed_out(&r))
				break;
			continue;
		}
		if (n <= 0) {
			snprintf(r.why, sizeof(r.why), "%s", n == 0 ? "connection closed without "
			    "RELP close" : "connection reset");
			break;
		}
		unsigned long long before = r.nmsg + r.ndup;
		if (work(&r) == -1) {
			snprintf(r.why, sizeof(r.why), "the sender stopped reading answers");
			break;
		}
		if (cfg->max_rate > 0)
			pace_take(&r.pace, r.nmsg + r.ndup - before, ct_now_ms());
		ct_bytes(&r.to, r.rlen > 0);
	}
	/* Frames parsed but not yet answered (a read error came between). */
	if (r.nacks > 0 || r.olen > 0)
		commit(&r);
	if (!r.closing) {
		r.wlen += relp_format(r.wbuf + r.wlen, r.wcap - r.wlen, 0, "serverclose", NULL, 0);
	}
	(void)send_answers(&r);
	rec_clock_update(&r.clk);
	char paced[48] = "";
	if (r.paced_ms > 0)
		snprintf(paced, sizeof(paced), " paced_ms=%lld", r.paced_ms);
	if (cfg->events != EVENTS_NONE || r.why[0] != '\0')
		event(&r, "disconnect %s messages=%llu duplicates=%llu%s%s%s%s", r.peer, r.nmsg,
		    r.ndup, paced, stopped ? " (server shutdown)" : "", r.why[0] ? ": " : "", r.why);
	mx_batch_flush(&r.mxb);
	if (logstore_append(store, r.obuf, r.olen, &written) == -1)
		log_warn("cannot write the disconnect record of %s", r.peer);
	free(r.rbuf);
	free(r.obuf);
	free(r.wbuf);
	stream_close(conn);
	return status;
}
