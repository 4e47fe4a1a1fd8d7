/* metrics_fmt: the Prometheus text format and the statistics record (pure). */
#include "metrics_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const transports[MX_NTRANS] = {
	[MX_TCP] = "tcp", [MX_UDP] = "udp", [MX_RELP] = "relp", [MX_TLS] = "tls",
	[MX_RELP_TLS] = "relp-tls", [MX_QUERY] = "query",
};
static const char *const refusals[MX_NREFUSAL] = {
	[MX_RF_ALLOW] = "allow", [MX_RF_PER_IP] = "max-per-ip",
	[MX_RF_MAX_CLIENTS] = "max-clients", [MX_RF_NO_FDS] = "no-descriptors",
	[MX_RF_FORK] = "fork-failed",
};
static const char *const tls_fails[MX_NTLSFAIL] = {
	[MX_TF_PLAINTEXT] = "plaintext", [MX_TF_TIMEOUT] = "timeout",
	[MX_TF_PEER] = "peer-not-permitted", [MX_TF_HANDSHAKE] = "handshake",
};
static const char *const children[MX_NCHILD] = {
	[MX_CH_SENDER] = "sender", [MX_CH_QUERY] = "query", [MX_CH_UDP] = "udp",
	[MX_CH_METRICS] = "metrics", [MX_CH_HOLDER] = "holder",
};
/* The bucket bounds of MX_FSYNC_BOUNDS_US, in seconds. */
static const char *const fsync_le[MX_FSYNC_NBOUNDS] = {
	"0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1", "5",
};

/* Which transports a per-transport metric has. */
#define T_CONN ((1u << MX_TCP) | (1u << MX_RELP) | (1u << MX_TLS) | (1u << MX_RELP_TLS) | \
	(1u << MX_QUERY))
#define T_SEND ((1u << MX_TCP) | (1u << MX_UDP) | (1u << MX_RELP) | (1u << MX_TLS) | \
	(1u << MX_RELP_TLS))

enum label { LB_NONE, LB_TRANSPORT, LB_REFUSED, LB_TLS, LB_CHILD, LB_SUM, LB_MS };

static const struct spec {
	const char *name, *type, *help;
	int base;
	enum label label;
	unsigned mask;		/* LB_TRANSPORT, LB_REFUSED: the transports shown (1 << t);
				 * LB_SUM: how many values, summed */
	const char *stat;	/* key in the statistics record (NULL: not there) */
	int group;		/* that record: a transport's, or MX_NTRANS (the server's);
				 * -1: every transport's of mask */
} specs[] = {
	{ "logserver_connections_accepted_total", "counter",
	  "Connections accepted and handed to a child, by transport.", MX_ACCEPTED,
	  LB_TRANSPORT, T_CONN, "connections", -1 },
	{ "logserver_connections_refused_total", "counter",
	  "Connections refused before a child was started, by transport and reason.",
	  MX_REFUSED, LB_REFUSED, T_CONN, "refused", -1 },
	{ "logserver_messages_total", "counter",
	  "Messages received and formatted into records, by transport.", MX_MESSAGES,
	  LB_TRANSPORT, T_SEND, "messages", -1 },
	{ "logserver_message_bytes_total", "counter",
	  "Bytes of those messages as received (after framing, before formatting).", MX_BYTES,
	  LB_TRANSPORT, T_SEND, "bytes", -1 },
	{ "logserver_messages_truncated_total", "counter",
	  "Messages kept truncated (max-line, frame-timeout), by transport.", MX_TRUNCATED,
	  LB_TRANSPORT, T_SEND, "truncated", -1 },
	{ "logserver_udp_denied_total", "counter",
	  "UDP datagrams dropped: the source is not in allow.", MX_UDP_DENIED, LB_NONE, 0,
	  "denied", MX_UDP },
	{ "logserver_udp_rate_limited_total", "counter",
	  "UDP datagrams dropped: the source was over udp-max-rate.", MX_UDP_OVER_RATE, LB_NONE,
	  0, "over_rate", MX_UDP },
	{ "logserver_udp_kernel_drops_total", "counter",
	  "UDP datagrams the kernel dropped at full sockets (SO_MEMINFO), as last read.",
	  MX_UDP_KDROPS, LB_SUM, MX_UDP_SLOTS, "kernel_drops", MX_UDP },
	{ "logserver_write_errors_total", "counter",
	  "Appends to the log file that failed (the batch is kept and retried, or counted lost).",
	  MX_WRITE_ERRORS, LB_NONE, 0, "write_errors", MX_NTRANS },
	{ "logserver_records_lost_total", "counter",
	  "UDP records that could not be written (UDP cannot push back).", MX_RECORDS_LOST,
	  LB_NONE, 0, "records_lost", MX_UDP },
	{ "logserver_tls_hostname_rejected_total", "counter",
	  "Messages dropped by tls-check-hostname reject.", MX_TLS_HOST_REJECTED, LB_NONE, 0,
	  "tls_hostname_rejected", MX_NTRANS },
	{ "logserver_paced_seconds_total", "counter",
	  "Time TCP and RELP senders over max-rate were held back (nothing dropped).",
	  MX_PACED_MS, LB_MS, 0, "paced_ms", MX_NTRANS },
	{ "logserver_rotations_total", "counter", "Log files started by rotation.",
	  MX_ROTATIONS, LB_NONE, 0, "rotations", MX_NTRANS },
	{ "logserver_retention_deletions_total", "counter",
	  "Old log files deleted to keep max-files.", MX_RETENTION_DELETES, LB_NONE, 0,
	  "deletions", MX_NTRANS },
	{ "logserver_relp_frames_total", "counter", "RELP frames received.", MX_RELP_FRAMES,
	  LB_NONE, 0, "relp_frames", MX_NTRANS },
	{ "logserver_relp_acks_total", "counter", "RELP frames answered 200.", MX_RELP_ACKS,
	  LB_NONE, 0, "relp_acks", MX_NTRANS },
	{ "logserver_relp_negative_acks_total", "counter", "RELP frames answered 500.",
	  MX_RELP_NAKS, LB_NONE, 0, "relp_naks", MX_NTRANS },
	{ "logserver_relp_duplicates_total", "counter",
	  "RELP messages resent by a named session and already in the file (not written again).",
	  MX_RELP_DUPLICATES, LB_NONE, 0, "relp_duplicates", MX_NTRANS },
	{ "logserver_tls_handshake_failures_total", "counter",
	  "TLS connections that failed before their session began, by reason.", MX_TLS_FAILS,
	  LB_TLS, 0, "tls_failures", MX_NTRANS },
	{ "logserver_file_size_bytes", "gauge", "Size of the current log file after the last write.",
	  MX_FILE_SIZE, LB_NONE, 0, "file_size", MX_NTRANS },
	{ "logserver_children", "gauge", "Live children, by kind.", MX_CHILDREN, LB_CHILD, 0,
	  "children", MX_NTRANS },
	{ "logserver_start_time_seconds", "gauge", "When the server started, Unix time.",
	  MX_UP_SINCE, LB_NONE, 0, NULL, MX_NTRANS },
	{ "logserver_waiting_connections", "gauge",
	  "Accepted sender connections that have not sent a byte yet (kept by the holder, no child).",
	  MX_WAITING, LB_NONE, 0, NULL, MX_NTRANS },
};

/* An appender that never writes past cap and counts what it would need. */
struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->cap ? o->buf + o->len : NULL, o->len < o->cap ?
	    o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

const char *
metrics_transport_name(enum mx_transport t)
{
	return t < MX_NTRANS ? transports[t] : "?";
}

static void
histogram(struct out *o, const struct mx_values *m)
{
	uint64_t cum = 0;

	put(o, "# HELP logserver_fsync_duration_seconds Time fdatasync took (group commit, "
	    "rotation).\n# TYPE logserver_fsync_duration_seconds histogram\n");
	for (int b = 0; b < MX_FSYNC_NBOUNDS; b++) {
		cum += m->v[MX_FSYNC_BUCKET + b];
		put(o, "logserver_fsync_duration_seconds_bucket{le=\"%s\"} %llu\n", fsync_le[b],
		    (unsigned long long)cum);
	}
	cum += m->v[MX_FSYNC_BUCKET + MX_FSYNC_NBOUNDS];
	put(o, "logserver_fsync_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "logserver_fsync_duration_seconds_sum %llu.%06llu\n"
	    "logserver_fsync_duration_seconds_count %llu\n", (unsigned long long)cum,
	    (unsigned long long)(m->v[MX_FSYNC_SUM_US] / 1000000),
	    (unsigned long long)(m->v[MX_FSYNC_SUM_US] % 1000000), (unsigned long long)cum);
}

static uint64_t
sum(const struct mx_values *m, int base, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += m->v[base + i];
	return s;
}

size_t
metrics_format(const struct mx_values *m, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };

	if (cap > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		unsigned long long v;

		put(&o, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help, s->name, s->type);
		switch (s->label) {
		case LB_NONE:
		case LB_SUM:
			v = s->label == LB_SUM ? sum(m, s->base, (int)s->mask) : m->v[s->base];
			put(&o, "%s %llu\n", s->name, v);
			break;
		case LB_MS:
			put(&o, "%s %llu.%03llu\n", s->name,
			    (unsigned long long)(m->v[s->base] / 1000),
			    (unsigned long long)(m->v[s->base] % 1000));
			break;
		case LB_TRANSPORT:
		case LB_REFUSED:
			for (int t = 0; t < MX_NTRANS; t++) {
				if (!(s->mask & (1u << t)))
					continue;
				if (s->label == LB_TRANSPORT) {
					put(&o, "%s{transport=\"%s\"} %llu\n", s->name, transports[t],
					    (unsigned long long)m->v[s->base + t]);
					continue;
				}
				for (int r = 0; r < MX_NREFUSAL; r++)
					put(&o, "%s{transport=\"%s\",reason=\"%s\"} %llu\n", s->name,
					    transports[t], refusals[r], (unsigned long long)
					    m->v[s->base + t * MX_NREFUSAL + r]);
			}
			break;
		case LB_TLS:
			for (int r = 0; r < MX_NTLSFAIL; r++)
				put(&o, "%s{reason=\"%s\"} %llu\n", s->name, tls_fails[r],
				    (unsigned long long)m->v[s->base + r]);
			break;
		case LB_CHILD:
			for (int k = 0; k < MX_NCHILD; k++)
				put(&o, "%s{kind=\"%s\"} %llu\n", s->name, children[k],
				    (unsigned long long)m->v[s->base + k]);
			break;
		}
	}
	histogram(&o, m);
	return o.len;
}

/*
 * "stats (WHEN) GROUP: KEY=VALUE ...": the counters of one group (a
 * transport, or "server"), in the order of specs[]; the server's record
 * ends with the fsync count and total time.
 */
size_t
metrics_stats_record(const struct mx_values *m, const char *when, int group, char *buf,
    size_t cap)
{
	struct out o = { buf, cap, 0 };

	if (cap > 0)
		buf[0] = '\0';
	put(&o, "stats (%s) %s:", when, group < MX_NTRANS ? transports[group] : "server");
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		unsigned long long v;
		int n = s->label == LB_TLS ? MX_NTLSFAIL : s->label == LB_CHILD ? MX_NCHILD :
		    s->label == LB_SUM ? (int)s->mask : 1;

		if (s->stat == NULL || (s->group == -1 ? group >= MX_NTRANS ||
		    !(s->mask & (1u << group)) : s->group != group))
			continue;
		if (s->group != -1)
			v = sum(m, s->base, n);
		else if (s->label == LB_REFUSED)
			v = sum(m, s->base + group * MX_NREFUSAL, MX_NREFUSAL);
		else
			v = m->v[s->base + group];
		put(&o, " %s=%llu", s->stat, v);
	}
	if (group >= MX_NTRANS)
		put(&o, " fsyncs=%llu fsync_seconds=%llu.%06llu",
		    (unsigned long long)m->v[MX_FSYNCS],
		    (unsigned long long)(m->v[MX_FSYNC_SUM_US] / 1000000),
		    (unsigned long long)(m->v[MX_FSYNC_SUM_US] % 1000000));
	return o.len;
}
