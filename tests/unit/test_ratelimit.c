/* Unit tests: flood control budgets and summaries (ratelimit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

static void
test_one_source_gets_its_budget_then_is_counted(void **state)
{
	static struct ratelimit rl;
	unsigned char a[4] = { 127, 0, 0, 1 };
	int written = 0;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	for (int i = 0; i < 5000; i++)
		written += rl_allow(&rl, RL_REFUSED, a, sizeof(a), 1000);
	assert_int_equal(written, RL_SRC_BURST);
	assert_int_equal(rl.kind[RL_REFUSED].suppressed, 5000 - RL_SRC_BURST);
}

static void
test_many_sources_share_the_kind_budget(void **state)
{
	static struct ratelimit rl;
	int written = 0;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	for (int i = 0; i < 100000; i++) {
		unsigned char a[4] = { 10, (unsigned char)(i >> 16), (unsigned char)(i >> 8),
		    (unsigned char)i };
		written += rl_allow(&rl, RL_UDP_REFUSED, a, sizeof(a), 1000 + i / 5000);
	}
	assert_true(written <= RL_KIND_BURST);
	/* other kinds keep their own budget */
	assert_int_equal(rl_allow(&rl, RL_REFUSED, "x", 1, 1019), 1);
	assert_int_equal(rl_allow(&rl, RL_NONE, "x", 1, 1019), 1);
}

static void
test_a_summary_follows_the_window_and_the_budget_returns(void **state)
{
	static struct ratelimit rl;
	unsigned char a[4] = { 1, 2, 3, 4 };
	enum rl_kind kind;
	unsigned long long count;
	long secs;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	for (int i = 0; i < 10; i++)
		(void)rl_allow(&rl, RL_QUERY_REFUSED, a, sizeof(a), 500);
	assert_int_equal(rl_summary(&rl, 500 + RL_WINDOW - 1, 0, &kind, &count, &secs), 0);
	assert_int_equal(rl_next_due(&rl, 500 + 10), RL_WINDOW - 10);
	assert_int_equal(rl_summary(&rl, 500 + RL_WINDOW, 0, &kind, &count, &secs), 1);
	assert_int_equal(kind, RL_QUERY_REFUSED);
	assert_int_equal(count, 10 - RL_SRC_BURST);
	assert_int_equal(secs, RL_WINDOW);
	assert_int_equal(rl_summary(&rl, 500 + RL_WINDOW, 0, &kind, &count, &secs), 0);
	assert_int_equal(rl_next_due(&rl, 600), -1);
	assert_int_equal(rl_allow(&rl, RL_QUERY_REFUSED, a, sizeof(a), 500 + RL_WINDOW), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_source_gets_its_budget_then_is_counted),
		cmocka_unit_test(test_many_sources_share_the_kind_budget),
		cmocka_unit_test(test_a_summary_follows_the_window_and_the_budget_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
