/* relp_frame: RELP frame parsing and formatting (pure). */
#include "relp_frame.h"

#include <stdio.h>
#include <string.h>

#define OFFER_NAME_MAX 32
#define OFFER_VALUE_MAX 255

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Reads 1..9 digits at buf[*i..len) ended by SP (or by LF when lf_ok).
 * Returns RELP_OK with *v and *i past the digits (on the terminator),
 * RELP_MORE when the buffer ends first, RELP_BAD otherwise.
 */
static enum relp_status
number(const char *buf, size_t len, size_t *i, int lf_ok, uint32_t *v)
{
	size_t start = *i, n;
	uint32_t x = 0;

	for (n = 0; start + n < len && is_digit(buf[start + n]); n++) {
		if (n == 9)
			return RELP_BAD;
		x = x * 10 + (uint32_t)(buf[start + n] - '0');
	}
	if (start + n == len)
		return n <= 9 ? RELP_MORE : RELP_BAD;
	if (n == 0 || (buf[start + n] != ' ' && !(lf_ok && buf[start + n] == '\n')))
		return RELP_BAD;
	*v = x;
	*i = start + n;
	return RELP_OK;
}

enum relp_status
relp_parse(const char *buf, size_t len, size_t max_data, struct relp_frame *f, size_t *used,
    const char **why)
{
	enum relp_status st;
	size_t i = 0, c0;
	uint32_t txnr = 0, dlen = 0;

	*why = NULL;
	st = number(buf, len, &i, 0, &txnr);
	if (st != RELP_OK) {
		*why = "bad transaction number";
		return st;
	}
	i++;	/* SP */
	c0 = i;
	while (i < len && is_alpha(buf[i]) && i - c0 < RELP_CMD_MAX)
		i++;
	if (i == len)
		return RELP_MORE;
	if (i == c0 || buf[i] != ' ') {
		*why = i - c0 == RELP_CMD_MAX ? "command longer than 32 letters" : "bad command";
		return RELP_BAD;
	}
	f->cmd = buf + c0;
	f->cmdlen = i - c0;
	i++;	/* SP */
	st = number(buf, len, &i, 1, &dlen);
	if (st != RELP_OK) {
		*why = "bad data length";
		return st;
	}
	if (dlen > max_data) {
		*why = "data length over the limit";
		return RELP_BAD;
	}
	if (dlen == 0) {
		if (buf[i] != '\n') {
			*why = "missing trailer";
			return RELP_BAD;
		}
		f->data = NULL;
	} else {
		if (buf[i] != ' ') {
			*why = "bad data length";
			return RELP_BAD;
		}
		i++;
		if (len - i < (size_t)dlen + 1)
			return RELP_MORE;
		f->data = buf + i;
		i += dlen;
		if (buf[i] != '\n') {
			*why = "missing trailer";
			return RELP_BAD;
		}
	}
	f->txnr = txnr;
	f->datalen = dlen;
	*used = i + 1;
	return RELP_OK;
}

int
relp_is(const struct relp_frame *f, const char *cmd)
{
	size_t n = strlen(cmd);

	return f->cmdlen == n && memcmp(f->cmd, cmd, n) == 0;
}

size_t
relp_format(char *dst, size_t cap, uint32_t txnr, const char *cmd, const char *data,
    size_t datalen)
{
	size_t cl = strlen(cmd);
	int n;

	if (txnr > RELP_TXNR_MAX || cl == 0 || cl > RELP_CMD_MAX || datalen > RELP_TXNR_MAX)
		return 0;
	n = snprintf(dst, cap, "%u %s %zu%s", (unsigned)txnr, cmd, datalen, datalen ? " " : "");
	if (n < 0 || (size_t)n >= cap || cap - (size_t)n < datalen + 1)
		return 0;
	if (datalen > 0)
		memcpy(dst + n, data, datalen);
	dst[(size_t)n + datalen] = '\n';
	return (size_t)n + datalen + 1;
}

size_t
relp_format_rsp(char *dst, size_t cap, uint32_t txnr, int code, const char *text,
    const char *data, size_t datalen)
{
	char body[512];
	size_t tl = strlen(text), bl;

	if (code < 100 || code > 999 || tl > sizeof(body) - 5)
		return 0;
	bl = (size_t)snprintf(body, sizeof(body), "%d %s", code, text);
	for (size_t i = 4; i < bl; i++)
		if (body[i] == '\n')
			body[i] = ' ';
	if (datalen == 0)
		return relp_format(dst, cap, txnr, "rsp", body, bl);
	/* Header, code line, LF, data: built in dst directly. */
	size_t total = bl + 1 + datalen;
	int n = snprintf(dst, cap, "%u rsp %zu ", (unsigned)txnr, total);

	if (txnr > RELP_TXNR_MAX || n < 0 || (size_t)n >= cap || cap - (size_t)n < total + 1)
		return 0;
	memcpy(dst + n, body, bl);
	dst[(size_t)n + bl] = '\n';
	memcpy(dst + n + bl + 1, data, datalen);
	dst[(size_t)n + total] = '\n';
	return (size_t)n + total + 1;
}

int
relp_parse_rsp(const char *data, size_t len, struct relp_rsp *r)
{
	size_t i = 3;
	const char *lf;

	if (len < 3 || !is_digit(data[0]) || !is_digit(data[1]) || !is_digit(data[2]) ||
	    data[0] == '0')
		return -1;
	if (len > 3 && data[3] != ' ' && data[3] != '\n')
		return -1;
	r->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
	if (len > 3 && data[3] == ' ')
		i = 4;
	lf = memchr(data + 3, '\n', len - 3);
	r->text = data + i;
	r->textlen = lf != NULL ? (size_t)(lf - (data + i)) : len - i;
	if (lf != NULL && lf < data + i) {	/* "200\n..." */
		r->text = lf;
		r->textlen = 0;
	}
	r->data = lf != NULL ? lf + 1 : NULL;
	r->datalen = lf != NULL ? len - (size_t)(lf + 1 - data) : 0;
	return 0;
}

int
relp_offer_next(const char *data, size_t len, size_t *pos, struct relp_offer *o)
{
	while (*pos < len && data[*pos] == '\n')
		(*pos)++;
	if (*pos >= len)
		return 0;
	const char *p = data + *pos;
	size_t rest = len - *pos;
	const char *lf = memchr(p, '\n', rest);
	size_t l = lf != NULL ? (size_t)(lf - p) : rest;
	const char *eq = memchr(p, '=', l);

	o->name = p;
	o->namelen = eq != NULL ? (size_t)(eq - p) : l;
	if (o->namelen > OFFER_NAME_MAX)
		o->namelen = OFFER_NAME_MAX;
	o->value = eq != NULL ? eq + 1 : NULL;
	o->valuelen = eq != NULL ? l - (size_t)(eq + 1 - p) : 0;
	if (o->valuelen > OFFER_VALUE_MAX)
		o->valuelen = OFFER_VALUE_MAX;
	*pos += l + (lf != NULL);
	return 1;
}

int
relp_offer_is(const struct relp_offer *o, const char *name)
{
	size_t n = strlen(name);

	return o->namelen == n && memcmp(o->name, name, n) == 0;
}
