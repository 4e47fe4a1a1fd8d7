/*
 * client_relp: what logclient says and checks in a RELP session (pure), on
 * top of relp_frame.h.
 *
 * logclient's open offers, one a line:
 *   relp_version=0
 *   relp_software=logclient,VERSION,URL
 *   commands=syslog
 *   logserver_session=<32 lowercase hex digits, random per run>
 *   logserver_seq=<number of the message the first syslog frame carries>
 * A logserver answers logserver_seq=M in its open rsp: the highest message
 * number of this session it has written already (0: none). Other RELP
 * servers ignore the two logserver_ offers and do not answer them.
 *
 * Contract: no I/O, no allocation; functions look only inside the lengths
 * they are given.
 */
#ifndef LOGSERVER_CLIENT_RELP_H
#define LOGSERVER_CLIENT_RELP_H

#include <stddef.h>
#include <stdint.h>

#define CRELP_SESSION_BYTES 16
#define CRELP_SESSION_HEX (2 * CRELP_SESSION_BYTES)
/* Message numbers the offers carry are below this (parse_ll's range). */
#define CRELP_SEQ_MAX ((uint64_t)1 << 62)

/* raw[0..n) as 2n lowercase hex digits and a NUL into out (2n+1 bytes). */
void crelp_hex(const unsigned char *raw, size_t n, char *out);

/*
 * The open's offers for session (CRELP_SESSION_HEX characters) whose first
 * syslog frame will carry message first_seq. Returns the length, or 0 when
 * cap is too small.
 */
size_t crelp_offers(char *dst, size_t cap, const char *version, const char *session,
    uint64_t first_seq);

enum crelp_open_status {
	CRELP_OPEN_OK = 0,
	CRELP_OPEN_REFUSED,	/* a code other than 200: text says why */
	CRELP_OPEN_NO_VERSION,	/* 200 without a relp_version offer */
	CRELP_OPEN_NO_SYSLOG,	/* 200 without "syslog" in the commands offer */
	CRELP_OPEN_BAD,		/* not a rsp body, or a bad logserver_seq */
};

struct crelp_open {
	int code;
	const char *text;	/* the human-readable text after the code */
	size_t textlen;
	int has_seq;		/* the server answered logserver_seq */
	uint64_t seq;
};

/* Checks the data of the rsp to our open. */
enum crelp_open_status crelp_open_reply(const char *data, size_t len, struct crelp_open *o);

/* The transaction number after txnr: 1..999999999, then 1 again. */
uint32_t crelp_txnr_next(uint32_t txnr);

#endif
