/* client_relp: logclient's open offers and the check of the server's (pure). */
#include "client_relp.h"

#include <stdio.h>
#include <string.h>

#include "options.h"
#include "relp_frame.h"

void
crelp_hex(const unsigned char *raw, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t
crelp_offers(char *dst, size_t cap, const char *version, const char *session,
    uint64_t first_seq)
{
	int n = snprintf(dst, cap,
	    "relp_version=0\n"
	    "relp_software=logclient,%s,https://example.invalid/logserver\n"
	    "commands=syslog\n"
	    "logserver_session=%s\n"
	    "logserver_seq=%llu",
	    version, session, (unsigned long long)first_seq);

	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

/* 1 when the comma-separated list v[0..len) holds the word w. */
static int
list_has(const char *v, size_t len, const char *w)
{
	size_t wl = strlen(w), i = 0;

	while (i <= len) {
		const char *comma = memchr(v + i, ',', len - i);
		size_t end = comma != NULL ? (size_t)(comma - v) : len;

		if (end - i == wl && memcmp(v + i, w, wl) == 0)
			return 1;
		i = end + 1;
	}
	return 0;
}

enum crelp_open_status
crelp_open_reply(const char *data, size_t len, struct crelp_open *o)
{
	struct relp_rsp r;
	struct relp_offer of;
	size_t pos = 0;
	int version = 0, syslog = 0;

	memset(o, 0, sizeof(*o));
	if (relp_parse_rsp(data, len, &r) == -1)
		return CRELP_OPEN_BAD;
	o->code = r.code;
	o->text = r.text;
	o->textlen = r.textlen;
	if (r.code != 200)
		return CRELP_OPEN_REFUSED;
	while (r.data != NULL && relp_offer_next(r.data, r.datalen, &pos, &of)) {
		if (relp_offer_is(&of, "relp_version")) {
			version = 1;
		} else if (relp_offer_is(&of, "commands")) {
			syslog = of.value != NULL && list_has(of.value, of.valuelen, "syslog");
		} else if (relp_offer_is(&of, "logserver_seq")) {
			long long v;

			if (of.value == NULL ||
			    parse_ll(of.value, of.valuelen, 0, (long long)CRELP_SEQ_MAX, &v) == -1)
				return CRELP_OPEN_BAD;
			o->has_seq = 1;
			o->seq = (uint64_t)v;
		}
	}
	if (!version)
		return CRELP_OPEN_NO_VERSION;
	if (!syslog)
		return CRELP_OPEN_NO_SYSLOG;
	return CRELP_OPEN_OK;
}

uint32_t
crelp_txnr_next(uint32_t txnr)
{
	return txnr >= RELP_TXNR_MAX ? 1 : txnr + 1;
}
