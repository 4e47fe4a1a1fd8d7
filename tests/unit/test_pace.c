/* Unit tests: --max-rate's token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pace.h"

static void
test_no_rate_never_owes(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 0, 0);
	pace_take(&p, 1000000, 0);
	assert_int_equal(pace_wait_ms(&p, 0), 0);
}

static void
test_a_second_of_burst_is_free_then_the_sender_waits_for_its_rate(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 100, 0);
	pace_take(&p, 100, 0);		/* the burst */
	assert_int_equal(pace_wait_ms(&p, 0), 0);
	pace_take(&p, 50, 0);		/* 50 over: half a second owed */
	assert_int_equal(pace_wait_ms(&p, 0), 500);
	assert_int_equal(pace_wait_ms(&p, 250), 250);
	assert_int_equal(pace_wait_ms(&p, 500), 0);
}

static void
test_the_bucket_refills_at_the_rate_and_never_beyond_a_second(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 1000, 0);
	pace_take(&p, 1000, 0);
	pace_take(&p, 1, 100000);	/* 100 s later: a full bucket, not 100 s of it */
	pace_take(&p, 999, 100000);
	assert_int_equal(pace_wait_ms(&p, 100000), 0);
	pace_take(&p, 10, 100000);
	assert_int_equal(pace_wait_ms(&p, 100000), 10);
}

static void
test_debt_is_bounded_and_paid_back_exactly(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 10, 0);
	pace_take(&p, UINT64_MAX, 0);	/* hostile count: owes at most a minute */
	assert_int_equal(pace_wait_ms(&p, 0), 60000);
	assert_int_equal(pace_wait_ms(&p, 60000), 0);
	pace_init(&p, PACE_RATE_MAX * 10, 0);	/* clamped to the bound */
	assert_int_equal(p.rate, PACE_RATE_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rate_never_owes),
		cmocka_unit_test(test_a_second_of_burst_is_free_then_the_sender_waits_for_its_rate),
		cmocka_unit_test(test_the_bucket_refills_at_the_rate_and_never_beyond_a_second),
		cmocka_unit_test(test_debt_is_bounded_and_paid_back_exactly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
