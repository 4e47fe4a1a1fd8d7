/* client_query: list and follow for logclient (fetch: client_fetch.c). */
#include "client_query.h"

#include <stdio.h>
#include <string.h>

#include "client_qconn.h"
#include "io.h"
#include "log.h"
#include "query_proto.h"
#include "sig.h"

int
cq_list(const struct client_config *cfg)
{
	struct qconn c;
	char line[QC_REPLY_MAX];
	long long n;

	if (qc_open(cfg, &c) == -1)
		return 1;
	if (qc_send(&c, "LIST\n") == -1 || qc_line(&c, line, sizeof(line)) == -1) {
		log_warnx("list: %s", qc_why(&c));
		qc_close(&c);
		return 1;
	}
	if (strncmp(line, "OK ", 3) != 0 || parse_ll(line + 3, strlen(line + 3), 0, 100000000,
	    &n) == -1) {
		qc_close(&c);
		return qc_server_error("list", line);
	}
	printf("%-40s %12s  %-24s  %-24s\n", "NAME", "SIZE", "FIRST RECORD", "LAST RECORD");
	for (long long i = 0; i < n; i++) {
		char name[128], first[64], last[64];
		unsigned long long size;

		if (qc_line(&c, line, sizeof(line)) == -1) {
			log_warnx("list: %s after %lld of %lld files", qc_why(&c), i, n);
			qc_close(&c);
			return 1;
		}
		if (sscanf(line, "%127s %llu %63s %63s", name, &size, first, last) != 4) {
			qc_close(&c);
			return qc_server_error("list", line);
		}
		printf("%-40s %12llu  %-24s  %-24s\n", name, size, first, last);
	}
	qc_close(&c);
	return 0;
}

int
cq_follow(const struct client_config *cfg, const char *name)
{
	char req[256], line[QC_REPLY_MAX];
	struct qconn c;

	if (cfg->from_start)
		snprintf(req, sizeof(req), "FOLLOW %s START\n", name ? name : "-");
	else
		snprintf(req, sizeof(req), "FOLLOW %s LINES %lld\n", name ? name : "-",
		    cfg->lines >= 0 ? cfg->lines : 10);
	if (qc_open(cfg, &c) == -1)
		return 1;
	if (qc_send(&c, req) == -1 || qc_line(&c, line, sizeof(line)) == -1) {
		log_warnx("follow: %s", qc_why(&c));
		qc_close(&c);
		return 1;
	}
	if (strncmp(line, "OK ", 3) != 0) {
		qc_close(&c);
		return qc_server_error("follow", line);
	}
	c.timeout_ms = -1;	/* silence is normal while following */
	for (;;) {
		size_t have = c.len - c.off;

		if (have > 0 && fwrite(c.buf + c.off, 1, have, stdout) != have) {
			qc_close(&c);
			return 1;	/* stdout closed: nothing more to do */
		}
		fflush(stdout);
		c.off = c.len = 0;
		if (sig_got_term)
			break;
		if (qc_fill(&c) <= 0) {
			if (!sig_got_term)
				log_warnx("follow: %s", qc_why(&c));
			break;
		}
	}
	qc_close(&c);
	return 0;
}
