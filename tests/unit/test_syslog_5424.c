/*
 * Unit tests for the RFC 5424 side of the syslog parser (src/proto/syslog_5424.c,
 * syslog_sd.c): the RFC examples, timestamps, NILVALUEs, the BOM,
 * STRUCTURED-DATA, broken and truncated headers, SD iteration and
 * unescaping. The RFC 3164 side and the general cases: test_syslog.c.
 *
 * Every input is copied into a heap buffer of exactly its length before it
 * is parsed, so under ASan or valgrind any read past the end is caught.
 */
#include "syslog_rows.h"

/* RFC 5424 6.5, examples 1 to 4, verbatim (BOM written as bytes). */
#define EX3_SD	"[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" " \
		"eventID=\"1011\"]"
static const struct row rfc5424_examples[] = {
	{ "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	  BOM "'su root' failed for lonvick on /dev/pts/8", 0, SYSLOG_5424, 34,
	  "2003-10-11T22:14:15.003Z", "mymachine.example.com", "su", NULL,
	  "ID47", NULL, "'su root' failed for lonvick on /dev/pts/8" },
	{ "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
	  "%% It's time to make the do-nuts.", 0, SYSLOG_5424, 165,
	  "2003-08-24T05:14:15.000003-07:00", "192.0.2.1", "myproc", "8710",
	  NULL, NULL, "%% It's time to make the do-nuts." },
	{ "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	  "ID47 " EX3_SD " " BOM "An application event log entry...", 0,
	  SYSLOG_5424, 165, "2003-10-11T22:14:15.003Z",
	  "mymachine.example.com", "evntslog", NULL, "ID47", EX3_SD,
	  "An application event log entry..." },
	{ "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	  "ID47 " EX3_SD "[examplePriority@32473 class=\"high\"]", 0,
	  SYSLOG_5424, 165, "2003-10-11T22:14:15.003Z",
	  "mymachine.example.com", "evntslog", NULL, "ID47",
	  EX3_SD "[examplePriority@32473 class=\"high\"]", NULL },
};

static void
test_5424_rfc_section_6_5_examples(void **state)
{
	(void)state;
	RUN(rfc5424_examples);
}

/* RFC 5424 6.2.3.1 timestamp examples and our stated deviations. */
#define TS_ROW(ts) { "<13>1 " ts " h a - - - m", 0, SYSLOG_5424, 13, ts, \
	"h", "a", NULL, NULL, NULL, "m" }
#define TS_BAD(ts) { "<13>1 " ts " h a - - - m", 0, SYSLOG_3164, 13, NULL, \
	NULL, NULL, NULL, NULL, NULL, "1 " ts " h a - - - m" }
static const struct row rfc5424_timestamps[] = {
	TS_ROW("1985-04-12T23:20:50.52Z"),
	TS_ROW("1985-04-12T19:20:50.52-04:00"),
	TS_ROW("2003-10-11T22:14:15.003Z"),
	TS_ROW("2003-08-24T05:14:15.000003-07:00"),
	/* 6.2.3.1 example 5 is invalid by the RFC; Go emits it, we keep it. */
	TS_ROW("2003-08-24T05:14:15.000000003-07:00"),
	TS_ROW("2024-02-29T23:59:59+14:00"),
	TS_ROW("2024-02-29T00:00:00Z"),
	/* Not a 5424 timestamp: the text after PRI is read as RFC 3164. */
	TS_BAD("2003-08-24T05:14:15.0000000003-07:00"),
	TS_BAD("2003-10-11t22:14:15Z"),		/* 6.2.3: "T" upper case */
	TS_BAD("2003-10-11T22:14:15z"),
	TS_BAD("1990-12-31T23:59:60Z"),		/* 6.2.3: no leap second */
	TS_BAD("2003-13-11T22:14:15Z"),
	TS_BAD("2003-10-00T22:14:15Z"),
	TS_BAD("2003-10-11T24:14:15Z"),
	TS_BAD("2003-10-11T22:14:15.Z"),
	TS_BAD("2003-10-11T22:14:15+0200"),
	TS_BAD("2003-10-11 22:14:15Z"),
};

static void
test_5424_timestamp_forms(void **state)
{
	(void)state;
	RUN(rfc5424_timestamps);
}

/* Juniper SRX "structured-data" format: RFC 5424 but no TIME-OFFSET. */
#define SRX_SD "[junos@2636.1.1.1.2.35 source-address=\"10.0.0.1\"]"
static const struct row no_offset_rows[] = {
	{ "<14>1 2010-09-15T12:00:00.000 srx-1 RT_FLOW - RT_FLOW_SESSION_CREATE "
	  SRX_SD " session created", 0, SYSLOG_5424, 14,
	  "2010-09-15T12:00:00.000", "srx-1", "RT_FLOW", NULL,
	  "RT_FLOW_SESSION_CREATE", SRX_SD, "session created" },
	TS_ROW("2003-10-11T22:14:15"),
	TS_ROW("2003-10-11T22:14:15.123456789"),
	/* The other 6.2.3 rules stay: "T" upper case, no leap second. */
	TS_BAD("2003-10-11t22:14:15"),
	TS_BAD("1990-12-31T23:59:60"),
	TS_BAD("2003-10-11T22:14:15.1234567890"),
};

static void
test_5424_timestamp_without_offset_is_accepted(void **state)
{
	(void)state;
	RUN(no_offset_rows);
}

static const struct row nil_rows[] = {
	{ "<13>1 - - - - - -", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	/* SP after SD: MSG is present and empty. */
	{ "<13>1 - - - - - - ", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "" },
	{ "<13>1 - - - - - - text", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "text" },
	/* util-linux logger --rfc5424=notq,notime */
	{ "<13>1 - vm app - - - no tq no time", 0, SYSLOG_5424, 13,
	  NULL, "vm", "app", NULL, NULL, NULL, "no tq no time" },
	/* "-" is only NILVALUE on its own. */
	{ "<13>1 - -h -a -p -m - x", 0, SYSLOG_5424, 13,
	  NULL, "-h", "-a", "-p", "-m", NULL, "x" },
	{ "<13>1 - - - - - - -", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "-" },
};

static void
test_5424_nil_values_are_absent(void **state)
{
	(void)state;
	RUN(nil_rows);
}

static const struct row bom_rows[] = {
	{ "<13>1 - h a - - - " BOM "caf\xC3\xA9", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, "caf\xC3\xA9" },
	{ "<13>1 - h a - - - " BOM, 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, "" },
	/* Only one BOM, and only at the start, is removed. */
	{ "<13>1 - h a - - - " BOM BOM "x", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, BOM "x" },
	{ "<13>1 - h a - - - x" BOM, 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, "x" BOM },
	/* A truncated BOM is content. */
	{ "<13>1 - h a - - - \xEF\xBB", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, "\xEF\xBB" },
	{ "<13>Nov 20 12:00:00 host app: " BOM "hi", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", "app", NULL, NULL, NULL, "hi" },
};

static void
test_bom_is_skipped_at_msg_start(void **state)
{
	(void)state;
	RUN(bom_rows);
}

#define LOGGER_ESC_SD "[timeQuality tzKnown=\"1\" isSynced=\"0\"]" \
	"[esc@1 v=\"a\\\"b\\\\c\\]d\"]"
static const struct row sd_rows[] = {
	/* util-linux logger --rfc5424 --sd-id esc@1 --sd-param ... */
	{ "<13>1 2026-11-20T23:27:41.882907+00:00 vm app - - " LOGGER_ESC_SD
	  " escapes", 0, SYSLOG_5424, 13, "2026-11-20T23:27:41.882907+00:00",
	  "vm", "app", NULL, NULL, LOGGER_ESC_SD, "escapes" },
	/* An escaped quote or bracket does not end the value or element. */
	{ "<13>1 - h a - - [x@1 k=\"\\\"] [\\\"\"] m", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, "[x@1 k=\"\\\"] [\\\"\"]", "m" },
	/* An escaped backslash before the quote does not escape the quote. */
	{ "<13>1 - h a - - [x@1 k=\"\\\\\"] m", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, "[x@1 k=\"\\\\\"]", "m" },
	/* Unescaped ']' inside quotes is tolerated. */
	{ "<13>1 - h a - - [x@1 k=\"a]b\"] m", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, "[x@1 k=\"a]b\"]", "m" },
	{ "<13>1 - h a - - [x@1 k=\"\"][y@1][z@1 a=\"1\" b=\"2\"]", 0,
	  SYSLOG_5424, 13, NULL, "h", "a", NULL, NULL,
	  "[x@1 k=\"\"][y@1][z@1 a=\"1\" b=\"2\"]", NULL },
	/* SD-ID of 32 characters is allowed (RFC 5424 6.3.2). */
	{ "<13>1 - h a - - [abcdefghijklmnopqrstuvwxyz@12345] m", 0,
	  SYSLOG_5424, 13, NULL, "h", "a", NULL, NULL,
	  "[abcdefghijklmnopqrstuvwxyz@12345]", "m" },
};

static void
test_5424_sd_escapes_do_not_end_value(void **state)
{
	(void)state;
	RUN(sd_rows);
}

/* RFC 5424 6.3.5: whitespace between elements makes the rest MSG. */
static const struct row sd_invalid_rows[] = {
	{ "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	  "ID47 " EX3_SD " [examplePriority@32473 class=\"high\"]", 0,
	  SYSLOG_5424, 165, "2003-10-11T22:14:15.003Z",
	  "mymachine.example.com", "evntslog", NULL, "ID47", EX3_SD,
	  "[examplePriority@32473 class=\"high\"]" },
	{ "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	  "ID47 [ exampleSDID@32473 iut=\"3\"] m", 0, SYSLOG_5424, 165,
	  "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog",
	  NULL, "ID47", NULL, "[ exampleSDID@32473 iut=\"3\"] m" },
};

static void
test_5424_sd_rfc_invalid_examples(void **state)
{
	(void)state;
	RUN(sd_invalid_rows);
}

/* Broken after the commitment point: keep what parsed, rest is msg. */
#define A48 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"
#define M32 "abcdefghijklmnopqrstuvwxyzabcdef"
static const struct row broken_rows[] = {
	{ "<13>1 2003-10-11T22:14:15Z host app 123 ID47 [bad", 0, SYSLOG_5424,
	  13, "2003-10-11T22:14:15Z", "host", "app", "123", "ID47", NULL,
	  "[bad" },
	{ "<13>1 2003-10-11T22:14:15Z host", 0, SYSLOG_5424, 13,
	  "2003-10-11T22:14:15Z", "host", NULL, NULL, NULL, NULL, NULL },
	{ "<13>1 2003-10-11T22:14:15Z", 0, SYSLOG_5424, 13,
	  "2003-10-11T22:14:15Z", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "<13>1 -", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "<13>1 - host app\x01x 1 - - m", 0, SYSLOG_5424, 13,
	  NULL, "host", NULL, NULL, NULL, NULL, "app\x01x 1 - - m" },
	{ "<13>1 - host  app - - - m", 0, SYSLOG_5424, 13,
	  NULL, "host", NULL, NULL, NULL, NULL, " app - - - m" },
	{ "<13>1 - host app - - -x msg", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, "-x msg" },
	{ "<13>1 - host app - - [a b=\"c\"]x", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, "[a b=\"c\"]x" },
	{ "<13>1 - host app - - [a b=\"c\"", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, "[a b=\"c\"" },
	{ "<13>1 - host app - - [a b=c]", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, "[a b=c]" },
	{ "<13>1 - host app - - [a  b=\"c\"]", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, "[a  b=\"c\"]" },
	{ "<13>1 - host app - - [abcdefghijklmnopqrstuvwxyz@123456]", 0,
	  SYSLOG_5424, 13, NULL, "host", "app", NULL, NULL, NULL,
	  "[abcdefghijklmnopqrstuvwxyz@123456]" },
	{ "<13>1 - host app - -", 0, SYSLOG_5424, 13,
	  NULL, "host", "app", NULL, NULL, NULL, NULL },
	/* RFC 5424 6: APP-NAME <= 48, MSGID <= 32. */
	{ "<13>1 - h " A48 " - " M32 " - m", 0, SYSLOG_5424, 13,
	  NULL, "h", A48, NULL, M32, NULL, "m" },
	{ "<13>1 - h " A48 "x - - - m", 0, SYSLOG_5424, 13,
	  NULL, "h", NULL, NULL, NULL, NULL, A48 "x - - - m" },
	{ "<13>1 - h a - " M32 "x - m", 0, SYSLOG_5424, 13,
	  NULL, "h", "a", NULL, NULL, NULL, M32 "x - m" },
};

static void
test_5424_broken_header_keeps_parsed_fields(void **state)
{
	(void)state;
	RUN(broken_rows);
}

/* Before the commitment point, "<PRI>1 ..." that is not 5424 is 3164. */
static const struct row not5424_rows[] = {
	{ "<14>1 apple", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "1 apple" },
	{ "<14>1", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "1" },
	{ "<14>1 ", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "1 " },
	{ "<14>2 - - - - - - m", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "2 - - - - - - m" },
	{ "<14>1 -x", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "1 -x" },
	{ "<14>12 - - - - - - m", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "12 - - - - - - m" },
	/* No PRI: never 5424. */
	{ "1 - - - - - - m", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
test_5424_needs_version_and_timestamp_else_3164(void **state)
{
	(void)state;
	RUN(not5424_rows);
}

static void
test_5424_truncation_keeps_kind_after_timestamp(void **state)
{
	const char *full = rfc5424_examples[2].in;
	size_t len = strlen(full), k, commit;
	struct syslog_msg m;
	char *buf;

	(void)state;
	/* "<165>1 " + timestamp: committed from there on. */
	commit = strlen("<165>1 2003-10-11T22:14:15.003Z");
	for (k = commit; k <= len; k++) {
		buf = dup_exact(full, k);
		assert_int_equal(syslog_parse(buf, k, &m), SYSLOG_5424);
		assert_int_equal(m.pri, 165);
		assert_int_equal(m.timestamp.len, strlen("2003-10-11T22:14:15.003Z"));
		free(buf);
	}
	/* Cut inside the fraction: a timestamp without offset (Juniper SRX),
	 * but for a '.' without a digit. */
	for (k = strlen("<165>1 2003-10-11T22:14:15"); k < commit; k++) {
		buf = dup_exact(full, k);
		assert_int_equal(syslog_parse(buf, k, &m), full[k - 1] == '.' ?
		    SYSLOG_3164 : SYSLOG_5424);
		free(buf);
	}
	commit = strlen("<165>1 2003-10-11T22:14:15");
	for (k = 5; k < commit; k++) {
		buf = dup_exact(full, k);
		assert_int_equal(syslog_parse(buf, k, &m), SYSLOG_3164);
		assert_ptr_equal(m.msg.p, buf + 5);
		free(buf);
	}
}

/* Every prefix of every message above: no crash, invariants hold. */
static void
test_every_prefix_of_the_5424_rows_is_safe(void **state)
{
	(void)state;
	PREFIXES(rfc5424_examples);
	PREFIXES(rfc5424_timestamps);
	PREFIXES(nil_rows);
	PREFIXES(bom_rows);
	PREFIXES(sd_rows);
	PREFIXES(sd_invalid_rows);
	PREFIXES(broken_rows);
	PREFIXES(not5424_rows);
	PREFIXES(no_offset_rows);
}

static void
expect_elem(struct sd_iter *it, const char *id)
{
	struct span s;

	assert_int_equal(sd_next_element(it, &s), 1);
	assert_true(span_is(s, id));
}

static void
expect_param(struct sd_iter *it, const char *name, const char *value)
{
	struct span n, v;

	assert_int_equal(sd_next_param(it, &n, &v), 1);
	assert_true(span_is(n, name));
	assert_true(span_is(v, value));
}

static void
test_sd_iter_walks_elements_and_params(void **state)
{
	const char *in = "<13>1 2026-11-20T23:27:41.878817+00:00 vm myapp - "
	    "ID47 " LOGGER_SD " sd message";
	struct syslog_msg m;
	struct sd_iter it;
	struct span n, v;

	(void)state;
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_5424);
	sd_iter_init(&it, m.sd);
	expect_elem(&it, "timeQuality");
	expect_param(&it, "tzKnown", "1");
	expect_param(&it, "isSynced", "0");
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	expect_elem(&it, "zoo@123");
	expect_param(&it, "tiger", "hungry");
	expect_param(&it, "zebra", "running");
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	expect_elem(&it, "manager@123");
	expect_param(&it, "onduty", "Jan");
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	assert_int_equal(sd_next_element(&it, &n), 0);
	assert_int_equal(sd_next_element(&it, &n), 0);
}

static void
test_sd_iter_skips_unread_params(void **state)
{
	struct span sd = { LOGGER_SD, strlen(LOGGER_SD) };
	struct sd_iter it;
	struct span n, v;

	(void)state;
	sd_iter_init(&it, sd);
	/* Parameters before any element: none. */
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	expect_elem(&it, "timeQuality");
	expect_elem(&it, "zoo@123");
	expect_param(&it, "tiger", "hungry");
	expect_elem(&it, "manager@123");
	assert_int_equal(sd_next_element(&it, &n), 0);
}

static void
test_sd_iter_escaped_values_stay_raw(void **state)
{
	const char *sd = "[x@1 a=\"\\\"]\" b=\"]\" c=\"\\\\\" d=\"\"]";
	struct span s = { sd, strlen(sd) };
	struct sd_iter it;
	struct span n, v;

	(void)state;
	sd_iter_init(&it, s);
	expect_elem(&it, "x@1");
	expect_param(&it, "a", "\\\"]");
	expect_param(&it, "b", "]");
	expect_param(&it, "c", "\\\\");
	expect_param(&it, "d", "");
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	assert_int_equal(sd_next_element(&it, &n), 0);
}

struct bad_sd {
	const char *sd;
	int elements_ok;	/* sd_next_element calls returning 1 first */
	int params_ok;		/* then sd_next_param calls returning 1 */
};

static const struct bad_sd bad_sds[] = {
	{ "x", 0, 0 },
	{ "[", 0, 0 },
	{ "[]", 0, 0 },
	{ "[a", 0, 0 },
	{ "[a=b]", 0, 0 },
	{ "[a b]", 1, 0 },
	{ "[a b=c]", 1, 0 },
	{ "[a b=\"c]", 1, 0 },
	{ "[a b=\"c\"", 1, 1 },
	{ "[a b=\"c\"x]", 1, 1 },
	{ "[a  b=\"c\"]", 1, 0 },
	{ "[a b=\"c\"] [d]", 1, 1 },
	{ "[a b=\"c\"\\", 1, 1 },
	{ "[a =\"c\"]", 1, 0 },
	{ "[a\"b]", 0, 0 },
};

static void
test_sd_iter_reports_malformed(void **state)
{
	struct sd_iter it;
	struct span s, n, v;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < NELEM(bad_sds); i++) {
		s.p = bad_sds[i].sd;
		s.len = strlen(s.p);
		sd_iter_init(&it, s);
		for (k = 0; k < bad_sds[i].elements_ok; k++)
			assert_int_equal(sd_next_element(&it, &n), 1);
		for (k = 0; k < bad_sds[i].params_ok; k++)
			assert_int_equal(sd_next_param(&it, &n, &v), 1);
		/* Whichever call comes next hits the error, then it sticks. */
		if (bad_sds[i].elements_ok == 0)
			k = sd_next_element(&it, &n);
		else if (strcmp(bad_sds[i].sd, "[a b=\"c\"] [d]") == 0) {
			assert_int_equal(sd_next_param(&it, &n, &v), 0);
			k = sd_next_element(&it, &n);
		} else
			k = sd_next_param(&it, &n, &v);
		if (k != -1) {
			print_error("sd \"%s\": got %d, want -1\n",
			    bad_sds[i].sd, k);
			fail();
		}
		assert_int_equal(sd_next_element(&it, &n), -1);
		assert_int_equal(sd_next_param(&it, &n, &v), -1);
	}
}

static void
test_sd_iter_absent_and_empty(void **state)
{
	struct span none = { NULL, 0 }, empty = { "[", 0 };
	struct sd_iter it;
	struct span n, v;

	(void)state;
	sd_iter_init(&it, none);
	assert_int_equal(sd_next_element(&it, &n), 0);
	assert_int_equal(sd_next_param(&it, &n, &v), 0);
	sd_iter_init(&it, empty);
	assert_int_equal(sd_next_element(&it, &n), 0);
}

struct unesc {
	const char *raw, *want;
};

static const struct unesc unescs[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "a\\\"b\\\\c\\]d", "a\"b\\c]d" },	/* logger's esc@1 value */
	{ "\\\"", "\"" },
	{ "\\\\", "\\" },
	{ "\\]", "]" },
	{ "\\\\\\\"", "\\\"" },
	/* RFC 5424 6.3.3: other backslashes are literal. */
	{ "a\\nb", "a\\nb" },
	{ "c:\\temp", "c:\\temp" },
	{ "end\\", "end\\" },
	{ "\\", "\\" },
	{ "\\\\\\", "\\\\" },
	{ "caf\xC3\xA9 \\] ok", "caf\xC3\xA9 ] ok" },
};

static void
test_sd_unescape_decodes_rfc_escapes(void **state)
{
	char out[64];
	struct span v;
	size_t i, n;
	char *raw;

	(void)state;
	for (i = 0; i < NELEM(unescs); i++) {
		v.len = strlen(unescs[i].raw);
		raw = dup_exact(unescs[i].raw, v.len);
		v.p = raw;
		n = sd_unescape(v, out, sizeof(out));
		assert_int_equal(n, strlen(unescs[i].want));
		assert_memory_equal(out, unescs[i].want, n);
		assert_int_equal(sd_unescape_len(v), n);
		assert_int_equal(sd_unescape(v, NULL, 0), n);
		free(raw);
	}
	v.p = NULL;
	v.len = 0;
	assert_int_equal(sd_unescape(v, out, sizeof(out)), 0);
}

static void
test_sd_unescape_truncates_to_cap(void **state)
{
	const char *raw = "a\\\"b\\\\c\\]d";
	struct span v = { raw, strlen(raw) };
	char out[8];
	size_t cap;

	(void)state;
	for (cap = 0; cap <= 7; cap++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(sd_unescape(v, out, cap), 7);
		assert_memory_equal(out, "a\"b\\c]d", cap);
		/* Not one byte beyond cap. */
		assert_int_equal(out[cap], '#');
	}
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_5424_rfc_section_6_5_examples),
		cmocka_unit_test(test_5424_timestamp_forms),
		cmocka_unit_test(test_5424_nil_values_are_absent),
		cmocka_unit_test(test_bom_is_skipped_at_msg_start),
		cmocka_unit_test(test_5424_sd_escapes_do_not_end_value),
		cmocka_unit_test(test_5424_sd_rfc_invalid_examples),
		cmocka_unit_test(test_5424_broken_header_keeps_parsed_fields),
		cmocka_unit_test(test_5424_needs_version_and_timestamp_else_3164),
		cmocka_unit_test(test_5424_truncation_keeps_kind_after_timestamp),
		cmocka_unit_test(test_every_prefix_of_the_5424_rows_is_safe),
		cmocka_unit_test(test_5424_timestamp_without_offset_is_accepted),
		cmocka_unit_test(test_sd_iter_walks_elements_and_params),
		cmocka_unit_test(test_sd_iter_skips_unread_params),
		cmocka_unit_test(test_sd_iter_escaped_values_stay_raw),
		cmocka_unit_test(test_sd_iter_reports_malformed),
		cmocka_unit_test(test_sd_iter_absent_and_empty),
		cmocka_unit_test(test_sd_unescape_decodes_rfc_escapes),
		cmocka_unit_test(test_sd_unescape_truncates_to_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
