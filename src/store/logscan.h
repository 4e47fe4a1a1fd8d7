/*
 * logscan: reading a log file back by record boundaries, for the store
 * (repairing a torn tail) and the query service (LIST times, FOLLOW LINES,
 * re-synchronising a follower).
 *
 * Contract: each function reads the file with pread() only (the descriptor
 * must be open for reading), never past the size it is given, and in
 * bounded chunks; a read error gives the documented fallback, never an
 * error the caller must handle.
 */
#ifndef LOGSERVER_LOGSCAN_H
#define LOGSERVER_LOGSCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/* Just after the last LF in the file's bytes [from, size), or from when
 * there is none (or a read fails). */
uint64_t logscan_record_end(int fd, uint64_t from, uint64_t size);

/* Where the last n lines of the first size bytes start (0 when fewer, or
 * on a read error). buf (cap bytes) is the caller's scratch space. */
off_t logscan_last_lines(int fd, off_t size, unsigned long long n, char *buf, size_t cap);

/* The receive times of the first and last record ("-" when a line carries
 * none of ours: raw format, or not a record). */
void logscan_times(int fd, off_t size, char first[REC_TIME_LEN + 1], char last[REC_TIME_LEN + 1]);

#endif
