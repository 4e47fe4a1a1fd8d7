/*
 * sha256: SHA-256 (FIPS 180-4), pure and incremental.
 *
 * Contract: sha256_init, then sha256_update any number of times, then
 * sha256_final writes the 32-byte digest. sha256_hex writes 64 lowercase
 * hex digits and a NUL (dst needs 65 bytes). Used to check that a local
 * partial download is a prefix of the server's file before resuming.
 */
#ifndef LOGSERVER_SHA256_H
#define LOGSERVER_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	unsigned char block[64];
	size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char digest[32]);
void sha256_hex(const unsigned char digest[32], char dst[65]);

#endif
