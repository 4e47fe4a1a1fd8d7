/* Unit tests: RELP frames, responses and offers (relp_frame.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "relp_frame.h"

static enum relp_status
parse(const char *s, size_t max, struct relp_frame *f, size_t *used, const char **why)
{
	return relp_parse(s, strlen(s), max, f, used, why);
}

static void
test_frame_with_data_is_parsed_whole(void **state)
{
	const char *in = "12 syslog 5 hello\n3 close 0\n";
	struct relp_frame f;
	size_t used;
	const char *why;

	(void)state;
	assert_int_equal(parse(in, 100, &f, &used, &why), RELP_OK);
	assert_int_equal(f.txnr, 12);
	assert_true(relp_is(&f, "syslog"));
	assert_int_equal(f.datalen, 5);
	assert_memory_equal(f.data, "hello", 5);
	assert_int_equal(used, 18);
	assert_int_equal(relp_parse(in + used, strlen(in) - used, 100, &f, &used, &why), RELP_OK);
	assert_true(relp_is(&f, "close"));
	assert_int_equal(f.datalen, 0);
	assert_null(f.data);
}

static void
test_every_prefix_of_a_frame_needs_more(void **state)
{
	const char *in = "999999999 syslog 10 <13>a b: c\n";
	struct relp_frame f;
	size_t used;
	const char *why;

	(void)state;
	for (size_t n = 0; n < strlen(in); n++)
		assert_int_equal(relp_parse(in, n, 100, &f, &used, &why), RELP_MORE);
	assert_int_equal(relp_parse(in, strlen(in), 100, &f, &used, &why), RELP_OK);
	assert_int_equal(f.txnr, 999999999u);
}

static void
test_data_may_hold_line_feeds(void **state)
{
	const char *in = "1 open 22 relp_version=0\ncommands\n";
	struct relp_frame f;
	size_t used;
	const char *why;

	(void)state;
	/* DATALEN counts 22 bytes: "relp_version=0\ncommand", then 's' is no trailer. */
	assert_int_equal(parse(in, 100, &f, &used, &why), RELP_BAD);
	assert_string_equal(why, "missing trailer");
	in = "1 open 23 relp_version=0\ncommands\n";
	assert_int_equal(parse(in, 100, &f, &used, &why), RELP_OK);
	assert_int_equal(f.datalen, 23);
}

static void
test_malformed_headers_are_refused_with_a_reason(void **state)
{
	static const struct { const char *in; const char *why; } cases[] = {
		{ "abc open 0\n", "bad transaction number" },
		{ "1234567890 open 0\n", "bad transaction number" },
		{ " 1 open 0\n", "bad transaction number" },
		{ "1 open1 0\n", "bad command" },
		{ "1  open 0\n", "bad command" },
		{ "1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0\n", "command longer than 32 letters" },
		{ "1 open x\n", "bad data length" },
		{ "1 open 1234567890 \n", "bad data length" },
		{ "1 open 101 x", "data length over the limit" },
		{ "1 open 0 \n", "missing trailer" },
		{ "1 open 3 abcd\n", "missing trailer" },
		{ "1 open 3\nabc\n", "bad data length" },
	};
	struct relp_frame f;
	size_t used;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].in, 100, &f, &used, &why), RELP_BAD);
		assert_string_equal(why, cases[i].why);
	}
}

static void
test_formatted_frames_parse_back(void **state)
{
	char buf[128];
	struct relp_frame f;
	size_t used, n;
	const char *why;

	(void)state;
	n = relp_format(buf, sizeof(buf), 7, "syslog", "abc", 3);
	assert_int_equal(n, strlen("7 syslog 3 abc\n"));
	assert_memory_equal(buf, "7 syslog 3 abc\n", n);
	n = relp_format(buf, sizeof(buf), 0, "serverclose", NULL, 0);
	assert_memory_equal(buf, "0 serverclose 0\n", n);
	assert_int_equal(relp_format(buf, 10, 7, "syslog", "abc", 3), 0);	/* too small */
	assert_int_equal(relp_format(buf, sizeof(buf), 1000000000u, "syslog", "a", 1), 0);
	n = relp_format_rsp(buf, sizeof(buf), 9, 200, "OK", "relp_version=0", 14);
	assert_int_equal(relp_parse(buf, n, 100, &f, &used, &why), RELP_OK);
	assert_int_equal(used, n);
	assert_memory_equal(f.data, "200 OK\nrelp_version=0", f.datalen);
	n = relp_format_rsp(buf, sizeof(buf), 9, 500, "no\nspace", NULL, 0);
	assert_memory_equal(buf, "9 rsp 12 500 no space\n", n);
}

static void
test_rsp_is_taken_apart(void **state)
{
	struct relp_rsp r;

	(void)state;
	assert_int_equal(relp_parse_rsp("200 OK", 6, &r), 0);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.textlen, 2);
	assert_null(r.data);
	assert_int_equal(relp_parse_rsp("500 disk full\nx=1", 17, &r), 0);
	assert_int_equal(r.code, 500);
	assert_memory_equal(r.text, "disk full", r.textlen);
	assert_memory_equal(r.data, "x=1", r.datalen);
	assert_int_equal(relp_parse_rsp("200", 3, &r), 0);
	assert_int_equal(r.textlen, 0);
	assert_int_equal(relp_parse_rsp("20", 2, &r), -1);
	assert_int_equal(relp_parse_rsp("2000", 4, &r), -1);
	assert_int_equal(relp_parse_rsp("abc", 3, &r), -1);
}

static void
test_offers_are_walked_and_bounded(void **state)
{
	char data[600];
	struct relp_offer o;
	size_t pos = 0, n;

	(void)state;
	n = (size_t)snprintf(data, sizeof(data), "relp_version=0\n\ncommands=syslog,x\nflag\nv=");
	assert_int_equal(relp_offer_next(data, n, &pos, &o), 1);
	assert_true(relp_offer_is(&o, "relp_version"));
	assert_memory_equal(o.value, "0", o.valuelen);
	assert_int_equal(relp_offer_next(data, n, &pos, &o), 1);
	assert_true(relp_offer_is(&o, "commands"));
	assert_memory_equal(o.value, "syslog,x", o.valuelen);
	assert_int_equal(relp_offer_next(data, n, &pos, &o), 1);
	assert_true(relp_offer_is(&o, "flag"));
	assert_null(o.value);
	assert_int_equal(relp_offer_next(data, n, &pos, &o), 1);
	assert_true(relp_offer_is(&o, "v"));
	assert_int_equal(o.valuelen, 0);
	assert_int_equal(relp_offer_next(data, n, &pos, &o), 0);
	memset(data, 'a', 40);
	data[40] = '=';
	memset(data + 41, 'b', 300);
	pos = 0;
	assert_int_equal(relp_offer_next(data, 341, &pos, &o), 1);
	assert_int_equal(o.namelen, 32);
	assert_int_equal(o.valuelen, 255);
	assert_int_equal(pos, 341);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_with_data_is_parsed_whole),
		cmocka_unit_test(test_every_prefix_of_a_frame_needs_more),
		cmocka_unit_test(test_data_may_hold_line_feeds),
		cmocka_unit_test(test_malformed_headers_are_refused_with_a_reason),
		cmocka_unit_test(test_formatted_frames_parse_back),
		cmocka_unit_test(test_rsp_is_taken_apart),
		cmocka_unit_test(test_offers_are_walked_and_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
