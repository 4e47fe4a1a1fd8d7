/* libFuzzer target: the RELP frame parser never reads outside its buffer,
 * a frame it returns lies inside the bytes and within max_data, a prefix of
 * a valid frame is "more" and never "bad", and rsp/offer parsing of any
 * frame's data stays inside it. The first byte picks max_data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf, *why;
	struct relp_frame f;
	struct relp_rsp rsp;
	struct relp_offer o;
	size_t max_data, off = 0, used, pos;
	char out[600];

	if (size < 1)
		return 0;
	max_data = (size_t)data[0] * 4;
	buf = (const char *)data + 1;
	size--;
	/* A private copy so reads past the end are caught by ASan. */
	char *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, buf, size);
	for (int guard = 0; guard < 100000 && off < size; guard++) {
		enum relp_status st = relp_parse(copy + off, size - off, max_data, &f, &used, &why);

		if (st != RELP_OK) {
			if (st == RELP_BAD && why == NULL)
				abort();
			break;
		}
		if (used == 0 || used > size - off || f.datalen > max_data || f.cmdlen == 0 ||
		    f.cmdlen > RELP_CMD_MAX || f.txnr > RELP_TXNR_MAX)
			abort();
		if (f.datalen > 0 && (f.data < copy + off || f.data + f.datalen > copy + off + used))
			abort();
		/* Every shorter prefix of a valid frame asks for more. */
		for (size_t cut = 0; cut < used; cut += 1 + used / 16) {
			struct relp_frame g;
			size_t u2;
			const char *w2;
			if (relp_parse(copy + off, cut, max_data, &g, &u2, &w2) != RELP_MORE)
				abort();
		}
		if (relp_parse_rsp(f.data, f.datalen, &rsp) == 0 &&
		    (rsp.textlen > f.datalen || (rsp.data != NULL && rsp.datalen > f.datalen)))
			abort();
		pos = 0;
		while (relp_offer_next(f.data, f.datalen, &pos, &o))
			if (pos > f.datalen || o.namelen > 32 || o.valuelen > 255)
				abort();
		/* What we format, we parse back. */
		size_t n = relp_format(out, sizeof(out), f.txnr, "syslog", f.data,
		    f.datalen > 300 ? 300 : f.datalen);
		if (n > 0) {
			struct relp_frame h;
			size_t u3;
			const char *w3;
			if (relp_parse(out, n, 300, &h, &u3, &w3) != RELP_OK || u3 != n ||
			    h.txnr != f.txnr)
				abort();
		}
		off += used;
	}
	free(copy);
	return 0;
}
