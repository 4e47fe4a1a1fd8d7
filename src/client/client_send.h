/*
 * client_send: logclient sending messages over RELP (the default), with a
 * window of unacknowledged messages, reconnection and resending.
 *
 * Protocol (client_relp.h has the offers): connect, "1 open" with the
 * offers, wait for its rsp (200, relp_version, commands with syslog); drop
 * the messages up to the logserver_seq=M the server answers. The k-th
 * syslog frame of a connection carries message logserver_seq + k (what the
 * open offered), so when M is at least the offered number the connection
 * is closed ("close") and opened again offering M + 1, rather than resending
 * what the server has. Then one
 * "TXNR syslog LEN MESSAGE" frame per message, txnr 2, 3, ... (after
 * 999999999 comes 1), at most --window of them unacknowledged; a "200" rsp
 * acknowledges the oldest. Any other code, EOF, a reset, a malformed frame,
 * a serverclose hint or --timeout seconds without an answer break the
 * connection: reconnect with backoff (100 ms doubling to 5 s) and resend
 * every unacknowledged message, until --retry-for seconds pass without
 * progress (an acknowledgement or an accepted open). At the end "close",
 * its rsp, and the socket is closed. The connection's half is client_conn.c
 * (state shared in client_sender.h).
 *
 * Contract: cs_send() reads the messages (words[0..nwords) joined, else
 * standard input by client_lines.h), prints one line on stderr for each
 * failure, and returns the exit status: 0 when every message it read was
 * acknowledged, 1 otherwise ("N of M messages were not acknowledged").
 * A "logserver: refused: ..." line instead of a RELP frame is final: no
 * retry. SIGTERM/SIGINT stop the reading; the messages read still get up to
 * --retry-for seconds to be acknowledged; a second signal stops at once.
 */
#ifndef LOGSERVER_CLIENT_SEND_H
#define LOGSERVER_CLIENT_SEND_H

#include <stddef.h>

#include "config.h"

#define CS_RELP_PORT 2514

int cs_send(const struct client_config *cfg, char **words, int nwords);

/*
 * The words joined by single spaces into one message, with CR and LF inside
 * them turned into spaces; malloc'ed with one spare byte after the *len
 * bytes (and a NUL after that is not guaranteed). Exits on out of memory.
 */
char *cs_join_words(char **words, int nwords, size_t *len);

#endif
