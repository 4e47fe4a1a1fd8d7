/* Unit tests: record layout in text, json and raw; events; time format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "sendtime.h"
#include "syslog.h"

static char out[1 << 16];

static const char *
rec(enum rec_format f, const char *msg, size_t len, int truncated)
{
	struct rec_clock c = { 0 };
	struct rec_source src = { f, "127.0.0.1:5555", 14, "tcp", NULL, 0 };
	size_t n;

	rec_clock_set(&c, 1795735486, 7);
	n = record_message(out, &c, &src, msg, len, truncated);
	assert_true(n <= RECORD_MSG_MAX(len));
	out[n] = '\0';
	return out;
}

#define REC(f, s) rec(f, s, sizeof(s) - 1, 0)

static void
test_time_is_rfc3339_utc_with_milliseconds(void **state)
{
	struct rec_clock c = { 0 };
	(void)state;

	rec_clock_set(&c, 0, 999);
	assert_string_equal(c.text, "1970-01-01T00:00:00.999Z");
	rec_clock_set(&c, 1795735486, 7);
	assert_string_equal(c.text, "2026-11-26T23:24:46.007Z");
	rec_clock_set(&c, 1795735486, 120);	/* same second: only the milliseconds change */
	assert_string_equal(c.text, "2026-11-26T23:24:46.120Z");
}

static void
test_plain_text_line_has_time_peer_message(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_TEXT, "hello world"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 hello world\n");
}

static void
test_text_adds_facility_severity_host_app_for_syslog(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_TEXT, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog 99 ID47 [exampleSDID@32473 iut=\"3\"] An application event"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 local4.notice mymachine.example.com "
	    "evntslog[99] sent=\"2003-10-11T22:14:15.003Z\" msgid=ID47: "
	    "[exampleSDID@32473 iut=\"3\"] An application event\n");
	assert_string_equal(REC(REC_TEXT, "<34>Nov 26 23:24:46 mymachine su: 'su root' failed"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 auth.crit mymachine su: 'su root' failed\n");
}

static void
test_plain_line_starting_with_a_time_is_not_taken_apart(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_TEXT, "Nov 20 23:29:19 done."),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 Nov 20 23:29:19 done.\n");
	assert_string_equal(REC(REC_TEXT, "Nov 20 23:29:19 what? happened"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 Nov 20 23:29:19 what? happened\n");
	assert_string_equal(REC(REC_TEXT, "2026-01-02T03:04:05.678Z foo bar"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 2026-01-02T03:04:05.678Z foo bar\n");
}

static void
test_3164_header_without_pri_has_no_facility_or_severity(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_TEXT, "Feb 18 16:01:59 web1 systemd[1]: Started"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 - web1 systemd[1] sent=\"Feb 18 16:01:59\": "
	    "Started\n");
	assert_string_equal(REC(REC_JSON, "Feb 18 16:01:59 web1 systemd[1]: Started"),
	    "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tcp\","
	    "\"timestamp\":\"Feb 18 16:01:59\",\"host\":\"web1\",\"app\":\"systemd\","
	    "\"procid\":\"1\",\"msg\":\"Started\"}\n");
}

static void
test_json_has_the_cisco_sequence_number(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_JSON, "<186>1541800: Feb 27 06:08:59.485: "
	    "%HARDWARE-2-FAN_ERROR: Fan Failure"),
	    "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tcp\","
	    "\"pri\":186,\"facility\":\"local7\",\"severity\":\"crit\",\"seq\":\"1541800\","
	    "\"timestamp\":\"Feb 27 06:08:59.485\",\"app\":\"%HARDWARE-2-FAN_ERROR\","
	    "\"msg\":\"Fan Failure\"}\n");
}

static void
test_bare_pri_message_has_no_placeholder_host_or_app(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_TEXT, "<13>just text"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice just text\n");
}

static void
test_3164_header_layouts_render_the_same_way(void **state)
{
	(void)state;
	/* already in our layout: copied in one piece (a timestamp of the receive
	 * second is not repeated) */
	assert_string_equal(REC(REC_TEXT, "<13>Nov 26 23:24:46 h app[12]: m \\ x"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app[12]: m \\\\ x\n");
	/* other layouts: rebuilt field by field to the same shape */
	assert_string_equal(REC(REC_TEXT, "<13>Nov 26 23:24:46 h app[12] m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app[12]: m\n");
	assert_string_equal(REC(REC_TEXT, "<13>Nov 26 23:24:45 h app[12]:m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app[12]: m\n");
	assert_string_equal(REC(REC_TEXT, "<13>Nov 26 23:24:47 h app:"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app:\n");
}

static void
test_text_keeps_sender_timestamp_when_it_differs_and_msgid(void **state)
{
	(void)state;
	/* RFC 5424, the receive time in another zone: the same instant, not kept */
	assert_string_equal(REC(REC_TEXT, "<14>1 2026-11-27T00:24:46.5+01:00 h app - - - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.info h app: m\n");
	/* a relayed event two seconds old, with a MSGID */
	assert_string_equal(REC(REC_TEXT, "<14>1 2026-11-26T23:24:44Z h app 7 LOGIN - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.info h app[7] "
	    "sent=\"2026-11-26T23:24:44Z\" msgid=LOGIN: m\n");
	/* a MSGID alone; no host or app: placeholders keep the layout */
	assert_string_equal(REC(REC_TEXT, "<14>1 2026-11-26T23:24:46Z - - - ID9 - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.info - - msgid=ID9: m\n");
	/* RFC 3164, a day old (read as the receiver's zone, UTC here) */
	assert_string_equal(REC(REC_TEXT, "<13>Nov 25 23:24:46 h app: m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app sent=\"Nov 25 23:24:46\": "
	    "m\n");
	/* a timestamp that cannot be compared is kept */
	assert_string_equal(REC(REC_TEXT, "<186>1541800: Feb 27 06:08:59.485: %FAN: x"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 local7.crit - %FAN "
	    "sent=\"Feb 27 06:08:59.485\": x\n");
	/* JSON and raw unchanged: timestamp and msgid are fields there already */
	assert_string_equal(REC(REC_RAW, "<14>1 2026-11-26T23:24:44Z h app 7 LOGIN - m"),
	    "<14>1 2026-11-26T23:24:44Z h app 7 LOGIN - m\n");
	assert_non_null(strstr(REC(REC_JSON, "<14>1 2026-11-26T23:24:44Z h app 7 LOGIN - m"),
	    "\"timestamp\":\"2026-11-26T23:24:44Z\",\"host\":\"h\",\"app\":\"app\","
	    "\"procid\":\"7\",\"msgid\":\"LOGIN\""));
}

/* Whether a record keeps the sender's TIMESTAMP ts (the message: pre, ts,
 * then post), next to what sendtime_differs() says of ts itself. */
static void
check_sent(const char *pre, const char *ts, const char *post)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "%s%s%s", pre, ts, post);

	assert_true(n > 0 && (size_t)n < sizeof(msg));
	int kept = strstr(rec(REC_TEXT, msg, (size_t)n, 0), " sent=\"") != NULL;
	assert_int_equal(kept, sendtime_differs(ts, strlen(ts), 1795735486, 0));
}

static void
test_sender_time_memo_tells_every_byte_of_the_timestamp(void **state)
{
	/* TIMESTAMPs of 15 to 40 bytes, each the receive time (not kept); the
	 * one before the last changes one digit at a time, right after the
	 * same-length base was formatted (the memo then holds the base): the
	 * memo must see the change wherever it is. */
	static const char s3164[] = "<13>", s5424[] = "<14>1 ";
	static const char p3164[] = " h app: m", p5424[] = " h app - - - m";
	static const struct { const char *pre, *ts, *post; } base[] = {
		{ s3164, "Nov 26 23:24:46", p3164 },
		{ s5424, "2026-11-26T23:24:46Z", p5424 },
		{ s5424, "2026-11-26T23:24:46.5Z", p5424 },
		{ s5424, "2026-11-27T00:24:46.5+01:00", p5424 },
		{ s5424, "2026-11-27T00:24:46.123456+01:00", p5424 },
		{ s3164, "2026-11-26T23:24:46.123456789012Z", p3164 },
		{ s3164, "2026-11-26T23:24:46.12345678901234567Z", p3164 },
		{ s3164, "2026-11-27T00:24:46.12345678901234+01:00", p3164 },
	};
	int changed = 0;

	(void)state;
	for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++) {
		const char *ts = base[b].ts;
		size_t len = strlen(ts);
		char v[48];

		assert_true(len >= 15 && len <= 40);
		assert_false(sendtime_differs(ts, len, 1795735486, 0));
		for (size_t i = 0; i < len; i++) {
			if (ts[i] < '0' || ts[i] > '9')
				continue;
			memcpy(v, ts, len + 1);
			v[i] = ts[i] == '0' ? '1' : (char)(ts[i] - 1);
			check_sent(base[b].pre, ts, base[b].post);
			check_sent(base[b].pre, v, base[b].post);
			changed += sendtime_differs(v, len, 1795735486, 0);
		}
		check_sent(base[b].pre, ts, base[b].post);
	}
	assert_true(changed > 60);	/* most digits move the time by more than 1 s */
}

static void
test_zone_offset_applies_to_3164_timestamps_only(void **state)
{
	(void)state;
	rec_set_utc_offset(3600);	/* the receiver is at UTC+1 */
	assert_string_equal(REC(REC_TEXT, "<13>Nov 27 00:24:46 h app: m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.notice h app: m\n");
	assert_non_null(strstr(REC(REC_TEXT, "<13>Nov 26 23:24:46 h app: m"), " sent=\""));
	assert_string_equal(REC(REC_TEXT, "<14>1 2026-11-26T23:24:46Z h app - - - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 user.info h app: m\n");
	rec_set_utc_offset(0);
}

static void
test_sender_time_of_3164_without_year_is_the_last_year_at_new_year(void **state)
{
	time_t t, jan1 = 1798761600;	/* 2027-01-01T00:00:00Z */
	(void)state;

	assert_int_equal(sendtime_parse("Dec 31 23:59:58", 15, jan1, 0, &t), 0);
	assert_int_equal(t, jan1 - 2);
	assert_int_equal(sendtime_parse("Jan  1 00:00:01", 15, jan1, 0, &t), 0);
	assert_int_equal(t, jan1 + 1);
	assert_int_equal(sendtime_parse("2026-12-31T23:59:59-01:00", 25, jan1, 0, &t), 0);
	assert_int_equal(t, jan1 + 3599);
	assert_int_equal(sendtime_parse("Foo 31 23:59:58", 15, jan1, 0, &t), -1);
	assert_int_equal(sendtime_parse("2026-13-01T00:00:00Z", 20, jan1, 0, &t), -1);
	assert_false(sendtime_differs("Jan  1 00:00:01", 15, jan1, 0));
	assert_true(sendtime_differs("Jan  1 00:00:02", 15, jan1, 0));
}

/* A BSD timestamp of "now" itself reads back as now, on every day from 1901
 * to 2400 (the year comes from now's date: leap years, centuries, zones). */
static void
test_sender_time_of_3164_is_now_on_every_day_of_five_centuries(void **state)
{
	static const char mon[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	const long offs[] = { 0, 3600, -5 * 3600, 13 * 3600 + 2700 };
	(void)state;

	for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
		for (long long day = -25202; day < 157400; day += 1) {
			time_t now = (time_t)(day * 86400 + 12 * 3600 + 34 * 60 + 56), t, local;
			struct tm tm;
			char ts[32];

			local = now + offs[o];
			assert_non_null(gmtime_r(&local, &tm));
			snprintf(ts, sizeof(ts), "%s %2d %02d:%02d:%02d", mon[tm.tm_mon], tm.tm_mday,
			    tm.tm_hour, tm.tm_min, tm.tm_sec);
			assert_int_equal(sendtime_parse(ts, 15, now, offs[o], &t), 0);
			if (t != now)
				fail_msg("%s at day %lld offset %ld: %lld", ts, day, offs[o], (long long)t);
		}
}

static void
test_format_of_a_file_is_known_from_its_first_event(void **state)
{
	struct rec_clock c = { 0 };
	char buf[REC_EVENT_MAX];
	size_t n;
	(void)state;

	rec_clock_set(&c, 1795735486, 7);
	for (int f = REC_TEXT; f <= REC_RAW; f++) {
		n = record_event(buf, &c, (enum rec_format)f, 42, "start version=x");
		assert_int_equal(record_format_of(buf, n), f);
	}
	assert_int_equal(record_format_of("", 0), -1);
	assert_int_equal(record_format_of("2026-11-26T23:24:46.007Z 127.0.0.1:5555 x", 41), -1);
	assert_int_equal(record_format_of("2026-11-26T23:24:46.007Z - logs", 31), -1);
}

static void
test_truncated_message_is_marked(void **state)
{
	(void)state;
	assert_string_equal(rec(REC_TEXT, "abc", 3, 1),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 abc [truncated]\n");
	assert_non_null(strstr(rec(REC_JSON, "abc", 3, 1), ",\"truncated\":true}"));
}

static void
test_a_message_cannot_forge_a_second_record(void **state)
{
	static const char forged[] = "x\n2026-11-26T23:24:46.007Z - logserver[1]: stop";
	(void)state;

	const char *r = rec(REC_TEXT, forged, sizeof(forged) - 1, 0);
	assert_ptr_equal(strchr(r, '\n'), r + strlen(r) - 1);
	r = rec(REC_RAW, forged, sizeof(forged) - 1, 0);
	assert_ptr_equal(strchr(r, '\n'), r + strlen(r) - 1);
	r = rec(REC_JSON, forged, sizeof(forged) - 1, 0);
	assert_ptr_equal(strchr(r, '\n'), r + strlen(r) - 1);
}

static void
test_json_has_every_syslog_field(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_JSON, "<165>1 2003-10-11T22:14:15.003Z host app 99 ID47 "
	    "[a@1 k=\"v\\\"q\" e=\"x\\]y\"][b@2] \xef\xbb\xbfhi \"there\""),
	    "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tcp\","
	    "\"pri\":165,\"facility\":\"local4\",\"severity\":\"notice\","
	    "\"timestamp\":\"2003-10-11T22:14:15.003Z\",\"host\":\"host\",\"app\":\"app\","
	    "\"procid\":\"99\",\"msgid\":\"ID47\",\"sd\":{\"a@1\":{\"k\":\"v\\\"q\",\"e\":\"x]y\"},"
	    "\"b@2\":{}},\"msg\":\"hi \\\"there\\\"\"}\n");
}

static void
test_json_repeated_sd_param_becomes_an_array(void **state)
{
	(void)state;
	assert_non_null(strstr(REC(REC_JSON, "<13>1 - h a - - [origin ip=\"192.0.2.1\" "
	    "software=\"x\" ip=\"2001:db8::1\"] m"),
	    "\"sd\":{\"origin\":{\"ip\":[\"192.0.2.1\",\"2001:db8::1\"],\"software\":\"x\"}}"));
}

static void
test_json_plain_message_has_only_time_peer_transport_msg(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_JSON, "plain \x01 \xff"),
	    "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tcp\","
	    "\"msg\":\"plain \\u0001 \\u00ff\"}\n");
}

static void
test_raw_is_the_escaped_message_alone(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_RAW, "<13>Nov 20 12:00:00 h app: m\tx"),
	    "<13>Nov 20 12:00:00 h app: m\\tx\n");
}

static void
test_events_use_the_dash_peer_and_escape_their_text(void **state)
{
	struct rec_clock c = { 0 };
	char buf[REC_EVENT_MAX];
	size_t n;
	(void)state;

	rec_clock_set(&c, 1795735486, 7);
	n = record_event(buf, &c, REC_TEXT, 42, "connect %s", "a\nb");
	buf[n] = '\0';
	assert_string_equal(buf, "2026-11-26T23:24:46.007Z - logserver[42]: connect a\\nb\n");
	n = record_event(buf, &c, REC_JSON, 42, "stop");
	buf[n] = '\0';
	assert_string_equal(buf, "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"-\","
	    "\"transport\":\"-\",\"app\":\"logserver\",\"procid\":\"42\",\"msg\":\"stop\"}\n");
}

static void
test_event_text_is_cut_to_fit_its_bound(void **state)
{
	struct rec_clock c = { 0 };
	char buf[REC_EVENT_MAX], big[4000];
	(void)state;

	memset(big, 1, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rec_clock_set(&c, 0, 0);
	assert_true(record_event(buf, &c, REC_JSON, 1, "%s", big) <= REC_EVENT_MAX);
	assert_true(record_event(buf, &c, REC_TEXT, 1, "%s", big) <= REC_EVENT_MAX);
}

static void
test_worst_case_message_stays_within_bound(void **state)
{
	static char msg[4096];
	(void)state;

	/* Structured data full of escapes and control bytes. */
	strcpy(msg, "<1>1 - - - - - [a b=\"");
	size_t n = strlen(msg);
	for (; n < sizeof(msg) - 4; n++)
		msg[n] = (n % 2) ? '\x01' : '"';
	for (int f = REC_TEXT; f <= REC_RAW; f++)
		rec((enum rec_format)f, msg, n, 1);
	/* Every 3164 field present, the Cisco sequence number too. */
	strcpy(msg, "<191>1234567890: Nov 20 12:00:00 \"\" \"\"[\"\"]: ");
	n = strlen(msg);
	for (; n < sizeof(msg) - 4; n++)
		msg[n] = '\x01';
	for (int f = REC_TEXT; f <= REC_RAW; f++)
		rec((enum rec_format)f, msg, n, 1);
}

#define JSON_HEAD "{\"time\":\"2026-11-26T23:24:46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tcp\"," \
	"\"pri\":13,\"facility\":\"user\",\"severity\":\"notice\","

/* JSON copies the fields before the first byte that needs escaping without
 * escaping them, and escapes every field from there on: those after it too. */
static void
test_json_fields_around_a_byte_that_needs_escaping_are_each_escaped_right(void **state)
{
	(void)state;
	assert_string_equal(REC(REC_JSON, "<13>Nov 20 12:00:00 host app[12]: m\" x"),
	    JSON_HEAD "\"timestamp\":\"Nov 20 12:00:00\",\"host\":\"host\",\"app\":\"app\","
	    "\"procid\":\"12\",\"msg\":\"m\\\" x\"}\n");
	assert_string_equal(REC(REC_JSON, "<13>1 2024-11-20T12:00:00Z ho\"st app 12 ID "
	    "[x@1 a=\"v\\\"w\\]\" b=\"plain\"][y@2 c=\"\\q\"] \"m\" ok"),
	    JSON_HEAD "\"timestamp\":\"2024-11-20T12:00:00Z\",\"host\":\"ho\\\"st\",\"app\":\"app\","
	    "\"procid\":\"12\",\"msgid\":\"ID\",\"sd\":{\"x@1\":{\"a\":\"v\\\"w]\",\"b\":\"plain\"},"
	    "\"y@2\":{\"c\":\"\\\\q\"}},\"msg\":\"\\\"m\\\" ok\"}\n");
	assert_string_equal(REC(REC_JSON, "<13>1 - h\\st a p m [x@1 a=\"1\" a=\"2\" b=\"\xc3\xa9\"] "
	    "caf\xc3\xa9 \xe2\x80\xa8 \xff \x01 \xe2\x80\xae end"),
	    JSON_HEAD "\"host\":\"h\\\\st\",\"app\":\"a\",\"procid\":\"p\",\"msgid\":\"m\","
	    "\"sd\":{\"x@1\":{\"a\":[\"1\",\"2\"],\"b\":\"\xc3\xa9\"}},"
	    "\"msg\":\"caf\xc3\xa9 \\u2028 \\u00ff \\u0001 \\u202e end\"}\n");
}

/* pri, facility and severity are written from a memo per PRI value: every
 * value, asked twice, gives its own fields. */
static void
test_every_pri_has_its_facility_and_severity_in_json_and_text(void **state)
{
	char msg[32], want[128];
	(void)state;

	/* twice: both formats make the names once per PRI, then copy them */
	for (int round = 0; round < 2; round++) {
		for (int pri = 0; pri < 192; pri++) {
			int n = snprintf(msg, sizeof(msg), "<%d>1 - h a - - - m", pri);
			const char *f = syslog_facility_name(pri / 8), *v = syslog_severity_name(pri % 8);

			snprintf(want, sizeof(want), ",\"pri\":%d,\"facility\":\"%s\",\"severity\":\"%s\",",
			    pri, f, v);
			assert_non_null(strstr(rec(REC_JSON, msg, (size_t)n, 0), want));
			snprintf(want, sizeof(want), "127.0.0.1:5555 %s.%s h a: m\n", f, v);
			assert_string_equal(rec(REC_TEXT, msg, (size_t)n, 0) + REC_TIME_LEN + 1, want);
		}
	}
	assert_non_null(strstr(REC(REC_JSON, "<124>1 - h a - - - m"),
	    ",\"pri\":124,\"facility\":\"solaris-cron\",\"severity\":\"warning\",\"host\""));
	assert_string_equal(REC(REC_TEXT, "<124>1 - h a - - - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 solaris-cron.warning h a: m\n");
	assert_string_equal(REC(REC_TEXT, "<51>1 - h a - - - m"),
	    "2026-11-26T23:24:46.007Z 127.0.0.1:5555 lpr.err h a: m\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_is_rfc3339_utc_with_milliseconds),
		cmocka_unit_test(test_sender_time_of_3164_is_now_on_every_day_of_five_centuries),
		cmocka_unit_test(test_plain_text_line_has_time_peer_message),
		cmocka_unit_test(test_text_adds_facility_severity_host_app_for_syslog),
		cmocka_unit_test(test_plain_line_starting_with_a_time_is_not_taken_apart),
		cmocka_unit_test(test_bare_pri_message_has_no_placeholder_host_or_app),
		cmocka_unit_test(test_3164_header_without_pri_has_no_facility_or_severity),
		cmocka_unit_test(test_json_has_the_cisco_sequence_number),
		cmocka_unit_test(test_3164_header_layouts_render_the_same_way),
		cmocka_unit_test(test_text_keeps_sender_timestamp_when_it_differs_and_msgid),
		cmocka_unit_test(test_sender_time_memo_tells_every_byte_of_the_timestamp),
		cmocka_unit_test(test_zone_offset_applies_to_3164_timestamps_only),
		cmocka_unit_test(test_sender_time_of_3164_without_year_is_the_last_year_at_new_year),
		cmocka_unit_test(test_format_of_a_file_is_known_from_its_first_event),
		cmocka_unit_test(test_truncated_message_is_marked),
		cmocka_unit_test(test_a_message_cannot_forge_a_second_record),
		cmocka_unit_test(test_json_has_every_syslog_field),
		cmocka_unit_test(test_json_repeated_sd_param_becomes_an_array),
		cmocka_unit_test(test_json_plain_message_has_only_time_peer_transport_msg),
		cmocka_unit_test(test_json_fields_around_a_byte_that_needs_escaping_are_each_escaped_right),
		cmocka_unit_test(test_every_pri_has_its_facility_and_severity_in_json_and_text),
		cmocka_unit_test(test_raw_is_the_escaped_message_alone),
		cmocka_unit_test(test_events_use_the_dash_peer_and_escape_their_text),
		cmocka_unit_test(test_event_text_is_cut_to_fit_its_bound),
		cmocka_unit_test(test_worst_case_message_stays_within_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
