/* logstore: append, rotate and expire log files shared by many processes. */
#include "logstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "record.h"

#define LOCK_NAME ".logserver.lock"
#define LS_LOCK_WRITE 0		/* byte locked around every write */
#define LS_LOCK_INSTANCE 1		/* byte the supervisor holds while it runs */
#define FILE_MODE 0640
#define CREATE_TRIES 100

static int
lock_byte(int fd, short type, off_t which, int wait)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = which;
	fl.l_len = 1;
	for (;;) {
		if (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* mkdir -p */
static int
make_dirs(const char *dir)
{
	char path[1024];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0750) == -1 && errno != EEXIST)
			return -1;
		path[i] = c;
	}
	return 0;
}

/* Lists our files in the directory. *files is malloc'ed (caller frees). */
static int
scan_dir(struct logstore *ls, struct logfile **files, size_t *nfiles)
{
	struct logfile *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*files = NULL;
	*nfiles = 0;
	fd = openat(ls->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct logfile lf;

		if (logname_parse(de->d_name, &lf.t, &lf.seq) == -1)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct logfile *nv = realloc(v, ncap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		memcpy(lf.name, de->d_name, LOGNAME_LEN + 1);
		v[n++] = lf;
	}
	closedir(d);
	*files = v;
	*nfiles = n;
	return 0;
}

/*
 * Deletes the oldest of our files beyond max_files, never the current one.
 * Appends "name name ..." of what went to list (cap bytes).
 */
static void
apply_retention(struct logstore *ls, char *list, size_t cap)
{
	struct logfile *files;
	size_t n, drop, used = 0;

	if (cap > 0)
		list[0] = '\0';
	if (scan_dir(ls, &files, &n) == -1)
		return;
	drop = retention_select(files, n, ls->max_files);
	for (size_t i = 0; i < drop; i++) {
		if (files[i].seq == ls->sh->seq)
			continue;
		if (unlinkat(ls->dirfd, files[i].name, 0) == -1 && errno != ENOENT)
			continue;
		int w = snprintf(list + used, cap - used, "%s%s", used ? " " : "", files[i].name);
		if (w > 0 && (size_t)w < cap - used)
			used += (size_t)w;
	}
	free(files);
}

/* Creates the file after the current one and makes it current. Caller holds the lock. */
static int
start_file(struct logstore *ls, uint64_t after_seq, time_t after_t)
{
	struct timespec now;
	char name[LOGNAME_LEN + 1];
	uint64_t seq = after_seq;
	int fd = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	time_t t = now.tv_sec > after_t ? now.tv_sec : after_t;
	for (int i = 0; i < CREATE_TRIES && fd == -1; i++) {
		seq++;
		if (logname_format(name, sizeof(name), t, seq) == -1) {
			errno = EOVERFLOW;
			return -1;
		}
		fd = openat(ls->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
		    FILE_MODE);
		if (fd == -1 && errno != EEXIST)
			return -1;
	}
	if (fd == -1)
		return -1;
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = fd;
	__atomic_store_n(&ls->sh->seq, seq, __ATOMIC_RELEASE);
	ls->sh->ftime = t;
	ls->sh->size = 0;
	ls->sh->data = 0;
	memcpy(ls->sh->name, name, sizeof(name));
	ls->gen = ++ls->sh->gen;
	return 0;
}

/* Caller holds the lock. */
static int
rotate(struct logstore *ls)
{
	char prev[LOGNAME_LEN + 1], deleted[512], rec[REC_EVENT_MAX];
	uint64_t prev_size = ls->sh->size;
	struct rec_clock clk = { 0 };
	size_t n;

	memcpy(prev, ls->sh->name, sizeof(prev));
	if (start_file(ls, ls->sh->seq, ls->sh->ftime) == -1)
		return -1;
	ls->sh->rotate_errno = 0;
	apply_retention(ls, deleted, sizeof(deleted));
	rec_clock_update(&clk);
	n = record_event(rec, &clk, ls->format, (long)getpid(),
	    "rotate: continues %s (%llu bytes); max-size %llu, max-files %zu%s%s", prev,
	    (unsigned long long)prev_size, (unsigned long long)ls->max_size, ls->max_files,
	    deleted[0] ? "; deleted " : "", deleted);
	if (io_write_all(ls->fd, rec, n) == -1)
		return -1;
	ls->sh->size += n;
	return 0;
}

/*
 * The next file cannot be made (disk full, permissions): the records go on
 * into the current file past max-size rather than being lost, and the first
 * failure of a run says so in the file itself. Caller holds the lock.
 */
static void
rotate_failed(struct logstore *ls, int err)
{
	char rec[REC_EVENT_MAX];
	struct rec_clock clk = { 0 };
	size_t n;

	if (ls->sh->rotate_errno == 0) {
		rec_clock_update(&clk);
		n = record_event(rec, &clk, ls->format, (long)getpid(),
		    "rotate failed: cannot start the next file after %s: %s; writing on past "
		    "max-size", ls->sh->name, strerror(err));
		if (io_write_all(ls->fd, rec, n) == 0) {
			ls->sh->size += n;
			ls->sh->data += n;
		}
	}
	ls->sh->rotate_errno = err;
}

static int
open_current(struct logstore *ls)
{
	int fd = openat(ls->dirfd, ls->sh->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    FILE_MODE);

	if (fd == -1)
		return -1;
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = fd;
	ls->gen = ls->sh->gen;
	return 0;
}

int
logstore_open(struct logstore *ls, const char *dir, uint64_t max_size, size_t max_files,
    int start_new, int format, char *err, size_t errlen)
{
	struct logfile *files = NULL;
	size_t n = 0;
	struct stat st;
	char deleted[512];

	memset(ls, 0, sizeof(*ls));
	ls->dirfd = ls->lockfd = ls->fd = -1;
	ls->max_size = max_size;
	ls->max_files = max_files;
	ls->format = format;
	snprintf(ls->dir, sizeof(ls->dir), "%s", dir);

	if (make_dirs(dir) == -1) {
		snprintf(err, errlen, "cannot create log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	ls->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->dirfd == -1) {
		snprintf(err, errlen, "cannot open log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	ls->lockfd = openat(ls->dirfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	if (ls->lockfd == -1) {
		snprintf(err, errlen, "log directory %s is not writable (%s/%s: %s); check its owner and mode",
		    dir, dir, LOCK_NAME, strerror(errno));
		goto fail;
	}
	if (lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_INSTANCE, 0) == -1) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
		    .l_start = LS_LOCK_INSTANCE, .l_len = 1 };
		long pid = fcntl(ls->lockfd, F_GETLK, &fl) == 0 ? (long)fl.l_pid : 0;
		snprintf(err, errlen, "log directory %s is already in use by another logserver (pid %ld)",
		    dir, pid);
		goto fail;
	}
	ls->sh = mmap(NULL, sizeof(*ls->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (ls->sh == MAP_FAILED) {
		ls->sh = NULL;
		snprintf(err, errlen, "cannot map shared state: %s", strerror(errno));
		goto fail;
	}
	memset(ls->sh, 0, sizeof(*ls->sh));
	if (scan_dir(ls, &files, &n) == -1) {
		snprintf(err, errlen, "cannot read log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	/* The most recent file is the one with the highest sequence number. */
	struct logfile *latest = NULL;
	for (size_t i = 0; i < n; i++)
		if (latest == NULL || files[i].seq > latest->seq)
			latest = &files[i];
	if (latest != NULL) {
		ls->sh->seq = latest->seq;
		ls->sh->ftime = latest->t;
		memcpy(ls->sh->name, latest->name, sizeof(latest->name));
	}
	if (latest == NULL || start_new) {
		if (start_file(ls, ls->sh->seq, ls->sh->ftime) == -1) {
			snprintf(err, errlen, "cannot create a log file in %s: %s", dir, strerror(errno));
			goto fail;
		}
	} else {
		if (open_current(ls) == -1 || fstat(ls->fd, &st) == -1) {
			snprintf(err, errlen, "cannot open log file %s/%s: %s", dir, ls->sh->name,
			    strerror(errno));
			goto fail;
		}
		ls->sh->size = (uint64_t)st.st_size;
		ls->sh->data = (uint64_t)st.st_size;
	}
	free(files);
	files = NULL;
	apply_retention(ls, deleted, sizeof(deleted));
	return 0;
fail:
	free(files);
	logstore_close(ls);
	return -1;
}

int
logstore_append(struct logstore *ls, const char *buf, size_t len, size_t *written)
{
	struct logstore_shared *sh = ls->sh;
	int rc = 0, saved, rotation_failed = 0;

	*written = 0;
	if (len == 0)
		return 0;
	if (lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_WRITE, 1) == -1)
		return -1;
	if (ls->gen != sh->gen && open_current(ls) == -1) {
		rc = -1;
		goto out;
	}
	while (len > 0) {
		uint64_t room = sh->size < ls->max_size ? ls->max_size - sh->size : 0;
		size_t n = len;

		if (len > room) {
			const char *nl = room > 0 ? memrchr(buf, '\n', (size_t)room) : NULL;

			if (nl != NULL) {
				n = (size_t)(nl - buf) + 1;
			} else if (sh->data == 0 || rotation_failed) {
				/* One record larger than a file gets a file of its own;
				 * after a failed rotation the records go on here. */
				nl = memchr(buf, '\n', len);
				n = nl != NULL ? (size_t)(nl - buf) + 1 : len;
			} else {
				/* A failed rotation is tried again with the next
				 * batch, not again and again within this one. */
				if (rotate(ls) == -1) {
					rotate_failed(ls, errno ? errno : EIO);
					rotation_failed = 1;
				}
				continue;
			}
		}
		if (io_write_all(ls->fd, buf, n) == -1) {
			saved = errno;
			/* Cut back whatever part of the batch reached the file. */
			(void)!ftruncate(ls->fd, (off_t)sh->size);
			errno = saved;
			rc = -1;
			break;
		}
		sh->size += n;
		sh->data += n;
		buf += n;
		len -= n;
		*written += n;
	}
out:
	saved = errno;
	lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_WRITE, 0);
	errno = saved;
	return rc;
}

int
logstore_reopen(struct logstore *ls, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	if (lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_WRITE, 1) == -1) {
		snprintf(err, errlen, "cannot lock %s/%s: %s", ls->dir, LOCK_NAME, strerror(errno));
		return -1;
	}
	fd = openat(ls->dirfd, ls->sh->name, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		/* Moved away (logrotate): carry on in a new file. */
		if (start_file(ls, ls->sh->seq, ls->sh->ftime) == -1) {
			snprintf(err, errlen, "cannot create a log file in %s: %s", ls->dir,
			    strerror(errno));
			rc = -1;
		}
	} else if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot reopen %s/%s: %s", ls->dir, ls->sh->name,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		rc = -1;
	} else {
		close(ls->fd);
		ls->fd = fd;
		ls->sh->size = ls->sh->data = (uint64_t)st.st_size;
		ls->gen = ++ls->sh->gen;
	}
	lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_WRITE, 0);
	return rc;
}

void
logstore_current(struct logstore *ls, char *name, size_t cap, uint64_t *size)
{
	/* Without the lock (it failed) the read is only a best guess. */
	int locked = lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_WRITE, 1) == 0;

	snprintf(name, cap, "%s", ls->sh->name);
	*size = ls->sh->size;
	if (locked)
		lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_WRITE, 0);
}

int
logstore_list(struct logstore *ls, struct logfile **files, size_t *nfiles)
{
	if (scan_dir(ls, files, nfiles) == -1)
		return -1;
	(void)retention_select(*files, *nfiles, *nfiles);	/* sorts oldest first */
	return 0;
}

uint64_t
logstore_current_seq(const struct logstore *ls)
{
	return __atomic_load_n(&ls->sh->seq, __ATOMIC_ACQUIRE);
}

void
logstore_close(struct logstore *ls)
{
	if (ls->fd != -1)
		close(ls->fd);
	if (ls->lockfd != -1)
		close(ls->lockfd);
	if (ls->dirfd != -1)
		close(ls->dirfd);
	if (ls->sh != NULL)
		munmap(ls->sh, sizeof(*ls->sh));
	ls->fd = ls->lockfd = ls->dirfd = -1;
	ls->sh = NULL;
}
