/*
 * cli: the start-up steps both programs share: defaults, then the
 * configuration file (-c FILE, else the default file when it exists), then
 * the command line; --help and --version.
 *
 * Contract: cli_configure() fills cfg from tab, or prints one line on
 * stderr and exits: 0 after --help/--version, 2 for a command-line usage
 * error (syntax or a bad value given on the command line), 1 for a bad
 * configuration file or a bad value in it. Returns the operands
 * (non-option arguments) in a malloc'ed array of *noperands pointers into
 * argv, which the caller frees. When tr is not NULL it receives where each
 * value came from (tr->orig, a malloc'ed array of *prog->n, freed with
 * cli_trace_free), the file read and whether --check-config was given.
 */
#ifndef LOGSERVER_CLI_H
#define LOGSERVER_CLI_H

#include <stdio.h>

#include "options.h"

struct cli_program {
	const char *name;		/* "logserver" */
	const char *usage;		/* after "usage: NAME " */
	const char *summary;		/* one line for --help */
	const char *default_config;	/* "./logserver.conf" */
	const struct opt_def *tab;
	const size_t *n;		/* entries in tab */
	const char *help_tail;		/* printed after the options, or NULL */
};

struct cli_trace {
	const char *config_path;	/* the file read, or NULL */
	int check_config;		/* --check-config was given */
	struct opt_origin *orig;	/* per option of prog->tab: default, FILE:LINE, command line */
};

char **cli_configure(const struct cli_program *prog, void *cfg, int argc, char **argv,
    int *noperands, struct cli_trace *tr);
void cli_trace_free(struct cli_trace *tr);

/* --check-config: every option as a "key = value  # origin" line, where
 * origin is "default", FILE:LINE or "command line". */
void cli_print_settings(FILE *fp, const struct cli_program *prog, const void *cfg,
    const struct cli_trace *tr);

#endif
