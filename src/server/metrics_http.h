/*
 * metrics_http: the metrics child. Serves GET /metrics (Prometheus text
 * format, metrics_fmt.c) on the listeners the supervisor bound
 * (--metrics-port, --metrics-bind), with libmicrohttpd doing all of HTTP.
 * One process, no threads: libmicrohttpd runs from our own select() loop,
 * so the child's sandbox is one seccomp list (docs/SECURITY.md) and
 * SIGTERM ends it between two requests.
 */
#ifndef LOGSERVER_METRICS_HTTP_H
#define LOGSERVER_METRICS_HTTP_H

#include <signal.h>
#include <stddef.h>

/* Loads libmicrohttpd (dlopen; in the metrics child, before its sandbox).
 * Returns -1 with a message in err when it cannot. */
int metrics_http_load(char *err, size_t errlen);
/* At start-up, in the supervisor: tries metrics_http_load() in a short-lived
 * child, so that a missing library stops start-up with one clear line and
 * the supervisor itself never maps it. */
int metrics_http_probe(char *err, size_t errlen);
/* Returns the child's exit status (0 after SIGTERM); needs metrics_http_load(). */
int metrics_http_run(const int *fds, int nfds, const sigset_t *waitmask);

#endif
