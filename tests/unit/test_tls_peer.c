/* Unit tests: TLS peer names and fingerprints against --tls-permitted-peer
 * (RFC 5425 5.2), and the certificate name in records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "tls_peer.h"

static void
test_exact_names_match_without_regard_to_case(void **state)
{
	(void)state;
	assert_true(tls_name_match("host.example.com", "HOST.Example.com"));
	assert_false(tls_name_match("host.example.com", "host.example.co"));
	assert_false(tls_name_match("", "host"));
	assert_false(tls_name_match("host", ""));
}

static void
test_wildcard_stands_for_exactly_one_label(void **state)
{
	(void)state;
	assert_true(tls_name_match("*.example.com", "a.example.com"));
	assert_true(tls_name_match("*.example.com", "A.EXAMPLE.COM"));
	assert_false(tls_name_match("*.example.com", "example.com"));
	assert_false(tls_name_match("*.example.com", ".example.com"));
	assert_false(tls_name_match("*.example.com", "a.b.example.com"));
	assert_false(tls_name_match("*.", "a."));
	assert_false(tls_name_match("*", "a"));	/* a bare star is a name, not a wildcard */
}

static void
test_permitted_list_finds_the_matching_name(void **state)
{
	struct tls_names n = { .n = 2 };
	(void)state;

	strcpy(n.name[0], "web.other.org");
	strcpy(n.name[1], "db1.example.com");
	assert_int_equal(tls_names_permitted(" x.example.net , *.example.com", &n), 1);
	assert_int_equal(tls_names_permitted("web.other.org", &n), 0);
	assert_int_equal(tls_names_permitted("*.other.com,db1.example.co", &n), -1);
	assert_int_equal(tls_names_permitted("", &n), -1);
	n.n = 0;
	assert_int_equal(tls_names_permitted("*.example.com", &n), -1);
}

static void
test_fingerprints_compare_with_or_without_colons(void **state)
{
	const char *fpr =
	    "sha256:a23a6cc74c1025b8b234092ea01570c7d5256650093546d4e7957939530f62a4";
	char err[200];
	(void)state;

	assert_true(tls_fpr_listed("sha256:00,  SHA256:A2:3A:6C:C7:4C:10:25:B8:B2:34:09:2E:"
	    "A0:15:70:C7:D5:25:66:50:09:35:46:D4:E7:95:79:39:53:0F:62:A4", fpr));
	assert_true(tls_fpr_listed(fpr, fpr));
	assert_false(tls_fpr_listed("sha256:a23a6cc74c1025b8b234092ea01570c7d5256650093546d4e79"
	    "57939530f62a5", fpr));
	assert_false(tls_fpr_listed("a23a6cc74c1025b8b234092ea01570c7d5256650093546d4e7957939530"
	    "f62a4", fpr));
	assert_int_equal(tls_fpr_list_check(fpr, err, sizeof(err)), 0);
	assert_int_equal(tls_fpr_list_check("sha256:abc", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sha256:abc"));
	assert_int_equal(tls_fpr_list_check(" , ", err, sizeof(err)), -1);
}

static char out[1 << 14];

static const char *
rec(enum rec_format f, const char *tls_peer)
{
	struct rec_clock c = { 0 };
	struct rec_source src = { f, "127.0.0.1:5555", 14, "tls", tls_peer, 0 };
	static const char msg[] = "<13>host app: hi";
	size_t n;

	rec_clock_set(&c, 1795735486, 7);
	n = record_message(out, &c, &src, msg, sizeof(msg) - 1, 0);
	assert_true(n <= RECORD_MSG_MAX(sizeof(msg) - 1));
	out[n] = '\0';
	return out;
}

static void
test_certificate_name_is_in_text_and_json_records(void **state)
{
	char longname[400];
	(void)state;

	assert_string_equal(rec(REC_TEXT, "client1.example.com"), "2026-11-26T23:24:46.007Z "
	    "127.0.0.1:5555 tls=client1.example.com user.notice host app: hi\n");
	assert_string_equal(rec(REC_JSON, "client1.example.com"), "{\"time\":\"2026-11-26T23:24:"
	    "46.007Z\",\"peer\":\"127.0.0.1:5555\",\"transport\":\"tls\",\"tls_peer\":\"client1."
	    "example.com\",\"pri\":13,\"facility\":\"user\",\"severity\":\"notice\",\"msg\":"
	    "\"host app: hi\"}\n");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_non_null(strstr(rec(REC_JSON, longname), "\"tls_peer\":\"aaaa"));
	assert_int_equal(strstr(out, "\",\"pri\"") - strstr(out, "\"tls_peer\":\"") - 12,
	    REC_TLS_PEER_MAX);
}

static void
test_a_hostname_matches_a_certificate_name_its_wildcard_or_its_first_label(void **state)
{
	struct tls_names n = { .n = 2 };

	(void)state;
	strcpy(n.name[0], "web1.example.com");
	strcpy(n.name[1], "*.dc2.example.com");
	assert_true(tls_names_match_host(&n, "web1.example.com", 16));
	assert_true(tls_names_match_host(&n, "WEB1.Example.com", 16));
	assert_true(tls_names_match_host(&n, "web1", 4));		/* the short name */
	assert_true(tls_names_match_host(&n, "db.dc2.example.com", 18));
	assert_false(tls_names_match_host(&n, "web2.example.com", 16));
	assert_false(tls_names_match_host(&n, "web", 3));		/* a prefix, not a label */
	assert_false(tls_names_match_host(&n, "web1.other.org", 14));
	assert_false(tls_names_match_host(&n, "dc2", 3));		/* not a first label */
	assert_false(tls_names_match_host(&n, "", 0));
	assert_false(tls_names_match_host(&n, "web1\0x", 6));	/* a NUL is no name */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_names_match_without_regard_to_case),
		cmocka_unit_test(test_a_hostname_matches_a_certificate_name_its_wildcard_or_its_first_label),
		cmocka_unit_test(test_wildcard_stands_for_exactly_one_label),
		cmocka_unit_test(test_permitted_list_finds_the_matching_name),
		cmocka_unit_test(test_fingerprints_compare_with_or_without_colons),
		cmocka_unit_test(test_certificate_name_is_in_text_and_json_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
