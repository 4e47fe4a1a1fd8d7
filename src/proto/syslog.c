/*
 * syslog.c: zero-copy parser for one syslog message (RFC 5424, RFC 3164 and
 * the deviations real senders emit); see syslog.h for the contract and
 * docs/PARSING.md for the rules.  This file holds the entry point, PRI and
 * the byte classes; the header formats are in syslog_5424.c, syslog_3164.c,
 * syslog_ts.c (timestamps) and syslog_sd.c (STRUCTURED-DATA).
 *
 * Every scanner takes a cursor and the end of the input and dereferences the
 * cursor only after checking it against the end, so no byte outside
 * [buf, buf+len) is ever read and no NUL terminator is needed.  The input is
 * walked once, left to right; the MSG body itself is never scanned, so the
 * cost per message is the length of the header.
 *
 * Decisions that go beyond the RFCs:
 *
 * - Trailing NUL, CR and LF bytes are framing residue, not content: Python's
 *   SysLogHandler appends a NUL, RSYSLOG_SyslogProtocol23Format and
 *   syslog-ng's network() append a LF.  They are cut off before parsing a
 *   5424 or 3164 message.  A SYSLOG_NONE msg is the whole untouched buffer.
 * - An invalid PRI ("<192>", "<01>", "<>", "<1234>", no '>') makes the
 *   message SYSLOG_NONE: the sender is not speaking syslog, so keep it all.
 * - msg is absent only for a 5424 message that has no MSG part; every other
 *   kind always has a (possibly empty) msg.  A leading UTF-8 BOM is skipped
 *   in both formats (RFC 5424 6.4).
 * - The timestamp rules are at the top of syslog_ts.c, the RFC 5424 ones in
 *   syslog_5424.c, the RFC 3164 heuristics at parse_3164() and parse_tag().
 */

#include <string.h>

#include "syslog_scan.h"

/*
 * Byte classes (syslog_scan.h), one table lookup per byte in the scanning
 * loops.  The table is computed by the compiler from the CT() rules below.
 */
#define CT_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define CT_ALNUM(c)	(CT_DIGIT(c) || ((c) >= 'a' && (c) <= 'z') || \
			    ((c) >= 'A' && (c) <= 'Z'))
#define CT_PRINT(c)	((c) >= 33 && (c) <= 126)
/*
 * RFC 3164 4.1.3 says a TAG is alphanumeric; real tags also carry
 * "postfix/smtpd", "systemd-logind", "sshd(pam_unix)", "com.apple.xpc",
 * "%ASA-6-302013", "user@host".  Punctuation that usually belongs to prose
 * (",;!?'\"") is left out so that a sentence is not taken for a tag.
 */
#define CT_TAG(c)	(CT_ALNUM(c) || (c) == '-' || (c) == '_' || \
			    (c) == '.' || (c) == '/' || (c) == '@' || \
			    (c) == '%' || (c) == '+' || (c) == '#' || \
			    (c) == '(' || (c) == ')')
#define CT(c)	((CT_DIGIT(c) ? C_DIGIT : 0) |				\
		(CT_PRINT(c) ? C_PRINT : 0) |				\
		(CT_PRINT(c) && (c) != '=' && (c) != ']' && (c) != '"' ?	\
		    C_SDNAME : 0) |					\
		(CT_ALNUM(c) || (c) == '.' || (c) == '-' || (c) == '_' ||	\
		    (c) == ':' ? C_HOST : 0) |				\
		(CT_TAG(c) ? C_TAG : 0))
#define CT4(c)	CT(c), CT((c) + 1), CT((c) + 2), CT((c) + 3)
#define CT16(c)	CT4(c), CT4((c) + 4), CT4((c) + 8), CT4((c) + 12)
#define CT64(c)	CT16(c), CT16((c) + 16), CT16((c) + 32), CT16((c) + 48)

const unsigned char syslog_ctype[256] = {
	CT64(0), CT64(64), CT64(128), CT64(192)
};

/*
 * RFC 5424 6.2.1 (and RFC 3164 4.1.1): PRI = "<" PRIVAL ">", PRIVAL =
 * 1*3DIGIT in 0..191, and "the only time a value of 0 follows the '<' is for
 * the Priority value of 0".  Returns PRIVAL and sets *next past the '>', or
 * returns -1.  At most 5 bytes are looked at, each after a check against end.
 */
static int
scan_pri(const char *p, const char *end, const char **next)
{
	const char *q;
	int v = 0;

	if (p == end || *p != '<')
		return -1;
	for (q = p + 1; q < end && is_digit(*q) && q - p <= 3; q++)
		v = v * 10 + (*q - '0');
	if (q == p + 1 || q == end || *q != '>')
		return -1;
	if (v > 191 || (p[1] == '0' && q - p > 2))
		return -1;
	*next = q + 1;
	return v;
}

/* Every field absent but msg, the whole input: a copy of a constant, which
 * the compiler does with wide moves (a compound literal was zeroed with a
 * rep stos, whose start-up cost was an eighth of the parser's time). */
static const struct syslog_msg none_msg = {
	.kind = SYSLOG_NONE,
	.pri = -1,
	.facility = -1,
	.severity = -1,
	.version = 0,
};

static void
none(struct syslog_msg *out, const char *buf, size_t len)
{
	memcpy(out, &none_msg, sizeof(*out));
	out->msg.p = buf;
	out->msg.len = len;
}

enum syslog_kind
syslog_parse(const char *buf, size_t len, struct syslog_msg *out)
{
	const char *p = buf, *end, *q = NULL;
	int pri;

	/* Adding even 0 to a null pointer is undefined, hence the test. */
	end = len > 0 ? buf + len : buf;

	none(out, buf, len);

	/* Framing residue, see the top of the file. */
	while (end > p && (end[-1] == '\0' || end[-1] == '\n' ||
	    end[-1] == '\r'))
		end--;

	if ((pri = scan_pri(p, end, &q)) >= 0) {
		out->pri = pri;
		out->facility = pri / 8;
		out->severity = pri % 8;
		p = q;
		/* RFC 5424 6.2.2 VERSION "1" SP, checked here: most are 3164. */
		if (end - p >= 2 && p[0] == '1' && p[1] == ' ' &&
		    parse_5424(p, end, out))
			return out->kind;
	}
	if (parse_3164(p, end, pri >= 0, out))
		return out->kind;

	/* parse_3164 may have filled spans before it gave up. */
	none(out, buf, len);
	return SYSLOG_NONE;
}

static const char *const facility_names[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

static const char *const severity_names[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* RFC 5424 6.2.1 table 1. */
const char *
syslog_facility_name(int facility)
{
	if (facility < 0 || facility >= 24)
		return "?";
	return facility_names[facility];
}

/* RFC 5424 6.2.1 table 2. */
const char *
syslog_severity_name(int severity)
{
	if (severity < 0 || severity >= 8)
		return "?";
	return severity_names[severity];
}
