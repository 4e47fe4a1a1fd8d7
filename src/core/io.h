/*
 * io: small I/O helpers shared by the server and the client.
 *
 * Contract: io_write_all() writes every byte or fails; it retries after
 * EINTR and short writes and returns 0, or -1 with errno set (bytes before
 * the failure may have been written). SIGPIPE is ignored by both programs,
 * so a closed socket gives EPIPE here instead of a signal.
 */
#ifndef LOGSERVER_IO_H
#define LOGSERVER_IO_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

int io_write_all(int fd, const void *buf, size_t len);

/* One read(2), retried after EINTR unless *stop is set (a signal asked the
 * caller to stop). Returns what read() returned. */
ssize_t io_read(int fd, void *buf, size_t len, const volatile sig_atomic_t *stop);

/* Sleeps ms milliseconds, or less when a signal of waitmask's complement
 * arrives (SIGTERM ends the wait at once). */
void io_pause_ms(long long ms, const sigset_t *waitmask);

#endif
