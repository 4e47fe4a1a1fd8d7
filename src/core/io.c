/* io: write everything or fail. */
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

int
io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
io_read(int fd, void *buf, size_t len, const volatile sig_atomic_t *stop)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n == -1 && errno == EINTR && !*stop);
	return n;
}

void
io_pause_ms(long long ms, const sigset_t *waitmask)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	(void)ppoll(NULL, 0, &ts, waitmask);
}
