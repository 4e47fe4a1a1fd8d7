/* Unit tests: what set each option (for --check-config), and values as config text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "options.h"

static size_t
index_of(const char *name)
{
	for (size_t i = 0; i < server_noptions; i++)
		if (strcmp(server_options[i].name, name) == 0)
			return i;
	fail_msg("no option %s", name);
	return 0;
}

static void
test_file_lines_are_recorded_per_option(void **state)
{
	char path[] = "/tmp/test_options_trace_XXXXXX", err[OPT_ERRLEN];
	struct server_config c;
	struct opt_origin orig[128] = { { 0 } };
	int fd = mkstemp(path);
	const char *text = "# comment\nport = 6000\n\nmax_files = 3\nport = 6001\n";

	(void)state;
	assert_true(server_noptions <= 128);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	assert_int_equal(opt_defaults(server_options, server_noptions, &c, err, sizeof(err)), 0);
	assert_int_equal(opt_load_file(server_options, server_noptions, &c, path, orig, err,
	    sizeof(err)), 0);
	unlink(path);
	assert_int_equal(orig[index_of("port")].from, OPT_FROM_FILE);
	assert_int_equal(orig[index_of("port")].line, 5);	/* the last line that set it */
	assert_string_equal(orig[index_of("port")].file, path);
	assert_int_equal(orig[index_of("max-files")].line, 4);
	assert_int_equal(orig[index_of("dir")].from, OPT_FROM_DEFAULT);
	assert_int_equal(c.port, 6001);
}

static void
test_command_line_options_are_marked_long_short_and_clustered(void **state)
{
	char a0[] = "logserver", a1[] = "-p6000", a2[] = "--format=json", a3[] = "--check-config";
	char *argv[] = { a0, a1, a2, a3, NULL }, *ops[5], err[OPT_ERRLEN];
	struct server_config c;
	struct opt_actions act;
	struct opt_origin orig[128] = { { 0 } };
	int nops;

	(void)state;
	assert_int_equal(opt_defaults(server_options, server_noptions, &c, err, sizeof(err)), 0);
	assert_int_equal(opt_argv(server_options, server_noptions, &c, 4, argv, 1, &act, ops,
	    &nops, orig, err, sizeof(err)), 0);
	assert_int_equal(orig[index_of("port")].from, OPT_FROM_CMDLINE);
	assert_int_equal(orig[index_of("format")].from, OPT_FROM_CMDLINE);
	assert_int_equal(orig[index_of("dir")].from, OPT_FROM_DEFAULT);
	assert_int_equal(act.check_config, 1);
	assert_int_equal(c.port, 6000);
}

static void
test_values_are_written_as_configuration_text(void **state)
{
	struct server_config c;
	char err[OPT_ERRLEN], buf[64];

	(void)state;
	assert_int_equal(opt_defaults(server_options, server_noptions, &c, err, sizeof(err)), 0);
	c.format = 1;
	opt_format_value(&server_options[index_of("format")], &c, buf, sizeof(buf));
	assert_string_equal(buf, "json");
	opt_format_value(&server_options[index_of("max-size")], &c, buf, sizeof(buf));
	assert_string_equal(buf, "10485760");
	opt_format_value(&server_options[index_of("dir")], &c, buf, sizeof(buf));
	assert_string_equal(buf, "\"./logs\"");
	opt_format_value(&server_options[index_of("sandbox")], &c, buf, sizeof(buf));
	assert_string_equal(buf, "on");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_lines_are_recorded_per_option),
		cmocka_unit_test(test_command_line_options_are_marked_long_short_and_clustered),
		cmocka_unit_test(test_values_are_written_as_configuration_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
