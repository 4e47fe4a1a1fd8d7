/*
 * mangen: writes a man page from a hand-written template, replacing the
 * line "@OPTIONS@" with the option list generated from the options table
 * (src/core/config.c), so the pages say what --help says.
 *
 * usage: mangen server|client|conf TEMPLATE > PAGE
 *   server, client: the command-line options (logserver(8), logclient(1));
 *   conf: the server's configuration keys (logserver.conf(5)).
 * "@CONFIG_PATH@" and "@VERSION@" anywhere in the template are replaced too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Text for roff: backslashes escaped, no line starting with a control character. */
static void
put_text(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void
put_options(const struct opt_def *tab, size_t n, int conf)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *o = &tab[i];

		if (conf && o->type == OPT_ACTION)
			continue;
		fputs(".TP\n", stdout);
		if (conf) {
			fputs("\\fB", stdout);
			put_text(o->name);
			fputs("\\fR = \\fI", stdout);
			put_text(o->type == OPT_FLAG ? "yes|no" : o->metavar != NULL ? o->metavar :
			    "VALUE");
			fputs("\\fR\n", stdout);
		} else {
			if (o->short_name != 0)
				printf("\\fB\\-%c\\fR, ", o->short_name);
			fputs("\\fB\\-\\-", stdout);
			put_text(o->name);
			fputs("\\fR", stdout);
			if (o->metavar != NULL) {
				fputs(" \\fI", stdout);
				put_text(o->metavar);
				fputs("\\fR", stdout);
			}
			putchar('\n');
		}
		put_text(o->help);
		if (o->defval != NULL && o->defval[0] != '\0' && strstr(o->help, "default") == NULL) {
			fputs(" (default: ", stdout);
			put_text(o->defval);
			putchar(')');
		}
		putchar('\n');
	}
}

/* One template line with @CONFIG_PATH@ and @VERSION@ replaced. */
static void
put_line(const char *line)
{
	static const struct { const char *key, *val; } subst[] = {
		{ "@CONFIG_PATH@", LS_CONFIG_PATH }, { "@VERSION@", LOGSERVER_VERSION },
	};

	while (*line != '\0') {
		size_t k;

		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++)
			if (strncmp(line, subst[k].key, strlen(subst[k].key)) == 0)
				break;
		if (k < sizeof(subst) / sizeof(subst[0])) {
			fputs(subst[k].val, stdout);
			line += strlen(subst[k].key);
		} else {
			putchar(*line++);
		}
	}
}

int
main(int argc, char **argv)
{
	char line[1024];
	FILE *fp;
	int conf;
	const struct opt_def *tab;
	size_t n;

	if (argc != 3 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0 &&
	    strcmp(argv[1], "conf") != 0)) {
		fprintf(stderr, "usage: mangen server|client|conf TEMPLATE\n");
		return 2;
	}
	conf = strcmp(argv[1], "conf") == 0;
	tab = strcmp(argv[1], "client") == 0 ? client_options : server_options;
	n = strcmp(argv[1], "client") == 0 ? client_noptions : server_noptions;
	fp = fopen(argv[2], "r");
	if (fp == NULL) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, "@OPTIONS@\n") == 0)
			put_options(tab, n, conf);
		else
			put_line(line);
	}
	fclose(fp);
	return fflush(stdout) == 0 ? 0 : 1;
}
