/* framing: RFC 6587 octet counting and LF/NUL-delimited lines, with a bound. */
#include "framing.h"

#include <string.h>

enum { FR_START, FR_DISCARD_LINE, FR_SKIP_OCTETS };

#define OCTET_DIGITS_MAX 10
#define OCTET_COUNT_MAX (1ULL << 31)

void
framer_init(struct framer *f, size_t max_line)
{
	memset(f, 0, sizeof(*f));
	f->max_line = max_line;
}

/* First LF or NUL in buf[0..len), or NULL. */
static const char *
find_delim(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	const char *nul = memchr(buf, '\0', nl != NULL ? (size_t)(nl - buf) : len);

	return nul != NULL ? nul : nl;
}

static void
emit_msg(struct frame *fr, const char *p, size_t len, int truncated, int octet)
{
	fr->type = FRAME_MSG;
	fr->p = p;
	fr->len = len;
	fr->truncated = truncated;
	fr->octet_counted = octet;
}

/*
 * RFC 6587 3.4.1 octet counting: "LEN SP MSG". Returns 1 when buf starts
 * with a frame header (*hdr = its length, *count = LEN), 0 when it does not,
 * -1 when more bytes are needed to tell, 2 for a header whose count is not
 * believable.
 */
static int
octet_header(const char *buf, size_t len, int eof, size_t *hdr, unsigned long long *count)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (len == 0 || buf[0] < '1' || buf[0] > '9')
		return 0;
	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == OCTET_DIGITS_MAX)
			return 0;	/* too many digits for a count: a plain line */
		v = v * 10 + (unsigned)(buf[i] - '0');
		i++;
	}
	/* SP, then a PRI: '<', one to three digits, '>' (RFC 5424 6.2.1). */
	if (i + 2 > len)
		return eof ? 0 : -1;
	if (buf[i] != ' ' || buf[i + 1] != '<')
		return 0;
	size_t j = i + 2, k = 0;
	while (j < len && k < 3 && buf[j] >= '0' && buf[j] <= '9') {
		j++;
		k++;
	}
	if (j == len)
		return eof ? 0 : -1;
	if (k == 0 || buf[j] != '>')
		return 0;
	*hdr = i + 1;
	*count = v;
	return v > OCTET_COUNT_MAX ? 2 : 1;
}

size_t
framer_next(struct framer *f, const char *buf, size_t len, int eof, struct frame *fr)
{
	const char *d;
	size_t hdr, window;
	unsigned long long count;

	memset(fr, 0, sizeof(*fr));
	if (len == 0)
		return 0;

	if (f->state == FR_SKIP_OCTETS) {
		size_t n = len < f->skip_left ? len : (size_t)f->skip_left;
		f->skip_left -= n;
		if (f->skip_left > 0) {
			fr->type = FRAME_SKIP;
			return n;
		}
		f->state = FR_START;
		fr->type = FRAME_OVERLONG_END;
		fr->dropped = f->dropped;
		return n;
	}
	if (f->state == FR_DISCARD_LINE) {
		d = find_delim(buf, len);
		if (d == NULL) {
			f->dropped += len;
			fr->type = FRAME_SKIP;
			return len;
		}
		f->dropped += (size_t)(d - buf);
		f->after_nul = *d == '\0';
		f->state = FR_START;
		fr->type = FRAME_OVERLONG_END;
		fr->dropped = f->dropped;
		return (size_t)(d - buf) + 1;
	}

	/* FR_START: between messages. An LF right after a NUL trailer or an
	 * octet-counted frame is a trailer of that message, not an empty line. */
	if (f->after_nul) {
		f->after_nul = 0;
		if (buf[0] == '\n') {
			fr->type = FRAME_SKIP;
			return 1;
		}
	}
	{
		switch (octet_header(buf, len, eof, &hdr, &count)) {
		case -1:
			return 0;
		case 2:
			/* Report the count; what follows it is framed as a line. */
			fr->type = FRAME_BAD_COUNT;
			fr->p = buf;
			fr->len = hdr - 1;
			return hdr;
		case 1:
			if (count <= f->max_line && len - hdr >= count) {
				emit_msg(fr, buf + hdr, (size_t)count, 0, 1);
				f->after_nul = 1;	/* a stray trailer after the frame */
				return hdr + (size_t)count;
			}
			if (len - hdr < f->max_line && len - hdr < count) {
				if (!eof)
					return 0;
				/* The stream ended inside the frame: keep what came. */
				emit_msg(fr, buf + hdr, len - hdr, 1, 1);
				return len;
			}
			emit_msg(fr, buf + hdr, f->max_line, 1, 1);
			f->state = FR_SKIP_OCTETS;
			f->skip_left = count - f->max_line;
			f->dropped = f->skip_left;
			return hdr + f->max_line;
		default:
			break;
		}
	}

	/* A line: content, an optional CR, and the delimiter fit in the window. */
	window = len < f->max_line + 2 ? len : f->max_line + 2;
	d = find_delim(buf, window);
	if (d != NULL) {
		size_t clen = (size_t)(d - buf);

		if (*d == '\n' && clen > 0 && buf[clen - 1] == '\r')
			clen--;
		if (clen <= f->max_line) {
			f->after_nul = *d == '\0';
			emit_msg(fr, buf, clen, 0, 0);
			return (size_t)(d - buf) + 1;
		}
	} else if (window < f->max_line + 2) {
		if (!eof)
			return 0;
		/* The last line of the stream has no delimiter. */
		if (len <= f->max_line) {
			emit_msg(fr, buf, len, 0, 0);
			return len;
		}
	}
	/* Longer than max_line: keep the first max_line bytes, drop the rest. */
	emit_msg(fr, buf, f->max_line, 1, 0);
	f->state = FR_DISCARD_LINE;
	f->dropped = 0;
	return f->max_line;
}

int
framer_finish(struct framer *f, struct frame *fr)
{
	memset(fr, 0, sizeof(*fr));
	if (f->state == FR_START)
		return 0;
	fr->type = FRAME_OVERLONG_END;
	fr->dropped = f->state == FR_SKIP_OCTETS ? f->dropped - f->skip_left : f->dropped;
	f->state = FR_START;
	return 1;
}

int
framer_in_message(const struct framer *f)
{
	return f->state != FR_START;
}
