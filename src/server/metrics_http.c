/* metrics_http: GET /metrics with libmicrohttpd, from our own select() loop. */
#include "metrics_http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "metrics_fmt.h"
#include "sig.h"

#define SCRAPERS_MAX 16		/* concurrent scrape connections */
#define SCRAPE_TIMEOUT 10	/* s: a scraper silent this long is closed */
#define BODY_MAX (64 * 1024)	/* the exposition is about 8 KiB */

static char body[BODY_MAX];

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **ctx)
{
	struct MHD_Response *rsp;
	struct mx_values v;
	const char *type = "text/plain; version=0.0.4; charset=utf-8";
	unsigned code = MHD_HTTP_OK;
	size_t len;
	enum MHD_Result rc;

	(void)cls;
	(void)version;
	(void)upload;
	(void)ctx;
	if (*upload_len != 0) {
		*upload_len = 0;	/* a request body is read and ignored */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		len = (size_t)snprintf(body, sizeof(body), "only GET and HEAD\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") != 0) {
		len = (size_t)snprintf(body, sizeof(body), "logserver: the metrics are at /metrics\n");
		code = MHD_HTTP_NOT_FOUND;
	} else {
		metrics_snapshot(&v);
		len = metrics_format(&v, body, sizeof(body));
		if (len >= sizeof(body)) {
			len = (size_t)snprintf(body, sizeof(body), "metrics text too long\n");
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		}
	}
	if (code != MHD_HTTP_OK)
		type = "text/plain; charset=utf-8";
	rsp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
	if (rsp == NULL)
		return MHD_NO;
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	(void)MHD_add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, code, rsp);
	MHD_destroy_response(rsp);
	return rc;
}

int
metrics_http_run(const int *fds, int nfds, const sigset_t *waitmask)
{
	struct MHD_Daemon *d[8];
	int n = 0, status = 0;

	for (int i = 0; i < nfds && i < (int)(sizeof(d) / sizeof(d[0])); i++) {
		/* No flags: no threads of its own, we drive it with MHD_run_from_select. */
		d[n] = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL, answer, NULL,
		    MHD_OPTION_LISTEN_SOCKET, fds[i],
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)SCRAPERS_MAX,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SCRAPE_TIMEOUT,
		    MHD_OPTION_END);
		if (d[n] == NULL) {
			log_warnx("metrics: libmicrohttpd cannot serve the metrics listener");
			status = 1;
			break;
		}
		n++;
	}
	while (status == 0 && !sig_got_term) {
		fd_set rs, ws, es;
		MHD_socket maxfd = 0;
		MHD_UNSIGNED_LONG_LONG ms = 1000, t;
		struct timespec ts;

		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		for (int i = 0; i < n; i++) {
			if (MHD_get_fdset(d[i], &rs, &ws, &es, &maxfd) != MHD_YES) {
				status = 1;
				break;
			}
			if (MHD_get_timeout(d[i], &t) == MHD_YES && t < ms)
				ms = t;
		}
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		if (pselect(maxfd + 1, &rs, &ws, &es, &ts, waitmask) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("metrics: select");
			status = 1;
			break;
		}
		for (int i = 0; i < n; i++)
			(void)MHD_run_from_select(d[i], &rs, &ws, &es);
	}
	for (int i = 0; i < n; i++)
		MHD_stop_daemon(d[i]);
	return status;
}
