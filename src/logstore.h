/*
 * logstore: appending records to the log directory, with size rotation and
 * retention, shared safely by many processes.
 *
 * Contract: logstore_open() is called once by the supervisor before it
 * forks; every child then uses the same struct (inherited by fork) to call
 * logstore_append(). Writers are serialised by a POSIX record lock (fcntl)
 * on DIR/.logserver.lock, so a batch of records is written whole by one
 * process at a time: records never interleave or tear. The name, size and
 * generation of the current file live in a small MAP_SHARED page, changed
 * only under that lock; a writer whose generation is old reopens the current
 * file before writing. Rotation happens inside logstore_append() when the
 * next record would push the file past max_size: a new file is created with
 * the next sequence number (see logname.h), starts with a record naming the
 * file it continues and the files retention deleted, and the oldest of our
 * files beyond max_files are deleted. A record larger than max_size is
 * written whole into a file of its own rather than split.
 * The supervisor holds a second lock byte for its lifetime so that two
 * servers cannot share one directory.
 * Errors are returned (-1 with errno, or with a message in err); nothing
 * here prints.
 */
#ifndef LOGSERVER_LOGSTORE_H
#define LOGSERVER_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "logname.h"

struct logstore_shared {
	uint64_t gen;		/* bumped whenever the current file changes */
	uint64_t seq;		/* sequence number of the current file */
	uint64_t size;		/* bytes in the current file */
	uint64_t data;		/* bytes of records (not the header) in it */
	time_t ftime;		/* time part of the current file's name */
	int rotate_errno;	/* errno of a rotation failing now, 0 when none */
	char name[LOGNAME_LEN + 1];
};

struct logstore {
	int dirfd;
	int lockfd;
	int fd;			/* this process's descriptor of the current file */
	uint64_t gen;		/* generation fd belongs to */
	uint64_t max_size;
	size_t max_files;
	int format;		/* enum rec_format of the rotation record */
	struct logstore_shared *sh;
	char dir[1024];
};

/*
 * Creates dir when missing (with parents), takes the instance lock, and
 * opens the most recent log file (append) or a new one (start_new, or when
 * there is none); retention is applied at once. Returns 0, or -1 with a
 * message in err.
 */
int logstore_open(struct logstore *ls, const char *dir, uint64_t max_size, size_t max_files,
    int start_new, int format, char *err, size_t errlen);

/*
 * Appends buf[0..len), which must hold whole records (each ending in '\n').
 * *written is set to the bytes that reached the file, always a prefix of
 * whole records; on an error the file is cut back so no partial record
 * stays. Returns 0, or -1 with errno set (*written may then be > 0).
 */
int logstore_append(struct logstore *ls, const char *buf, size_t len, size_t *written);

/*
 * For SIGHUP (logrotate): makes every process reopen the current file by
 * name; if it was moved away, a new file is started. Returns 0 or -1 with err.
 */
int logstore_reopen(struct logstore *ls, char *err, size_t errlen);

/* The current file's name (read under the lock; for events and tests). */
void logstore_current(struct logstore *ls, char *name, size_t cap, uint64_t *size);

/* Lists the server's files in the directory, oldest first. *files is
 * malloc'ed (the caller frees it). Returns 0 or -1 with errno. */
int logstore_list(struct logstore *ls, struct logfile **files, size_t *nfiles);

/* The sequence number of the current file, read without the lock (a
 * follower compares it with the file it reads to notice a rotation). */
uint64_t logstore_current_seq(const struct logstore *ls);

/* Releases everything (supervisor at exit; children just _exit). */
void logstore_close(struct logstore *ls);

#endif
