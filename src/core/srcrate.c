/* srcrate: a token bucket per source address (srcrate.h). */
#include "srcrate.h"

#include <stdlib.h>
#include <string.h>

int
srcrate_init(struct srcrate *r, int64_t rate)
{
	r->rate = rate;
	r->slots = rate > 0 ? calloc(SRCRATE_SLOTS, sizeof(*r->slots)) : NULL;
	return rate > 0 && r->slots == NULL ? -1 : 0;
}

void
srcrate_free(struct srcrate *r)
{
	free(r->slots);
	r->slots = NULL;
}

static uint32_t
hash(const unsigned char *key, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

struct srcrate_slot *
srcrate_find(struct srcrate *r, const unsigned char *key, size_t keylen, int64_t now_ms)
{
	uint32_t h = hash(key, keylen);
	struct srcrate_slot *oldest = NULL;

	if (keylen > sizeof(r->slots[0].key))
		keylen = sizeof(r->slots[0].key);
	for (int i = 0; i < SRCRATE_PROBE; i++) {
		struct srcrate_slot *s = &r->slots[(h + (uint32_t)i) % SRCRATE_SLOTS];

		if (s->keylen == keylen && memcmp(s->key, key, keylen) == 0)
			return s;
		if (oldest == NULL || s->keylen == 0 ||
		    (oldest->keylen != 0 && s->last_ms < oldest->last_ms))
			oldest = s;
	}
	memcpy(oldest->key, key, keylen);
	oldest->keylen = (uint8_t)keylen;
	oldest->milli = r->rate * 1000;		/* a full bucket: one second's worth */
	oldest->last_ms = now_ms;
	oldest->dropped = 0;
	oldest->told_ms = 0;
	return oldest;
}

int
srcrate_allow(const struct srcrate *r, struct srcrate_slot *s, int64_t now_ms)
{
	int64_t cap = r->rate * 1000, dt = now_ms - s->last_ms;

	if (r->rate <= 0)
		return 1;
	if (dt > 1000)
		dt = 1000;	/* a full bucket is one second: bounds the product */
	if (dt > 0) {
		s->milli += dt * r->rate;
		if (s->milli > cap)
			s->milli = cap;
		s->last_ms = now_ms;
	}
	if (s->milli >= 1000) {
		s->milli -= 1000;
		return 1;
	}
	s->dropped++;
	return 0;
}
