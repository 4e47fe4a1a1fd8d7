/*
 * relp_frame: pure parsing and formatting of RELP frames (the Reliable Event
 * Logging Protocol of rsyslog/librelp), for the server and for logclient.
 *
 * Contract: no I/O, no allocation; every number is bounded.
 *   FRAME   = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *   TXNR    = 1..9 digits, 0..999999999 (0 only for hints such as
 *             "serverclose"; callers decide what they accept)
 *   COMMAND = 1..32 ASCII letters
 *   DATALEN = 1..9 digits, at most the caller's max_data; 0 means no SP and
 *             no DATA follow
 * relp_parse() looks at buf[0..len) and returns RELP_OK with *used set to the
 * frame's size and *f pointing into buf, RELP_MORE when the bytes so far are
 * a valid beginning of a frame (the caller reads more; a header alone can
 * never exceed RELP_HEADER_MAX bytes), or RELP_BAD with a short static reason
 * in *why. A frame is valid only as a whole: a malformed header is found as
 * soon as its bytes arrive, a missing trailer once DATALEN bytes are there.
 *
 * The data of a "rsp" frame is "CODE[ SP TEXT][LF DATA]"; relp_parse_rsp()
 * takes it apart. The data of an "open" frame and of its rsp is a list of
 * offers, "NAME[=VALUE]" separated by LF; relp_offer_next() walks them.
 */
#ifndef LOGSERVER_RELP_FRAME_H
#define LOGSERVER_RELP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RELP_TXNR_MAX 999999999u
#define RELP_CMD_MAX 32
#define RELP_DATALEN_DIGITS 9
/* "999999999 " + 32 letters + " 999999999 " */
#define RELP_HEADER_MAX (9 + 1 + RELP_CMD_MAX + 1 + RELP_DATALEN_DIGITS + 1)
/* What a frame adds to its data: header and trailer. */
#define RELP_FRAME_OVERHEAD (RELP_HEADER_MAX + 1)

enum relp_status { RELP_OK = 0, RELP_MORE = 1, RELP_BAD = -1 };

struct relp_frame {
	uint32_t txnr;
	const char *cmd;	/* points into the buffer; not terminated */
	size_t cmdlen;
	const char *data;	/* DATALEN bytes (NULL when 0) */
	size_t datalen;
};

enum relp_status relp_parse(const char *buf, size_t len, size_t max_data, struct relp_frame *f,
    size_t *used, const char **why);

/* 1 when the frame's command is the NUL-terminated word cmd. */
int relp_is(const struct relp_frame *f, const char *cmd);

/*
 * Formats one frame into dst (cap bytes): "TXNR CMD LEN[ DATA]\n".
 * Returns the length, or 0 when it does not fit (or txnr, cmd or len are out
 * of bounds).
 */
size_t relp_format(char *dst, size_t cap, uint32_t txnr, const char *cmd, const char *data,
    size_t datalen);

/*
 * Formats a response frame "TXNR rsp LEN CODE TEXT[\nDATA]" into dst.
 * text must not contain LF (an LF is written as a space). Returns the length
 * or 0 when it does not fit.
 */
size_t relp_format_rsp(char *dst, size_t cap, uint32_t txnr, int code, const char *text,
    const char *data, size_t datalen);

/* A rsp frame's data taken apart: code 100..999, text and data inside it. */
struct relp_rsp {
	int code;
	const char *text;
	size_t textlen;
	const char *data;	/* after the first LF, or NULL */
	size_t datalen;
};
/* Returns 0, or -1 when the data does not start with three digits. */
int relp_parse_rsp(const char *data, size_t len, struct relp_rsp *r);

/* One offer of an open's data: name[=value]. */
struct relp_offer {
	const char *name;
	size_t namelen;
	const char *value;	/* NULL when there is no '=' */
	size_t valuelen;
};
/*
 * Walks the offers in data[0..len): *pos starts at 0. Returns 1 with *o
 * filled, or 0 at the end. Empty lines are skipped; a name is cut at 32
 * bytes and a value at 255 (longer ones are returned cut, never read past).
 */
int relp_offer_next(const char *data, size_t len, size_t *pos, struct relp_offer *o);

/* 1 when the offer's name is the NUL-terminated word name. */
int relp_offer_is(const struct relp_offer *o, const char *name);

#endif
