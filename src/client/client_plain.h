/*
 * client_plain: logclient --plain, the messages as plain TCP lines to the
 * server's --port (no acknowledgements).
 *
 * Contract: plain_send() connects, sends words[0..nwords) joined as one line
 * or else every line of standard input (until EOF, a line "quit" or a
 * signal), half-closes and waits until the server closes too, which it does
 * only after writing everything it received. Returns the exit status: 0
 * then, 1 when the server cannot be reached, the connection broke, or the
 * server said anything (it only ever speaks to refuse). One stderr line per
 * failure.
 */
#ifndef LOGSERVER_CLIENT_PLAIN_H
#define LOGSERVER_CLIENT_PLAIN_H

#include "config.h"

#define PLAIN_PORT 5140

int plain_send(const struct client_config *cfg, char **words, int nwords);

#endif
