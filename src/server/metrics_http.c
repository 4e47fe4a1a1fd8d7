/* metrics_http: GET /metrics with libmicrohttpd, from our own select() loop. */
#include "metrics_http.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>
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

/*
 * libmicrohttpd is loaded here, in the metrics child, and not linked into
 * the server: linked, it and the GnuTLS libraries it pulls in (ten shared
 * objects) would be mapped into the supervisor and so into every
 * connection's child, at about 44 KiB of page tables and kernel memory per
 * connection (docs/BENCHMARKS.md, tcp10000). The header still gives the
 * types; the functions come from dlsym().
 */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_fdset2) *get_fdset2;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_run_from_select) *run_from_select;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

int
metrics_http_load(char *err, size_t errlen)
{
	static const struct {
		const char *name;
		void **slot;
	} syms[] = {
		{ "MHD_start_daemon", (void **)&mhd.start_daemon },
		{ "MHD_stop_daemon", (void **)&mhd.stop_daemon },
		{ "MHD_get_fdset2", (void **)&mhd.get_fdset2 },
		{ "MHD_get_timeout", (void **)&mhd.get_timeout },
		{ "MHD_run_from_select", (void **)&mhd.run_from_select },
		{ "MHD_create_response_from_buffer", (void **)&mhd.create_response_from_buffer },
		{ "MHD_add_response_header", (void **)&mhd.add_response_header },
		{ "MHD_queue_response", (void **)&mhd.queue_response },
		{ "MHD_destroy_response", (void **)&mhd.destroy_response },
	};
	void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		snprintf(err, errlen, "metrics: cannot load %s (%s): install libmicrohttpd12, "
		    "or set --metrics-port 0", MHD_SONAME, dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if ((*syms[i].slot = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "metrics: %s has no %s: install libmicrohttpd12 "
			    "0.9.71 or later, or set --metrics-port 0", MHD_SONAME, syms[i].name);
			return -1;
		}
	return 0;
}

int
metrics_http_probe(char *err, size_t errlen)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "metrics: pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (metrics_http_load(err, errlen) == -1)
			(void)!write(pfd[1], err, strlen(err));
		_exit(0);
	}
	close(pfd[1]);
	if (pid == -1) {
		snprintf(err, errlen, "metrics: cannot fork to look for %s: %s", MHD_SONAME,
		    strerror(errno));
		close(pfd[0]);
		return -1;
	}
	do
		n = read(pfd[0], err, errlen - 1);
	while (n == -1 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (n > 0) {
		err[n] = '\0';
		return -1;
	}
	return 0;
}

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
	rsp = mhd.create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
	if (rsp == NULL)
		return MHD_NO;
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)mhd.add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	(void)mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = mhd.queue_response(conn, code, rsp);
	mhd.destroy_response(rsp);
	return rc;
}

int
metrics_http_run(const int *fds, int nfds, const sigset_t *waitmask)
{
	struct MHD_Daemon *d[8];
	int n = 0, status = 0;

	for (int i = 0; i < nfds && i < (int)(sizeof(d) / sizeof(d[0])); i++) {
		/* No flags: no threads of its own, we drive it with MHD_run_from_select. */
		d[n] = mhd.start_daemon(MHD_NO_FLAG, 0, NULL, NULL, answer, NULL,
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
			if (mhd.get_fdset2(d[i], &rs, &ws, &es, &maxfd, FD_SETSIZE) != MHD_YES) {
				status = 1;
				break;
			}
			if (mhd.get_timeout(d[i], &t) == MHD_YES && t < ms)
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
			(void)mhd.run_from_select(d[i], &rs, &ws, &es);
	}
	for (int i = 0; i < n; i++)
		mhd.stop_daemon(d[i]);
	return status;
}
