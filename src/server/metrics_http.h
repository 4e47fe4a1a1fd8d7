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

/* Returns the child's exit status (0 after SIGTERM). */
int metrics_http_run(const int *fds, int nfds, const sigset_t *waitmask);

#endif
