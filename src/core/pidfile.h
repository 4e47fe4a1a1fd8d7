/*
 * pidfile: --pid-file FILE. The file is opened and locked (flock, held
 * for the server's life) before any port is bound, so a second server on
 * the same file stops at once with one line naming the holder's pid; the
 * pid is written only once start-up has succeeded; a clean stop removes
 * the file (or, when the directory no longer lets us, empties it), and so
 * does a start that fails once the lock is taken (at exit).
 *
 * Contract: pidfile_lock() returns the descriptor (close-on-exec) or -1
 * with a message in err; the others report failures the same way.
 */
#ifndef LOGSERVER_PIDFILE_H
#define LOGSERVER_PIDFILE_H

#include <stddef.h>

int pidfile_lock(const char *path, char *err, size_t errlen);
int pidfile_write(int fd, const char *path, char *err, size_t errlen);
int pidfile_remove(int fd, const char *path, char *err, size_t errlen);

#endif
