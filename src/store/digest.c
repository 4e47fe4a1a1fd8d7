/* digest: SHA-256 of a file range with EVP. */
#include "digest.h"

#include <errno.h>
#include <unistd.h>

#include <openssl/evp.h>

int
digest_file_range(int fd, off_t off, uint64_t len, char hex[DIGEST_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[64 * 1024], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	while (ok && len > 0) {
		ssize_t n = pread(fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf), off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = 0;
			break;
		}
		ok = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
		off += n;
		len -= (uint64_t)n;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[DIGEST_HEX_LEN] = '\0';
	return 0;
}
