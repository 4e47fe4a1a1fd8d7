/* sendtime: a syslog TIMESTAMP as epoch seconds (RFC 3339 and RFC 3164). */
#include "sendtime.h"

#include <string.h>

/* n digits at p, or -1. */
static int
digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
static long long
days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The proleptic Gregorian year of day z (days since 1970-01-01): the
 * inverse of days_from_civil, in integer arithmetic (eras of 400 years,
 * 146097 days; the year taken to start in March so leap days come last).
 * gmtime_r() did this per message at 11 % of a TCP child's time. */
static long long
year_of_day(long long z)
{
	z += 719468;				/* days from 0000-03-01 */
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;	/* day of the era, 0..146096 */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1 */
	long long mp = (5 * doy + 2) / 153;	/* month from March, 0..11 */

	return yoe + era * 400 + (mp >= 10);	/* January and February: the next year */
}

static int
valid(int mon, int day, int h, int mi, int s)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h >= 0 && h <= 23 &&
	    mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

static int
parse_3339(const char *p, size_t len, time_t *out)
{
	int y, mon, day, h, mi, s;
	size_t i = 19;
	long off = 0;

	if (len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') ||
	    p[13] != ':' || p[16] != ':')
		return -1;
	y = digits(p, 4), mon = digits(p + 5, 2), day = digits(p + 8, 2);
	h = digits(p + 11, 2), mi = digits(p + 14, 2), s = digits(p + 17, 2);
	if (y < 0 || !valid(mon, day, h, mi, s))
		return -1;
	if (i < len && p[i] == '.') {
		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			;
	}
	if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
		i++;
	} else if (i < len && (p[i] == '+' || p[i] == '-')) {
		int oh, om;

		if (len - i != 6 || p[i + 3] != ':' || (oh = digits(p + i + 1, 2)) < 0 ||
		    (om = digits(p + i + 4, 2)) < 0 || oh > 23 || om > 59)
			return -1;
		off = (p[i] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
		i = len;
	}
	if (i != len)
		return -1;
	*out = (time_t)(days_from_civil(y, mon, day) * 86400 + h * 3600 + mi * 60 + s - off);
	return 0;
}

static int
parse_3164(const char *p, size_t len, time_t now, long utc_off, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mon = 0, day, h, mi, s;
	time_t local_now = now + utc_off;

	if (len != 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
		return -1;
	for (int m = 0; m < 12; m++)
		if (memcmp(p, months + 3 * m, 3) == 0)
			mon = m + 1;
	day = p[4] == ' ' ? digits(p + 5, 1) : digits(p + 4, 2);
	h = digits(p + 7, 2), mi = digits(p + 10, 2), s = digits(p + 13, 2);
	if (!valid(mon, day, h, mi, s))
		return -1;
	long long y = year_of_day(local_now >= 0 ? local_now / 86400 : (local_now - 86399) / 86400);
	long long t = days_from_civil(y, mon, day) * 86400 + h * 3600 + mi * 60 + s - utc_off;
	if (t > (long long)now + 86400)		/* December's message read in January */
		t = days_from_civil(y - 1, mon, day) * 86400 + h * 3600 + mi * 60 + s - utc_off;
	*out = (time_t)t;
	return 0;
}

int
sendtime_parse(const char *ts, size_t len, time_t now, long utc_off, time_t *out)
{
	if (len >= 19 && ts[4] == '-')
		return parse_3339(ts, len, out);
	return parse_3164(ts, len, now, utc_off, out);
}

int
sendtime_differs(const char *ts, size_t len, time_t now, long utc_off)
{
	time_t t;

	if (sendtime_parse(ts, len, now, utc_off, &t) == -1)
		return 1;
	return t > now + 1 || t < now - 1;
}
