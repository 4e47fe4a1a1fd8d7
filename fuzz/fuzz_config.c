/* libFuzzer target: configuration file text for both programs' option
 * tables. Parsing either succeeds or gives one NUL-terminated message, and
 * never reads outside the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_config sc;
	struct client_config cc;
	char err[OPT_ERRLEN];
	char *text = malloc(size ? size : 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	if (opt_defaults(server_options, server_noptions, &sc, err, sizeof(err)) != 0 ||
	    opt_defaults(client_options, client_noptions, &cc, err, sizeof(err)) != 0)
		abort();
	if (opt_parse_config(server_options, server_noptions, &sc, text, size, "f", err,
	    sizeof(err)) == 0) {
		/* Every value that parsed is within its bounds. */
		if (sc.port < 1 || sc.port > 65535 || sc.max_line < 16 || sc.max_files < 1 ||
		    memchr(sc.dir, '\0', sizeof(sc.dir)) == NULL)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	(void)opt_parse_config(client_options, client_noptions, &cc, text, size, "f", err,
	    sizeof(err));
	free(text);
	return 0;
}
