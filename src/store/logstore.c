/* logstore: journaled appends, repair, rotation, group commit, sessions. */
#include "logstore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "logscan.h"
#include "metrics.h"
#include "record.h"

static void
unlock_write(struct logstore *ls)
{
	int saved = errno;

	ls_lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_WRITE, 0);
	errno = saved;
}

static void
advance_session(struct logstore_shared *sh, int slot, uint64_t seq)
{
	if (slot >= 0 && slot < LS_SESSIONS && sh->sess[slot].seq < seq)
		sh->sess[slot].seq = seq;
}

/*
 * One write into the current file, journaled in the shared page so that a
 * writer killed in the middle is repaired by the next one. On an error the
 * file is cut back to where it was. Caller holds the write lock.
 */
static int
jwrite(struct logstore *ls, const char *buf, size_t n, int slot, uint64_t seq_after)
{
	struct logstore_shared *sh = ls->sh;
	struct ls_pending *p = &sh->pending;

	p->start = sh->size;
	p->len = n;
	p->slot = slot;
	p->seq_after = seq_after;
	p->pid = (long)getpid();
	__atomic_store_n(&p->active, 1, __ATOMIC_SEQ_CST);
	if (io_write_all(ls->fd, buf, n) == -1) {
		int saved = errno;
		(void)!ftruncate(ls->fd, (off_t)sh->size);
		__atomic_store_n(&p->active, 0, __ATOMIC_SEQ_CST);
		errno = saved;
		return -1;
	}
	sh->size += n;
	mx_set(MX_FILE_SIZE, sh->size);
	__atomic_add_fetch(&sh->wpos, n, __ATOMIC_SEQ_CST);
	advance_session(sh, slot, seq_after);
	__atomic_store_n(&p->active, 0, __ATOMIC_SEQ_CST);
	return 0;
}

/* Writes one of the store's own records (rotate, repair). Caller holds the lock. */
int
ls_store_event(struct logstore *ls, const char *fmt, ...)
{
	char text[1400], rec[REC_EVENT_MAX];
	struct rec_clock clk = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rec_clock_update(&clk);
	size_t n = record_event(rec, &clk, ls->format, (long)getpid(), "%s", text);
	return jwrite(ls, rec, n, -1, 0);
}

/*
 * The previous writer died with a write in progress (the kernel released its
 * lock). A complete write only misses its bookkeeping; a torn one is cut
 * back, to its start when it belonged to a named session (none of it was
 * acknowledged, the sender resends it all), else to its last whole record.
 */
static void
recover(struct logstore *ls)
{
	struct logstore_shared *sh = ls->sh;
	struct ls_pending p = sh->pending;
	struct stat st;

	if (fstat(ls->fd, &st) == -1)
		return;		/* tried again by the next writer */
	uint64_t size = (uint64_t)st.st_size, end = p.start + p.len;
	sh->pending.active = 0;
	sh->repairs++;
	if (size >= end) {
		sh->size = size;
		__atomic_add_fetch(&sh->wpos, p.len, __ATOMIC_SEQ_CST);
		advance_session(sh, p.slot, p.seq_after);
		return;
	}
	uint64_t from = p.start < size ? p.start : size;
	uint64_t cut = p.slot >= 0 ? from : logscan_record_end(ls->fd, from, size);
	int uncut = cut < size && ftruncate(ls->fd, (off_t)cut) == -1;
	if (uncut)
		cut = size;	/* cannot cut: at least end the torn line */
	sh->size = cut;
	__atomic_add_fetch(&sh->wpos, cut - from, __ATOMIC_SEQ_CST);
	/* Only a tail that could not be cut away gets a newline of its own:
	 * a writer killed before its first byte left nothing torn, and a
	 * newline then would be an empty record. */
	if (uncut && io_write_all(ls->fd, "\n", 1) == 0)
		sh->size++;
	(void)ls_store_event(ls, "repair: process %ld was killed in the middle of a write to %s; "
	    "removed the %llu bytes of its torn tail at offset %llu", p.pid, sh->name,
	    (unsigned long long)(size - cut), (unsigned long long)cut);
}

/* Takes the write lock and makes this process's view true: the current
 * file, its real size, no write left half-done. */
static int
lock_write_wait(struct logstore *ls, int wait)
{
	struct stat st;

	if (ls_lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_WRITE, wait) == -1) {
		if (errno == EACCES)
			errno = EAGAIN;
		return -1;
	}
	if (ls->gen != ls->sh->gen && ls_open_current(ls) == -1) {
		unlock_write(ls);
		return -1;
	}
	if (ls->sh->pending.active)
		recover(ls);
	if (fstat(ls->fd, &st) == 0)
		ls->sh->size = (uint64_t)st.st_size;
	return 0;
}

static int
lock_write(struct logstore *ls)
{
	return lock_write_wait(ls, 1);
}

/* The current file's opening record, once it can be written. Caller holds the lock. */
static int
write_header(struct logstore *ls)
{
	struct logstore_shared *sh = ls->sh;
	uint64_t before = sh->size;

	char renum[96] = "";

	if (sh->renumbered > 0)
		snprintf(renum, sizeof(renum), "; the sequence numbers reached their maximum: %lu "
		    "files renumbered from 1", sh->renumbered);
	char every[48] = "";

	if (ls->interval > 0)
		snprintf(every, sizeof(every), ", rotate-interval %lld", (long long)ls->interval);
	if (ls_store_event(ls, "rotate: continues %s (%llu bytes); max-size %llu, max-files %zu%s"
	    "%s%s%s", sh->prev_name, (unsigned long long)sh->prev_size,
	    (unsigned long long)ls->max_size, ls->max_files, every,
	    sh->deleted[0] ? "; deleted " : "", sh->deleted, renum) == -1)
		return -1;
	sh->renumbered = 0;
	sh->hdr = sh->size - before;
	sh->need_hdr = 0;
	return 0;
}

/* Caller holds the lock. */
static int
rotate(struct logstore *ls)
{
	struct logstore_shared *sh = ls->sh;
	char prev[LOGNAME_LEN + 1];
	uint64_t prev_size = sh->size, before = __atomic_load_n(&sh->wpos, __ATOMIC_SEQ_CST);

	/* What is acknowledged as on disk must stay so once we write elsewhere. */
	if (ls->durable && ls_fdatasync(ls->fd) == -1)
		return -1;
	/* Renumber first, so that the record names the old file as it is now called. */
	if (sh->seq > LS_RENUMBER_AT && ls_renumber(ls) == -1)
		return -1;
	memcpy(prev, sh->name, sizeof(prev));
	if (ls_start_file(ls, sh->seq, sh->ftime) == -1)
		return -1;
	if (ls->durable) {
		uint64_t s = __atomic_load_n(&sh->synced, __ATOMIC_SEQ_CST);
		while (s < before && !__atomic_compare_exchange_n(&sh->synced, &s, before, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
	}
	sh->rotate_errno = 0;
	memcpy(sh->prev_name, prev, sizeof(prev));
	sh->prev_size = prev_size;
	sh->need_hdr = 1;
	ls_apply_retention(ls, sh->deleted, sizeof(sh->deleted));
	mx_add(MX_ROTATIONS, 1);
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
	if (ls->sh->rotate_errno == 0)
		(void)ls_store_event(ls, "rotate failed: cannot start the file after %s: %s; writing "
		    "on past max-size", ls->sh->name, strerror(err));
	ls->sh->rotate_errno = err;
}

/* --rotate-interval: the current file holds records and began in an
 * earlier period than now (a clock set back starts no file). Caller holds
 * the lock. */
static int
period_ended(const struct logstore *ls)
{
	const struct logstore_shared *sh = ls->sh;
	struct timespec now;

	if (ls->interval <= 0 || sh->size <= sh->hdr)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > sh->ftime && now.tv_sec / ls->interval > sh->ftime / ls->interval;
}

static int
append_locked(struct logstore *ls, const char *buf, size_t len, size_t *written,
    struct ls_tag *tag)
{
	struct logstore_shared *sh = ls->sh;
	int rotation_failed = 0;
	size_t done = 0;

	if (sh->need_hdr && write_header(ls) == -1)
		return -1;
	if (period_ended(ls)) {
		if (rotate(ls) == -1) {
			rotate_failed(ls, errno ? errno : EIO);
			rotation_failed = 1;
		} else if (write_header(ls) == -1) {
			return -1;
		}
	}
	while (len > 0) {
		uint64_t room = sh->size < ls->max_size ? ls->max_size - sh->size : 0;
		size_t n = len;

		if (len > room) {
			const char *nl = room > 0 ? memrchr(buf, '\n', (size_t)room) : NULL;

			if (nl != NULL) {
				n = (size_t)(nl - buf) + 1;
			} else if (sh->size <= sh->hdr || rotation_failed) {
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
				} else if (write_header(ls) == -1) {
					return -1;
				}
				continue;
			}
		}
		uint64_t seq = tag != NULL ? tag->seq_at(tag->arg, done + n) : 0;
		if (jwrite(ls, buf, n, tag != NULL ? tag->slot : -1, seq) == -1)
			return -1;
		buf += n;
		len -= n;
		done += n;
		*written = done;
	}
	return 0;
}

/* The slot of session id, created (least recently used evicted) when
 * missing. Caller holds the lock. */
static int
find_session(struct logstore_shared *sh, const uint8_t *id, int hint)
{
	int victim = 0;

	sh->clock++;
	if (hint >= 0 && hint < LS_SESSIONS && memcmp(sh->sess[hint].id, id, LS_SESSION_ID) == 0) {
		sh->sess[hint].used = sh->clock;
		return hint;
	}
	for (int i = 0; i < LS_SESSIONS; i++) {
		if (memcmp(sh->sess[i].id, id, LS_SESSION_ID) == 0) {
			sh->sess[i].used = sh->clock;
			return i;
		}
		if (sh->sess[i].used < sh->sess[victim].used)
			victim = i;
	}
	memcpy(sh->sess[victim].id, id, LS_SESSION_ID);
	sh->sess[victim].seq = 0;
	sh->sess[victim].used = sh->clock;
	return victim;
}

int
logstore_append_tagged(struct logstore *ls, const char *buf, size_t len, size_t *written,
    struct ls_tag *tag)
{
	int rc;

	*written = 0;
	if (len == 0)
		return 0;
	if (lock_write(ls) == -1)
		return -1;
	if (tag != NULL)
		tag->slot = find_session(ls->sh, tag->id, tag->slot);
	rc = append_locked(ls, buf, len, written, tag);
	ls->last_end = __atomic_load_n(&ls->sh->wpos, __ATOMIC_SEQ_CST);
	unlock_write(ls);
	return rc;
}

int
logstore_append(struct logstore *ls, const char *buf, size_t len, size_t *written)
{
	return logstore_append_tagged(ls, buf, len, written, NULL);
}

int
logstore_sync(struct logstore *ls)
{
	struct logstore_shared *sh = ls->sh;
	uint64_t target = ls->last_end;

	while (__atomic_load_n(&sh->synced, __ATOMIC_SEQ_CST) < target) {
		uint64_t upto, s;
		int rc;

		if (ls_lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_SYNC, 1) == -1)
			return -1;
		if (__atomic_load_n(&sh->synced, __ATOMIC_SEQ_CST) >= target) {
			ls_lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_SYNC, 0);
			break;
		}
		/* Everything written up to now lies in this file or in older
		 * ones, which rotation synced before it moved on. */
		if (lock_write(ls) == -1) {
			ls_lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_SYNC, 0);
			return -1;
		}
		upto = __atomic_load_n(&sh->wpos, __ATOMIC_SEQ_CST);
		unlock_write(ls);
		rc = ls_fdatasync(ls->fd);
		if (rc == 0) {
			s = __atomic_load_n(&sh->synced, __ATOMIC_SEQ_CST);
			while (s < upto && !__atomic_compare_exchange_n(&sh->synced, &s, upto, 0,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				;
		}
		int saved = errno;
		ls_lock_byte(ls->lockfd, F_UNLCK, LS_LOCK_SYNC, 0);
		if (rc == -1) {
			errno = saved;
			return -1;
		}
	}
	return 0;
}

/* Writes the summaries that are due. Caller holds the lock. */
static void
write_summaries(struct logstore *ls, time_t now, int force)
{
	enum rl_kind kind;
	unsigned long long count;
	long secs;

	while (rl_summary(&ls->sh->rl, now, force, &kind, &count, &secs))
		(void)ls_store_event(ls, "flood control: %llu similar events suppressed (%s) in the "
		    "last %ld s", count, rl_kind_name(kind), secs);
}

/* One event through flood control, to fd, or (-1) to the log. */
static int
event_to(struct logstore *ls, int fd, enum rl_kind kind, const void *key, size_t keylen,
    const char *rec, size_t n, int wait)
{
	time_t now = time(NULL);
	size_t written;
	int rc = 0;

	if (lock_write_wait(ls, wait) == -1)
		return -1;
	write_summaries(ls, now, 0);
	if (rl_allow(&ls->sh->rl, kind, key, keylen, now))
		rc = fd != -1 ? io_write_all(fd, rec, n) : append_locked(ls, rec, n, &written, NULL);
	ls->last_end = __atomic_load_n(&ls->sh->wpos, __ATOMIC_SEQ_CST);
	unlock_write(ls);
	return rc;
}

int
logstore_event(struct logstore *ls, enum rl_kind kind, const void *key, size_t keylen,
    const char *rec, size_t n, int wait)
{
	return event_to(ls, -1, kind, key, keylen, rec, n, wait);
}

int
logstore_audit(struct logstore *ls, enum rl_kind kind, const void *key, size_t keylen,
    const char *rec, size_t n)
{
	return event_to(ls, ls->audit_fd, kind, key, keylen, rec, n, 1);
}

long
logstore_summaries(struct logstore *ls, int wait, int force)
{
	time_t now = time(NULL);
	long next;

	if (lock_write_wait(ls, wait) == -1)
		return -2;
	write_summaries(ls, now, force);
	next = rl_next_due(&ls->sh->rl, now);
	unlock_write(ls);
	return next;
}

int
logstore_session_seq(struct logstore *ls, const uint8_t *id, uint64_t *seq)
{
	if (lock_write(ls) == -1)
		return -1;
	*seq = ls->sh->sess[find_session(ls->sh, id, -1)].seq;
	unlock_write(ls);
	return 0;
}

int
logstore_child_alive(struct logstore *ls)
{
	return ls_lock_byte(ls->lockfd, F_RDLCK, LS_LOCK_ALIVE, 1);
}

int
logstore_reopen(struct logstore *ls, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	if (lock_write(ls) == -1) {
		snprintf(err, errlen, "cannot lock %s/%s: %s", ls->dir, LS_LOCK_NAME, strerror(errno));
		return -1;
	}
	err[0] = '\0';
	fd = openat(ls->dirfd, ls->sh->name, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())) {
		close(fd);
		fd = -1;
		errno = EPERM;
	}
	if (fd == -1 && (errno == ELOOP || errno == EPERM)) {
		/* A symlink or a foreign file put in its place: never followed. */
		snprintf(err, errlen, "%s is %s; not followed, ", ls->sh->name, errno == ELOOP ?
		    "a symbolic link" : "not a regular file of ours");
		errno = ENOENT;
	}
	if (fd == -1 && errno == ENOENT) {
		/* Moved away (logrotate): carry on in a new file. */
		if (ls_start_file(ls, ls->sh->seq, ls->sh->ftime) == -1) {
			snprintf(err, errlen, "cannot create a log file in %s: %s", ls->dir,
			    strerror(errno));
			rc = -1;
		}
	} else if (fd == -1) {
		snprintf(err, errlen, "cannot reopen %s/%s: %s", ls->dir, ls->sh->name,
		    strerror(errno));
		rc = -1;
	} else {
		close(ls->fd);
		ls->fd = fd;
		ls->sh->size = (uint64_t)st.st_size;
		ls->sh->hdr = 0;
		ls->gen = ++ls->sh->gen;
	}
	unlock_write(ls);
	return rc;
}

void
logstore_current(struct logstore *ls, char *name, size_t cap, uint64_t *size)
{
	/* Without the lock (it failed) the read is only a best guess. */
	int locked = ls_lock_byte(ls->lockfd, F_WRLCK, LS_LOCK_WRITE, 1) == 0;

	snprintf(name, cap, "%s", ls->sh->name);
	*size = ls->sh->size;
	if (locked)
		unlock_write(ls);
}

int
logstore_list(struct logstore *ls, struct logfile **files, size_t *nfiles)
{
	if (ls_scan_dir(ls, files, nfiles) == -1)
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
	if (ls->audit_fd != -1)
		close(ls->audit_fd);
	if (ls->sh != NULL)
		munmap(ls->sh, sizeof(*ls->sh));
	ls->fd = ls->lockfd = ls->dirfd = ls->audit_fd = -1;
	ls->sh = NULL;
}
