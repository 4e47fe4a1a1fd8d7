/* logname: file names of the log directory and which files retention deletes. */
#include "logname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char prefix[] = "logserver-";

int
logname_format(char *dst, size_t cap, time_t t, uint64_t seq)
{
	struct tm tm;
	int n;

	if (seq > LOGNAME_SEQ_MAX || cap < LOGNAME_LEN + 1 || gmtime_r(&t, &tm) == NULL)
		return -1;
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -1;
	n = snprintf(dst, cap, "%s%04d%02d%02dT%02d%02d%02dZ-%08llu.log", prefix,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned long long)seq);
	return n == LOGNAME_LEN ? 0 : -1;
}

/* Reads exactly n decimal digits. */
static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
logname_parse(const char *name, time_t *t, uint64_t *seq)
{
	const size_t plen = sizeof(prefix) - 1;
	int y, mo, d, h, mi, s, sq;
	struct tm tm;

	if (strlen(name) != LOGNAME_LEN || memcmp(name, prefix, plen) != 0)
		return -1;
	name += plen;	/* YYYYMMDDTHHMMSSZ-NNNNNNNN.log */
	if (digits(name, 4, &y) || digits(name + 4, 2, &mo) || digits(name + 6, 2, &d) ||
	    name[8] != 'T' || digits(name + 9, 2, &h) || digits(name + 11, 2, &mi) ||
	    digits(name + 13, 2, &s) || name[15] != 'Z' || name[16] != '-' ||
	    digits(name + 17, 8, &sq) || strcmp(name + 25, ".log") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*t = timegm(&tm);
	*seq = (uint64_t)sq;
	return 0;
}

static int
cmp_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct logfile *)a)->seq, y = ((const struct logfile *)b)->seq;

	return x < y ? -1 : x > y;
}

size_t
retention_select(struct logfile *files, size_t n, size_t keep)
{
	if (n > 1)
		qsort(files, n, sizeof(*files), cmp_seq);
	return n > keep ? n - keep : 0;
}
