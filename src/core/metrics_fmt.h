/*
 * metrics_fmt: counters in, text out; pure (no I/O, no allocation).
 *
 * metrics_format() writes the Prometheus text exposition format (version
 * 0.0.4): every metric with its HELP and TYPE lines, counters named
 * *_total, the fsync latency as a histogram. metrics_stats_line() writes
 * the same counters as the text of the statistics records, one per
 * transport and one for the server, KEY=VALUE pairs (docs/METRICS.md). Both return the length of the whole text, like
 * snprintf: the output is complete only when that is below cap; it is
 * always NUL-terminated when cap > 0.
 */
#ifndef LOGSERVER_METRICS_FMT_H
#define LOGSERVER_METRICS_FMT_H

#include <stddef.h>

#include "metrics.h"

size_t metrics_format(const struct mx_values *m, char *buf, size_t cap);

/* One statistics record's text for group: a transport (enum mx_transport)
 * or MX_NTRANS, the server's own counters. when: "periodic", "shutdown". */
size_t metrics_stats_record(const struct mx_values *m, const char *when, int group, char *buf,
    size_t cap);

/* The label value of a transport ("tcp", "relp-tls", ...). */
const char *metrics_transport_name(enum mx_transport t);

#endif
