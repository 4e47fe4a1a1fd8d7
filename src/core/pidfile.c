/* pidfile: lock, write, remove --pid-file. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* A start that fails after taking the lock (fatalx -> exit) removes the
 * file at exit; only the process that locked it does (children never). */
static char held_path[1024];
static pid_t held_by;

static void
release_at_exit(void)
{
	if (held_by == getpid() && held_path[0] != '\0')
		(void)unlink(held_path);
}

/* The pid already in the file (for the message), or 0. */
static long
pid_in(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && pid < 100000000; i++)
		pid = pid * 10 + (buf[i] - '0');
	return pid;
}

int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd == -1) {
		snprintf(err, errlen, "pid-file %s: cannot open: %s (create its directory, or "
		    "choose another with --pid-file)", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;
		long pid = pid_in(fd);

		close(fd);
		if (e == EWOULDBLOCK) {
			if (pid > 0)
				snprintf(err, errlen, "pid-file %s: another logserver (pid %ld) holds "
				    "it; stop that one or choose another --pid-file", path, pid);
			else
				snprintf(err, errlen, "pid-file %s: another logserver holds it; stop "
				    "that one or choose another --pid-file", path);
		} else {
			snprintf(err, errlen, "pid-file %s: cannot lock: %s", path, strerror(e));
		}
		return -1;
	}
	if (strlen(path) < sizeof(held_path)) {
		if (held_by == 0)
			(void)atexit(release_at_exit);
		memcpy(held_path, path, strlen(path) + 1);
		held_by = getpid();
	}
	return fd;
}

int
pidfile_write(int fd, const char *path, char *err, size_t errlen)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len) {
		snprintf(err, errlen, "pid-file %s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
pidfile_remove(int fd, const char *path, char *err, size_t errlen)
{
	int rc = 0;

	held_path[0] = '\0';
	if (unlink(path) == -1 && errno != ENOENT) {
		/* After --user the directory may no longer be ours: leave an empty file. */
		if (ftruncate(fd, 0) == -1) {
			snprintf(err, errlen, "pid-file %s: cannot remove or empty it: %s", path,
			    strerror(errno));
			rc = -1;
		}
	}
	close(fd);
	return rc;
}
