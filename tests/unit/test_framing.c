/* Unit tests: RFC 6587 framing, line delimiters and the max-line bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "framing.h"

/* Runs the framer over in (fed in pieces of step bytes) and renders what it
 * produced as "M[text]" / "T[text]" (truncated) / "E<dropped>" / "B[digits]". */
static char result[8192];

static const char *
run(const char *in, size_t len, size_t max_line, size_t step)
{
	char buf[4096];
	size_t have = 0, fed = 0, used = 0;
	struct framer f;
	struct frame fr;

	framer_init(&f, max_line);
	result[0] = '\0';
	for (int guard = 0; guard < 100000; guard++) {
		int eof;
		size_t n, take = len - fed < step ? len - fed : step;

		memcpy(buf + have, in + fed, take);
		have += take;
		fed += take;
		eof = fed == len;
		while ((n = framer_next(&f, buf, have, eof, &fr)) > 0) {
			assert_true(n <= have);
			switch (fr.type) {
			case FRAME_MSG:
				assert_true(fr.p >= buf && fr.p + fr.len <= buf + have);
				used += (size_t)snprintf(result + used, sizeof(result) - used, "%c[%.*s]",
				    fr.truncated ? 'T' : 'M', (int)fr.len, fr.p);
				break;
			case FRAME_OVERLONG_END:
				used += (size_t)snprintf(result + used, sizeof(result) - used, "E%llu",
				    fr.dropped);
				break;
			case FRAME_BAD_COUNT:
				used += (size_t)snprintf(result + used, sizeof(result) - used, "B[%.*s]",
				    (int)fr.len, fr.p);
				break;
			case FRAME_SKIP:
				break;
			}
			memmove(buf, buf + n, have - n);
			have -= n;
		}
		assert_true(have <= max_line + FRAMER_SLACK + step);
		if (eof) {
			assert_int_equal(have, 0);
			if (framer_finish(&f, &fr))
				used += (size_t)snprintf(result + used, sizeof(result) - used, "E%llu",
				    fr.dropped);
			return result;
		}
	}
	fail_msg("framer did not finish");
	return NULL;
}

#define RUN(s, max) run(s, sizeof(s) - 1, max, sizeof(s))

static void
test_lines_split_on_lf_and_crlf(void **state)
{
	(void)state;
	assert_string_equal(RUN("one\ntwo\r\nthree\n", 100), "M[one]M[two]M[three]");
}

static void
test_last_line_without_newline_is_a_message_at_eof(void **state)
{
	(void)state;
	assert_string_equal(RUN("one\nlast", 100), "M[one]M[last]");
}

static void
test_empty_lines_are_messages(void **state)
{
	(void)state;
	assert_string_equal(RUN("a\n\nb\n", 100), "M[a]M[]M[b]");
}

static void
test_nul_ends_a_message_and_swallows_one_following_lf(void **state)
{
	(void)state;
	assert_string_equal(run("<14>a\0<14>b\0\n<14>c\n", 18, 100, 18), "M[<14>a]M[<14>b]M[<14>c]");
}

static void
test_octet_counted_frames_may_hold_newlines(void **state)
{
	(void)state;
	assert_string_equal(RUN("11 <13>a\nb\nc d9 <13>hello", 100), "M[<13>a\nb\nc d]M[<13>hello]");
}

static void
test_octet_frame_followed_by_lf_trailer_gives_no_empty_message(void **state)
{
	(void)state;
	assert_string_equal(RUN("9 <13>hello\n9 <13>world\n", 100), "M[<13>hello]M[<13>world]");
}

static void
test_plain_line_starting_with_digits_is_not_a_count(void **state)
{
	(void)state;
	assert_string_equal(RUN("404 not found\n2026-11-20 x\n0 <13>zero\n", 100),
	    "M[404 not found]M[2026-11-20 x]M[0 <13>zero]");
	/* A '<' that does not start a PRI is text too. */
	assert_string_equal(RUN("10 <b>bold</b> text\n3 <x> three\n5 <1234>\n", 100),
	    "M[10 <b>bold</b> text]M[3 <x> three]M[5 <1234>]");
}

static void
test_framing_is_the_same_when_bytes_arrive_one_at_a_time(void **state)
{
	static const char in[] = "11 <13>a\nb\nc dplain\r\nx\0\n9 <13>hello";
	char whole[8192];
	(void)state;

	snprintf(whole, sizeof(whole), "%s", run(in, sizeof(in) - 1, 100, sizeof(in)));
	for (size_t step = 1; step < 8; step++)
		assert_string_equal(run(in, sizeof(in) - 1, 100, step), whole);
}

static void
test_long_line_is_truncated_and_rest_counted(void **state)
{
	(void)state;
	assert_string_equal(RUN("abcdefghij\nok\n", 4), "T[abcd]E6M[ok]");
	assert_string_equal(run("abcdefghij\nok\n", 14, 4, 3), "T[abcd]E6M[ok]");
}

static void
test_line_of_exactly_max_line_is_whole(void **state)
{
	(void)state;
	assert_string_equal(RUN("abcd\nabcd\r\nabcde\n", 4), "M[abcd]M[abcd]T[abcd]E1");
}

static void
test_long_line_cut_by_eof_reports_dropped_bytes(void **state)
{
	(void)state;
	assert_string_equal(run("abcdefghij", 10, 4, 2), "T[abcd]E6");
}

static void
test_octet_count_over_max_line_truncates_and_keeps_sync(void **state)
{
	(void)state;
	assert_string_equal(RUN("12 <13>abcdefgh5 <13>x", 6), "T[<13>ab]E6M[<13>x]");
	assert_string_equal(run("12 <13>abcdefgh5 <13>x", 22, 6, 1), "T[<13>ab]E6M[<13>x]");
}

static void
test_absurd_octet_count_is_reported_and_framed_as_line(void **state)
{
	(void)state;
	assert_string_equal(RUN("9999999999 <13>x\nnext\n", 100), "B[9999999999]M[<13>x]M[next]");
}

static void
test_stream_ending_inside_octet_frame_keeps_partial(void **state)
{
	(void)state;
	assert_string_equal(RUN("50 <13>short", 100), "T[<13>short]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_split_on_lf_and_crlf),
		cmocka_unit_test(test_last_line_without_newline_is_a_message_at_eof),
		cmocka_unit_test(test_empty_lines_are_messages),
		cmocka_unit_test(test_nul_ends_a_message_and_swallows_one_following_lf),
		cmocka_unit_test(test_octet_counted_frames_may_hold_newlines),
		cmocka_unit_test(test_octet_frame_followed_by_lf_trailer_gives_no_empty_message),
		cmocka_unit_test(test_plain_line_starting_with_digits_is_not_a_count),
		cmocka_unit_test(test_framing_is_the_same_when_bytes_arrive_one_at_a_time),
		cmocka_unit_test(test_long_line_is_truncated_and_rest_counted),
		cmocka_unit_test(test_line_of_exactly_max_line_is_whole),
		cmocka_unit_test(test_long_line_cut_by_eof_reports_dropped_bytes),
		cmocka_unit_test(test_octet_count_over_max_line_truncates_and_keeps_sync),
		cmocka_unit_test(test_absurd_octet_count_is_reported_and_framed_as_line),
		cmocka_unit_test(test_stream_ending_inside_octet_frame_keeps_partial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
