/* Unit tests: address helpers of net.c (the loopback decision behind
 * "a query token over plain TCP only from loopback"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "net.h"

static int
lo4(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1) };

	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return net_is_loopback((struct sockaddr *)&sin, sizeof(sin));
}

static int
lo6(const char *a)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(1) };

	assert_int_equal(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
	return net_is_loopback((struct sockaddr *)&sin6, sizeof(sin6));
}

static void
test_loopback_addresses_are_127_slash_8_and_colon_colon_1(void **state)
{
	(void)state;
	assert_true(lo4("127.0.0.1"));
	assert_true(lo4("127.255.3.4"));
	assert_true(lo6("::1"));
	assert_true(lo6("::ffff:127.0.0.5"));
}

static void
test_other_addresses_are_not_loopback(void **state)
{
	(void)state;
	assert_false(lo4("10.0.0.1"));
	assert_false(lo4("128.0.0.1"));
	assert_false(lo4("0.0.0.0"));
	assert_false(lo6("::"));
	assert_false(lo6("::2"));
	assert_false(lo6("fe80::1"));
	assert_false(lo6("::ffff:10.1.2.3"));
}

static void
test_a_short_or_foreign_address_is_not_loopback(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr sa = { .sa_family = AF_UNIX };

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_false(net_is_loopback((struct sockaddr *)&sin, 4));	/* truncated */
	assert_false(net_is_loopback(&sa, sizeof(sa)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_addresses_are_127_slash_8_and_colon_colon_1),
		cmocka_unit_test(test_other_addresses_are_not_loopback),
		cmocka_unit_test(test_a_short_or_foreign_address_is_not_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
