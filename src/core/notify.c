/* notify: READY=1, RELOADING=1, STOPPING=1 to $NOTIFY_SOCKET. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;

int
notify_parse_addr(const char *value, struct sockaddr_un *addr)
{
	size_t len = value != NULL ? strlen(value) : 0;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (len < 2 || len >= sizeof(addr->sun_path) || (value[0] != '/' && value[0] != '@'))
		return -1;
	memcpy(addr->sun_path, value, len);
	if (value[0] == '@')
		addr->sun_path[0] = '\0';	/* abstract: the name is not NUL-terminated */
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + (value[0] == '/'));
}

int
notify_init(char *err, size_t errlen)
{
	const char *value = getenv("NOTIFY_SOCKET");
	int len;

	if (value == NULL || value[0] == '\0')
		return 0;
	len = notify_parse_addr(value, &notify_addr);
	if (len == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET '%s' is not an absolute path or an abstract "
		    "'@name' that fits a unix socket address", value);
		return -1;
	}
	notify_addrlen = (socklen_t)len;
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET: cannot create a unix datagram socket: %s",
		    strerror(errno));
		return -1;
	}
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

int
notify_enabled(void)
{
	return notify_fd != -1;
}

int
notify_send(const char *text, char *err, size_t errlen)
{
	ssize_t n;

	if (notify_fd == -1)
		return 0;
	do
		n = sendto(notify_fd, text, strlen(text), MSG_NOSIGNAL,
		    (const struct sockaddr *)&notify_addr, notify_addrlen);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		snprintf(err, errlen, "cannot tell the service manager '%s' (NOTIFY_SOCKET): %s",
		    text, strerror(errno));
		return -1;
	}
	return 0;
}

int
notify_reloading(char *err, size_t errlen)
{
	struct timespec ts;
	char text[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	return notify_send(text, err, errlen);
}
