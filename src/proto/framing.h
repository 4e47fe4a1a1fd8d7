/*
 * framing: pure splitting of a TCP byte stream into messages.
 *
 * Contract: framer_next() looks at the unconsumed bytes buf[0..len) and
 * returns how many of them it consumed, filling *fr with what they were; 0
 * means "need more bytes" (the caller keeps buf[0..len) and reads more). It
 * never reads outside the buffer and never allocates; fr->p points into buf.
 * Framing is detected per message (RFC 6587):
 *   - octet counting (3.4.1), "LEN SP MSG": taken when the message starts
 *     with a non-zero digit, at most 10 digits, a space and a syslog PRI
 *     ("<" 1-3 digits ">"), so plain lines such as "404 not found" or
 *     "3 <b>bold</b>" stay lines;
 *   - otherwise a line ended by LF (CRLF accepted, the CR removed) or by NUL
 *     (3.4.2 trailers). An LF right after a NUL trailer or right after an
 *     octet-counted frame belongs to that message (senders add one).
 * A message longer than max_line is returned truncated to max_line bytes
 * (fr->truncated = 1); the rest is consumed as FRAME_SKIP and, at its end,
 * FRAME_OVERLONG_END reports how many bytes were dropped. An octet count too
 * large to be honest (over 2^31) yields FRAME_BAD_COUNT (fr->p, fr->len: the
 * digits) and consumes the header; the message after it is framed as a line,
 * so the stream stays in sync where it can.
 * The caller's buffer must be able to hold max_line + FRAMER_SLACK bytes, so
 * that every decision can be made with the bytes it holds.
 */
#ifndef LOGSERVER_FRAMING_H
#define LOGSERVER_FRAMING_H

#include <stddef.h>

#define FRAMER_SLACK 20

enum frame_type {
	FRAME_MSG,		/* a message in fr->p, fr->len */
	FRAME_SKIP,		/* bytes of an over-long message, dropped */
	FRAME_OVERLONG_END,	/* the over-long message ended; fr->dropped bytes dropped */
	FRAME_BAD_COUNT,	/* malformed octet count; the message follows as a line */
};

struct frame {
	enum frame_type type;
	const char *p;
	size_t len;
	int truncated;		/* FRAME_MSG: the message was cut at max_line */
	int octet_counted;	/* FRAME_MSG: it came with an RFC 6587 octet count */
	unsigned long long dropped;	/* FRAME_OVERLONG_END */
};

struct framer {
	size_t max_line;
	int state;		/* FR_START, FR_DISCARD_LINE or FR_SKIP_OCTETS */
	int after_nul;		/* last message ended with NUL or a count: skip one LF */
	unsigned long long skip_left;
	unsigned long long dropped;
};

void framer_init(struct framer *f, size_t max_line);
size_t framer_next(struct framer *f, const char *buf, size_t len, int eof, struct frame *fr);
/* At end of stream: returns 1 and fills *fr when an over-long message was
 * still being dropped (FRAME_OVERLONG_END), else 0. */
int framer_finish(struct framer *f, struct frame *fr);
/* 1 while an over-long message is being dropped (a message is open even
 * when the caller's buffer is empty). */
int framer_in_message(const struct framer *f);

#endif
