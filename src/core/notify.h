/*
 * notify: the service manager's readiness protocol (sd_notify), without
 * libsystemd. When $NOTIFY_SOCKET names an AF_UNIX datagram socket (a path,
 * or an abstract name written with a leading '@'), each notify_send() sends
 * one datagram of "VAR=value" lines to it; without the variable every call
 * does nothing.
 *
 * Contract: notify_init() is called once in the supervisor before the first
 * fork; it opens a close-on-exec socket and removes NOTIFY_SOCKET from the
 * environment so nothing started later inherits it. Only the supervisor
 * sends (it is not sandboxed). Errors are returned as -1 with a message.
 */
#ifndef LOGSERVER_NOTIFY_H
#define LOGSERVER_NOTIFY_H

#include <stddef.h>

/* 0: ready to send, or no NOTIFY_SOCKET (notify_enabled() then says 0). */
int notify_init(char *err, size_t errlen);
int notify_enabled(void);
/* Sends text (e.g. "READY=1"); returns 0, or -1 with err. */
int notify_send(const char *text, char *err, size_t errlen);
/* "RELOADING=1\nMONOTONIC_USEC=<now>" (systemd >= 253 wants the time). */
int notify_reloading(char *err, size_t errlen);
/* Fills addr from a NOTIFY_SOCKET value: pure, for tests. Returns the
 * address length, or -1 when the value is not a usable socket name. */
struct sockaddr_un;
int notify_parse_addr(const char *value, struct sockaddr_un *addr);

#endif
