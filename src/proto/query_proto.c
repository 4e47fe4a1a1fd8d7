/* query_proto: parsing of query request lines. */
#include "query_proto.h"

#include <stdio.h>
#include <string.h>

#include "options.h"

#define MAX_WORDS 5

struct words {
	int n;
	const char *w[MAX_WORDS];
	size_t len[MAX_WORDS];
};

/* Splits on spaces; more than MAX_WORDS words is a syntax error. */
static int
split(const char *p, size_t len, struct words *ws)
{
	const char *end = p + len;

	ws->n = 0;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (ws->n == MAX_WORDS)
			return -1;
		ws->w[ws->n] = p;
		while (p < end && *p != ' ')
			p++;
		ws->len[ws->n] = (size_t)(p - ws->w[ws->n]);
		ws->n++;
	}
	return 0;
}

static int
word_is(const struct words *ws, int i, const char *s)
{
	return i < ws->n && ws->len[i] == strlen(s) && memcmp(ws->w[i], s, ws->len[i]) == 0;
}

/* err = before 'word' after */
static enum q_err
fail(enum q_err e, char *err, size_t errlen, const char *before, const char *w, size_t wlen,
    const char *after)
{
	snprintf(err, errlen, "%s'%.*s'%s", before, (int)(wlen > 80 ? 80 : wlen), w, after);
	return e;
}

static enum q_err
take_name(const struct words *ws, int i, struct q_request *rq, char *err, size_t errlen)
{
	char name[LOGNAME_LEN + 1];
	time_t t;
	uint64_t seq;

	if (ws->len[i] != LOGNAME_LEN || memchr(ws->w[i], '/', ws->len[i]) != NULL)
		return fail(Q_ERR_DENIED, err, errlen, "", ws->w[i], ws->len[i],
		    " is not a log file of this server (see LIST)");
	memcpy(name, ws->w[i], LOGNAME_LEN);
	name[LOGNAME_LEN] = '\0';
	if (logname_parse(name, &t, &seq) == -1)
		return fail(Q_ERR_DENIED, err, errlen, "", ws->w[i], ws->len[i],
		    " is not a log file of this server (see LIST)");
	memcpy(rq->name, name, sizeof(name));
	return Q_OK;
}

static enum q_err
take_number(const struct words *ws, int i, unsigned long long *out, char *err, size_t errlen)
{
	long long v;

	if (parse_ll(ws->w[i], ws->len[i], 0, (1LL << 62), &v) == -1)
		return fail(Q_ERR_BADREQ, err, errlen, "", ws->w[i], ws->len[i],
		    " is not a byte count");
	*out = (unsigned long long)v;
	return Q_OK;
}

enum q_err
query_parse(const char *line, size_t len, struct q_request *rq, char *err, size_t errlen)
{
	struct words ws;
	enum q_err e;

	memset(rq, 0, sizeof(*rq));
	err[0] = '\0';
	if (len > QUERY_LINE_MAX || memchr(line, '\0', len) != NULL || split(line, len, &ws) == -1 ||
	    ws.n == 0) {
		snprintf(err, errlen, "expected LIST, FETCH, SUM, FOLLOW, AUTH or QUIT");
		return Q_ERR_BADREQ;
	}
	if (word_is(&ws, 0, "AUTH") && ws.n == 2) {
		if (ws.len[1] > QUERY_TOKEN_MAX) {
			snprintf(err, errlen, "token is too long");
			return Q_ERR_AUTH;
		}
		rq->cmd = Q_AUTH;
		memcpy(rq->token, ws.w[1], ws.len[1]);
		rq->tokenlen = ws.len[1];
		return Q_OK;
	}
	if (word_is(&ws, 0, "LIST") && ws.n == 1) {
		rq->cmd = Q_LIST;
		return Q_OK;
	}
	if (word_is(&ws, 0, "QUIT") && ws.n == 1) {
		rq->cmd = Q_QUIT;
		return Q_OK;
	}
	if (word_is(&ws, 0, "FETCH") && (ws.n == 2 || ws.n == 3)) {
		rq->cmd = Q_FETCH;
		if ((e = take_name(&ws, 1, rq, err, errlen)) != Q_OK)
			return e;
		return ws.n == 3 ? take_number(&ws, 2, &rq->offset, err, errlen) : Q_OK;
	}
	if (word_is(&ws, 0, "SUM") && ws.n == 4) {
		rq->cmd = Q_SUM;
		if ((e = take_name(&ws, 1, rq, err, errlen)) != Q_OK ||
		    (e = take_number(&ws, 2, &rq->offset, err, errlen)) != Q_OK ||
		    (e = take_number(&ws, 3, &rq->length, err, errlen)) != Q_OK)
			return e;
		if (rq->length > QUERY_SUM_MAX) {
			snprintf(err, errlen, "SUM covers at most 16 MiB");
			return Q_ERR_RANGE;
		}
		return Q_OK;
	}
	if (word_is(&ws, 0, "FOLLOW") && ws.n >= 2 && ws.n <= 4) {
		rq->cmd = Q_FOLLOW;
		rq->from = Q_FROM_END;
		if (!word_is(&ws, 1, "-") && (e = take_name(&ws, 1, rq, err, errlen)) != Q_OK)
			return e;
		if (ws.n == 2)
			return Q_OK;
		if (word_is(&ws, 2, "START") && ws.n == 3) {
			rq->from = Q_FROM_START;
			return Q_OK;
		}
		if (word_is(&ws, 2, "END") && ws.n == 3)
			return Q_OK;
		if (word_is(&ws, 2, "LINES") && ws.n == 4) {
			rq->from = Q_FROM_LINES;
			return take_number(&ws, 3, &rq->length, err, errlen);
		}
		if (word_is(&ws, 2, "OFFSET") && ws.n == 4) {
			rq->from = Q_FROM_OFFSET;
			return take_number(&ws, 3, &rq->offset, err, errlen);
		}
		return fail(Q_ERR_BADREQ, err, errlen, "FOLLOW takes START, END, LINES <n> or OFFSET <n>, not ",
		    ws.w[2], ws.len[2], "");
	}
	return fail(Q_ERR_BADREQ, err, errlen, "unknown or malformed request ", ws.w[0], ws.len[0],
	    " (expected LIST, FETCH, SUM, FOLLOW, AUTH or QUIT)");
}

const char *
query_err_word(enum q_err e)
{
	switch (e) {
	case Q_OK: return "ok";
	case Q_ERR_BADREQ: return "badreq";
	case Q_ERR_DENIED: return "denied";
	case Q_ERR_NOFILE: return "nofile";
	case Q_ERR_RANGE: return "range";
	case Q_ERR_AUTH: return "auth";
	case Q_ERR_INTERNAL: break;
	}
	return "internal";
}

int
query_token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = alen != blen;
	size_t n = alen > blen ? alen : blen;

	/* Every byte of the longer one is looked at, whatever matches. */
	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;
		diff |= x ^ y;
	}
	return diff == 0;
}
