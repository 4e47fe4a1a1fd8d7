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

#include <stddef.h>

int io_write_all(int fd, const void *buf, size_t len);

#endif
