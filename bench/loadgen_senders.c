/*
 * loadgen_senders.c: --udp --senders N: N sender processes, one UDP socket
 * each (so N source ports: the receiver's SO_REUSEPORT hash can spread them),
 * sender i sending c=i, s=1..n_i. They are forked after every message is
 * built, wait on a pipe until all are ready, and start together; each puts
 * its figures into a shared page that the parent adds up.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen.h"

struct sender_result {
	uint64_t first_ns, end_ns, bytes, errors;
	int done;
};

static void read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("senders: a sender process ended before it was ready");
		got += (size_t)r;
	}
}

void run_udp_senders(struct conn *conns, long n, uint64_t *end_ns)
{
	struct sender_result *res = mmap(NULL, (size_t)n * sizeof *res, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0)
		die("pipe: %s", strerror(errno));
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	if (!pids)
		die("out of memory");
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			char c = 'r';
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;	/* EOF: the parent closed go[1], everyone starts */
			first_byte_ns = sent_bytes = send_errors = 0;
			run_udp(&conns[i], conns[i].nmsg);
			res[i] = (struct sender_result){ first_byte_ns, now_ns(CLOCK_REALTIME), sent_bytes,
							 send_errors, 1 };
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	char *buf = malloc((size_t)n);
	if (!buf)
		die("out of memory");
	read_exact(ready[0], buf, (size_t)n);
	free(buf);
	close(go[1]);	/* start */
	int failed = 0;
	for (long i = 0; i < n; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0)
			if (errno != EINTR)
				die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !res[i].done)
			failed++;
	}
	if (failed)
		die("senders: %d of %ld sender processes failed", failed, n);
	*end_ns = 0;
	for (long i = 0; i < n; i++) {
		if (res[i].first_ns && (!first_byte_ns || res[i].first_ns < first_byte_ns))
			first_byte_ns = res[i].first_ns;
		if (res[i].end_ns > *end_ns)
			*end_ns = res[i].end_ns;
		sent_bytes += res[i].bytes;
		send_errors += res[i].errors;
	}
	close(ready[0]);
	free(pids);
	munmap(res, (size_t)n * sizeof *res);
}
