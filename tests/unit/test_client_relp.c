/* Unit tests: logclient's RELP open offers and the check of the answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "client_relp.h"
#include "relp_frame.h"

#define SID "0123456789abcdef0123456789abcdef"

static enum crelp_open_status
reply(const char *data, struct crelp_open *o)
{
	return crelp_open_reply(data, strlen(data), o);
}

static void
test_session_id_is_lowercase_hex(void **state)
{
	const unsigned char raw[CRELP_SESSION_BYTES] = { 0x00, 0x01, 0xab, 0xff, 0x10, 0x9c };
	char hex[CRELP_SESSION_HEX + 1];
	(void)state;

	crelp_hex(raw, sizeof(raw), hex);
	assert_int_equal(strlen(hex), CRELP_SESSION_HEX);
	assert_string_equal(hex, "0001abff109c00000000000000000000");
}

static void
test_offers_name_version_session_and_first_message(void **state)
{
	char buf[512];
	size_t n;
	(void)state;

	n = crelp_offers(buf, sizeof(buf), "0.1.0", SID, 42);
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "relp_version=0\n"
	    "relp_software=logclient,0.1.0,https://example.invalid/logserver\n"
	    "commands=syslog\n"
	    "logserver_session=" SID "\n"
	    "logserver_seq=42");
	assert_int_equal(crelp_offers(buf, 40, "0.1.0", SID, 1), 0);
}

static void
test_offers_walk_back_with_relp_offer_next(void **state)
{
	char buf[512];
	size_t n = crelp_offers(buf, sizeof(buf), "0.1.0", SID, 7), pos = 0;
	struct relp_offer o;
	int seen = 0;
	(void)state;

	while (relp_offer_next(buf, n, &pos, &o)) {
		if (relp_offer_is(&o, "logserver_session")) {
			assert_int_equal(o.valuelen, CRELP_SESSION_HEX);
			seen |= 1;
		} else if (relp_offer_is(&o, "logserver_seq")) {
			assert_memory_equal(o.value, "7", 1);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
}

static void
test_logserver_answer_with_seq(void **state)
{
	struct crelp_open o;
	(void)state;

	assert_int_equal(reply("200 OK\nrelp_version=0\nrelp_software=logserver,0.1.0\n"
	    "commands=syslog\nlogserver_seq=17", &o), CRELP_OPEN_OK);
	assert_int_equal(o.code, 200);
	assert_true(o.has_seq);
	assert_int_equal(o.seq, 17);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslog\nlogserver_seq=0", &o),
	    CRELP_OPEN_OK);
	assert_true(o.has_seq);
	assert_int_equal(o.seq, 0);
}

static void
test_rsyslog_answer_without_seq(void **state)
{
	struct crelp_open o;
	(void)state;

	assert_int_equal(reply("200 OK\nrelp_version=0\n"
	    "relp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog\n", &o),
	    CRELP_OPEN_OK);
	assert_false(o.has_seq);
	assert_int_equal(reply("200 OK\nrelp_version=1\ncommands=eventlog,syslog", &o),
	    CRELP_OPEN_OK);
}

static void
test_answer_without_version_or_syslog_is_refused(void **state)
{
	struct crelp_open o;
	(void)state;

	assert_int_equal(reply("200 OK\ncommands=syslog", &o), CRELP_OPEN_NO_VERSION);
	assert_int_equal(reply("200 OK", &o), CRELP_OPEN_NO_VERSION);
	assert_int_equal(reply("200 OK\nrelp_version=0", &o), CRELP_OPEN_NO_SYSLOG);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslogx,eventlog", &o),
	    CRELP_OPEN_NO_SYSLOG);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands", &o), CRELP_OPEN_NO_SYSLOG);
}

static void
test_other_code_carries_its_text(void **state)
{
	struct crelp_open o;
	(void)state;

	assert_int_equal(reply("500 too busy\nrelp_version=0", &o), CRELP_OPEN_REFUSED);
	assert_int_equal(o.code, 500);
	assert_int_equal(o.textlen, 8);
	assert_memory_equal(o.text, "too busy", 8);
}

static void
test_malformed_answer_or_seq(void **state)
{
	struct crelp_open o;
	(void)state;

	assert_int_equal(reply("OK", &o), CRELP_OPEN_BAD);
	assert_int_equal(reply("", &o), CRELP_OPEN_BAD);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslog\nlogserver_seq=-1", &o),
	    CRELP_OPEN_BAD);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslog\nlogserver_seq=1x", &o),
	    CRELP_OPEN_BAD);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslog\nlogserver_seq", &o),
	    CRELP_OPEN_BAD);
	assert_int_equal(reply("200 OK\nrelp_version=0\ncommands=syslog\n"
	    "logserver_seq=99999999999999999999999", &o), CRELP_OPEN_BAD);
}

static void
test_txnr_wraps_to_1(void **state)
{
	(void)state;

	assert_int_equal(crelp_txnr_next(1), 2);
	assert_int_equal(crelp_txnr_next(RELP_TXNR_MAX - 1), RELP_TXNR_MAX);
	assert_int_equal(crelp_txnr_next(RELP_TXNR_MAX), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_id_is_lowercase_hex),
		cmocka_unit_test(test_offers_name_version_session_and_first_message),
		cmocka_unit_test(test_offers_walk_back_with_relp_offer_next),
		cmocka_unit_test(test_logserver_answer_with_seq),
		cmocka_unit_test(test_rsyslog_answer_without_seq),
		cmocka_unit_test(test_answer_without_version_or_syslog_is_refused),
		cmocka_unit_test(test_other_code_carries_its_text),
		cmocka_unit_test(test_malformed_answer_or_seq),
		cmocka_unit_test(test_txnr_wraps_to_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
