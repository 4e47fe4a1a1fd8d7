/* Unit tests: log file names and the retention choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "logname.h"

static void
test_name_has_utc_time_and_sequence(void **state)
{
	char name[LOGNAME_LEN + 1];
	(void)state;

	assert_int_equal(logname_format(name, sizeof(name), 1795735486, 42), 0);
	assert_string_equal(name, "logserver-20261126T232446Z-00000042.log");
	assert_int_equal(strlen(name), LOGNAME_LEN);
}

static void
test_name_round_trips_through_parse(void **state)
{
	char name[LOGNAME_LEN + 1];
	time_t t;
	uint64_t seq;
	(void)state;

	assert_int_equal(logname_format(name, sizeof(name), 1700000000, 99999999), 0);
	assert_int_equal(logname_parse(name, &t, &seq), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(seq, 99999999);
}

static void
test_sequence_out_of_range_or_small_buffer_is_refused(void **state)
{
	char name[LOGNAME_LEN + 1];
	(void)state;

	assert_int_equal(logname_format(name, sizeof(name), 0, LOGNAME_SEQ_MAX + 1), -1);
	assert_int_equal(logname_format(name, LOGNAME_LEN, 0, 1), -1);
}

static void
test_names_in_one_second_sort_by_sequence(void **state)
{
	char a[LOGNAME_LEN + 1], b[LOGNAME_LEN + 1];
	(void)state;

	logname_format(a, sizeof(a), 1700000000, 9);
	logname_format(b, sizeof(b), 1700000000, 10);
	assert_true(strcmp(a, b) < 0);
}

static void
test_only_our_exact_names_parse(void **state)
{
	static const char *foreign[] = {
		"logserver-20261120T232446Z-00000042.log.gz",
		"logserver-20261120T232446Z-0000042.log",
		"logserver-20261320T232446Z-00000042.log",
		"logserver-20261120T252446Z-00000042.log",
		"Logserver-20261120T232446Z-00000042.log",
		"logserver-20261120T232446Z-0000004a.log",
		"notes.txt", ".logserver.lock", "", "logserver-",
		"xlogserver-20261120T232446Z-00000042.lo",
	};
	time_t t;
	uint64_t seq;
	(void)state;

	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		assert_int_equal(logname_parse(foreign[i], &t, &seq), -1);
	assert_int_equal(logname_parse("logserver-20261120T232446Z-00000042.log", &t, &seq), 0);
	assert_int_equal(seq, 42);
}

static void
test_retention_keeps_the_newest_by_sequence(void **state)
{
	struct logfile f[5];
	uint64_t seqs[5] = { 7, 3, 11, 5, 9 };
	(void)state;

	for (int i = 0; i < 5; i++) {
		f[i].seq = seqs[i];
		f[i].t = 0;
	}
	assert_int_equal(retention_select(f, 5, 3), 2);
	assert_int_equal(f[0].seq, 3);
	assert_int_equal(f[1].seq, 5);
	assert_int_equal(f[2].seq, 7);
	assert_int_equal(f[4].seq, 11);
}

static void
test_retention_deletes_nothing_within_limit(void **state)
{
	struct logfile f[2] = { { .seq = 2 }, { .seq = 1 } };
	(void)state;

	assert_int_equal(retention_select(f, 2, 2), 0);
	assert_int_equal(retention_select(f, 2, 10), 0);
	assert_int_equal(retention_select(NULL, 0, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_has_utc_time_and_sequence),
		cmocka_unit_test(test_name_round_trips_through_parse),
		cmocka_unit_test(test_sequence_out_of_range_or_small_buffer_is_refused),
		cmocka_unit_test(test_names_in_one_second_sort_by_sequence),
		cmocka_unit_test(test_only_our_exact_names_parse),
		cmocka_unit_test(test_retention_keeps_the_newest_by_sequence),
		cmocka_unit_test(test_retention_deletes_nothing_within_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
