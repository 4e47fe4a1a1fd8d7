/* logscan: reading log files back by record boundaries. */
#include "logscan.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TAIL_CHUNK 4096

/* Position just after the last LF in the file's bytes [from, size), or from. */
uint64_t
logscan_record_end(int fd, uint64_t from, uint64_t size)
{
	char buf[TAIL_CHUNK];
	uint64_t pos = size;

	while (pos > from) {
		size_t want = pos - from > sizeof(buf) ? sizeof(buf) : (size_t)(pos - from);
		ssize_t got = pread(fd, buf, want, (off_t)(pos - want));
		const char *nl;

		if (got != (ssize_t)want)
			return from;
		nl = memrchr(buf, '\n', want);
		if (nl != NULL)
			return pos - want + (uint64_t)(nl - buf) + 1;
		pos -= want;
	}
	return from;
}

/* Offset where the last n lines of the file start. */
off_t
logscan_last_lines(int fd, off_t size, unsigned long long n, char *buf, size_t cap)
{
	off_t pos = size;
	unsigned long long seen = 0;
	int skip_final = 1;

	if (n == 0)
		return size;
	while (pos > 0) {
		size_t want = pos > (off_t)cap ? cap : (size_t)pos;
		ssize_t got = pread(fd, buf, want, pos - (off_t)want);

		if (got != (ssize_t)want)
			return 0;
		for (size_t i = want; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			if (skip_final && pos - (off_t)want + (off_t)i == size) {
				skip_final = 0;	/* the file's final newline ends the last line */
				continue;
			}
			if (++seen == n)
				return pos - (off_t)want + (off_t)i;
		}
		skip_final = 0;
		pos -= (off_t)want;
	}
	return 0;
}

/* 1 when p holds a receive time exactly as record.c writes it. */
static int
is_rec_time(const char *p)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	for (int i = 0; i < REC_TIME_LEN; i++)
		if (shape[i] == 'd' ? p[i] < '0' || p[i] > '9' : p[i] != shape[i])
			return 0;
	return 1;
}

/* The receive time at the start of a record line (text or json), or "-"
 * (raw lines and anything else carry no time of ours). */
static void
line_time(const char *line, size_t len, char out[REC_TIME_LEN + 1])
{
	static const char jprefix[] = "{\"time\":\"";
	const size_t jlen = sizeof(jprefix) - 1;
	const char *t = NULL;

	if (len >= REC_TIME_LEN + 1 && line[REC_TIME_LEN] == ' ' && is_rec_time(line))
		t = line;
	else if (len >= jlen + REC_TIME_LEN && memcmp(line, jprefix, jlen) == 0 &&
	    is_rec_time(line + jlen))
		t = line + jlen;
	if (t != NULL) {
		memcpy(out, t, REC_TIME_LEN);
		out[REC_TIME_LEN] = '\0';
	} else {
		snprintf(out, REC_TIME_LEN + 1, "-");
	}
}

void
logscan_times(int fd, off_t size, char first[REC_TIME_LEN + 1], char last[REC_TIME_LEN + 1])
{
	char buf[8192];
	ssize_t n;
	off_t from;

	snprintf(first, REC_TIME_LEN + 1, "-");
	snprintf(last, REC_TIME_LEN + 1, "-");
	n = pread(fd, buf, 64, 0);
	if (n > 0)
		line_time(buf, (size_t)n, first);
	from = size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0;
	n = pread(fd, buf, sizeof(buf), from);
	if (n <= 0)
		return;
	size_t end = (size_t)n;
	if (buf[end - 1] == '\n')
		end--;
	char *nl = memrchr(buf, '\n', end);
	if (nl != NULL)
		line_time(nl + 1, end - (size_t)(nl + 1 - buf), last);
	else if (from == 0)
		line_time(buf, end, last);
}

