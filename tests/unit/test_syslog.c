/*
 * Unit tests for src/proto/syslog*.c: RFC 3164 parsing, the deviations real
 * senders produce, PRI edge cases and whole-buffer safety. The RFC 5424 side
 * (and STRUCTURED-DATA): test_syslog_5424.c.
 *
 * Every input is copied into a heap buffer of exactly its length before it
 * is parsed, so under ASan or valgrind any read past the end is caught.
 */
#include "syslog_rows.h"

/* RFC 3164 5.4 examples and the plain header of 4.1. */
static const struct row rfc3164_rows[] = {
	{ "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
	  "/dev/pts/8", 0, SYSLOG_3164, 34, "Oct 11 22:14:15", "mymachine",
	  "su", NULL, NULL, NULL, "'su root' failed for lonvick on /dev/pts/8" },
	{ "Use the BFG!", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	/* "CST" reads as the hostname, as the RFC itself says a relay would. */
	{ "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to "
	  "make the do-nuts.", 0, SYSLOG_3164, 165, "Aug 24 05:34:00", "CST",
	  NULL, NULL, NULL, NULL,
	  "1987 mymachine myproc[10]: %% It's time to make the do-nuts." },
	/* Year first: no RFC 3164 TIMESTAMP (4.3.2), but Cisco NX-OS sends
	 * it, so it is taken, as rsyslog takes it. */
	{ "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
	  "sched[0]: That's All Folks!", 0, SYSLOG_3164, 0,
	  "1990 Oct 22 10:52:01", "TZ-6", "scapegoat.dmz.example.org", NULL,
	  NULL, NULL, "10.1.2.3 sched[0]: That's All Folks!" },
	{ "<38>Nov 20 23:27:41 vm sshd[3669]: Accepted publickey for alice", 0,
	  SYSLOG_3164, 38, "Nov 20 23:27:41", "vm", "sshd", "3669", NULL, NULL,
	  "Accepted publickey for alice" },
	{ "<13>Nov 20 12:00:00 fe80::1 app: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "fe80::1", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 20 12:00:00 10.0.0.1 app: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "10.0.0.1", "app", NULL, NULL, NULL, "m" },
	{ "<86>Jan  2 03:04:05 box sshd(pam_unix)[23546]: session opened", 0,
	  SYSLOG_3164, 86, "Jan  2 03:04:05", "box", "sshd(pam_unix)", "23546",
	  NULL, NULL, "session opened" },
	{ "<22>Jan  2 03:04:05 mx postfix/smtpd[99]: connect from x", 0,
	  SYSLOG_3164, 22, "Jan  2 03:04:05", "mx", "postfix/smtpd", "99",
	  NULL, NULL, "connect from x" },
	/* Only one SP after the colon belongs to the header. */
	{ "<13>Nov 20 12:00:00 h app:   indented", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "h", "app", NULL, NULL, NULL, "  indented" },
	{ "<13>Nov 20 12:00:00 h app:", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "h", "app", NULL, NULL, NULL, "" },
	{ "<13>Nov 20 12:00:00 h app[]: x", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "h", "app", NULL, NULL, NULL, "x" },
};

static void
test_3164_rfc_examples_and_plain_header(void **state)
{
	(void)state;
	RUN(rfc3164_rows);
}

static const struct row day_rows[] = {
	{ "<13>Nov  5 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  "Nov  5 01:02:03", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 05 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  "Nov 05 01:02:03", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 5 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  "Nov 5 01:02:03", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>nov 5 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  "nov 5 01:02:03", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Dec 31 23:59:60 host app: m", 0, SYSLOG_3164, 13,
	  "Dec 31 23:59:60", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 20 12:00:00.123456 host app: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00.123456", "host", "app", NULL, NULL, NULL, "m" },
	/* Not timestamps: the whole text after PRI is the MSG. */
	{ "<13>Nov 32 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Nov 32 01:02:03 host app: m" },
	{ "<13>Nov  0 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Nov  0 01:02:03 host app: m" },
	{ "<13>Foo 20 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Foo 20 01:02:03 host app: m" },
	{ "<13>Nov 20 25:02:03 host app: m", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Nov 20 25:02:03 host app: m" },
	{ "<13>Nov 20 01:02:03x host", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Nov 20 01:02:03x host" },
	{ "<13>Nov   5 01:02:03 host app: m", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, "Nov   5 01:02:03 host app: m" },
};

static void
test_3164_space_padded_day_and_bad_timestamps(void **state)
{
	(void)state;
	RUN(day_rows);
}

static const struct row year_rows[] = {
	{ "<13>Nov 20 2024 12:00:00 host app: m", 0, SYSLOG_3164, 13,
	  "Nov 20 2024 12:00:00", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 20 12:00:00 2024 host app: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00 2024", "host", "app", NULL, NULL, NULL, "m" },
	{ "<13>Nov 20 12:00:00 2024", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00 2024", NULL, NULL, NULL, NULL, NULL, "" },
	/* Cisco ASA: year after the day, ':' after the time, no hostname. */
	{ "<166>Jan 15 2024 10:00:00: %ASA-6-302013: Built outbound TCP", 0,
	  SYSLOG_3164, 166, "Jan 15 2024 10:00:00", NULL, "%ASA-6-302013",
	  NULL, NULL, NULL, "Built outbound TCP" },
};

static void
test_3164_optional_year(void **state)
{
	(void)state;
	RUN(year_rows);
}

static const struct row iso_rows[] = {
	/* rsyslog RSYSLOG_ForwardFormat */
	{ "<13>2024-01-15T10:00:00.123456+01:00 web1 app[12]: m", 0,
	  SYSLOG_3164, 13, "2024-01-15T10:00:00.123456+01:00", "web1", "app",
	  "12", NULL, NULL, "m" },
	{ "<13>2024-01-15T10:00:00Z web1 app: m", 0, SYSLOG_3164, 13,
	  "2024-01-15T10:00:00Z", "web1", "app", NULL, NULL, NULL, "m" },
	/* Offset optional and lower case accepted outside 5424. */
	{ "<13>2024-01-15t10:00:00 web1 app: m", 0, SYSLOG_3164, 13,
	  "2024-01-15t10:00:00", "web1", "app", NULL, NULL, NULL, "m" },
	/* RFC 3339 5.6 does not bound time-secfrac; syslog-ng's test suite. */
	{ "<7>2006-11-10T10:43:21.15600000000 bzorp openvpn[2499]: PTHREAD "
	  "support initialized", 0, SYSLOG_3164, 7,
	  "2006-11-10T10:43:21.15600000000", "bzorp", "openvpn", "2499", NULL,
	  NULL, "PTHREAD support initialized" },
	{ "<7>2006-11-10T10:43:21.156000000001+02:00 bzorp app: m", 0,
	  SYSLOG_3164, 7, "2006-11-10T10:43:21.156000000001+02:00", "bzorp",
	  "app", NULL, NULL, NULL, "m" },
	/* Without a PRI an ISO time starts a plain line: no RFC 3164 header. */
	{ "2024-01-15T10:00:00.5z web1 app: m", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
test_3164_iso_timestamp_instead_of_bsd(void **state)
{
	(void)state;
	RUN(iso_rows);
}

#define FRAC64 "1234567890123456789012345678901234567890123456789012345678901234"
static const struct row long_frac_rows[] = {
	{ "<13>2024-01-15T10:00:00." FRAC64 "Z h app: m", 0, SYSLOG_3164, 13,
	  "2024-01-15T10:00:00." FRAC64 "Z", "h", "app", NULL, NULL, NULL, "m" },
	{ "<13>Jan 15 10:00:00." FRAC64 " h app: m", 0, SYSLOG_3164, 13,
	  "Jan 15 10:00:00." FRAC64, "h", "app", NULL, NULL, NULL, "m" },
	/* 65 digits: no timestamp (the scan is bounded). */
	{ "<13>2024-01-15T10:00:00." FRAC64 "5Z h", 0, SYSLOG_3164, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  "2024-01-15T10:00:00." FRAC64 "5Z h" },
};

static void
test_3164_fraction_longer_than_nine_digits_is_a_timestamp(void **state)
{
	(void)state;
	RUN(long_frac_rows);
}

static const struct row nohost_rows[] = {
	{ "<13>Nov 20 12:00:00 su: msg", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, "su", NULL, NULL, NULL, "msg" },
	/* Docker's default format: no hostname, tag[pid]. */
	{ "<30>Nov 20 12:00:00 3f8a1b2c4d5e[1234]: hello", 0, SYSLOG_3164, 30,
	  "Nov 20 12:00:00", NULL, "3f8a1b2c4d5e", "1234", NULL, NULL,
	  "hello" },
	{ "<13>Nov 20 12:00:00 app[1] no colon", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, "app", "1", NULL, NULL, "no colon" },
	/* nginx nohostname */
	{ "<190>Jan 15 10:00:00 nginx: 10.0.0.1 - - \"GET / HTTP/1.1\" 200", 0,
	  SYSLOG_3164, 190, "Jan 15 10:00:00", NULL, "nginx", NULL, NULL, NULL,
	  "10.0.0.1 - - \"GET / HTTP/1.1\" 200" },
	/* A word that is no hostname and no tag: it starts the MSG. */
	{ "<13>Nov 20 12:00:00 what? happened", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, NULL, NULL, NULL, NULL, "what? happened" },
	/* A hostname needs a SP after it; a last lone word is MSG. */
	{ "<13>Nov 20 12:00:00 lonely", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, NULL, NULL, NULL, NULL, "lonely" },
	{ "<13>Nov 20 12:00:00 host ", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL, "" },
	{ "<13>Nov 20 12:00:00", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", NULL, NULL, NULL, NULL, NULL, "" },
};

static void
test_3164_missing_hostname_takes_tag(void **state)
{
	(void)state;
	RUN(nohost_rows);
}

static const struct row nots_rows[] = {
	{ "<14>myapp: msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, "myapp", NULL, NULL, NULL, "msg" },
	{ "<190>nginx: 10.0.0.1 - - [15/Jan/2024:10:00:00 +0000] \"GET /\"", 0,
	  SYSLOG_3164, 190, NULL, NULL, "nginx", NULL, NULL, NULL,
	  "10.0.0.1 - - [15/Jan/2024:10:00:00 +0000] \"GET /\"" },
	{ "<14>myapp[42]: msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, "myapp", "42", NULL, NULL, "msg" },
	{ "<14>myapp[42] msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, "myapp", "42", NULL, NULL, "msg" },
	{ "<14>myapp[42]", 0, SYSLOG_3164, 14,
	  NULL, NULL, "myapp", "42", NULL, NULL, "" },
	/* After "[pid]:" the SP is optional; after a bare "name:" it is not. */
	{ "<14>myapp[42]:msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, "myapp", "42", NULL, NULL, "msg" },
	{ "<14>myapp:msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "myapp:msg" },
	/* Without a timestamp a word is only a tag with ':' or "[pid]". */
	{ "<14>hello world", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "hello world" },
	{ "<14>http://example.com/ is down", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "http://example.com/ is down" },
	{ "<14>myapp[42 msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "myapp[42 msg" },
	{ "<14>myapp[4 2]: msg", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "myapp[4 2]: msg" },
	/* Digits are no tag. */
	{ "<189>36 is a number", 0, SYSLOG_3164, 189,
	  NULL, NULL, NULL, NULL, NULL, NULL, "36 is a number" },
	{ "<189>36: x", 0, SYSLOG_3164, 189,
	  NULL, NULL, NULL, NULL, NULL, NULL, "36: x" },
};

static void
test_3164_missing_timestamp(void **state)
{
	(void)state;
	RUN(nots_rows);
}

#define TAG40 "k8s_nginx-ingress-controller_abcdef12345"
#define TAG128 "t2345678901234567890123456789012345678901234567890123456789012" \
	"234567890123456789012345678901234567890123456789012345678901234567"
static const struct row tag_rows[] = {
	{ "<13>Nov 20 12:00:00 host " TAG40 "[1]: m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", TAG40, "1", NULL, NULL, "m" },
	{ "<14>" TAG128 ": m", 0, SYSLOG_3164, 14,
	  NULL, NULL, TAG128, NULL, NULL, NULL, "m" },
	{ "<14>" TAG128 "x: m", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, TAG128 "x: m" },
};

static void
test_3164_long_tag(void **state)
{
	(void)state;
	RUN(tag_rows);
}

static const struct row bare_tag_rows[] = {
	{ "<13>Nov 20 12:00:00 host myapp hello world", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", "myapp", NULL, NULL, NULL, "hello world" },
	/* Ambiguous: the first word is taken as hostname (as rsyslog does). */
	{ "<13>Nov 20 12:00:00 myapp hello world", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "myapp", "hello", NULL, NULL, NULL, "world" },
	{ "<13>Nov 20 12:00:00 host 1234 x", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL, "1234 x" },
	{ "<13>Nov 20 12:00:00 host a,b x", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL, "a,b x" },
};

static void
test_3164_tag_without_colon(void **state)
{
	(void)state;
	RUN(bare_tag_rows);
}

static const struct row nopri_rows[] = {
	{ "Nov 20 12:00:00 host app: m", 0, SYSLOG_3164, -1,
	  "Nov 20 12:00:00", "host", "app", NULL, NULL, NULL, "m" },
	{ "Nov  5 12:00:00 su: m", 0, SYSLOG_3164, -1,
	  "Nov  5 12:00:00", NULL, "su", NULL, NULL, NULL, "m" },
	/* BSD syslogd's mark (syslog-ng's test suite). */
	{ "Feb 18 16:01:59 serverX -- MARK --", 0, SYSLOG_3164, -1,
	  "Feb 18 16:01:59", "serverX", "--", NULL, NULL, NULL, "MARK --" },
	/* journalctl -o short */
	{ "Feb 18 16:01:59 web1 systemd[1]: Started Session 5.", 0,
	  SYSLOG_3164, -1, "Feb 18 16:01:59", "web1", "systemd", "1", NULL,
	  NULL, "Started Session 5." },
	/* Cisco IOS and ASA to a terminal or file, without PRI. */
	{ "*Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured from console", 0,
	  SYSLOG_3164, -1, "Mar  1 18:46:11", NULL, "%SYS-5-CONFIG_I", NULL,
	  NULL, NULL, "Configured from console" },
	{ "000123: *Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured", 0,
	  SYSLOG_3164, -1, "Mar  1 18:46:11", NULL, "%SYS-5-CONFIG_I", NULL,
	  NULL, NULL, "Configured" },
	{ "Jan 15 2024 10:00:00 asa1 : %ASA-6-302013: Built", 0, SYSLOG_3164,
	  -1, "Jan 15 2024 10:00:00", "asa1", NULL, NULL, NULL, NULL,
	  "%ASA-6-302013: Built" },
	{ "Aug 15 2012 23:30:09 : %ASA-6-302016 Teardown", 0, SYSLOG_3164, -1,
	  "Aug 15 2012 23:30:09", NULL, NULL, NULL, NULL, NULL,
	  "%ASA-6-302016 Teardown" },
	/* No header: plain lines stay whole. */
	{ "Nov 20 12:00:00", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "Nov 20 12:00:00 text", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "Nov 20 12:00:00 what? happened", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "myapp: m", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "2026-01-02 03:04:05,678 INFO [main] app started", 0, SYSLOG_NONE,
	  -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "36: %SYS-5-CONFIG_I: Configured", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ " Nov 20 12:00:00 host app: m", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
test_3164_without_pri_is_parsed_only_with_a_full_header(void **state)
{
	(void)state;
	RUN(nopri_rows);
}

/* rsyslog's testbench (pri-space), appliances: SP between PRI and header. */
static const struct row pri_space_rows[] = {
	{ "<38> Mar  7 19:06:53 example tag: testmessage", 0, SYSLOG_3164, 38,
	  "Mar  7 19:06:53", "example", "tag", NULL, NULL, NULL,
	  "testmessage" },
	{ "<38>   Mar  7 19:06:53 example tag: m", 0, SYSLOG_3164, 38,
	  "Mar  7 19:06:53", "example", "tag", NULL, NULL, NULL, "m" },
	{ "<38> 2024-01-15T10:00:00Z example tag: m", 0, SYSLOG_3164, 38,
	  "2024-01-15T10:00:00Z", "example", "tag", NULL, NULL, NULL, "m" },
	/* No timestamp after the SP: the SP stays in the msg. */
	{ "<38> tag: m", 0, SYSLOG_3164, 38,
	  NULL, NULL, NULL, NULL, NULL, NULL, " tag: m" },
	{ "<38> ", 0, SYSLOG_3164, 38,
	  NULL, NULL, NULL, NULL, NULL, NULL, " " },
};

static void
test_3164_space_between_pri_and_header_is_skipped(void **state)
{
	(void)state;
	RUN(pri_space_rows);
}

/* RFC 3164 4.1.3: any non-alphanumeric character ends the TAG. */
static const struct row colon_tag_rows[] = {
	{ "<129>Mar 10 01:00:00 172.20.245.8 tag:msgnum:3", 0, SYSLOG_3164,
	  129, "Mar 10 01:00:00", "172.20.245.8", "tag", NULL, NULL, NULL,
	  "msgnum:3" },
	{ "<13>Nov 20 12:00:00 host app:m", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", "app", NULL, NULL, NULL, "m" },
	/* A ':' inside a word: URL and IPv6 are no tags. */
	{ "<13>Nov 20 12:00:00 host http://example.com/ is down", 0,
	  SYSLOG_3164, 13, "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL,
	  "http://example.com/ is down" },
	{ "<13>Nov 20 12:00:00 host https://x/", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL, "https://x/" },
	{ "<13>Nov 20 12:00:00 host fe80::1 up", 0, SYSLOG_3164, 13,
	  "Nov 20 12:00:00", "host", NULL, NULL, NULL, NULL, "fe80::1 up" },
	/* Without a timestamp "name:x" stays prose. */
	{ "<14>note:see below", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "note:see below" },
};

static void
test_3164_tag_ended_by_colon_without_space(void **state)
{
	(void)state;
	RUN(colon_tag_rows);
}

/* RFC 4291 2.2: a compressed IPv6 address may end in "::". */
static const struct row ipv6_host_rows[] = {
	{ "<0>Jan 10 01:00:00 0002:: prg0: msgtxt", 0, SYSLOG_3164, 0,
	  "Jan 10 01:00:00", "0002::", "prg0", NULL, NULL, NULL, "msgtxt" },
	{ "<0>Jan 10 01:00:00 fe80::1 prg0: m", 0, SYSLOG_3164, 0,
	  "Jan 10 01:00:00", "fe80::1", "prg0", NULL, NULL, NULL, "m" },
	{ "<0>Jan 10 01:00:00 ::ffff:10.0.0.1:: prg0: m", 0, SYSLOG_3164, 0,
	  "Jan 10 01:00:00", "::ffff:10.0.0.1::", "prg0", NULL, NULL, NULL,
	  "m" },
	/* Not hex: a tag with its ':' (and a stray second one). */
	{ "<0>Jan 10 01:00:00 sshd:: m", 0, SYSLOG_3164, 0,
	  "Jan 10 01:00:00", NULL, NULL, NULL, NULL, NULL, "sshd:: m" },
	{ "<0>Jan 10 01:00:00 su: m", 0, SYSLOG_3164, 0,
	  "Jan 10 01:00:00", NULL, "su", NULL, NULL, NULL, "m" },
};

static void
test_3164_ipv6_host_ending_in_double_colon_is_a_host(void **state)
{
	(void)state;
	RUN(ipv6_host_rows);
}

/* syslog-ng's test suite: a year after the time, then two SP. */
static const struct row year_space_rows[] = {
	{ "<6>AUG 10 22:18:24 2009  netips-warden2-p [audit] user=[*SMS] "
	  "src=192.168.1.1", 0, SYSLOG_3164, 6, "AUG 10 22:18:24 2009",
	  "netips-warden2-p", NULL, NULL, NULL, NULL,
	  "[audit] user=[*SMS] src=192.168.1.1" },
	{ "<6>Aug 10 22:18:24 2009    host app: m", 0, SYSLOG_3164, 6,
	  "Aug 10 22:18:24 2009", "host", "app", NULL, NULL, NULL, "m" },
	/* Without a year a second SP is no header (RFC 3164 4.1.2). */
	{ "<6>Aug 10 22:18:24  host app: m", 0, SYSLOG_3164, 6,
	  "Aug 10 22:18:24", NULL, NULL, NULL, NULL, NULL, " host app: m" },
};

static void
test_3164_spaces_after_a_trailing_year_are_skipped(void **state)
{
	(void)state;
	RUN(year_space_rows);
}

static const struct row prionly_rows[] = {
	{ "<14>", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "" },
	{ "<14>!!!", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "!!!" },
	{ "<14>   ", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "   " },
	{ "<14>\xff\xfe binary", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "\xff\xfe binary" },
	{ "<14>\n", 0, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "" },
};

static void
test_3164_pri_with_nothing_parseable_is_msg(void **state)
{
	(void)state;
	RUN(prionly_rows);
}

static const struct row trim_rows[] = {
	/* Python logging.handlers.SysLogHandler */
	{ "<14>message\0", 12, SYSLOG_3164, 14,
	  NULL, NULL, NULL, NULL, NULL, NULL, "message" },
	{ "<11>myscript: something failed\0", 31, SYSLOG_3164, 11,
	  NULL, NULL, "myscript", NULL, NULL, NULL, "something failed" },
	/* rsyslog RSYSLOG_SyslogProtocol23Format ends with LF. */
	{ "<13>1 2024-01-15T10:00:00.123456+01:00 web1 app 12 - -  m\n", 0,
	  SYSLOG_5424, 13, "2024-01-15T10:00:00.123456+01:00", "web1", "app",
	  "12", NULL, NULL, " m" },
	{ "<13>1 - - - - - -\r\n", 0, SYSLOG_5424, 13,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "<13>Jan 15 10:00:00 web1 app[12]: m\n", 0, SYSLOG_3164, 13,
	  "Jan 15 10:00:00", "web1", "app", "12", NULL, NULL, "m" },
	/* SYSLOG_NONE keeps every byte. */
	{ "plain text\n", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
test_trailing_nul_and_newline_are_trimmed(void **state)
{
	struct syslog_msg m;
	char *buf;

	(void)state;
	RUN(trim_rows);
	/* Only trailing residue goes; inner NUL/LF stay (not a C string). */
	buf = dup_exact("<14>a\0b\nc\n\0", 11);
	assert_int_equal(syslog_parse(buf, 11, &m), SYSLOG_3164);
	assert_ptr_equal(m.msg.p, buf + 4);
	assert_int_equal(m.msg.len, 5);
	free(buf);
}

static const struct row none_rows[] = {
	{ "Use the BFG!", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ BOM "hello", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "\0\0\0", 3, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"level\":\"info\",\"msg\":\"json\"}", 0, SYSLOG_NONE, -1,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
test_none_keeps_whole_buffer(void **state)
{
	struct syslog_msg m;
	char *buf;

	(void)state;
	RUN(none_rows);
	/* Empty input, with and without a buffer. */
	assert_int_equal(syslog_parse(NULL, 0, &m), SYSLOG_NONE);
	assert_null(m.msg.p);
	assert_int_equal(m.msg.len, 0);
	assert_int_equal(m.pri, -1);
	buf = dup_exact("", 0);
	assert_int_equal(syslog_parse(buf, 0, &m), SYSLOG_NONE);
	assert_ptr_equal(m.msg.p, buf);
	assert_int_equal(m.msg.len, 0);
	free(buf);
}

static const struct row pri_rows[] = {
	{ "<0>x", 0, SYSLOG_3164, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, "x" },
	{ "<191>x", 0, SYSLOG_3164, 191,
	  NULL, NULL, NULL, NULL, NULL, NULL, "x" },
	{ "<9>x", 0, SYSLOG_3164, 9,
	  NULL, NULL, NULL, NULL, NULL, NULL, "x" },
	{ "<100>x", 0, SYSLOG_3164, 100,
	  NULL, NULL, NULL, NULL, NULL, NULL, "x" },
	{ "<0>", 0, SYSLOG_3164, 0,
	  NULL, NULL, NULL, NULL, NULL, NULL, "" },
#define BADPRI(s) { s, 0, SYSLOG_NONE, -1, NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL }
	BADPRI("<192>Nov 20 12:00:00 host app: m"),
	BADPRI("<999>x"),
	BADPRI("<01>x"),
	BADPRI("<00>x"),
	BADPRI("<001>x"),
	BADPRI("<>x"),
	BADPRI("<1234>x"),
	BADPRI("<0191>x"),
	BADPRI("<-1>x"),
	BADPRI("<+1>x"),
	BADPRI("< 1>x"),
	BADPRI("<1 >x"),
	BADPRI("<1a>x"),
	BADPRI("<13"),
	BADPRI("<"),
	BADPRI("<>"),
	BADPRI(">13<x"),
	BADPRI(" <13>x"),
#undef BADPRI
};

static void
test_pri_edge_cases(void **state)
{
	struct syslog_msg m;

	(void)state;
	RUN(pri_rows);
	assert_int_equal(syslog_parse("<165>x", 6, &m), SYSLOG_3164);
	assert_int_equal(m.facility, 20);
	assert_int_equal(m.severity, 5);
	assert_string_equal(syslog_facility_name(m.facility), "local4");
	assert_string_equal(syslog_severity_name(m.severity), "notice");
	/* The '>' past len must not be seen. */
	assert_int_equal(syslog_parse("<13>", 3, &m), SYSLOG_NONE);
	assert_int_equal(m.msg.len, 3);
}

/* Senders seen in the wild, exactly as they put bytes on the wire. */
static const struct row sender_rows[] = {
	/* util-linux logger 2.38 --rfc3164 */
	{ "<133>Nov 20 23:27:41 vm myapp: hello from rfc3164", 0, SYSLOG_3164,
	  133, "Nov 20 23:27:41", "vm", "myapp", NULL, NULL, NULL,
	  "hello from rfc3164" },
	/* util-linux logger 2.38 --rfc5424 with --sd-id/--sd-param */
	{ "<13>1 2026-11-20T23:27:41.878817+00:00 vm myapp - ID47 " LOGGER_SD
	  " sd message", 0, SYSLOG_5424, 13,
	  "2026-11-20T23:27:41.878817+00:00", "vm", "myapp", NULL, "ID47",
	  LOGGER_SD, "sd message" },
	/* rsyslog RSYSLOG_TraditionalForwardFormat */
	{ "<30>Jan 15 10:00:00 web1 systemd[1]: Started Session 5 of user a.",
	  0, SYSLOG_3164, 30, "Jan 15 10:00:00", "web1", "systemd", "1", NULL,
	  NULL, "Started Session 5 of user a." },
	/* syslog-ng syslog() destination with sequence id */
	{ "<14>1 2024-01-15T10:00:00+01:00 web1 prog 4242 - [meta "
	  "sequenceId=\"17\"] hello", 0, SYSLOG_5424, 14,
	  "2024-01-15T10:00:00+01:00", "web1", "prog", "4242", NULL,
	  "[meta sequenceId=\"17\"]", "hello" },
	/* syslog-ng network() destination */
	{ "<14>Jan 15 10:00:00 web1 prog[4242]: hello\n", 0, SYSLOG_3164, 14,
	  "Jan 15 10:00:00", "web1", "prog", "4242", NULL, NULL, "hello" },
	/* Docker --log-opt syslog-format=rfc5424micro */
	{ "<30>1 2024-01-15T10:00:00.123456Z dockerhost 3f8a1b2c4d5e 1234 "
	  "3f8a1b2c4d5e - container says hi", 0, SYSLOG_5424, 30,
	  "2024-01-15T10:00:00.123456Z", "dockerhost", "3f8a1b2c4d5e", "1234",
	  "3f8a1b2c4d5e", NULL, "container says hi" },
	/* nginx access_log syslog: (with hostname) */
	{ "<190>Jan 15 10:00:00 web1 nginx: 10.0.0.1 - - \"GET / HTTP/1.1\"",
	  0, SYSLOG_3164, 190, "Jan 15 10:00:00", "web1", "nginx", NULL, NULL,
	  NULL, "10.0.0.1 - - \"GET / HTTP/1.1\"" },
};

static void
test_real_world_senders(void **state)
{
	(void)state;
	RUN(sender_rows);
}

/* Every prefix of every valid message above: no crash, invariants hold
 * (the RFC 5424 rows: test_syslog_5424.c). */
static void
test_every_prefix_is_safe(void **state)
{
	(void)state;
	PREFIXES(rfc3164_rows);
	PREFIXES(day_rows);
	PREFIXES(year_rows);
	PREFIXES(iso_rows);
	PREFIXES(nohost_rows);
	PREFIXES(nots_rows);
	PREFIXES(tag_rows);
	PREFIXES(bare_tag_rows);
	PREFIXES(nopri_rows);
	PREFIXES(long_frac_rows);
	PREFIXES(pri_space_rows);
	PREFIXES(colon_tag_rows);
	PREFIXES(ipv6_host_rows);
	PREFIXES(year_space_rows);
	PREFIXES(prionly_rows);
	PREFIXES(trim_rows);
	PREFIXES(none_rows);
	PREFIXES(pri_rows);
	PREFIXES(sender_rows);
}

/* Prefixes cut inside the 5424 header stay 5424 once committed. */
static void
test_facility_and_severity_names(void **state)
{
	static const char *const fac[24] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
		"news", "uucp", "cron", "authpriv", "ftp", "ntp", "security",
		"console", "solaris-cron", "local0", "local1", "local2",
		"local3", "local4", "local5", "local6", "local7",
	};
	static const char *const sev[8] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};
	int i;

	(void)state;
	for (i = 0; i < 24; i++)
		assert_string_equal(syslog_facility_name(i), fac[i]);
	for (i = 0; i < 8; i++)
		assert_string_equal(syslog_severity_name(i), sev[i]);
	assert_string_equal(syslog_facility_name(-1), "?");
	assert_string_equal(syslog_facility_name(24), "?");
	assert_string_equal(syslog_severity_name(-1), "?");
	assert_string_equal(syslog_severity_name(8), "?");
}

/* A pathological input must stay linear: 1 MiB of escapes and digits. */
static void
test_long_adversarial_inputs_are_handled(void **state)
{
	static const char head[] = "<13>1 - h a - - [x@1 k=\"";
	size_t len = 1 << 20, i;
	struct syslog_msg m;
	char *buf;

	(void)state;
	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < len; i++)
		buf[i] = (i % 2) ? '"' : '\\';
	assert_int_equal(syslog_parse(buf, len, &m), SYSLOG_5424);
	assert_null(m.sd.p);
	check_invariants(buf, len, &m);
	memcpy(buf, "<13>Nov 20 12:00:00.", 20);
	memset(buf + 20, '1', len - 20);
	assert_int_equal(syslog_parse(buf, len, &m), SYSLOG_3164);
	assert_null(m.timestamp.p);
	memset(buf, 'a', len);
	assert_int_equal(syslog_parse(buf, len, &m), SYSLOG_NONE);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3164_rfc_examples_and_plain_header),
		cmocka_unit_test(test_3164_space_padded_day_and_bad_timestamps),
		cmocka_unit_test(test_3164_optional_year),
		cmocka_unit_test(test_3164_iso_timestamp_instead_of_bsd),
		cmocka_unit_test(test_3164_missing_hostname_takes_tag),
		cmocka_unit_test(test_3164_missing_timestamp),
		cmocka_unit_test(test_3164_long_tag),
		cmocka_unit_test(test_3164_tag_without_colon),
		cmocka_unit_test(test_3164_without_pri_is_parsed_only_with_a_full_header),
		cmocka_unit_test(test_3164_fraction_longer_than_nine_digits_is_a_timestamp),
		cmocka_unit_test(test_3164_space_between_pri_and_header_is_skipped),
		cmocka_unit_test(test_3164_tag_ended_by_colon_without_space),
		cmocka_unit_test(test_3164_ipv6_host_ending_in_double_colon_is_a_host),
		cmocka_unit_test(test_3164_spaces_after_a_trailing_year_are_skipped),
		cmocka_unit_test(test_3164_pri_with_nothing_parseable_is_msg),
		cmocka_unit_test(test_trailing_nul_and_newline_are_trimmed),
		cmocka_unit_test(test_none_keeps_whole_buffer),
		cmocka_unit_test(test_pri_edge_cases),
		cmocka_unit_test(test_real_world_senders),
		cmocka_unit_test(test_every_prefix_is_safe),
		cmocka_unit_test(test_facility_and_severity_names),
		cmocka_unit_test(test_long_adversarial_inputs_are_handled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
