/* logstore_open: start-up: the directory, its locks, the newest file (repaired,
 * or a new one when it is in another format), retention. */
#include "logstore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logscan.h"

#define ALIVE_WAIT_MS 2000	/* start-up: how long old children may take to die */

/* Start-up: no process of an earlier server may still write here. */
static int
wait_alive(struct logstore *ls)
{
	struct timespec pause = { 0, 10 * 1000000L };

	for (int waited = 0; ls_lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_ALIVE, 0) == -1;
	    waited += 10) {
		if ((errno != EAGAIN && errno != EACCES) || waited >= ALIVE_WAIT_MS)
			return -1;
		nanosleep(&pause, NULL);
	}
	return ls_lock_byte(ls->lockfd, F_RDLCK, LS_LOCK_ALIVE, 0);
}

/* Start-up: a newest file that does not end in LF was torn by a process
 * killed in the middle of a write; its torn tail goes, and the file says so. */
static int
repair_tail(struct logstore *ls)
{
	struct logstore_shared *sh = ls->sh;
	char last;
	uint64_t cut;

	if (sh->size == 0 || pread(ls->fd, &last, 1, (off_t)sh->size - 1) != 1 || last == '\n')
		return 0;
	cut = logscan_record_end(ls->fd, 0, sh->size);
	if (ftruncate(ls->fd, (off_t)cut) == -1)
		return -1;
	uint64_t torn = sh->size - cut;
	sh->size = cut;
	sh->repairs++;
	return ls_store_event(ls, "repair: %s ended in a torn record (a process was killed in the "
	    "middle of a write); removed its %llu bytes at offset %llu", sh->name,
	    (unsigned long long)torn, (unsigned long long)cut);
}

/* The most recent file (highest sequence number) becomes current, appended
 * to, or a new one is started. Caller holds the instance lock. */
static int
open_latest(struct logstore *ls, int start_new, char *err, size_t errlen)
{
	struct logfile *files = NULL, *latest = NULL;
	size_t n = 0;
	struct stat st;

	if (ls_scan_dir(ls, &files, &n) == -1) {
		snprintf(err, errlen, "cannot read log directory %s: %s", ls->dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (latest == NULL || files[i].seq > latest->seq)
			latest = &files[i];
	if (latest != NULL) {
		ls->sh->seq = latest->seq;
		ls->sh->ftime = latest->t;
		memcpy(ls->sh->name, latest->name, sizeof(latest->name));
	}
	free(files);
	if (latest == NULL || start_new) {
		if (ls_start_file(ls, ls->sh->seq, ls->sh->ftime) == -1) {
			snprintf(err, errlen, "cannot create a log file in %s: %s", ls->dir,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (ls_open_current(ls) == -1 || fstat(ls->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot open log file %s/%s: %s%s", ls->dir, ls->sh->name,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: logserver never "
		    "follows one in its directory)" : "");
		return -1;
	}
	ls->sh->size = (uint64_t)st.st_size;
	if (repair_tail(ls) == -1) {
		snprintf(err, errlen, "cannot repair the torn end of %s/%s: %s", ls->dir,
		    ls->sh->name, strerror(errno));
		return -1;
	}
	/* Another --format than the newest file's: never mix two in one file. */
	int f = ls_current_format(ls);
	if (f != -1 && f != ls->format) {
		ls->other_format = f;
		return open_latest(ls, 1, err, errlen);
	}
	return 0;
}

int
logstore_open(struct logstore *ls, const char *dir, uint64_t max_size, size_t max_files,
    int start_new, int format, char *err, size_t errlen)
{
	char deleted[512];

	memset(ls, 0, sizeof(*ls));
	ls->dirfd = ls->lockfd = ls->fd = -1;
	ls->other_format = -1;
	ls->audit_fd = -1;
	ls->max_size = max_size;
	ls->max_files = max_files;
	ls->format = format;
	snprintf(ls->dir, sizeof(ls->dir), "%s", dir);

	if (ls_make_dirs(dir) == -1) {
		snprintf(err, errlen, "cannot create log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	ls->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->dirfd == -1) {
		snprintf(err, errlen, "cannot open log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	ls->lockfd = openat(ls->dirfd, LS_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    LS_FILE_MODE);
	if (ls->lockfd == -1) {
		snprintf(err, errlen, "log directory %s is not writable (%s/%s: %s); check its owner "
		    "and mode", dir, dir, LS_LOCK_NAME, strerror(errno));
		goto fail;
	}
	if (ls_lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_INSTANCE, 0) == -1) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
		    .l_start = LS_LOCK_INSTANCE, .l_len = 1 };
		long pid = fcntl(ls->lockfd, F_GETLK, &fl) == 0 ? (long)fl.l_pid : 0;
		snprintf(err, errlen, "log directory %s is already in use by another logserver (pid %ld)",
		    dir, pid);
		goto fail;
	}
	if (wait_alive(ls) == -1) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
		    .l_start = LS_LOCK_ALIVE, .l_len = 1 };
		long pid = fcntl(ls->lockfd, F_GETLK, &fl) == 0 ? (long)fl.l_pid : 0;
		snprintf(err, errlen, "log directory %s is still written by a process of an earlier "
		    "logserver (pid %ld) that did not exit within %d s", dir, pid,
		    ALIVE_WAIT_MS / 1000);
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
	if (open_latest(ls, start_new, err, errlen) == -1)
		goto fail;
	ls_apply_retention(ls, deleted, sizeof(deleted));
	return 0;
fail:
	logstore_close(ls);
	return -1;
}
