/* sig: flag-only signal handlers with a self-pipe for the supervisor. */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t sig_got_term;
volatile sig_atomic_t sig_got_int;
volatile sig_atomic_t sig_got_hup;
volatile sig_atomic_t sig_got_chld;

static int selfpipe[2] = { -1, -1 };

static void
on_signal(int signo)
{
	int saved = errno;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		sig_got_term = signo;
		if (signo == SIGINT)
			sig_got_int = 1;	/* stays set: logclient's exit status 130 */
		break;
	case SIGHUP:
		sig_got_hup = 1;
		break;
	case SIGCHLD:
		sig_got_chld = 1;
		break;
	}
	if (selfpipe[1] != -1)
		(void)!write(selfpipe[1], "!", 1);
	errno = saved;
}

static void
set_handler(int signo, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
}

int
sig_init_supervisor(void)
{
	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	set_handler(SIGPIPE, SIG_IGN, 0);
	set_handler(SIGTERM, on_signal, SA_RESTART);
	set_handler(SIGINT, on_signal, SA_RESTART);
	set_handler(SIGHUP, on_signal, SA_RESTART);
	set_handler(SIGCHLD, on_signal, SA_RESTART | SA_NOCLDSTOP);
	return selfpipe[0];
}

void
sig_drain(void)
{
	char buf[64];

	while (read(selfpipe[0], buf, sizeof(buf)) > 0)
		;
}

void
sig_init_child(const sigset_t *parent_mask, sigset_t *waitmask)
{
	sigset_t run;

	if (selfpipe[0] != -1) {
		close(selfpipe[0]);
		close(selfpipe[1]);
		selfpipe[0] = selfpipe[1] = -1;
	}
	sig_got_hup = sig_got_chld = 0;
	set_handler(SIGHUP, SIG_IGN, 0);
	set_handler(SIGCHLD, SIG_DFL, 0);
	set_handler(SIGTERM, on_signal, 0);
	set_handler(SIGINT, on_signal, 0);
	run = *parent_mask;
	sigaddset(&run, SIGTERM);
	sigaddset(&run, SIGINT);
	sigprocmask(SIG_SETMASK, &run, NULL);
	*waitmask = *parent_mask;
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
}

void
sig_init_client(void)
{
	set_handler(SIGPIPE, SIG_IGN, 0);
	set_handler(SIGTERM, on_signal, 0);
	set_handler(SIGINT, on_signal, 0);
}
