/*
 * escape: pure, bounded escaping of untrusted message bytes.
 *
 * Contract: the output of escape_text() never contains a byte below 0x20,
 * DEL, a C1 control or invalid UTF-8, so one record always stays one line and
 * a client cannot forge a second record or drive a terminal (CWE-117). The
 * escaping is reversible: '\' itself is written as "\\". Tab, CR and LF
 * become \t \r \n; every other unsafe byte becomes \xHH. Valid multi-byte
 * UTF-8 is kept as is, except the code points that reorder or split what a
 * terminal shows (bidi controls, U+2028, U+2029): their bytes become \xHH.
 * escape_json() writes the inside of a JSON string (RFC 8259): '"' and '\'
 * escaped, controls as \n \r \t \b \f or \u00XX; a byte that is not part of
 * valid UTF-8 is written as the code point of the same value (\u00XX), so
 * every output is valid UTF-8 JSON; bidi controls, U+2028 and U+2029 are
 * written as \uXXXX (JSON keeps them, visibly).
 * Both write into dst, which the caller sizes with ESCAPE_TEXT_MAX /
 * ESCAPE_JSON_MAX of the input length; they return the bytes written.
 */
#ifndef LOGSERVER_ESCAPE_H
#define LOGSERVER_ESCAPE_H

#include <stddef.h>
#include <string.h>

#define ESCAPE_TEXT_MAX(len) ((len) * 4)
#define ESCAPE_JSON_MAX(len) ((len) * 6)

size_t escape_text(char *dst, const char *src, size_t len);
size_t escape_json(char *dst, const char *src, size_t len);

/* Length of the leading run of src that both escapes copy unchanged
 * (printable ASCII but '\\' and '"'): len when no byte needs escaping. */
size_t escape_plain_len(const char *src, size_t len);

/* Copies n bytes to d and returns d + n; a run of up to 16 bytes (a
 * header field, the bytes between two escapes) with two overlapping
 * fixed-size moves instead of a call into the C library. */
static inline char *
copy_run(char *d, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else
		memcpy(d, s, n);
	return d + n;
}

/* Length (2..4) of the valid UTF-8 multi-byte sequence at p, or 0 when the
 * bytes at p (at most n of them) are not one. */
size_t utf8_seq_len(const unsigned char *p, size_t n);

#endif
