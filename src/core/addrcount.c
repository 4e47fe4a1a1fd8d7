/* addrcount: connections per peer address, in an open-addressing table. */
#include "addrcount.h"

#include <stdlib.h>
#include <string.h>

#define KEY_MAX 16

int
addrcount_init(struct addrcount *t, size_t max_pairs, uint64_t seed)
{
	size_t n = 16;

	memset(t, 0, sizeof(*t));
	while (n < 2 * max_pairs) {
		if (n > SIZE_MAX / 4 / sizeof(*t->slots))
			return -1;
		n *= 2;
	}
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = n - 1;
	t->seed = seed;
	return 0;
}

void
addrcount_free(struct addrcount *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a over the class and the key, started from the seed, then a
 * multiply-xorshift finish so that the low bits (the slot) depend on all. */
static size_t
home(const struct addrcount *t, const unsigned char *key, size_t keylen, int cls)
{
	uint64_t h = 1469598103934665603ull ^ t->seed;

	h = (h ^ (uint64_t)(cls & 0xff)) * 1099511628211ull;
	for (size_t i = 0; i < keylen; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h & t->mask;
}

static int
is(const struct addrcount_slot *s, const unsigned char *key, size_t keylen, int cls)
{
	return s->keylen == keylen && s->cls == (uint8_t)cls && memcmp(s->key, key, keylen) == 0;
}

/* The slot of (key, cls), or the free slot that ends its probe run. */
static size_t
find(const struct addrcount *t, const unsigned char *key, size_t keylen, int cls)
{
	size_t i = home(t, key, keylen, cls);

	while (t->slots[i].keylen != 0 && !is(&t->slots[i], key, keylen, cls))
		i = (i + 1) & t->mask;
	return i;
}

size_t
addrcount_get(const struct addrcount *t, const unsigned char *key, size_t keylen, int cls)
{
	if (t->slots == NULL || keylen == 0 || keylen > KEY_MAX)
		return 0;
	const struct addrcount_slot *s = &t->slots[find(t, key, keylen, cls)];

	return s->keylen != 0 ? s->count : 0;
}

int
addrcount_add(struct addrcount *t, const unsigned char *key, size_t keylen, int cls)
{
	if (t->slots == NULL || keylen == 0 || keylen > KEY_MAX)
		return -1;
	size_t i = find(t, key, keylen, cls);
	struct addrcount_slot *s = &t->slots[i];

	if (s->keylen != 0) {
		s->count++;
		return 0;
	}
	/* (at most half full: every probe run ends at a free slot) */
	if (t->used + 1 > (t->mask + 1) / 2)
		return -1;
	memcpy(s->key, key, keylen);
	s->keylen = (uint8_t)keylen;
	s->cls = (uint8_t)cls;
	s->count = 1;
	t->used++;
	return 0;
}

void
addrcount_del(struct addrcount *t, const unsigned char *key, size_t keylen, int cls)
{
	if (t->slots == NULL || keylen == 0 || keylen > KEY_MAX)
		return;
	size_t i = find(t, key, keylen, cls);

	if (t->slots[i].keylen == 0 || --t->slots[i].count > 0)
		return;
	/* Backward-shift deletion: pull later members of the run into the
	 * hole whenever their home slot does not lie between hole and them. */
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->used--;
	for (size_t j = (i + 1) & t->mask; t->slots[j].keylen != 0; j = (j + 1) & t->mask) {
		const struct addrcount_slot *s = &t->slots[j];
		size_t h = home(t, s->key, s->keylen, s->cls);

		/* h in the cyclic range (i, j]: it stays */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		t->slots[i] = *s;
		memset(&t->slots[j], 0, sizeof(t->slots[j]));
		i = j;
	}
}
