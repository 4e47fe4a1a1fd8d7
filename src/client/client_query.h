/*
 * client_query: logclient's list, fetch and follow subcommands, spoken over
 * the server's query port (query_proto.h, docs/PROTOCOL.md).
 *
 * Contract: each function connects (client_qconn.h: under --timeout, the
 * server's greeting before anything is sent, AUTH when a token file is
 * configured), does its work, prints one clear line on stderr for any
 * failure, and returns the exit status: 0 success, 1 failure. list and
 * follow are in client_query.c, fetch in client_fetch.c. fetch does not
 * overwrite an existing regular file without --force or --resume; with
 * --resume it first compares the SHA-256 of the local file's last 64 KiB
 * with the server's bytes at the same range and refuses to append when they
 * differ, so a rotated or replaced file never produces a corrupt copy. It
 * shows progress on a terminal and a one-line summary elsewhere.
 */
#ifndef LOGSERVER_CLIENT_QUERY_H
#define LOGSERVER_CLIENT_QUERY_H

#include "config.h"

int cq_list(const struct client_config *cfg);
int cq_fetch(const struct client_config *cfg, const char *name);
int cq_follow(const struct client_config *cfg, const char *name);

#endif
