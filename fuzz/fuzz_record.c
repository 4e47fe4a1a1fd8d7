/* libFuzzer target: formatting any message, in every format, stays within
 * RECORD_MSG_MAX, is exactly one line, and has no raw control byte; a json
 * record is one valid JSON object (RFC 8259) in valid UTF-8. This drives the
 * syslog parser and the structured-data-to-JSON writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small strict JSON reader: each returns the position after the value, or
 * NULL. Depth is bounded (records nest three deep: object, sd, element). */
static const char *json_value(const char *p, const char *end, int depth);

static const char *
json_string(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		size_t k;

		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p + i >= end || strchr("0123456789abcdefABCDEF", p[i]) == NULL ||
					    p[i] == '\0')
						return NULL;
				p += 5;
			} else if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0')
				p++;
			else
				return NULL;
		} else if (c >= 0x80) {
			if ((k = utf8_seq_len((const unsigned char *)p, (size_t)(end - p))) == 0)
				return NULL;
			p += k;
		} else
			p++;
	}
	return p < end ? p + 1 : NULL;
}

static const char *
json_items(const char *p, const char *end, int depth, char close, int keyed)
{
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (keyed && ((p = json_string(p, end)) == NULL || p >= end || *p++ != ':'))
			return NULL;
		if ((p = json_value(p, end, depth + 1)) == NULL || p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > 8)
		return NULL;
	if (*p == '{')
		return json_items(p + 1, end, depth, '}', 1);
	if (*p == '[')
		return json_items(p + 1, end, depth, ']', 0);
	if (*p == '"')
		return json_string(p, end);
	if ((size_t)(end - p) >= 4 && memcmp(p, "true", 4) == 0)
		return p + 4;
	if (*p >= '0' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		return p;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_clock c = { 0 };
	struct rec_source src = { REC_TEXT, "127.0.0.1:5555", 14, "tcp", NULL, 0 };
	size_t cap = RECORD_MSG_MAX(size);
	char *out = malloc(cap), *msg = malloc(size ? size : 1);

	if (out == NULL || msg == NULL) {
		free(out);
		free(msg);
		return 0;
	}
	/* An exact-size copy, so reading past the message is caught. */
	memcpy(msg, data, size);
	rec_clock_set(&c, 1700000000, 123);
	for (int f = REC_TEXT; f <= REC_RAW; f++) {
		src.format = (enum rec_format)f;
		for (int trunc = 0; trunc <= 1; trunc++) {
			size_t n = record_message(out, &c, &src, msg, size, trunc);

			if (n > cap || n == 0 || out[n - 1] != '\n')
				abort();
			for (size_t i = 0; i + 1 < n; i++)
				if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
					abort();	/* one line, no control byte */
			if (f == REC_JSON && (out[0] != '{' ||
			    json_value(out, out + n - 1, 0) != out + n - 1))
				abort();	/* one JSON object, nothing after it */
		}
	}
	free(out);
	free(msg);
	return 0;
}
