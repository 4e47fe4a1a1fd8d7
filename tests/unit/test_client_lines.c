/* Unit tests: logclient's standard input cut into messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client_lines.h"

static struct lines ls;

static void
feed(const char *data, size_t len)
{
	size_t cap;
	char *p = lines_space(&ls, &cap);

	assert_true(len <= cap);
	memcpy(p, data, len);
	lines_added(&ls, len);
}

static void
feeds(const char *text)
{
	feed(text, strlen(text));
}

/* The next message, as a NUL-terminated copy in buf, or NULL. */
static const char *
next(char *buf, size_t cap)
{
	const char *m;
	size_t l;

	if (!lines_next(&ls, &m, &l))
		return NULL;
	assert_true(l < cap);
	memcpy(buf, m, l);
	buf[l] = '\0';
	return buf;
}

static void
test_lines_lose_lf_and_one_cr(void **state)
{
	char b[64];
	(void)state;

	lines_init(&ls, 0);
	feeds("one\ntwo\r\n\tthree\r\r\n\n");
	assert_string_equal(next(b, sizeof(b)), "one");
	assert_string_equal(next(b, sizeof(b)), "two");
	assert_string_equal(next(b, sizeof(b)), "\tthree\r");
	assert_string_equal(next(b, sizeof(b)), "");
	assert_null(next(b, sizeof(b)));
	assert_false(lines_done(&ls));
	assert_false(lines_pending(&ls));
}

static void
test_unfinished_line_waits_until_eof(void **state)
{
	char b[64];
	(void)state;

	lines_init(&ls, 0);
	feeds("par");
	assert_null(next(b, sizeof(b)));
	assert_true(lines_pending(&ls));
	feeds("tial\r");
	assert_null(next(b, sizeof(b)));
	lines_eof(&ls);
	assert_string_equal(next(b, sizeof(b)), "partial");
	assert_null(next(b, sizeof(b)));
	assert_true(lines_done(&ls));
}

static void
test_quit_line_ends_interactive_input(void **state)
{
	char b[64];
	(void)state;

	lines_init(&ls, 1);
	feeds("quite\n quit\nquit now\nquit\r\nafter\n");
	assert_string_equal(next(b, sizeof(b)), "quite");
	assert_string_equal(next(b, sizeof(b)), " quit");
	assert_string_equal(next(b, sizeof(b)), "quit now");
	assert_null(next(b, sizeof(b)));
	assert_true(lines_done(&ls));
	assert_null(next(b, sizeof(b)));
}

static void
test_quit_without_lf_at_eof_is_not_sent_interactively(void **state)
{
	char b[64];
	(void)state;

	lines_init(&ls, 1);
	feeds("a\nquit");
	assert_string_equal(next(b, sizeof(b)), "a");
	assert_null(next(b, sizeof(b)));
	lines_eof(&ls);
	assert_null(next(b, sizeof(b)));
	assert_true(lines_done(&ls));
}

static void
test_quit_from_a_pipe_is_an_ordinary_message(void **state)
{
	char b[64];
	(void)state;

	lines_init(&ls, 0);
	feeds("a\nquit\nb\nquit");
	assert_string_equal(next(b, sizeof(b)), "a");
	assert_string_equal(next(b, sizeof(b)), "quit");
	assert_string_equal(next(b, sizeof(b)), "b");
	assert_null(next(b, sizeof(b)));
	lines_eof(&ls);
	assert_string_equal(next(b, sizeof(b)), "quit");
	assert_true(lines_done(&ls));
}

static void
test_empty_input_is_done_at_eof(void **state)
{
	char b[8];
	(void)state;

	lines_init(&ls, 0);
	assert_null(next(b, sizeof(b)));
	assert_false(lines_done(&ls));
	lines_eof(&ls);
	assert_null(next(b, sizeof(b)));
	assert_true(lines_done(&ls));
}

/* Feeds a line of n 'x' bytes plus tail, in reads of at most what fits. */
static size_t
count_pieces(size_t n, const char *tail, size_t *sizes, size_t max)
{
	static char chunk[LINES_BUF];
	size_t fed = 0, total = n + strlen(tail), got = 0;
	const char *m;
	size_t l;

	lines_init(&ls, 0);
	while (!lines_done(&ls)) {
		if (lines_next(&ls, &m, &l)) {
			assert_true(got < max);
			sizes[got++] = l;
			continue;
		}
		if (fed == total) {
			lines_eof(&ls);
			continue;
		}
		size_t cap;
		char *p = lines_space(&ls, &cap);
		size_t k = total - fed < cap ? total - fed : cap;

		assert_true(k > 0);
		for (size_t i = 0; i < k; i++)
			chunk[i] = fed + i < n ? 'x' : tail[fed + i - n];
		memcpy(p, chunk, k);
		lines_added(&ls, k);
		fed += k;
	}
	return got;
}

static void
test_longest_whole_line_is_one_message(void **state)
{
	size_t sizes[8];
	(void)state;

	assert_int_equal(count_pieces(LINES_MSG_MAX, "\n", sizes, 8), 1);
	assert_int_equal(sizes[0], LINES_MSG_MAX);
	assert_int_equal(count_pieces(LINES_MSG_MAX, "\r\n", sizes, 8), 1);
	assert_int_equal(sizes[0], LINES_MSG_MAX);
	assert_int_equal(count_pieces(LINES_MSG_MAX, "", sizes, 8), 1);
	assert_int_equal(sizes[0], LINES_MSG_MAX);
}

static void
test_longer_line_is_cut_into_pieces(void **state)
{
	size_t sizes[8];
	(void)state;

	assert_int_equal(count_pieces(LINES_MSG_MAX + 1, "\nnext\n", sizes, 8), 3);
	assert_int_equal(sizes[0], LINES_MSG_MAX);
	assert_int_equal(sizes[1], 1);
	assert_int_equal(sizes[2], 4);
	assert_int_equal(count_pieces(3 * LINES_MSG_MAX + 7, "", sizes, 8), 4);
	assert_int_equal(sizes[0], LINES_MSG_MAX);
	assert_int_equal(sizes[1], LINES_MSG_MAX);
	assert_int_equal(sizes[2], LINES_MSG_MAX);
	assert_int_equal(sizes[3], 7);
	/* exactly two pieces' worth: no empty message after them */
	assert_int_equal(count_pieces(2 * LINES_MSG_MAX, "\n", sizes, 8), 2);
}

static void
test_piece_that_reads_quit_is_still_a_message(void **state)
{
	static char big[LINES_MSG_MAX + 6];
	char b[16];
	const char *m;
	size_t l;
	(void)state;

	lines_init(&ls, 1);
	memset(big, 'y', LINES_MSG_MAX);
	memcpy(big + LINES_MSG_MAX, "quit\n", 5);
	feed(big, LINES_MSG_MAX + 5);
	assert_true(lines_next(&ls, &m, &l));
	assert_int_equal(l, LINES_MSG_MAX);
	assert_string_equal(next(b, sizeof(b)), "quit");
	assert_false(lines_done(&ls));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_lose_lf_and_one_cr),
		cmocka_unit_test(test_unfinished_line_waits_until_eof),
		cmocka_unit_test(test_quit_line_ends_interactive_input),
		cmocka_unit_test(test_quit_from_a_pipe_is_an_ordinary_message),
		cmocka_unit_test(test_quit_without_lf_at_eof_is_not_sent_interactively),
		cmocka_unit_test(test_empty_input_is_done_at_eof),
		cmocka_unit_test(test_longest_whole_line_is_one_message),
		cmocka_unit_test(test_longer_line_is_cut_into_pieces),
		cmocka_unit_test(test_piece_that_reads_quit_is_still_a_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
