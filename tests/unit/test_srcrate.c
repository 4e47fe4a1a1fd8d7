/* Unit tests: --udp-max-rate's bucket per source address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "srcrate.h"

static const unsigned char A[4] = { 10, 0, 0, 1 }, B[4] = { 10, 0, 0, 2 };

static void
test_a_source_gets_one_second_of_burst_then_its_rate(void **state)
{
	struct srcrate r;
	struct srcrate_slot *s;
	int passed = 0;

	(void)state;
	assert_int_equal(srcrate_init(&r, 100), 0);
	s = srcrate_find(&r, A, 4, 0);
	for (int i = 0; i < 150; i++)
		passed += srcrate_allow(&r, s, 0);
	assert_int_equal(passed, 100);		/* the burst */
	assert_int_equal(s->dropped, 50);
	passed = 0;
	for (int ms = 1; ms <= 1000; ms++)	/* one second later: 100 more, no more */
		for (int k = 0; k < 3; k++)
			passed += srcrate_allow(&r, s, ms);
	assert_int_equal(passed, 100);
	srcrate_free(&r);
}

static void
test_sources_are_limited_each_on_their_own(void **state)
{
	struct srcrate r;

	(void)state;
	assert_int_equal(srcrate_init(&r, 10), 0);
	for (int i = 0; i < 10; i++)
		assert_true(srcrate_allow(&r, srcrate_find(&r, A, 4, 0), 0));
	assert_false(srcrate_allow(&r, srcrate_find(&r, A, 4, 0), 0));
	assert_true(srcrate_allow(&r, srcrate_find(&r, B, 4, 0), 0));	/* B has its own */
	assert_true(srcrate_find(&r, A, 4, 0) == srcrate_find(&r, A, 4, 0));
	srcrate_free(&r);
}

static void
test_the_table_is_bounded_and_many_sources_evict_the_least_recent(void **state)
{
	struct srcrate r;
	unsigned char key[4];

	(void)state;
	assert_int_equal(srcrate_init(&r, 5), 0);
	for (uint32_t i = 0; i < 100000; i++) {	/* far more sources than slots */
		memcpy(key, &i, 4);
		struct srcrate_slot *s = srcrate_find(&r, key, 4, i);

		assert_non_null(s);
		assert_true(s >= r.slots && s < r.slots + SRCRATE_SLOTS);
		assert_true(srcrate_allow(&r, s, i));	/* a new source starts full */
	}
	srcrate_free(&r);
}

static void
test_no_rate_lets_everything_through(void **state)
{
	struct srcrate r;
	struct srcrate_slot s = { .keylen = 4 };

	(void)state;
	assert_int_equal(srcrate_init(&r, 0), 0);
	assert_null(r.slots);
	for (int i = 0; i < 1000; i++)
		assert_true(srcrate_allow(&r, &s, 0));
	srcrate_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_source_gets_one_second_of_burst_then_its_rate),
		cmocka_unit_test(test_sources_are_limited_each_on_their_own),
		cmocka_unit_test(test_the_table_is_bounded_and_many_sources_evict_the_least_recent),
		cmocka_unit_test(test_no_rate_lets_everything_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
