/* escape: reversible escaping of untrusted bytes for text and JSON records. */
#include "escape.h"

#include <stdint.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

/*
 * Length of the leading run of bytes that both formats copy unchanged
 * (printable ASCII except '\\' and '"'). Runs of 16 bytes and more are
 * tested 16 at a time where SSE2 is there (every x86-64), else 8 at a time in
 * a 64-bit word, and the tail with one overlapping load; shorter ones (the
 * syslog header fields) with two overlapping 8- or 4-byte words, so no
 * length costs a loop over single bytes but the last three.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

/*
 * The high bit of every byte of x that is not plain: below 0x20 (the
 * subtraction borrows only out of such a byte, so a borrow can only mark a
 * byte after one that is marked rightly), 0x80 and above, DEL, '\\', '"'.
 * The lowest marked byte is the first byte that is not plain.
 */
static inline uint64_t
bad8(uint64_t x)
{
	return (((x - ONES * 0x20) & ~x) | x | HAS_ZERO(x ^ (ONES * 0x7f)) |
	    HAS_ZERO(x ^ (ONES * '\\')) | HAS_ZERO(x ^ (ONES * '"'))) & HIGHS;
}

/* Index of the lowest marked byte of a nonzero mask of words loaded with memcpy. */
static inline size_t
first_marked(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)__builtin_clzll(m) / 8;
#else
	return (size_t)__builtin_ctzll(m) / 8;
#endif
}

static inline uint64_t
load8(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

/* A 4-byte word, widened so that bad8() applies; the upper half stays plain. */
static inline uint64_t
load4(const unsigned char *p)
{
	uint32_t x;

	memcpy(&x, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return ((uint64_t)x << 32) | 0x41414141ULL;
#else
	return (uint64_t)x | 0x4141414100000000ULL;
#endif
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Bit i set when byte i of the 16 at s is not plain. */
static inline unsigned
bad16x(__m128i x)
{
	const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i bslash = _mm_set1_epi8('\\'), quote = _mm_set1_epi8('"');
	/* Signed compare: bytes >= 0x80 are negative, so below 0x20 too. */
	__m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, space),
	    _mm_cmpeq_epi8(x, del)), _mm_or_si128(_mm_cmpeq_epi8(x, bslash),
	    _mm_cmpeq_epi8(x, quote)));

	return (unsigned)_mm_movemask_epi8(bad);
}

static inline unsigned
bad16(const unsigned char *s)
{
	return bad16x(_mm_loadu_si128((const __m128i *)(const void *)s));
}

/*
 * len >= 16: plain_run_long() that also copies what it scans to d, 16 bytes
 * a load and a store, so an all-plain message is read once.  Bytes past the
 * plain run may be stored too, never past d + len: the caller writes over
 * them (an escape is never shorter than what it escapes).
 */
#define HAVE_COPY_PLAIN 1
static size_t
copy_plain_long(char *d, const unsigned char *s, size_t len)
{
	size_t i = 0;
	unsigned m;
	__m128i x;

	for (; i + 16 <= len; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		_mm_storeu_si128((__m128i *)(void *)(d + i), x);
		if ((m = bad16x(x)) != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	if (i == len)
		return len;
	x = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
	_mm_storeu_si128((__m128i *)(void *)(d + len - 16), x);
	m = bad16x(x) >> (i - (len - 16));
	return m != 0 ? i + (size_t)__builtin_ctz(m) : len;
}

/* len >= 16 */
static size_t
plain_run_long(const unsigned char *s, size_t len)
{
	size_t i = 0;
	unsigned m;

	for (; i + 16 <= len; i += 16)
		if ((m = bad16(s + i)) != 0)
			return i + (size_t)__builtin_ctz(m);
	if (i == len)
		return len;
	/* The tail: the last 16 bytes again, overlapping what was seen. */
	m = bad16(s + len - 16) >> (i - (len - 16));
	return m != 0 ? i + (size_t)__builtin_ctz(m) : len;
}
#else
/* len >= 16 */
static size_t
plain_run_long(const unsigned char *s, size_t len)
{
	size_t i = 0;
	uint64_t m;

	for (; i + 8 <= len; i += 8)
		if ((m = bad8(load8(s + i))) != 0)
			return i + first_marked(m);
	if (i == len)
		return len;
	m = bad8(load8(s + len - 8));	/* its first 8 - (len - i) bytes are plain */
	return m != 0 ? len - 8 + first_marked(m) : len;
}
#endif

/* 1 where a byte is printable ASCII that both formats copy unchanged. */
static const unsigned char plain[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
	['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
	['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
	['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1,
};

static inline size_t
plain_run(const unsigned char *s, size_t len)
{
	uint64_t m;

	if (len >= 16)
		return plain_run_long(s, len);
	if (len >= 4) {
		int wide = len >= 8;
		size_t w = wide ? 8 : 4;

		if ((m = bad8(wide ? load8(s) : load4(s))) != 0)
			return first_marked(m);
		/* The last w bytes, overlapping the first ones (plain). */
		if ((m = bad8(wide ? load8(s + len - w) : load4(s + len - w))) != 0)
			return len - w + first_marked(m);
		return len;
	}
	for (size_t i = 0; i < len; i++)
		if (!plain[s[i]])
			return i;
	return len;
}

size_t
escape_plain_len(const char *src, size_t len)
{
	return plain_run((const unsigned char *)src, len);
}

size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	/* RFC 3629 section 4: the well-formed byte sequences. */
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (p[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = 0x80, hi = 0xbf;
		if (c == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		if (c == 0xed)
			hi = 0x9f;	/* no UTF-16 surrogates */
		if (n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80)
			return 3;
		return 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = 0x80, hi = 0xbf;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
		if (n >= 4 && p[1] >= lo && p[1] <= hi &&
		    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80)
			return 4;
		return 0;
	}
	return 0;
}

/*
 * The code point of the k-byte UTF-8 sequence at s when it is one that can
 * reorder or split what a terminal or viewer shows, else 0: the bidi
 * controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069;
 * Unicode TR9 / CVE-2021-42574 "Trojan Source") and the line and paragraph
 * separators U+2028, U+2029.
 */
static unsigned
display_control(const unsigned char *s, size_t k)
{
	unsigned cp;

	if (k == 2 && s[0] == 0xd8 && s[1] == 0x9c)
		return 0x61c;
	if (k != 3 || s[0] != 0xe2 || (s[1] != 0x80 && s[1] != 0x81))
		return 0;
	cp = 0x2000 | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	if (cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

static char *
put_hex(char *d, unsigned char c)
{
	*d++ = '\\';
	*d++ = 'x';
	*d++ = hexdig[c >> 4];
	*d++ = hexdig[c & 15];
	return d;
}

/* Text: one byte, or UTF-8 sequence, that is not plain. Advances *sp. */
static char *
text_special(char *d, const unsigned char **sp, const unsigned char *end)
{
	const unsigned char *s = *sp;
	size_t k;

	switch (*s) {
	case '"':
		*d++ = '"';
		break;
	case '\\':
		*d++ = '\\';
		*d++ = '\\';
		break;
	case '\t':
		*d++ = '\\';
		*d++ = 't';
		break;
	case '\n':
		*d++ = '\\';
		*d++ = 'n';
		break;
	case '\r':
		*d++ = '\\';
		*d++ = 'r';
		break;
	default:
		if (*s >= 0x80 && (k = utf8_seq_len(s, (size_t)(end - s))) > 0) {
			/* C1 controls (U+0080..U+009F) can drive terminals;
			 * bidi controls and separators reorder or split lines. */
			if ((k == 2 && s[0] == 0xc2 && s[1] < 0xa0) || display_control(s, k)) {
				for (size_t j = 0; j < k; j++)
					d = put_hex(d, s[j]);
			} else {
				memcpy(d, s, k);
				d += k;
			}
			*sp = s + k;
			return d;
		}
		d = put_hex(d, *s);
		break;
	}
	*sp = s + 1;
	return d;
}

/* JSON: the same for the inside of a JSON string. */
static char *
json_special(char *d, const unsigned char **sp, const unsigned char *end)
{
	const unsigned char *s = *sp;
	unsigned c = *s;
	size_t k;

	if (c == '"' || c == '\\') {
		*d++ = '\\';
		*d++ = (char)c;
	} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
		*d++ = '\\';
		*d++ = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
	} else if (c >= 0x80 && (k = utf8_seq_len(s, (size_t)(end - s))) > 0) {
		unsigned cp = display_control(s, k);

		if (cp != 0) {	/* kept, but visible: \uXXXX */
			*d++ = '\\';
			*d++ = 'u';
			for (int sh = 12; sh >= 0; sh -= 4)
				*d++ = hexdig[(cp >> sh) & 15];
		} else {
			memcpy(d, s, k);
			d += k;
		}
		*sp = s + k;
		return d;
	} else {
		/* Control, DEL, or a byte outside valid UTF-8: \u00XX. */
		*d++ = '\\';
		*d++ = 'u';
		*d++ = '0';
		*d++ = '0';
		*d++ = hexdig[c >> 4];
		*d++ = hexdig[c & 15];
	}
	*sp = s + 1;
	return d;
}

/* Copies plain runs whole and hands every other byte to special(). */
static inline size_t
escape_with(char *dst, const char *src, size_t len,
    char *(*special)(char *, const unsigned char **, const unsigned char *))
{
	const unsigned char *s = (const unsigned char *)src;
	const unsigned char *end = s + len;
	char *d = dst;

	while (s < end) {
		size_t run = plain_run(s, (size_t)(end - s));

		if (run > 0) {
			d = copy_run(d, (const char *)s, run);
			s += run;
			if (s == end)
				break;
		}
		/* Non-ASCII text (a word in Cyrillic, say) is a string of
		 * specials: taken one after another without a new scan. */
		do
			d = special(d, &s, end);
		while (s < end && *s >= 0x80);
	}
	return (size_t)(d - dst);
}

/* The text escape of what follows a plain run (kept out of line: the
 * common all-plain message then needs none of its registers). */
static __attribute__((noinline)) size_t
escape_text_rest(char *dst, const char *src, size_t len)
{
	return escape_with(dst, src, len, text_special);
}

/*
 * The bytes are scanned first: most messages and fields have nothing to
 * escape and are then one copy (a record's "host app[pid]: msg": about 50
 * fewer instructions than through the general loop); otherwise the
 * scanned plain run is copied and the rest escaped, no byte scanned twice.
 */
size_t
escape_text(char *dst, const char *src, size_t len)
{
	size_t run;

#ifdef HAVE_COPY_PLAIN
	if (len >= 16)
		run = copy_plain_long(dst, (const unsigned char *)src, len);
	else
#endif
	{
		run = plain_run((const unsigned char *)src, len);
		copy_run(dst, src, run);
	}
	if (run == len)
		return len;
	return run + escape_text_rest(dst + run, src + run, len - run);
}

size_t
escape_json(char *dst, const char *src, size_t len)
{
	return escape_with(dst, src, len, json_special);
}
