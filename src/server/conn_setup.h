/*
 * conn_setup: what a sender's child (session.c, relp.c) does to its
 * connection before the first read: non-blocking, TCP keepalive (dead
 * peers are found), the --idle-timeout and --frame-timeout deadlines, the
 * --max-rate bucket and the receive-time clock.
 */
#ifndef LOGSERVER_CONN_SETUP_H
#define LOGSERVER_CONN_SETUP_H

#include "config.h"
#include "pace.h"
#include "record.h"
#include "timeouts.h"

void conn_setup(int fd, const struct server_config *cfg, struct conn_timeouts *to,
    struct pace *pace, struct rec_clock *clk);

#endif
