/* Unit tests: connections per peer address (--max-per-ip's table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "addrcount.h"

static void
test_counts_are_per_address_and_per_class(void **state)
{
	struct addrcount t;
	const unsigned char a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	unsigned char a6[16] = { 0 };

	(void)state;
	memcpy(a6 + 12, a, 4);	/* same last bytes, other length: another address */
	assert_int_equal(addrcount_init(&t, 8, 42), 0);
	assert_int_equal(addrcount_add(&t, a, 4, 0), 0);
	assert_int_equal(addrcount_add(&t, a, 4, 0), 0);
	assert_int_equal(addrcount_add(&t, a, 4, 1), 0);
	assert_int_equal(addrcount_add(&t, b, 4, 0), 0);
	assert_int_equal(addrcount_get(&t, a, 4, 0), 2);
	assert_int_equal(addrcount_get(&t, a, 4, 1), 1);
	assert_int_equal(addrcount_get(&t, b, 4, 0), 1);
	assert_int_equal(addrcount_get(&t, a6, 16, 0), 0);
	addrcount_del(&t, a, 4, 0);
	addrcount_del(&t, a, 4, 0);
	addrcount_del(&t, a, 4, 0);	/* one too many: ignored */
	assert_int_equal(addrcount_get(&t, a, 4, 0), 0);
	assert_int_equal(addrcount_get(&t, a, 4, 1), 1);
	assert_int_equal(t.used, 2);
	addrcount_free(&t);
}

static void
test_the_table_refuses_more_pairs_than_half_its_slots(void **state)
{
	struct addrcount t;
	unsigned char k[4] = { 192, 0, 2, 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(addrcount_init(&t, 3, 7), 0);	/* 16 slots: 8 pairs */
	for (int i = 0; i < 20; i++) {
		k[3] = (unsigned char)i;
		n += addrcount_add(&t, k, 4, 0) == 0;
	}
	assert_int_equal(n, 8);
	k[3] = 0;
	assert_int_equal(addrcount_add(&t, k, 4, 0), 0);	/* a known pair still counts */
	assert_int_equal(addrcount_get(&t, k, 4, 0), 2);
	assert_int_equal(addrcount_add(&t, k, 0, 0), -1);
	assert_int_equal(addrcount_add(&t, k, 17, 0), -1);
	addrcount_free(&t);
}

/* Random adds and removes over few addresses in a small table (long probe
 * runs, removals in their middle) agree with plain counting throughout. */
static void
test_random_adds_and_removes_match_a_plain_count(void **state)
{
	enum { ADDRS = 24, STEPS = 200000 };
	struct addrcount t;
	unsigned ref[ADDRS][2];
	uint64_t x = 88172645463325252ull;

	(void)state;
	memset(ref, 0, sizeof(ref));
	assert_int_equal(addrcount_init(&t, 2 * ADDRS, 12345), 0);
	for (int step = 0; step < STEPS; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned a = (unsigned)(x % ADDRS), cls = (unsigned)(x >> 20) & 1;
		unsigned char k[16] = { 0 };
		size_t len = a % 3 == 0 ? 16 : 4;

		k[len - 1] = (unsigned char)a;
		if ((x >> 33) % 5 < 3 || ref[a][cls] == 0) {
			assert_int_equal(addrcount_add(&t, k, len, (int)cls), 0);
			ref[a][cls]++;
		} else {
			addrcount_del(&t, k, len, (int)cls);
			ref[a][cls]--;
		}
		if (step % 97 == 0) {
			size_t pairs = 0;

			for (unsigned b = 0; b < ADDRS; b++)
				for (unsigned c = 0; c < 2; c++) {
					unsigned char kb[16] = { 0 };
					size_t lb = b % 3 == 0 ? 16 : 4;

					kb[lb - 1] = (unsigned char)b;
					assert_int_equal(addrcount_get(&t, kb, lb, (int)c), ref[b][c]);
					pairs += ref[b][c] > 0;
				}
			assert_int_equal(t.used, pairs);
		}
	}
	addrcount_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_are_per_address_and_per_class),
		cmocka_unit_test(test_the_table_refuses_more_pairs_than_half_its_slots),
		cmocka_unit_test(test_random_adds_and_removes_match_a_plain_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
