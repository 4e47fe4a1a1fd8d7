/* libFuzzer target: formatting any message, in every format, stays within
 * RECORD_MSG_MAX, is exactly one line, and (json) has no raw control byte.
 * This drives the syslog parser and the structured-data-to-JSON writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		}
	}
	free(out);
	free(msg);
	return 0;
}
