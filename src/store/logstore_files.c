/* logstore_files: the log directory's files: scan, create, expire. */
#include "logstore_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "metrics.h"

#define CREATE_TRIES 100

int
ls_lock_byte(int fd, short type, off_t which, int wait)
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

int
ls_make_dirs(const char *dir)
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

int
ls_scan_dir(struct logstore *ls, struct logfile **files, size_t *nfiles)
{
	struct logfile *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*files = NULL;
	*nfiles = 0;
	ls->foreign = 0;
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

		struct stat st;

		if (logname_parse(de->d_name, &lf.t, &lf.seq) == -1)
			continue;
		/* Only our own regular files: a symlink or someone else's file
		 * planted under our name shape is neither appended to, nor
		 * deleted, nor counted for sequence numbers. */
		if (fstatat(ls->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			ls->foreign++;
			continue;
		}
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

void
ls_apply_retention(struct logstore *ls, char *list, size_t cap)
{
	struct logfile *files;
	size_t n, drop, used = 0;

	if (cap > 0)
		list[0] = '\0';
	if (ls_scan_dir(ls, &files, &n) == -1)
		return;
	drop = retention_select(files, n, ls->max_files);
	for (size_t i = 0; i < drop; i++) {
		if (files[i].seq == ls->sh->seq)
			continue;
		if (unlinkat(ls->dirfd, files[i].name, 0) == -1 && errno != ENOENT)
			continue;
		mx_add(MX_RETENTION_DELETES, 1);
		int w = snprintf(list + used, cap - used, "%s%s", used ? " " : "", files[i].name);
		if (w > 0 && (size_t)w < cap - used)
			used += (size_t)w;
	}
	free(files);
}

long
ls_renumber(struct logstore *ls)
{
	struct logfile *files;
	size_t n;
	long done = 0;

	if (ls_scan_dir(ls, &files, &n) == -1)
		return -1;
	(void)retention_select(files, n, n);	/* sorts them, oldest first */
	for (size_t i = 0; i < n; i++) {
		char name[LOGNAME_LEN + 1];

		/* Sorted and distinct, so seq >= i + 1: a target name is free or
		 * already this file's (RENAME_NOREPLACE guards it anyway). */
		if (files[i].seq == i + 1 ||
		    logname_format(name, sizeof(name), files[i].t, i + 1) == -1 ||
		    renameat2(ls->dirfd, files[i].name, ls->dirfd, name, RENAME_NOREPLACE) == -1)
			continue;
		done++;
		if (strcmp(files[i].name, ls->sh->name) == 0) {
			memcpy(ls->sh->name, name, sizeof(name));
			__atomic_store_n(&ls->sh->seq, i + 1, __ATOMIC_RELEASE);
		}
	}
	free(files);
	if (ls->sh->seq > LS_RENUMBER_AT) {	/* the current file could not be renamed */
		errno = EOVERFLOW;
		return -1;
	}
	if (ls->durable && fsync(ls->dirfd) == -1)
		return -1;
	ls->sh->renumbered += (unsigned long)done;
	return done;
}

int
ls_start_file(struct logstore *ls, uint64_t after_seq, time_t after_t)
{
	struct timespec now;
	char name[LOGNAME_LEN + 1];
	uint64_t seq = after_seq;
	int fd = -1;

	if (after_seq > LS_RENUMBER_AT) {
		if (ls_renumber(ls) == -1)
			return -1;
		seq = after_seq = ls->sh->seq;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	time_t t = now.tv_sec > after_t ? now.tv_sec : after_t;
	for (int i = 0; i < CREATE_TRIES && fd == -1; i++) {
		seq++;
		if (logname_format(name, sizeof(name), t, seq) == -1) {
			errno = EOVERFLOW;
			return -1;
		}
		fd = openat(ls->dirfd, name,
		    O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, LS_FILE_MODE);
		if (fd == -1 && errno != EEXIST)
			return -1;
	}
	if (fd == -1)
		return -1;
	/* The new name must survive a power cut as well as the records in it. */
	if (ls->durable && fsync(ls->dirfd) == -1) {
		int e = errno;
		close(fd);
		(void)unlinkat(ls->dirfd, name, 0);
		errno = e;
		return -1;
	}
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = fd;
	__atomic_store_n(&ls->sh->seq, seq, __ATOMIC_RELEASE);
	ls->sh->ftime = t;
	ls->sh->size = 0;
	ls->sh->hdr = 0;
	memcpy(ls->sh->name, name, sizeof(name));
	ls->gen = ++ls->sh->gen;
	return 0;
}

int
ls_open_current(struct logstore *ls)
{
	int fd = openat(ls->dirfd, ls->sh->name, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, LS_FILE_MODE);

	if (fd == -1)
		return -1;
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = fd;
	ls->gen = ls->sh->gen;
	return 0;
}

int
ls_current_format(struct logstore *ls)
{
	char head[64];
	ssize_t n = pread(ls->fd, head, sizeof(head), 0);

	return n > 0 ? record_format_of(head, (size_t)n) : -1;
}

int
logstore_audit_name_ok(const char *name)
{
	time_t t;
	uint64_t seq;

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
	    logname_parse(name, &t, &seq) == 0)
		return -1;
	return 0;
}

int
logstore_open_audit(struct logstore *ls, const char *name, char *err, size_t errlen)
{
	struct stat st;
	int fd = openat(ls->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    LS_FILE_MODE);

	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		snprintf(err, errlen, "cannot open the audit file %s/%s: %s", ls->dir, name,
		    fd == -1 && errno == ELOOP ? "a symbolic link (logserver never follows one in "
		    "its directory)" : fd == -1 ? strerror(errno) : "not a regular file of ours");
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (ls->audit_fd == -1) {
		ls->audit_fd = fd;
		return 0;
	}
	if (dup3(fd, ls->audit_fd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "cannot reopen the audit file %s/%s: %s", ls->dir, name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* fdatasync(), counted and timed for the metrics (fsync latency histogram). */
int
ls_fdatasync(int fd)
{
	struct timespec a, b;
	int rc, saved;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = fdatasync(fd);
	saved = errno;
	clock_gettime(CLOCK_MONOTONIC, &b);
	mx_fsync((uint64_t)((b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000));
	errno = saved;
	return rc;
}
