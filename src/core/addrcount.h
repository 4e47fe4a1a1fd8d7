/*
 * addrcount: how many connections each peer address has open, for
 * --max-per-ip, in constant time per connection whatever --max-clients is.
 *
 * Contract: pure (no I/O); the caller passes the address as a key
 * (net_addr_key(): 4 or 16 bytes) and a class (senders 0, query clients 1:
 * they are limited apart). The table is allocated once for a bound on the
 * number of distinct (address, class) pairs the caller ever holds at once,
 * so addrcount_add() cannot run out while the caller keeps to that bound.
 * Lookups probe linearly from a hash seeded by the caller (pass random
 * bytes: peers choose their addresses, and must not be able to choose a
 * long probe run); removals shift the run back, so no tombstones pile up.
 */
#ifndef LOGSERVER_ADDRCOUNT_H
#define LOGSERVER_ADDRCOUNT_H

#include <stddef.h>
#include <stdint.h>

struct addrcount_slot {
	unsigned char key[16];
	uint8_t keylen;		/* 0: free */
	uint8_t cls;
	uint32_t count;
};

struct addrcount {
	struct addrcount_slot *slots;
	size_t mask;		/* slots - 1 (a power of two, at least twice the bound) */
	size_t used;
	uint64_t seed;
};

/* Allocates for at most max_pairs distinct pairs at once. Returns 0, or -1
 * when out of memory (or max_pairs is absurd). */
int addrcount_init(struct addrcount *t, size_t max_pairs, uint64_t seed);
void addrcount_free(struct addrcount *t);

/* Open connections of (key, cls): 0 when none. */
size_t addrcount_get(const struct addrcount *t, const unsigned char *key, size_t keylen, int cls);
/* One more connection of (key, cls). Returns 0, or -1 when the table holds
 * its bound of distinct pairs already (the caller broke its bound). */
int addrcount_add(struct addrcount *t, const unsigned char *key, size_t keylen, int cls);
/* One fewer; a pair with no connection left is removed. Removing a pair
 * that has none is ignored. */
void addrcount_del(struct addrcount *t, const unsigned char *key, size_t keylen, int cls);

#endif
