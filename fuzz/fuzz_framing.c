/* libFuzzer target: the TCP framing decoder never reads outside its buffer,
 * always makes progress, and bounds what it keeps. The first byte picks
 * max_line and the feeding step, so short and long limits are both explored. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer f;
	struct frame fr;
	size_t max_line, step, have = 0, fed = 0;
	char *buf;

	if (size < 1)
		return 0;
	max_line = 1 + (data[0] & 0x3f);
	step = 1 + (data[0] >> 6) * 7;
	data++;
	size--;
	buf = malloc(max_line + FRAMER_SLACK + step);
	if (buf == NULL)
		return 0;
	framer_init(&f, max_line);
	for (;;) {
		size_t room = max_line + FRAMER_SLACK + step - have;
		size_t take = size - fed < step ? size - fed : step;
		int eof;
		size_t n;

		if (take > room)
			take = room;
		memcpy(buf + have, data + fed, take);
		have += take;
		fed += take;
		eof = fed == size;
		while ((n = framer_next(&f, buf, have, eof, &fr)) > 0) {
			if (n > have)
				abort();
			if (fr.type == FRAME_MSG &&
			    (fr.p < buf || fr.p + fr.len > buf + have || fr.len > max_line))
				abort();
			memmove(buf, buf + n, have - n);
			have -= n;
		}
		if (have > max_line + FRAMER_SLACK)
			abort();	/* it must decide within its bound */
		if (eof) {
			if (have != 0)
				abort();
			(void)framer_finish(&f, &fr);
			break;
		}
	}
	free(buf);
	return 0;
}
