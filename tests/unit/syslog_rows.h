/*
 * syslog_rows.h: the table-driven checks shared by the parser's unit tests
 * (test_syslog.c, test_syslog_devices.c).  A row is an input and the fields
 * expected of it; every input is copied into a heap buffer of exactly its
 * length before it is parsed, so under ASan or valgrind any read past the
 * end is caught, and every parse is checked against the invariants that
 * hold for all inputs.
 */
#ifndef LOGSERVER_TEST_SYSLOG_ROWS_H
#define LOGSERVER_TEST_SYSLOG_ROWS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "syslog.h"

#define BOM	"\xEF\xBB\xBF"
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * One table row.  A NULL field means "absent" (span.p == NULL), "" means
 * present and empty.  len 0 means strlen(in).  For SYSLOG_NONE rows msg is
 * ignored: it must be the whole buffer.
 */
struct row {
	const char *in;
	size_t len;
	enum syslog_kind kind;
	int pri;
	const char *ts, *host, *app, *procid, *msgid, *sd, *msg;
};

static inline size_t
row_len(const struct row *r)
{
	return r->len != 0 ? r->len : strlen(r->in);
}

/* Heap copy of exactly len bytes (at least 1 allocated, never read). */
static inline char *
dup_exact(const char *s, size_t len)
{
	char *b = malloc(len > 0 ? len : 1);

	assert_non_null(b);
	if (len > 0)
		memcpy(b, s, len);
	return b;
}

static inline int
span_inside(struct span s, const char *buf, size_t len)
{
	if (s.p == NULL)
		return s.len == 0;
	if (len == 0)
		return s.p == buf && s.len == 0;
	return s.p >= buf && s.p <= buf + len &&
	    s.len <= (size_t)(buf + len - s.p);
}

/*
 * Properties that hold for every input: spans inside the buffer and in
 * header order without overlap, coherent pri/facility/severity, per-kind
 * shape, and an sd span that iterates to the end without error.
 */
static inline void
check_invariants(const char *buf, size_t len, const struct syslog_msg *m)
{
	const struct span *order[] = { &m->seq, &m->timestamp, &m->host, &m->app,
	    &m->procid, &m->msgid, &m->sd, &m->msg };
	const char *last = buf;
	struct sd_iter it;
	struct span id, n, v;
	size_t i;
	int r, q;

	for (i = 0; i < NELEM(order); i++) {
		assert_true(span_inside(*order[i], buf, len));
		if (order[i]->p == NULL)
			continue;
		assert_true(order[i]->p >= last);
		last = order[i]->p + order[i]->len;
	}
	if (m->pri >= 0) {
		assert_true(m->pri <= 191);
		assert_int_equal(m->facility, m->pri / 8);
		assert_int_equal(m->severity, m->pri % 8);
	} else {
		assert_int_equal(m->pri, -1);
		assert_int_equal(m->facility, -1);
		assert_int_equal(m->severity, -1);
	}
	switch (m->kind) {
	case SYSLOG_NONE:
		assert_int_equal(m->pri, -1);
		assert_int_equal(m->version, 0);
		assert_null(m->seq.p);
		assert_null(m->timestamp.p);
		assert_null(m->host.p);
		assert_null(m->app.p);
		assert_null(m->procid.p);
		assert_null(m->msgid.p);
		assert_null(m->sd.p);
		assert_ptr_equal(m->msg.p, buf);
		assert_int_equal(m->msg.len, len);
		break;
	case SYSLOG_3164:
		assert_int_equal(m->version, 0);
		assert_null(m->msgid.p);
		assert_null(m->sd.p);
		assert_non_null(m->msg.p);
		break;
	case SYSLOG_5424:
		assert_int_equal(m->version, 1);
		assert_true(m->pri >= 0);
		assert_null(m->seq.p);
		break;
	default:
		fail_msg("bad kind %d", (int)m->kind);
	}
	sd_iter_init(&it, m->sd);
	while ((r = sd_next_element(&it, &id)) == 1) {
		assert_true(id.len > 0);
		while ((q = sd_next_param(&it, &n, &v)) == 1) {
			assert_true(n.len > 0);
			assert_true(sd_unescape_len(v) <= v.len);
		}
		assert_int_equal(q, 0);
	}
	assert_int_equal(r, 0);
}

static inline int
span_is(struct span s, const char *want)
{
	if (want == NULL)
		return s.p == NULL && s.len == 0;
	return s.p != NULL && s.len == strlen(want) &&
	    memcmp(s.p, want, s.len) == 0;
}

static inline void
expect_span(const struct row *r, const char *field, struct span got,
    const char *want)
{
	if (span_is(got, want))
		return;
	print_error("input \"%s\": %s is %s%.*s%s, want %s%s%s\n", r->in,
	    field, got.p ? "\"" : "", got.p ? (int)got.len : 6,
	    got.p ? got.p : "absent", got.p ? "\"" : "", want ? "\"" : "",
	    want ? want : "absent", want ? "\"" : "");
	fail();
}

static inline void
check_row(const struct row *r)
{
	size_t len = row_len(r);
	char *buf = dup_exact(r->in, len);
	struct syslog_msg m;
	enum syslog_kind k;

	k = syslog_parse(buf, len, &m);
	if (k != r->kind || m.kind != r->kind || m.pri != r->pri) {
		print_error("input \"%s\": kind %d pri %d, want kind %d pri %d\n",
		    r->in, (int)m.kind, m.pri, (int)r->kind, r->pri);
		fail();
	}
	check_invariants(buf, len, &m);
	if (r->kind != SYSLOG_NONE) {
		expect_span(r, "timestamp", m.timestamp, r->ts);
		expect_span(r, "host", m.host, r->host);
		expect_span(r, "app", m.app, r->app);
		expect_span(r, "procid", m.procid, r->procid);
		expect_span(r, "msgid", m.msgid, r->msgid);
		expect_span(r, "sd", m.sd, r->sd);
		expect_span(r, "msg", m.msg, r->msg);
	}
	free(buf);
}

static inline void
check_rows(const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_row(&rows[i]);
}

#define RUN(rows)	check_rows((rows), NELEM(rows))

/* Every prefix of every row's input: no crash, the invariants hold. */
static inline void
prefixes(const struct row *rows, size_t n)
{
	struct syslog_msg m;
	size_t i, k, len;
	char *buf;

	for (i = 0; i < n; i++) {
		len = row_len(&rows[i]);
		for (k = 0; k <= len; k++) {
			buf = dup_exact(rows[i].in, k);
			(void)syslog_parse(buf, k, &m);
			check_invariants(buf, k, &m);
			free(buf);
		}
	}
}

#define PREFIXES(rows)	prefixes((rows), NELEM(rows))

/* util-linux logger's STRUCTURED-DATA (test_syslog.c, test_syslog_5424.c). */
#define LOGGER_SD "[timeQuality tzKnown=\"1\" isSynced=\"0\"][zoo@123 " \
	"tiger=\"hungry\" zebra=\"running\"][manager@123 onduty=\"Jan\"]"

#endif
