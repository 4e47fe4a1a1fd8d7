/*
 * srcrate: --udp-max-rate, a token bucket per source address, for datagrams
 * (which cannot be held back: what is over the rate is dropped and counted).
 *
 * Contract: pure; the caller passes the monotonic time in ms and the
 * address as a key (net_addr_key(): 4 or 16 bytes). The table has a fixed
 * number of slots, allocated once: a source is looked up in a few slots
 * from its hash, and a new source takes the least recently seen of them,
 * so memory is bounded whatever the number of (spoofable) sources. A new or
 * evicted source starts with a full bucket: one second of its rate. A rate
 * of 0 lets everything through.
 */
#ifndef LOGSERVER_SRCRATE_H
#define LOGSERVER_SRCRATE_H

#include <stddef.h>
#include <stdint.h>

#define SRCRATE_SLOTS 4096	/* sources followed at once */
#define SRCRATE_PROBE 4		/* slots looked at per source */

struct srcrate_slot {
	unsigned char key[16];
	uint8_t keylen;		/* 0: free */
	int64_t milli;		/* tokens in thousandths of a datagram */
	int64_t last_ms;	/* last refill, and last seen */
	uint64_t dropped;	/* datagrams of the source dropped */
	int64_t told_ms;	/* when the caller last recorded it (0: never) */
};

struct srcrate {
	struct srcrate_slot *slots;	/* SRCRATE_SLOTS of them */
	int64_t rate;			/* datagrams per second per source, 0: no limit */
};

/* Returns 0, or -1 when out of memory. */
int srcrate_init(struct srcrate *r, int64_t rate);
void srcrate_free(struct srcrate *r);

/* The slot of the source key[0..keylen) (found, or taken over). */
struct srcrate_slot *srcrate_find(struct srcrate *r, const unsigned char *key, size_t keylen,
    int64_t now_ms);

/* 1 when one more datagram of the slot's source may pass now; 0 when it is
 * over the rate (then slot->dropped counts it). */
int srcrate_allow(const struct srcrate *r, struct srcrate_slot *slot, int64_t now_ms);

#endif
