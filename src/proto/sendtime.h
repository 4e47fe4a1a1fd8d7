/*
 * sendtime: the sender's TIMESTAMP of a syslog message as seconds since
 * the epoch, to tell whether it differs from the receive time.
 *
 * Contract: pure, no allocation, reads only ts[0..len). RFC 3339 / RFC
 * 5424 ("2026-11-20T23:29:19.123+01:00"; "Z", an offset, or none = UTC; any
 * fraction ignored) and RFC 3164 ("Nov 20 23:29:19", day space-padded or
 * not, no year: the year of now, or the one before when that would put it
 * more than a day after now; read in the zone utc_off seconds east of UTC,
 * the receiver's, as rsyslog does). Anything else is -1: not comparable.
 */
#ifndef LOGSERVER_SENDTIME_H
#define LOGSERVER_SENDTIME_H

#include <stddef.h>
#include <time.h>

int sendtime_parse(const char *ts, size_t len, time_t now, long utc_off, time_t *out);

/* 1 when the sender's timestamp should be kept in a text record: it
 * cannot be compared, or it is more than one second from now. */
int sendtime_differs(const char *ts, size_t len, time_t now, long utc_off);

#endif
