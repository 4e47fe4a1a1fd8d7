/*
 * parsebench: times syslog_parse() over a file of messages, one a line (LF
 * removed), repeated until about BYTES (default 100 million) bytes were
 * parsed, and prints nanoseconds per message.  Built against the current parser, and
 * against another revision's to compare the two in one run:
 *
 *   bash bench/parsebench.sh [REV]      (default REV: main)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syslog.h"

#define MAX_MSGS	100000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static char *msg[MAX_MSGS];
	static size_t len[MAX_MSGS];
	struct syslog_msg m;
	size_t n = 0, i, total = 0, cap = 0, reps, r;
	unsigned long sink = 0;
	char *line = NULL;
	ssize_t got;
	double t0, t1;
	FILE *f;

	size_t target = 100000000;
	char *e;

	if (argc == 3) {
		target = strtoul(argv[2], &e, 10);
		if (*e != '\0' || target == 0 || target > 100000000000UL) {
			fprintf(stderr, "parsebench: BYTES must be 1..1e11\n");
			return 2;
		}
	}
	if (argc < 2 || argc > 3 || (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: parsebench FILE [BYTES] (one message a line)\n");
		return 2;
	}
	while (n < MAX_MSGS && (got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] == '\n')
			got--;
		msg[n] = malloc((size_t)got + 1);
		if (msg[n] == NULL)
			return 1;
		memcpy(msg[n], line, (size_t)got);
		len[n] = (size_t)got;
		total += (size_t)got;
		n++;
	}
	fclose(f);
	free(line);
	if (n == 0 || total == 0)
		return 1;
	reps = target / total + 1;
	t0 = now();
	for (r = 0; r < reps; r++)
		for (i = 0; i < n; i++) {
			syslog_parse(msg[i], len[i], &m);
			sink += m.msg.len + (size_t)m.kind;
		}
	t1 = now();
	printf("%.1f ns/msg (%zu messages x %zu, check %lu)\n",
	    (t1 - t0) * 1e9 / (double)(n * reps), n, reps, sink % 10);
	return 0;
}
