/* Unit tests: query requests, allow-lists, token comparison, SHA-256. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "acl.h"
#include "digest.h"
#include "query_proto.h"

#define NAME "logserver-20261120T232446Z-00000042.log"

static enum q_err
parse(const char *line, struct q_request *rq)
{
	char err[256];

	return query_parse(line, strlen(line), rq, err, sizeof(err));
}

static void
test_requests_parse_with_their_arguments(void **state)
{
	struct q_request rq;
	(void)state;

	assert_int_equal(parse("LIST", &rq), Q_OK);
	assert_int_equal(rq.cmd, Q_LIST);
	assert_int_equal(parse("FETCH " NAME, &rq), Q_OK);
	assert_int_equal(rq.cmd, Q_FETCH);
	assert_string_equal(rq.name, NAME);
	assert_int_equal(rq.offset, 0);
	assert_int_equal(parse("FETCH " NAME " 1234", &rq), Q_OK);
	assert_int_equal(rq.offset, 1234);
	assert_int_equal(parse("SUM " NAME " 10 20", &rq), Q_OK);
	assert_int_equal(rq.length, 20);
	assert_int_equal(parse("FOLLOW -", &rq), Q_OK);
	assert_string_equal(rq.name, "");
	assert_int_equal(rq.from, Q_FROM_END);
	assert_int_equal(parse("FOLLOW " NAME " LINES 5", &rq), Q_OK);
	assert_int_equal(rq.from, Q_FROM_LINES);
	assert_int_equal(rq.length, 5);
	assert_int_equal(parse("FOLLOW - START", &rq), Q_OK);
	assert_int_equal(rq.from, Q_FROM_START);
	assert_int_equal(parse("AUTH s3cret", &rq), Q_OK);
	assert_int_equal(rq.tokenlen, 6);
	assert_int_equal(parse("QUIT", &rq), Q_OK);
}

static void
test_names_outside_the_log_directory_are_denied(void **state)
{
	static const char *bad[] = {
		"FETCH ../" NAME, "FETCH /etc/passwd", "FETCH ../../etc/passwd",
		"FETCH .logserver.lock", "FETCH logserver-20261120T232446Z-00000042.log/",
		"SUM /etc/shadow 0 1", "FOLLOW ../x", "FETCH logserver-x.log",
		"FETCH logs/logserver-20261120T232446Z-0000042.log",
	};
	struct q_request rq;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &rq), Q_ERR_DENIED);
}

static void
test_malformed_requests_are_bad_requests(void **state)
{
	static const char *bad[] = {
		"", "list", "LIST extra", "FETCH", "FETCH " NAME " -1", "FETCH " NAME " 12x",
		"SUM " NAME " 1", "FOLLOW - SIDEWAYS", "FOLLOW - LINES", "HELLO", "A B C D E F G",
	};
	struct q_request rq;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &rq), Q_ERR_BADREQ);
}

static void
test_sum_range_is_bounded(void **state)
{
	struct q_request rq;
	(void)state;

	assert_int_equal(parse("SUM " NAME " 0 999999999999", &rq), Q_ERR_RANGE);
}

static void
test_tokens_compare_whole(void **state)
{
	(void)state;
	assert_true(query_token_equal("abc", 3, "abc", 3));
	assert_false(query_token_equal("abc", 3, "abd", 3));
	assert_false(query_token_equal("abc", 3, "abcd", 4));
	assert_false(query_token_equal("", 0, "a", 1));
}

static struct sockaddr_storage ss;

static struct sockaddr *
addr(const char *text, socklen_t *len)
{
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s6->sin6_addr);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s4->sin_addr);
		*len = sizeof(*s4);
	}
	return (struct sockaddr *)&ss;
}

static int
allows(const struct acl *a, const char *text)
{
	socklen_t len;
	struct sockaddr *sa = addr(text, &len);

	return acl_allows(a, sa, len);
}

static void
test_allow_list_matches_networks_and_mapped_ipv4(void **state)
{
	struct acl a;
	char err[256];
	(void)state;

	assert_int_equal(acl_parse(&a, "127.0.0.1/32, 10.0.0.0/8,::1,2001:db8::/32", err,
	    sizeof(err)), 0);
	assert_int_equal(a.n, 4);
	assert_true(allows(&a, "127.0.0.1"));
	assert_false(allows(&a, "127.0.0.2"));
	assert_true(allows(&a, "10.200.3.4"));
	assert_false(allows(&a, "11.0.0.1"));
	assert_true(allows(&a, "::1"));
	assert_true(allows(&a, "::ffff:127.0.0.1"));
	assert_false(allows(&a, "::ffff:127.0.0.2"));
	assert_true(allows(&a, "2001:db8:1::5"));
	assert_false(allows(&a, "2001:db9::5"));
}

static void
test_allow_list_odd_prefixes_and_empty_list(void **state)
{
	struct acl a;
	char err[256];
	(void)state;

	assert_int_equal(acl_parse(&a, "192.168.1.128/25", err, sizeof(err)), 0);
	assert_true(allows(&a, "192.168.1.200"));
	assert_false(allows(&a, "192.168.1.100"));
	assert_int_equal(acl_parse(&a, "", err, sizeof(err)), 0);
	assert_true(allows(&a, "8.8.8.8"));
	assert_int_equal(acl_parse(&a, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(allows(&a, "8.8.8.8"));
}

static int
everyone(const char *list)
{
	struct acl a;
	char err[256];

	assert_int_equal(acl_parse(&a, list, err, sizeof(err)), 0);
	return acl_everyone(&a);
}

static void
test_allow_list_that_admits_everyone_is_recognised(void **state)
{
	(void)state;
	assert_true(everyone(""));
	assert_true(everyone("0.0.0.0/0"));
	assert_true(everyone("127.0.0.1,::/0"));
	assert_false(everyone("127.0.0.0/8,::1"));
	assert_false(everyone("10.0.0.0/8"));
	assert_false(everyone("0.0.0.0/1,128.0.0.0/1"));	/* wide, but a choice */
}

static void
test_allow_list_rejects_bad_entries(void **state)
{
	static const char *bad[] = { "10.0.0.0/33", "::1/129", "localhost", "10.0.0/8",
		"1.2.3.4/", "1.2.3.4/x" };
	struct acl a;
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(acl_parse(&a, bad[i], err, sizeof(err)), -1);
}

/* SHA-256 (digest.h) of data placed at offset pad of a memory file. */
static const char *
hexsum(const void *data, size_t len, size_t pad)
{
	static char hex[DIGEST_HEX_LEN + 1];
	int fd = memfd_create("digest", MFD_CLOEXEC);

	assert_true(fd != -1);
	assert_int_equal(ftruncate(fd, (off_t)pad), 0);
	assert_int_equal(pwrite(fd, data, len, (off_t)pad), (ssize_t)len);
	assert_int_equal(pwrite(fd, "tail", 4, (off_t)(pad + len)), 4);
	assert_int_equal(digest_file_range(fd, (off_t)pad, len, hex), 0);
	close(fd);
	return hex;
}

static void
test_sha256_of_a_file_range_matches_fips_180_examples(void **state)
{
	static char million[1000000];
	(void)state;

	assert_string_equal(hexsum("", 0, 1),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(hexsum("abc", 3, 0),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(hexsum("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 7),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	assert_string_equal(hexsum(million, sizeof(million), 4099),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_sha256_of_a_range_past_the_end_of_the_file_fails(void **state)
{
	char hex[DIGEST_HEX_LEN + 1];
	int fd = memfd_create("digest", MFD_CLOEXEC);
	(void)state;

	assert_int_equal(pwrite(fd, "abc", 3, 0), 3);
	assert_int_equal(digest_file_range(fd, 1, 3, hex), -1);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_parse_with_their_arguments),
		cmocka_unit_test(test_names_outside_the_log_directory_are_denied),
		cmocka_unit_test(test_malformed_requests_are_bad_requests),
		cmocka_unit_test(test_sum_range_is_bounded),
		cmocka_unit_test(test_tokens_compare_whole),
		cmocka_unit_test(test_allow_list_matches_networks_and_mapped_ipv4),
		cmocka_unit_test(test_allow_list_odd_prefixes_and_empty_list),
		cmocka_unit_test(test_allow_list_rejects_bad_entries),
		cmocka_unit_test(test_allow_list_that_admits_everyone_is_recognised),
		cmocka_unit_test(test_sha256_of_a_file_range_matches_fips_180_examples),
		cmocka_unit_test(test_sha256_of_a_range_past_the_end_of_the_file_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
