/* Unit tests: option table, configuration file, command line, sizes. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "options.h"

static void
defaults(struct server_config *c)
{
	char err[OPT_ERRLEN];

	assert_int_equal(opt_defaults(server_options, server_noptions, c, err, sizeof(err)), 0);
}

static int
parse(struct server_config *c, const char *text, char *err)
{
	return opt_parse_config(server_options, server_noptions, c, text, strlen(text), "t.conf",
	    err, OPT_ERRLEN);
}

static void
test_defaults_match_documented_values(void **state)
{
	struct server_config c;
	(void)state;

	defaults(&c);
	assert_int_equal(c.port, 5140);
	assert_string_equal(c.dir, "./logs");
	assert_string_equal(c.bind, "");
	assert_int_equal(c.max_size, 10 * 1024 * 1024);
	assert_int_equal(c.max_files, 10);
	assert_int_equal(c.on_start, ON_START_APPEND);
	assert_int_equal(c.max_clients, 1024);
	assert_int_equal(c.max_line, 8192);
}

static void
test_config_file_sets_keys_with_comments_quotes_and_underscores(void **state)
{
	struct server_config c;
	char err[OPT_ERRLEN];
	(void)state;

	defaults(&c);
	assert_int_equal(parse(&c, "# comment\n\n  port = 6000  # trailing\r\nmax_size=64K\n"
	    "dir = \"/var/log/my logs\"\non-start = new\nmax-files=3\n", err), 0);
	assert_int_equal(c.port, 6000);
	assert_int_equal(c.max_size, 65536);
	assert_string_equal(c.dir, "/var/log/my logs");
	assert_int_equal(c.on_start, ON_START_NEW);
	assert_int_equal(c.max_files, 3);
}

static void
test_config_unknown_key_reports_file_and_line(void **state)
{
	struct server_config c;
	char err[OPT_ERRLEN];
	(void)state;

	defaults(&c);
	assert_int_equal(parse(&c, "port = 1\n\nbogus = 2\n", err), -1);
	assert_string_equal(err, "t.conf:3: unknown option 'bogus'");
}

static void
test_config_bad_values_are_rejected_with_line(void **state)
{
	static const char *bad[] = {
		"port = 0\n", "port = 65536\n", "port = 12x\n", "port =\n", "port = -1\n",
		"max-size = 10Q\n", "max-size = 1\n", "on-start = sometimes\n",
		"port 5140\n", "dir = \"unterminated\n", "max-files = 99999999999999999999999\n",
		"help = 1\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct server_config c;
		char err[OPT_ERRLEN];

		defaults(&c);
		assert_int_equal(parse(&c, bad[i], err), -1);
		assert_true(strncmp(err, "t.conf:1: ", 10) == 0);
	}
}

static void
test_size_suffixes_are_binary_multiples(void **state)
{
	long long v;
	(void)state;

	assert_int_equal(parse_size("10", 2, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_size("4k", 2, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("10M", 3, &v), 0);
	assert_int_equal(v, 10LL << 20);
	assert_int_equal(parse_size("2GiB", 4, &v), 0);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(parse_size("3MB", 3, &v), 0);
	assert_int_equal(v, 3LL << 20);
	assert_int_equal(parse_size("7B", 2, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_size("", 0, &v), -1);
	assert_int_equal(parse_size("M", 1, &v), -1);
	assert_int_equal(parse_size("1T", 2, &v), 0);
	assert_int_equal(v, 1LL << 40);
	assert_int_equal(parse_size("3tib", 4, &v), 0);
	assert_int_equal(v, 3LL << 40);
	assert_int_equal(parse_size("1P", 2, &v), -1);
	assert_int_equal(parse_size("1Mx", 3, &v), -1);
	assert_int_equal(parse_size("-1", 2, &v), -1);
	assert_int_equal(parse_size("99999999999999G", 15, &v), -2);
	assert_int_equal(parse_size("8388608T", 8, &v), -2);	/* 2^63: one past LLONG_MAX */
	assert_int_equal(parse_size("99999999999999999999", 20, &v), -2);
}

static void
test_parse_ll_checks_bounds_and_overflow(void **state)
{
	long long v;
	(void)state;

	assert_int_equal(parse_ll("42", 2, 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ll("101", 3, 0, 100, &v), -1);
	assert_int_equal(parse_ll("9223372036854775808", 19, 0, LLONG_MAX, &v), -1);
	assert_int_equal(parse_ll("+", 1, 0, 100, &v), -1);
	assert_int_equal(parse_ll("4 2", 3, 0, 100, &v), -1);
}

static void
test_command_line_forms_and_operands(void **state)
{
	struct server_config c;
	struct opt_actions act;
	char err[OPT_ERRLEN];
	char *argv[] = { "logserver", "-p6001", "--dir", "/tmp/d", "--max-size=1M", "extra",
		"-c", "x.conf", "--", "-p", NULL };
	char *ops[12];
	int nops;
	(void)state;

	defaults(&c);
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 10, argv, 1, &act, ops,
	    &nops, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.port, 6001);
	assert_string_equal(c.dir, "/tmp/d");
	assert_int_equal(c.max_size, 1 << 20);
	assert_string_equal(act.config, "x.conf");
	assert_int_equal(nops, 2);
	assert_string_equal(ops[0], "extra");
	assert_string_equal(ops[1], "-p");
}

static void
test_command_line_first_pass_does_not_apply_values(void **state)
{
	struct server_config c;
	struct opt_actions act;
	char err[OPT_ERRLEN];
	char *argv[] = { "logserver", "-p", "7000", "-hV", NULL };
	char *ops[5];
	int nops;
	(void)state;

	defaults(&c);
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 4, argv, 0, &act, ops,
	    &nops, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.port, 5140);
	assert_true(act.help);
	assert_true(act.version);
}

static void
test_command_line_errors_are_explained(void **state)
{
	struct server_config c;
	struct opt_actions act;
	char err[OPT_ERRLEN];
	char *unknown[] = { "logserver", "--nope", NULL };
	char *missing[] = { "logserver", "--port", NULL };
	char *badval[] = { "logserver", "--port=abc", NULL };
	char *novalue[] = { "logserver", "--help=3", NULL };
	char *ops[3];
	int nops;
	(void)state;

	defaults(&c);
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 2, unknown, 1, &act, ops,
	    &nops, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown option '--nope' (see --help)");
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 2, missing, 1, &act, ops,
	    &nops, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "option '--port' needs a value");
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 2, badval, 1, &act, ops,
	    &nops, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "port: 'abc' is not a whole number from 1 to 65535");
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 2, novalue, 1, &act, ops,
	    &nops, NULL, err, sizeof(err)), -1);
}

static void
test_string_option_longer_than_field_is_refused(void **state)
{
	struct server_config c;
	char err[OPT_ERRLEN];
	char big[2000];
	(void)state;

	defaults(&c);
	memset(big, 'a', sizeof(big));
	assert_int_equal(opt_set(server_options, server_noptions, &c, "dir", 3, big, sizeof(big),
	    err, sizeof(err)), -1);
	assert_string_equal(c.dir, "./logs");
}

static void
test_client_table_defaults(void **state)
{
	struct client_config c;
	char err[OPT_ERRLEN];
	(void)state;

	assert_int_equal(opt_defaults(client_options, client_noptions, &c, err, sizeof(err)), 0);
	assert_string_equal(c.host, "localhost");
	assert_int_equal(c.port, 0);	/* 5140 to send, query_port to query */
	assert_int_equal(c.query_port, 0);	/* not set: -p, else 5141 */
	assert_int_equal(c.offset, -1);
	assert_int_equal(c.resume, 0);
}

static void
test_flag_options_take_no_value_on_the_command_line_and_yes_no_in_files(void **state)
{
	struct client_config c;
	struct opt_actions act;
	char err[OPT_ERRLEN];
	char *argv[] = { "logclient", "--resume", "fetch", "x", NULL };
	char *ops[5];
	int nops;
	(void)state;

	assert_int_equal(opt_defaults(client_options, client_noptions, &c, err, sizeof(err)), 0);
	assert_int_equal(opt_argv(client_options, client_noptions, &c, 4, argv, 1, &act, ops, &nops,
	    NULL, err, sizeof(err)), 0);
	assert_int_equal(c.resume, 1);
	assert_int_equal(nops, 2);
	assert_int_equal(opt_parse_config(client_options, client_noptions, &c, "resume = no\n", 12,
	    "c.conf", err, sizeof(err)), 0);
	assert_int_equal(c.resume, 0);
	assert_int_equal(opt_parse_config(client_options, client_noptions, &c, "resume = maybe\n",
	    15, "c.conf", err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_match_documented_values),
		cmocka_unit_test(test_config_file_sets_keys_with_comments_quotes_and_underscores),
		cmocka_unit_test(test_config_unknown_key_reports_file_and_line),
		cmocka_unit_test(test_config_bad_values_are_rejected_with_line),
		cmocka_unit_test(test_size_suffixes_are_binary_multiples),
		cmocka_unit_test(test_parse_ll_checks_bounds_and_overflow),
		cmocka_unit_test(test_command_line_forms_and_operands),
		cmocka_unit_test(test_command_line_first_pass_does_not_apply_values),
		cmocka_unit_test(test_command_line_errors_are_explained),
		cmocka_unit_test(test_string_option_longer_than_field_is_refused),
		cmocka_unit_test(test_client_table_defaults),
		cmocka_unit_test(test_flag_options_take_no_value_on_the_command_line_and_yes_no_in_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
