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
#include "ratelimit.h"

#define LS_SESSIONS 1024	/* named RELP sessions remembered for de-duplication */
#define LS_SESSION_ID 16

/* A named sender session (logclient's RELP session offer): the highest
 * message number of it that is in the file. */
struct ls_session {
	uint8_t id[LS_SESSION_ID];	/* all zero: free */
	uint64_t seq;
	uint64_t used;			/* sh->clock when last touched (LRU) */
};

/*
 * The journal of the one write in progress, set under the lock just before
 * a write() and cleared after it. A writer killed in between leaves it set;
 * the next writer (under the lock) sees it and finishes the bookkeeping or
 * repairs the torn tail before it writes anything.
 */
struct ls_pending {
	int active;
	int slot;		/* session slot the write advances, -1 when none */
	long pid;		/* the writer */
	uint64_t start;		/* file size before the write */
	uint64_t len;
	uint64_t seq_after;	/* the session's message number once it is whole */
};

struct logstore_shared {
	uint64_t gen;		/* bumped whenever the current file changes */
	uint64_t seq;		/* sequence number of the current file */
	uint64_t size;		/* bytes in the current file (re-read from it under the lock) */
	uint64_t hdr;		/* bytes of the rotate record that opens it */
	time_t ftime;		/* time part of the current file's name */
	int rotate_errno;	/* errno of a rotation failing now, 0 when none */
	char name[LOGNAME_LEN + 1];
	uint64_t wpos;		/* bytes appended to all files since start-up */
	uint64_t synced;	/* wpos that fdatasync has covered (atomic) */
	uint64_t clock;		/* session LRU clock */
	unsigned long long repairs;
	struct ls_pending pending;
	struct ratelimit rl;	/* flood control of events others cause */
	int need_hdr;		/* the current file still lacks its rotate record */
	uint64_t prev_size;	/* for that record: the file it continues */
	char prev_name[LOGNAME_LEN + 1];
	char deleted[512];	/* and the files retention deleted */
	unsigned long renumbered;	/* files renumbered since (ls_renumber) */
	struct ls_session sess[LS_SESSIONS];
};

struct logstore {
	int dirfd;
	int lockfd;
	int fd;			/* this process's descriptor of the current file */
	uint64_t gen;		/* generation fd belongs to */
	uint64_t max_size;
	size_t max_files;
	int64_t interval;	/* rotate at each multiple of it (seconds since the epoch), 0: never */
	int format;		/* enum rec_format of the store's own records */
	int audit_fd;		/* --audit-file, append-only; -1: audit events go to the log */
	int other_format;	/* open: the newest file was in this other format, so a
				 * new file was started (-1: none) */
	int durable;		/* some writer syncs: rotation syncs the old file and the directory */
	uint64_t last_end;	/* wpos after this process's last append */
	unsigned long foreign;	/* names of our shape that are not our files (last scan) */
	struct logstore_shared *sh;
	char dir[1024];
};

/*
 * What a tagged append advances: the named session id, and a callback that
 * tells the session's highest message number whose record ends at or before
 * byte end of the batch (0 when none).
 */
struct ls_tag {
	const uint8_t *id;	/* LS_SESSION_ID bytes */
	int slot;		/* the store's slot for id, -1 until it is known */
	uint64_t (*seq_at)(void *arg, size_t end);
	void *arg;
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
 * As logstore_append(), and under the same lock the session named by tag
 * advances to the message number of the last whole record written, so that
 * a resent message can be recognised (logstore_session_seq()).
 */
int logstore_append_tagged(struct logstore *ls, const char *buf, size_t len, size_t *written,
    struct ls_tag *tag);

/*
 * Group commit: returns once everything this process appended so far is on
 * disk (fdatasync). One sync covers the records of every process written
 * before it; a process whose records another's sync covered does not sync.
 * Returns 0 or -1 with errno.
 */
int logstore_sync(struct logstore *ls);

/*
 * Appends one event record that others caused (rec[0..n), one record),
 * under flood control: kind and key (the source's address bytes) choose its
 * budget (ratelimit.h); over budget it is counted, and a summary record
 * "N similar events suppressed" follows once the kind's window ends. Due
 * summaries are written first. With wait 0 it never waits for the lock:
 * -1 with EAGAIN when another process holds it. Returns 0 (written or
 * suppressed) or -1 with errno.
 */
int logstore_event(struct logstore *ls, enum rl_kind kind, const void *key, size_t keylen,
    const char *rec, size_t n, int wait);
/* --audit-file: 0 when name can be the audit file: one path component,
 * not hidden, not named like a log file (retention would delete it). */
int logstore_audit_name_ok(const char *name);
/* Opens (creates, 0640) the audit file in the directory, relative to its
 * descriptor and never through a symbolic link; again on SIGHUP (the same
 * descriptor number, so children forked later write to the new file).
 * Returns 0, or -1 with err. */
int logstore_open_audit(struct logstore *ls, const char *name, char *err, size_t errlen);

/* The same for a query audit event: written to audit_fd (one write, the
 * file is O_APPEND) when there is one, else to the log; flood control and
 * its summaries stay the log's. */
int logstore_audit(struct logstore *ls, enum rl_kind kind, const void *key, size_t keylen,
    const char *rec, size_t n);

/* Writes the flood-control summaries that are due (with force: all that are
 * pending, at shutdown; wait as above); returns
 * the seconds until the next may be due, -1 when none is pending, -2 when
 * the lock was busy. */
long logstore_summaries(struct logstore *ls, int wait, int force);

/* The highest message number of the named session in the file (0 when the
 * store does not know it); creates its slot (evicting the least recently
 * used). Returns 0 or -1 with errno (the lock failed). */
int logstore_session_seq(struct logstore *ls, const uint8_t *id, uint64_t *seq);

/*
 * Children: hold a shared lock on the "alive" byte for their whole life, so
 * a new server refuses to start while any process of this one may still
 * write. Returns 0 or -1.
 */
int logstore_child_alive(struct logstore *ls);

/*
 * For SIGHUP (logrotate): makes every process reopen the current file by
 * name; if it was moved away, or a symlink or foreign file now has its name
 * (never followed; err then says so, with rc 0), a new file is started.
 * Returns 0 or -1 with err.
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
