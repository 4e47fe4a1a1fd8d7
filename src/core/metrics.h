/*
 * metrics: the server's counters, summed over every process.
 *
 * One MAP_SHARED|MAP_ANONYMOUS region, mapped by the supervisor before the
 * first fork (metrics_init), holds MX_COUNT 64-bit values. Every process
 * adds to them with relaxed C11 atomic adds and never takes a lock; a
 * reader (the metrics child, the statistics record) copies them one by one
 * (metrics_snapshot), so a snapshot may be a few events apart between two
 * counters but each value is whole. Before metrics_init (logclient, unit
 * tests) the updates do nothing.
 *
 * The values are one flat array: a counter with labels is a run of
 * consecutive ids (by transport, by reason), so the formatter
 * (metrics_fmt.c) walks a table instead of one hand-written line each.
 */
#ifndef LOGSERVER_METRICS_H
#define LOGSERVER_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

enum mx_transport { MX_TCP, MX_UDP, MX_RELP, MX_TLS, MX_RELP_TLS, MX_QUERY, MX_NTRANS };

/* Why a connection was refused before a child was started. */
enum mx_refusal { MX_RF_ALLOW, MX_RF_PER_IP, MX_RF_MAX_CLIENTS, MX_RF_NO_FDS, MX_RF_FORK,
	MX_NREFUSAL };

/* Why a TLS handshake failed. */
enum mx_tls_fail { MX_TF_PLAINTEXT, MX_TF_TIMEOUT, MX_TF_PEER, MX_TF_HANDSHAKE, MX_NTLSFAIL };

/* The kinds of live children (a gauge each). */
enum mx_child { MX_CH_SENDER, MX_CH_QUERY, MX_CH_UDP, MX_CH_METRICS, MX_CH_HOLDER, MX_NCHILD };

/* fsync latency histogram: upper bounds in microseconds; one more bucket is +Inf. */
#define MX_FSYNC_NBOUNDS 10
#define MX_FSYNC_BOUNDS_US { 100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000 }

#define MX_UDP_SLOTS 16		/* one kernel-drop slot per UDP receiver (UDP_WORKERS_MAX) */

enum mx_id {
	MX_ACCEPTED = 0,				/* + transport */
	MX_REFUSED = MX_ACCEPTED + MX_NTRANS,		/* + transport * MX_NREFUSAL + reason */
	MX_MESSAGES = MX_REFUSED + MX_NTRANS * MX_NREFUSAL,	/* + transport */
	MX_BYTES = MX_MESSAGES + MX_NTRANS,		/* + transport */
	MX_TRUNCATED = MX_BYTES + MX_NTRANS,		/* + transport */
	MX_UDP_DENIED = MX_TRUNCATED + MX_NTRANS,	/* datagrams from outside --allow */
	MX_UDP_OVER_RATE,				/* datagrams over --udp-max-rate */
	MX_UDP_KDROPS,					/* + receiver: the kernel's own count */
	MX_WRITE_ERRORS = MX_UDP_KDROPS + MX_UDP_SLOTS,	/* appends that failed */
	MX_RECORDS_LOST,				/* UDP records that could not be written */
	MX_TLS_HOST_REJECTED,				/* --tls-check-hostname reject drops */
	MX_PACED_MS,					/* --max-rate: ms reading was held back */
	MX_ROTATIONS,
	MX_RETENTION_DELETES,
	MX_RELP_FRAMES,
	MX_RELP_ACKS,					/* answered 200 */
	MX_RELP_NAKS,					/* answered 500 */
	MX_RELP_DUPLICATES,				/* resent, already in the file */
	MX_TLS_FAILS,					/* + reason */
	MX_FSYNCS = MX_TLS_FAILS + MX_NTLSFAIL,
	MX_FSYNC_BUCKET,				/* + bucket, MX_FSYNC_NBOUNDS + 1 */
	MX_FSYNC_SUM_US = MX_FSYNC_BUCKET + MX_FSYNC_NBOUNDS + 1,
	MX_FILE_SIZE,					/* gauge: bytes in the current file */
	MX_CHILDREN,					/* gauge, + kind */
	MX_UP_SINCE = MX_CHILDREN + MX_NCHILD,		/* gauge: start time, Unix seconds */
	MX_WAITING,					/* gauge: connections in the holder */
	MX_COUNT
};

struct mx_values {
	uint64_t v[MX_COUNT];
};

/* Supervisor, before the first fork. Returns 0, or -1 with errno. */
int metrics_init(void);

void mx_add(int id, uint64_t n);
void mx_set(int id, uint64_t n);

/*
 * A connection's message counts, kept in the process and added to the
 * shared counters once per batch (mx_batch_flush, called where the batch is
 * written and when the connection ends): three atomic adds a message were
 * 5 % of a TCP child's time. base is the transport (enum mx_transport).
 */
struct mx_batch {
	int base;
	uint64_t msgs, bytes, truncated;
};

static inline void
mx_batch_add(struct mx_batch *b, uint64_t len, int truncated)
{
	b->msgs++;
	b->bytes += len;
	b->truncated += truncated != 0;
}

void mx_batch_flush(struct mx_batch *b);

/* One fsync that took us microseconds: the count, its bucket, the sum. */
void mx_fsync(uint64_t us);

/* Copies every value; all zero before metrics_init. */
void metrics_snapshot(struct mx_values *out);

#endif
