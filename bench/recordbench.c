/*
 * recordbench: times record_message() (parse and format, as a session does
 * per message) over a file of messages, one a line, in one format, and
 * prints nanoseconds and output bytes per record:
 *
 *   recordbench text|json|raw FILE [BYTES]   format until about BYTES
 *                                            (default 100 million) input
 *                                            bytes were formatted
 *   recordbench text|json|raw FILE print     write each message's record once
 *
 * Records go into a 96 KiB batch that is emptied when full, and the clock
 * moves on a millisecond per batch, as in a session (src/server/session.c).
 * bash bench/recordbench.sh [REV] compares this tree with another revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

#define BATCH		(96 * 1024)
#define FILE_MAX	(64L * 1024 * 1024)

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file, NUL-free or not, in one allocation; *lenp its size. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 ||
	    size > FILE_MAX || fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)size);
	if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*lenp = (size_t)size;
	return buf;
}

int
main(int argc, char **argv)
{
	static const char *names[] = { "text", "json", "raw" };
	struct rec_clock clk = { 0 };
	struct rec_source src = { REC_TEXT, "127.0.0.1:40000", 15, "tcp", NULL, 0 };
	size_t target = 100000000, size, total = 0, nmsg = 0, longest = 0, olen = 0;
	size_t outbytes = 0, records = 0, batches = 0;
	int format = -1, print = 0;
	char *buf, *out, *e;
	double t0, t1;

	for (int i = 0; i < 3; i++)
		if (argc >= 2 && strcmp(argv[1], names[i]) == 0)
			format = i;
	if (argc < 3 || argc > 4 || format < 0) {
		fprintf(stderr, "usage: recordbench text|json|raw FILE [BYTES|print]\n");
		return 2;
	}
	if (argc == 4 && strcmp(argv[3], "print") == 0)
		print = 1;
	else if (argc == 4) {
		target = strtoul(argv[3], &e, 10);
		if (*e != '\0' || target == 0 || target > 100000000000UL) {
			fprintf(stderr, "recordbench: BYTES must be 1..1e11 or 'print'\n");
			return 2;
		}
	}
	src.format = (enum rec_format)format;
	if ((buf = slurp(argv[2], &size)) == NULL) {
		fprintf(stderr, "recordbench: cannot read %s (1 byte to 64 MiB)\n", argv[2]);
		return 1;
	}
	/* One pass to count the lines and find the longest. */
	for (size_t at = 0; at < size;) {
		char *lf = memchr(buf + at, '\n', size - at);
		size_t n = (lf != NULL ? (size_t)(lf - buf) : size) - at;

		longest = n > longest ? n : longest;
		total += n;
		nmsg++;
		at += n + 1;
	}
	out = malloc(BATCH + RECORD_MSG_MAX(longest));
	if (out == NULL || total == 0)
		return 1;
	rec_clock_set(&clk, 1700000000, 0);
	t0 = seconds();
	do {
		for (size_t at = 0; at < size;) {
			char *lf = memchr(buf + at, '\n', size - at);
			size_t n = (lf != NULL ? (size_t)(lf - buf) : size) - at;

			olen += record_message(out + olen, &clk, &src, buf + at, n, 0);
			at += n + 1;
			records++;
			if (print) {
				fwrite(out, 1, olen, stdout);
				olen = 0;
			} else if (olen >= BATCH) {
				outbytes += olen;
				olen = 0;
				batches++;
				rec_clock_set(&clk, 1700000000 + (time_t)(batches / 1000),
				    (long)(batches % 1000));
			}
		}
	} while (!print && (records / nmsg) * total < target);
	t1 = seconds();
	outbytes += olen;
	if (!print)
		printf("%.1f ns/rec %.1f bytes/rec (%s, %zu messages x %zu)\n",
		    (t1 - t0) * 1e9 / (double)records, (double)outbytes / (double)records,
		    names[format], nmsg, records / nmsg);
	free(out);
	free(buf);
	return 0;
}
