/*
 * digest: SHA-256 of a range of a file, through libcrypto's EVP interface
 * (no cryptography of our own). The query service's SUM and logclient's
 * --resume check compute the same value with it.
 *
 * Contract: digest_file_range() reads fd's bytes [off, off + len) with
 * pread() (the descriptor's offset is untouched) and writes 64 lower-case
 * hex digits and a NUL into hex. Returns 0, or -1 when the file ended early
 * or could not be read (errno from pread, or 0) or libcrypto failed.
 */
#ifndef LOGSERVER_DIGEST_H
#define LOGSERVER_DIGEST_H

#include <stdint.h>
#include <sys/types.h>

#define DIGEST_HEX_LEN 64

int digest_file_range(int fd, off_t off, uint64_t len, char hex[DIGEST_HEX_LEN + 1]);

#endif
