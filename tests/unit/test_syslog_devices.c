/*
 * Unit tests for the parser (src/proto/syslog*.c) on what device families
 * and forwarders send: Cisco IOS, IOS-XE, NX-OS and ASA headers (sequence
 * numbers, clock markers, time zones, origin-id), and the BSD, busybox and
 * journald forwarders that send no HOSTNAME.  The table checks are in
 * syslog_rows.h.
 */
#include "syslog_rows.h"

/* Cisco IOS "service sequence-numbers". */
static const struct row cisco_seq_rows[] = {
	{ "<186>1541800: Feb 27 06:08:59.485: %HARDWARE-2-FAN_ERROR: Fan "
	  "Failure", 0, SYSLOG_3164, 186, "Feb 27 06:08:59.485", NULL,
	  "%HARDWARE-2-FAN_ERROR", NULL, NULL, NULL, "Fan Failure" },
	{ "<189>36: *Mar  1 00:27:07.123: %SYS-5-CONFIG_I: Configured", 0,
	  SYSLOG_3164, 189, "Mar  1 00:27:07.123", NULL, "%SYS-5-CONFIG_I",
	  NULL, NULL, NULL, "Configured" },
	/* Device timestamps off: the number, then the mnemonic. */
	{ "<189>36: %SYS-5-CONFIG_I: Configured", 0, SYSLOG_3164, 189,
	  NULL, NULL, "%SYS-5-CONFIG_I", NULL, NULL, NULL, "Configured" },
	/* 11 digits is no 32-bit counter. */
	{ "<189>12345678901: Feb 27 06:08:59: %X-1-Y: m", 0, SYSLOG_3164, 189,
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  "12345678901: Feb 27 06:08:59: %X-1-Y: m" },
};

/* Cisco NX-OS, ASA device-id, IOS through a relay; a bare '.' fraction. */
static const struct row cisco_more_rows[] = {
	/* NX-OS "clock timezone Berlin": the zone is part of the time. */
	{ "<181>2022 Oct 19 11:34:01 Berlin: %ETHPORT-5-IF_HARDWARE: Interface "
	  "Ethernet1/9", 0, SYSLOG_3164, 181, "2022 Oct 19 11:34:01 Berlin",
	  NULL, "%ETHPORT-5-IF_HARDWARE", NULL, NULL, NULL,
	  "Interface Ethernet1/9" },
	{ "<166>Apr 24 2013 16:00:28 INT-FW01 : %ASA-6-106100: access-list", 0,
	  SYSLOG_3164, 166, "Apr 24 2013 16:00:28", "INT-FW01", NULL, NULL,
	  NULL, NULL, "%ASA-6-106100: access-list" },
	{ "Feb  8 04:00:48 198.51.100.2 585917: Feb  8 04:00:47.272: "
	  "%SEC-6-IPACCESSLOGRP: list 177", 0, SYSLOG_3164, -1,
	  "Feb  8 04:00:48", "198.51.100.2", NULL, NULL, NULL, NULL,
	  "585917: Feb  8 04:00:47.272: %SEC-6-IPACCESSLOGRP: list 177" },
	/* Not followed by a timestamp: a number starting the msg. */
	{ "<13>Feb  8 04:00:48 h 585917: x", 0, SYSLOG_3164, 13,
	  "Feb  8 04:00:48", "h", NULL, NULL, NULL, NULL, "585917: x" },
	{ "<7> Aug 29 02:00:00. ctld snmpd[2499]: PTHREAD support", 0,
	  SYSLOG_3164, 7, "Aug 29 02:00:00.", "ctld", "snmpd", "2499", NULL,
	  NULL, "PTHREAD support" },
	/* In RFC 5424 a '.' needs a digit (6.2.3). */
	{ "<7>1 2024-01-15T10:00:00.Z h a - - - m", 0, SYSLOG_3164, 7,
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  "1 2024-01-15T10:00:00.Z h a - - - m" },
};

static void
test_3164_cisco_nxos_asa_and_relayed_ios_headers(void **state)
{
	struct syslog_msg m;
	const char *in = cisco_more_rows[2].in;

	(void)state;
	RUN(cisco_more_rows);
	/* The relayed device's number is no seq of the relay's header. */
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_3164);
	assert_null(m.seq.p);
}

static void
test_3164_cisco_sequence_number_before_timestamp(void **state)
{
	struct syslog_msg m;
	const char *in = cisco_seq_rows[0].in;

	(void)state;
	RUN(cisco_seq_rows);
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_3164);
	assert_true(span_is(m.seq, "1541800"));
	in = cisco_seq_rows[2].in;
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_3164);
	assert_true(span_is(m.seq, "36"));
	assert_int_equal(syslog_parse("<13>Nov 20 12:00:00 h a: m", 26, &m),
	    SYSLOG_3164);
	assert_null(m.seq.p);
}

static const struct row cisco_rows[] = {
	{ "<189>*Mar  1 00:27:07.123: %SYS-5-CONFIG_I: Configured from console",
	  0, SYSLOG_3164, 189, "Mar  1 00:27:07.123", NULL, "%SYS-5-CONFIG_I",
	  NULL, NULL, NULL, "Configured from console" },
	{ "<187>.Jan 15 10:00:00.123: %LINK-3-UPDOWN: Interface Gi0/1, down",
	  0, SYSLOG_3164, 187, "Jan 15 10:00:00.123", NULL, "%LINK-3-UPDOWN",
	  NULL, NULL, NULL, "Interface Gi0/1, down" },
	{ "<14>*hello", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "*hello" },
};

static void
test_3164_cisco_clock_marker(void **state)
{
	(void)state;
	RUN(cisco_rows);
}


/*
 * Cisco "show-timezone" / "clock timezone": SP, 1 to 7 letters and ": %"
 * after the time belong to the TIMESTAMP.  Without the '%' of a mnemonic
 * after it the word is a TAG (a missing hostname), and 8 letters is no
 * IOS zone name.
 */
static const struct row cisco_zone_rows[] = {
	{ "<189>123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured", 0,
	  SYSLOG_3164, 189, "Mar  1 18:46:11.123 UTC", NULL, "%SYS-5-CONFIG_I",
	  NULL, NULL, NULL, "Configured" },
	{ "Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100: access-list", 0,
	  SYSLOG_3164, -1, "Apr 15 2014 09:34:34 EDT", NULL,
	  "%ASA-session-5-106100", NULL, NULL, NULL, "access-list" },
	/* NX-OS: ": " without a number before the time, then the zone. */
	{ "<190>: 2017 Mar 06 09:22:34 CET: %AUTHPRIV-6-SYSTEM_MSG: START: rsync",
	  0, SYSLOG_3164, 190, "2017 Mar 06 09:22:34 CET", NULL,
	  "%AUTHPRIV-6-SYSTEM_MSG", NULL, NULL, NULL, "START: rsync" },
	{ "<14>: hello", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, ": hello" },
	{ "<13>Nov 20 12:00:00 su: pam_unix", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, "su", NULL, NULL, NULL, "pam_unix" },
	{ "<13>Nov 20 12:00:00 abcdefgh: %X-1-Y: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, "abcdefgh", NULL, NULL, NULL, "%X-1-Y: m" },
	{ "<13>Nov 20 12:00:00 UTC:", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, "UTC", NULL, NULL, NULL, "" },
};

static void
test_3164_cisco_time_zone_is_part_of_the_timestamp(void **state)
{
	struct syslog_msg m;
	const char *in = cisco_zone_rows[2].in;

	(void)state;
	RUN(cisco_zone_rows);
	/* NX-OS's ": " is no sequence number. */
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_3164);
	assert_null(m.seq.p);
}

/*
 * Cisco IOS "logging origin-id hostname" ("seq: NAME: time: %...", as in
 * rsyslog's testbench) puts a HOSTNAME before the TIMESTAMP, which no
 * RFC 3164 header does: the message is a PRI and a msg, kept whole.
 */
static const struct row cisco_origin_rows[] = {
	{ "<14>123456789: HOSTNAME: May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: "
	  "F0: cpp_cp", 0, SYSLOG_3164, 14, NULL, NULL, NULL, NULL, NULL, NULL,
	  "123456789: HOSTNAME: May 21 12:00:01.123 gmt: %IOSXE-6-PLATFORM: "
	  "F0: cpp_cp" },
	{ "<14>12: HOSTNAME: text", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "12: HOSTNAME: text" },
};

static void
test_3164_cisco_origin_id_header_stays_in_msg(void **state)
{
	struct syslog_msg m;
	const char *in = cisco_origin_rows[0].in;

	(void)state;
	RUN(cisco_origin_rows);
	assert_int_equal(syslog_parse(in, strlen(in), &m), SYSLOG_3164);
	assert_null(m.seq.p);
}

/*
 * Forwarders that send no HOSTNAME: FreeBSD syslogd for a local message
 * (fprintlog_rfc3164), busybox syslogd -R and journald's ForwardToSyslog
 * (the /dev/log form, "<PRI>Mmm dd hh:mm:ss ident[pid]: msg"); FreeBSD's
 * legacy relay form; systemd-netlogd's rfc3339 form with "[-]" for no pid.
 */
static const struct row forwarder_rows[] = {
	{ "<15>Dec  2 15:55:00 test_tag: test_log_message", 0, SYSLOG_3164, 15,
	  "Dec  2 15:55:00", NULL, "test_tag", NULL, NULL, NULL,
	  "test_log_message" },
	{ "<30>Jun 23 13:17:42 chronyd[1119]: Selected source 192.168.65.1", 0,
	  SYSLOG_3164, 30, "Jun 23 13:17:42", NULL, "chronyd", "1119", NULL,
	  NULL, "Selected source 192.168.65.1" },
	{ "<15>Dec  2 15:55:00 Forwarded from example.test: test_tag: m", 0,
	  SYSLOG_3164, 15, "Dec  2 15:55:00", "Forwarded", "from", NULL, NULL,
	  NULL, "example.test: test_tag: m" },
	{ "<30>2021-03-22T17:29:47.123456+01:00 myNextCloud systemd[-]: m", 0,
	  SYSLOG_3164, 30, "2021-03-22T17:29:47.123456+01:00", "myNextCloud",
	  "systemd", "-", NULL, NULL, "m" },
};

static void
test_3164_forwarders_without_hostname(void **state)
{
	(void)state;
	RUN(forwarder_rows);
}

/* Every prefix of every row above: no crash, the invariants hold. */
static void
test_every_prefix_of_device_headers_is_safe(void **state)
{
	(void)state;
	PREFIXES(cisco_seq_rows);
	PREFIXES(cisco_more_rows);
	PREFIXES(cisco_rows);
	PREFIXES(cisco_zone_rows);
	PREFIXES(cisco_origin_rows);
	PREFIXES(forwarder_rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3164_cisco_sequence_number_before_timestamp),
		cmocka_unit_test(test_3164_cisco_nxos_asa_and_relayed_ios_headers),
		cmocka_unit_test(test_3164_cisco_clock_marker),
		cmocka_unit_test(test_3164_cisco_time_zone_is_part_of_the_timestamp),
		cmocka_unit_test(test_3164_cisco_origin_id_header_stays_in_msg),
		cmocka_unit_test(test_3164_forwarders_without_hostname),
		cmocka_unit_test(test_every_prefix_of_device_headers_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
