/* rec_clock: the receive time of records, "2026-11-20T23:24:46.123Z" (record.h). */
#include "record.h"

#include <string.h>
#include <time.h>

static void
put_digits(char *d, unsigned v, int n)
{
	while (n-- > 0) {
		d[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
rec_clock_set(struct rec_clock *c, time_t sec, long ms)
{
	if (sec != c->sec || c->text[0] == '\0') {
		struct tm tm;

		if (gmtime_r(&sec, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		/* 2026-11-20T23:24:46.123Z */
		memcpy(c->text, "0000-00-00T00:00:00.000Z", REC_TIME_LEN + 1);
		put_digits(c->text, (unsigned)(tm.tm_year + 1900) % 10000, 4);
		put_digits(c->text + 5, (unsigned)tm.tm_mon + 1, 2);
		put_digits(c->text + 8, (unsigned)tm.tm_mday, 2);
		put_digits(c->text + 11, (unsigned)tm.tm_hour, 2);
		put_digits(c->text + 14, (unsigned)tm.tm_min, 2);
		put_digits(c->text + 17, (unsigned)tm.tm_sec, 2);
		c->sec = sec;
	}
	put_digits(c->text + 20, (unsigned)ms % 1000, 3);
}

void
rec_clock_update(struct rec_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	rec_clock_set(c, ts.tv_sec, ts.tv_nsec / 1000000);
}
