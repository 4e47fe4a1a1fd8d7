/* Unit tests: escaping keeps one record on one line and is reversible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static char out[4096];

static const char *
text(const char *in, size_t len)
{
	size_t n = escape_text(out, in, len);
	assert_true(n <= ESCAPE_TEXT_MAX(len));
	out[n] = '\0';
	return out;
}

static const char *
json(const char *in, size_t len)
{
	size_t n = escape_json(out, in, len);
	assert_true(n <= ESCAPE_JSON_MAX(len));
	out[n] = '\0';
	return out;
}

static void
test_printable_ascii_is_copied(void **state)
{
	(void)state;
	assert_string_equal(text("hello, world \"q\" {x}", 20), "hello, world \"q\" {x}");
}

static void
test_line_breaks_and_controls_are_escaped(void **state)
{
	(void)state;
	assert_string_equal(text("a\nb\rc\td", 7), "a\\nb\\rc\\td");
	assert_string_equal(text("\x1b[31m", 5), "\\x1b[31m");
	assert_string_equal(text("x\0y", 3), "x\\x00y");
	assert_string_equal(text("\x7f", 1), "\\x7f");
}

static void
test_backslash_is_doubled_so_escapes_cannot_be_forged(void **state)
{
	(void)state;
	assert_string_equal(text("\\n", 2), "\\\\n");
}

static void
test_valid_utf8_is_kept_and_invalid_bytes_escaped(void **state)
{
	(void)state;
	assert_string_equal(text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(text("\xff\xfe", 2), "\\xff\\xfe");
	assert_string_equal(text("\xc3", 1), "\\xc3");			/* cut sequence */
	assert_string_equal(text("\xc0\xaf", 2), "\\xc0\\xaf");		/* overlong */
	assert_string_equal(text("\xed\xa0\x80", 3), "\\xed\\xa0\\x80");	/* surrogate */
	assert_string_equal(text("\xf4\x90\x80\x80", 4), "\\xf4\\x90\\x80\\x80");
}

static void
test_c1_controls_are_escaped(void **state)
{
	(void)state;
	assert_string_equal(text("\xc2\x9b" "2J", 4), "\\xc2\\x9b2J");
	assert_string_equal(text("\xc2\xa0", 2), "\xc2\xa0");
}

static void
test_bidi_controls_and_line_separators_are_escaped_in_text_and_visible_in_json(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2028 LINE SEPARATOR, U+2066, U+061C */
	assert_string_equal(text("a\xe2\x80\xae" "b", 5), "a\\xe2\\x80\\xaeb");
	assert_string_equal(text("\xe2\x80\xa8", 3), "\\xe2\\x80\\xa8");
	assert_string_equal(text("\xe2\x81\xa6", 3), "\\xe2\\x81\\xa6");
	assert_string_equal(text("\xd8\x9c", 2), "\\xd8\\x9c");
	assert_string_equal(json("a\xe2\x80\xae" "b", 5), "a\\u202eb");
	assert_string_equal(json("\xe2\x80\xa9", 3), "\\u2029");
	assert_string_equal(json("\xd8\x9c", 2), "\\u061c");
	/* Neighbours that are not display controls stay as they are. */
	assert_string_equal(text("\xe2\x80\x94", 3), "\xe2\x80\x94");	/* em dash */
	assert_string_equal(json("\xe2\x80\xaf", 3), "\xe2\x80\xaf");	/* U+202F */
	assert_string_equal(text("\xe2\x81\xaa", 3), "\xe2\x81\xaa");	/* U+206A */
}

static void
test_text_output_never_contains_a_control_byte(void **state)
{
	char in[256];
	(void)state;

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	size_t n = escape_text(out, in, sizeof(in));
	assert_true(n <= ESCAPE_TEXT_MAX(sizeof(in)));
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] != 0x7f);
}

static void
test_json_escapes_quotes_controls_and_invalid_bytes(void **state)
{
	(void)state;
	assert_string_equal(json("say \"hi\"\\", 9), "say \\\"hi\\\"\\\\");
	assert_string_equal(json("a\nb\tc\x01", 6), "a\\nb\\tc\\u0001");
	assert_string_equal(json("\xff", 1), "\\u00ff");
	assert_string_equal(json("\xc3\xa9", 2), "\xc3\xa9");
	assert_string_equal(json("\x7f", 1), "\\u007f");
}

static void
test_special_byte_is_found_at_every_position_of_a_long_run(void **state)
{
	static const char specials[] = { '\x01', '\\', '"', '\x7f', '\n' };
	static const char *escaped[] = { "\\x01", "\\\\", "\"", "\\x7f", "\\n" };
	char in[48], want[64];
	(void)state;

	for (size_t k = 0; k < sizeof(specials); k++) {
		for (size_t i = 0; i < sizeof(in); i++) {
			memset(in, 'a', sizeof(in));
			in[i] = specials[k];
			memset(want, 'a', i);
			strcpy(want + i, escaped[k]);
			memset(want + strlen(want), 'a', sizeof(in) - i - 1);
			want[i + strlen(escaped[k]) + sizeof(in) - i - 1] = '\0';
			assert_string_equal(text(in, sizeof(in)), want);
		}
	}
}

/*
 * The scan for bytes to escape works on 16-, 8- and 4-byte words with
 * overlapping tails: a special byte or sequence must be found at every
 * position of every length, at the edges of each word too. The input is an
 * exact-size allocation, so a read past its end fails under ASan.
 */
static void
test_special_is_found_at_every_position_of_every_length(void **state)
{
	static const struct {
		const char *in, *text, *json;
	} sp[] = {
		{ "\x01", "\\x01", "\\u0001" }, { "\\", "\\\\", "\\\\" },
		{ "\"", "\"", "\\\"" }, { "\x7f", "\\x7f", "\\u007f" },
		{ "\n", "\\n", "\\n" }, { "\x1f", "\\x1f", "\\u001f" },
		{ "\xff", "\\xff", "\\u00ff" },				/* not UTF-8 */
		{ "\x80", "\\x80", "\\u0080" },				/* lone continuation */
		{ "\xc3\xa9", "\xc3\xa9", "\xc3\xa9" },			/* kept */
		{ "\xe2\x80\xa8", "\\xe2\\x80\\xa8", "\\u2028" },	/* line separator */
		{ "\xe2\x80\xae", "\\xe2\\x80\\xae", "\\u202e" },	/* bidi override */
		{ "\xc2\x9b", "\\xc2\\x9b", "\xc2\x9b" },		/* C1 control: text only */
	};
	char want[128];
	(void)state;

	for (size_t k = 0; k < sizeof(sp) / sizeof(sp[0]); k++) {
		size_t sl = strlen(sp[k].in);
		const char *jw = sp[k].json;

		for (size_t len = sl; len <= 40; len++) {
			for (size_t i = 0; i + sl <= len; i++) {
				char *in = malloc(len);

				assert_non_null(in);
				memset(in, 'a', len);
				memcpy(in + i, sp[k].in, sl);
				assert_int_equal(escape_plain_len(in, len), i);
				memset(want, 'a', i);
				strcpy(want + i, sp[k].text);
				memset(want + strlen(want), 'a', len - i - sl);
				want[i + strlen(sp[k].text) + len - i - sl] = '\0';
				assert_string_equal(text(in, len), want);
				strcpy(want + i, jw);
				memset(want + strlen(want), 'a', len - i - sl);
				want[i + strlen(jw) + len - i - sl] = '\0';
				assert_string_equal(json(in, len), want);
				free(in);
			}
			if (k == 0) {	/* and no special at all */
				char *in = malloc(len);

				assert_non_null(in);
				memset(in, '~', len);
				assert_int_equal(escape_plain_len(in, len), len);
				free(in);
			}
		}
	}
}

/* Non-ASCII text is taken sequence after sequence without a new scan: each
 * one still gets its own verdict, also at the run's edges. */
static void
test_a_run_of_non_ascii_is_escaped_sequence_by_sequence(void **state)
{
	/* "Ош" U+2028 "и" 0xff "б" U+202E C1(0x9b) cut-off 0xd0 */
	static const char in[] = "\xd0\x9e\xd1\x88\xe2\x80\xa8\xd0\xb8\xff\xd0\xb1\xe2\x80\xae\xc2\x9b\xd0";
	(void)state;

	assert_string_equal(text(in, sizeof(in) - 1), "\xd0\x9e\xd1\x88\\xe2\\x80\\xa8\xd0\xb8\\xff"
	    "\xd0\xb1\\xe2\\x80\\xae\\xc2\\x9b\\xd0");
	assert_string_equal(json(in, sizeof(in) - 1), "\xd0\x9e\xd1\x88\\u2028\xd0\xb8\\u00ff"
	    "\xd0\xb1\\u202e\xc2\x9b\\u00d0");
	assert_string_equal(json("a\xd0\x9e\"\xd1\x88 b", 8), "a\xd0\x9e\\\"\xd1\x88 b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_ascii_is_copied),
		cmocka_unit_test(test_line_breaks_and_controls_are_escaped),
		cmocka_unit_test(test_backslash_is_doubled_so_escapes_cannot_be_forged),
		cmocka_unit_test(test_valid_utf8_is_kept_and_invalid_bytes_escaped),
		cmocka_unit_test(test_c1_controls_are_escaped),
		cmocka_unit_test(test_text_output_never_contains_a_control_byte),
		cmocka_unit_test(test_json_escapes_quotes_controls_and_invalid_bytes),
		cmocka_unit_test(
		    test_bidi_controls_and_line_separators_are_escaped_in_text_and_visible_in_json),
		cmocka_unit_test(test_special_byte_is_found_at_every_position_of_a_long_run),
		cmocka_unit_test(test_special_is_found_at_every_position_of_every_length),
		cmocka_unit_test(test_a_run_of_non_ascii_is_escaped_sequence_by_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
