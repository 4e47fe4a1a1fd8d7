/* libFuzzer target: query request lines. Whatever the bytes, a name that
 * parses is one of the server's own file names (never a path), and the
 * parser never reads outside the line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_request rq;
	char err[256];
	char *line = malloc(size ? size : 1);
	time_t t;
	uint64_t seq;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	if (query_parse(line, size, &rq, err, sizeof(err)) == Q_OK && rq.name[0] != '\0') {
		if (strchr(rq.name, '/') != NULL || logname_parse(rq.name, &t, &seq) != 0)
			abort();
	}
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(line);
	return 0;
}
