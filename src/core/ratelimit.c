/* ratelimit: budgets for events that others cause (pure). */
#include "ratelimit.h"

#include <string.h>

static void
kind_window(struct rl_kindstate *k, time_t now)
{
	if (k->start == 0 || now - k->start >= RL_WINDOW) {
		/* A window with suppressions stays until rl_summary() takes it. */
		if (k->suppressed > 0 && k->start != 0)
			return;
		k->start = now;
		k->n = 0;
	}
}

int
rl_allow(struct ratelimit *rl, enum rl_kind kind, const void *key, size_t keylen, time_t now)
{
	struct rl_kindstate *k;
	struct rl_source *s = NULL, *old = &rl->src[0];

	if (kind <= RL_NONE || kind >= RL_KINDS)
		return 1;
	if (keylen > RL_KEY_MAX)
		keylen = RL_KEY_MAX;
	k = &rl->kind[kind];
	kind_window(k, now);
	for (size_t i = 0; i < RL_SOURCES; i++) {
		struct rl_source *e = &rl->src[i];

		if (e->kind == kind && e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
			s = e;
			break;
		}
		if (e->start < old->start)
			old = e;
	}
	if (s == NULL) {
		s = old;	/* the source seen longest ago makes room */
		s->kind = (uint8_t)kind;
		s->keylen = (uint8_t)keylen;
		memcpy(s->key, key, keylen);
		s->n = 0;
		s->start = now;
	} else if (now - s->start >= RL_WINDOW) {
		s->n = 0;
		s->start = now;
	}
	if (k->n >= RL_KIND_BURST || s->n >= RL_SRC_BURST) {
		k->suppressed++;
		return 0;
	}
	k->n++;
	s->n++;
	return 1;
}

int
rl_summary(struct ratelimit *rl, time_t now, int force, enum rl_kind *kind,
    unsigned long long *count, long *secs)
{
	for (int i = RL_NONE + 1; i < RL_KINDS; i++) {
		struct rl_kindstate *k = &rl->kind[i];

		if (k->suppressed == 0 || (!force && now - k->start < RL_WINDOW))
			continue;
		*kind = (enum rl_kind)i;
		*count = k->suppressed;
		*secs = (long)(now - k->start);
		k->suppressed = 0;
		k->start = now;
		k->n = 0;
		return 1;
	}
	return 0;
}

long
rl_next_due(const struct ratelimit *rl, time_t now)
{
	long best = -1;

	for (int i = RL_NONE + 1; i < RL_KINDS; i++) {
		const struct rl_kindstate *k = &rl->kind[i];
		long left;

		if (k->suppressed == 0)
			continue;
		left = (long)(k->start + RL_WINDOW - now);
		if (left < 0)
			left = 0;
		if (best == -1 || left < best)
			best = left;
	}
	return best;
}

const char *
rl_kind_name(enum rl_kind kind)
{
	switch (kind) {
	case RL_REFUSED: return "refused connections";
	case RL_UDP_REFUSED: return "refused UDP senders";
	case RL_QUERY_REFUSED: return "refused query requests";
	case RL_PROTOCOL: return "protocol errors";
	default: return "events";
	}
}
