/*
 * holder: the process that keeps accepted sender connections until their
 * first byte, so that an idle connection costs a socket and not a process
 * (docs/ARCHITECTURE.md, "Idle connections").
 *
 * Contract: the supervisor passes each accepted plain TCP or RELP
 * connection over a SOCK_SEQPACKET socket pair, one message per connection:
 * a struct hold_msg (HOLD_NEW, the supervisor's slot number, the accept
 * time) and the descriptor (SCM_RIGHTS). The holder watches it without
 * reading a byte. When it becomes readable (bytes, end of stream or an
 * error) the holder passes it back (HOLD_READY and the descriptor) and the
 * supervisor forks its child then; one closed by its peer without a byte
 * (a port check, a client that gave up) it closes and reports (HOLD_CLOSED); when it has been silent for the idle
 * timeout the holder closes it and says so (HOLD_EXPIRED, no descriptor).
 * The holder writes nothing to the store and opens no file. It leaves when
 * the supervisor's end closes or on SIGTERM; the connections it holds then
 * close with it (the supervisor records how many).
 */
#ifndef LOGSERVER_HOLDER_H
#define LOGSERVER_HOLDER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* HOLD_LOST: the holder could not take the descriptor (out of descriptors);
 * the kernel closed it. HOLD_CLOSED: the peer closed it in order without
 * having sent a byte; the holder closed it too (no child is needed). */
/* HOLD_HELLO: the holder's first message, once it is named and sandboxed. */
enum hold_what { HOLD_NEW, HOLD_READY, HOLD_EXPIRED, HOLD_LOST, HOLD_CLOSED, HOLD_HELLO };

struct hold_msg {
	uint32_t what;		/* enum hold_what */
	uint32_t slot;		/* the supervisor's number for the connection */
	long long since_ms;	/* HOLD_NEW: monotonic ms it was accepted */
};

/* Sends m with fd (or none when fd is -1). flags: MSG_DONTWAIT or 0.
 * Returns 0, or -1 with errno. */
int hold_send(int sock, const struct hold_msg *m, int fd, int flags);
/* Receives one message without waiting. *fd gets its descriptor or -1 (also
 * when the receiver had no descriptor left for it). Returns 1, 0 when none
 * is there, -1 when the peer is gone (errno). */
int hold_recv(int sock, struct hold_msg *m, int *fd);

/* Holder, before its sandbox: raises its descriptor limit to what cap
 * connections need. Returns 0, or -1 when the hard limit is too low (the
 * limit is then as high as it goes). */
int holder_rlimit(size_t cap);
/* The holder's body: slots are 0 .. cap - 1; idle_ms 0 holds for ever.
 * Returns the child's exit status. */
int holder_run(int sock, size_t cap, long long idle_ms, const sigset_t *waitmask);

#endif
