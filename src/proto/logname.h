/*
 * logname: pure naming and retention rules of the log directory.
 *
 * Contract: the server's files are named
 *     logserver-YYYYMMDDTHHMMSSZ-NNNNNNNN.log
 * (UTC creation time, then a sequence number that grows by one per file).
 * The time part never goes backwards (the log store passes
 * max(now, previous file's time)), so names sort in creation order even when
 * several rotations happen within one second. logname_parse() accepts only
 * names of exactly that shape, so no other file in the directory is ever
 * chosen for deletion.
 */
#ifndef LOGSERVER_LOGNAME_H
#define LOGSERVER_LOGNAME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOGNAME_LEN 39		/* strlen of a name, without the NUL */
#define LOGNAME_SEQ_MAX 99999999ULL

/* Writes the name for (t, seq) into dst (cap >= LOGNAME_LEN + 1).
 * Returns 0, or -1 when seq is out of range or t cannot be represented. */
int logname_format(char *dst, size_t cap, time_t t, uint64_t seq);

/* Returns 0 and fills *t and *seq when name (NUL-terminated) is one of ours. */
int logname_parse(const char *name, time_t *t, uint64_t *seq);

/* One of our files, as found in the directory. */
struct logfile {
	uint64_t seq;
	time_t t;
	char name[LOGNAME_LEN + 1];
};

/* Sorts files oldest first (by sequence number) and returns how many of the
 * oldest must go so that at most keep remain (0 when n <= keep): those are
 * files[0..ret). */
size_t retention_select(struct logfile *files, size_t n, size_t keep);

#endif
