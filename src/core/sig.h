/*
 * sig: signal handling by flags only.
 *
 * Contract: handlers set a volatile sig_atomic_t flag and, in the
 * supervisor, write one byte to a self-pipe so that its poll() wakes up;
 * all the work happens in the loops that read the flags. SIGPIPE is
 * ignored everywhere (a write to a closed socket returns EPIPE instead).
 */
#ifndef LOGSERVER_SIG_H
#define LOGSERVER_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_got_term;	/* SIGTERM or SIGINT: the number */
extern volatile sig_atomic_t sig_got_int;	/* SIGINT came (never reset; logclient exits 130) */
extern volatile sig_atomic_t sig_got_hup;
extern volatile sig_atomic_t sig_got_chld;

/* Supervisor: installs TERM, INT, HUP, CHLD handlers and the self-pipe.
 * Returns the pipe's read end (non-blocking) for poll(), or -1. */
int sig_init_supervisor(void);
/* Drains the self-pipe after poll() reported it readable. */
void sig_drain(void);

/*
 * Child after fork(), called while every signal is still blocked (as the
 * supervisor forks): closes the self-pipe, ignores HUP, restores CHLD, makes
 * TERM and INT set sig_got_term only, then restores parent_mask with TERM
 * and INT still blocked, so a SIGTERM sent around the fork stays pending
 * instead of being lost. The child unblocks them inside ppoll() with the
 * mask stored in *waitmask, so a signal can never slip in between a flag
 * check and the wait. sig_got_term keeps what it had: a child forked after
 * the supervisor was told to stop stops too.
 */
void sig_init_child(const sigset_t *parent_mask, sigset_t *waitmask);

/* Client: TERM and INT set sig_got_term, without SA_RESTART, so a blocking
 * read returns EINTR. */
void sig_init_client(void);

#endif
