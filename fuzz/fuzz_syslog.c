/*
 * libFuzzer target for the syslog parser (src/syslog*.c).  Parses the input, then checks that
 * every span lies inside the input and in header order, that the fields fit
 * the kind, and that the STRUCTURED-DATA span syslog_parse accepted iterates
 * to its end without error; every PARAM-VALUE is unescaped into a small and
 * a large buffer and the two results are compared.  Any violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void
check_span(struct span s, const char *buf, size_t len, const char **last)
{
	if (s.p == NULL) {
		CHECK(s.len == 0);
		return;
	}
	CHECK(len > 0 || s.p == buf);
	CHECK(s.p >= buf && s.p <= buf + len);
	CHECK(s.len <= (size_t)(buf + len - s.p));
	CHECK(s.p >= *last);
	*last = s.p + s.len;
}

static void
check_sd(struct span sd)
{
	char small[4], big[256];
	struct sd_iter it;
	struct span id, name, value;
	size_t n, m;
	int r, q;

	sd_iter_init(&it, sd);
	while ((r = sd_next_element(&it, &id)) == 1) {
		CHECK(id.len > 0 && id.p > sd.p &&
		    id.p + id.len < sd.p + sd.len);
		while ((q = sd_next_param(&it, &name, &value)) == 1) {
			CHECK(name.len > 0 && name.p > id.p);
			CHECK(value.p > name.p + name.len &&
			    value.p + value.len < sd.p + sd.len);
			n = sd_unescape(value, small, sizeof(small));
			m = sd_unescape(value, big, sizeof(big));
			CHECK(n == m && n == sd_unescape_len(value));
			CHECK(n <= value.len);
			CHECK(memcmp(small, big, n < sizeof(small) ?
			    n : sizeof(small)) == 0);
		}
		CHECK(q == 0);
	}
	/* syslog_parse validated this span: no malformed verdict allowed. */
	CHECK(r == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const char *last = buf;
	struct syslog_msg m;
	enum syslog_kind k;

	k = syslog_parse(buf, size, &m);
	CHECK(k == m.kind);
	check_span(m.seq, buf, size, &last);
	check_span(m.timestamp, buf, size, &last);
	check_span(m.host, buf, size, &last);
	check_span(m.app, buf, size, &last);
	check_span(m.procid, buf, size, &last);
	check_span(m.msgid, buf, size, &last);
	check_span(m.sd, buf, size, &last);
	check_span(m.msg, buf, size, &last);

	if (m.pri >= 0) {
		CHECK(m.pri <= 191);
		CHECK(m.facility == m.pri / 8 && m.severity == m.pri % 8);
		CHECK(syslog_facility_name(m.facility)[0] != '?');
		CHECK(syslog_severity_name(m.severity)[0] != '?');
	} else
		CHECK(m.pri == -1 && m.facility == -1 && m.severity == -1);

	switch (k) {
	case SYSLOG_NONE:
		CHECK(m.pri == -1 && m.version == 0);
		CHECK(m.seq.p == NULL && m.timestamp.p == NULL && m.host.p == NULL &&
		    m.app.p == NULL && m.procid.p == NULL &&
		    m.msgid.p == NULL && m.sd.p == NULL);
		CHECK(m.msg.p == buf && m.msg.len == size);
		break;
	case SYSLOG_3164:
		CHECK(m.version == 0 && m.msgid.p == NULL && m.sd.p == NULL);
		CHECK(m.msg.p != NULL);
		break;
	case SYSLOG_5424:
		CHECK(m.version == 1 && m.pri >= 0 && m.seq.p == NULL);
		if (m.sd.p != NULL)
			CHECK(m.sd.len >= 3 && m.sd.p[0] == '[' &&
			    m.sd.p[m.sd.len - 1] == ']');
		break;
	default:
		abort();
	}
	check_sd(m.sd);
	return 0;
}
