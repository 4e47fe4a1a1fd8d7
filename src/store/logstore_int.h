/*
 * logstore_int: what the log store's two files share (not for other
 * modules). logstore.c appends, journals, repairs and syncs; logstore_files.c
 * finds, creates and deletes the files in the directory.
 */
#ifndef LOGSERVER_LOGSTORE_INT_H
#define LOGSERVER_LOGSTORE_INT_H

#include <sys/types.h>

#include "logstore.h"

#define LS_LOCK_NAME ".logserver.lock"
#define LS_LOCK_WRITE 0		/* byte locked around every write */
#define LS_LOCK_INSTANCE 1	/* byte the supervisor holds while it runs */
#define LS_LOCK_SYNC 2		/* byte held by the one process running fdatasync */
#define LS_LOCK_ALIVE 3		/* byte every process of a server holds shared */
#define LS_FILE_MODE 0640

/* fcntl record lock on one byte; wait: F_SETLKW. Returns 0 or -1 with errno. */
/* fdatasync(), counted and timed for the metrics (fsync latency histogram). */
int ls_fdatasync(int fd);

int ls_lock_byte(int fd, short type, off_t which, int wait);

/* mkdir -p */
int ls_make_dirs(const char *dir);

/* Our files in the directory, unsorted. *files is malloc'ed (caller frees). */
int ls_scan_dir(struct logstore *ls, struct logfile **files, size_t *nfiles);

/* Deletes the oldest of our files beyond max_files, never the current one,
 * and lists what went in list ("name name ...", cap bytes). */
void ls_apply_retention(struct logstore *ls, char *list, size_t cap);

/* Sequence numbers above this are renumbered before the next file starts. */
#define LS_RENUMBER_AT (LOGNAME_SEQ_MAX - 1000)

/* The sequence numbers have (nearly) run out (a long life, or a file
 * planted with a huge one): renames our files, oldest first, to 1, 2, ...
 * keeping their time part and order, and the current one's name in the
 * shared page. Caller holds the write lock. Returns the number of files
 * renumbered, or -1 with errno. */
long ls_renumber(struct logstore *ls);

/* Creates the file after after_seq and makes it current. Caller holds the
 * write lock. Returns 0 or -1 with errno. */
int ls_start_file(struct logstore *ls, uint64_t after_seq, time_t after_t);

/* Opens the current file by name (no symlinks) as this process's fd. */
int ls_open_current(struct logstore *ls);
/* One of the store's own records, written under the lock the caller holds
 * (printf text). Returns 0 or -1 with errno. */
int ls_store_event(struct logstore *ls, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The format of the open current file (record_format_of its first bytes),
 * or -1 when it is empty or of no known layout. */
int ls_current_format(struct logstore *ls);

#endif
