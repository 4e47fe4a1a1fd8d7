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
 * argv, which the caller frees. When origins is not NULL it receives a
 * malloc'ed array of *prog->n struct opt_origin (where each value came
 * from), which the caller keeps or frees.
 */
#ifndef LOGSERVER_CLI_H
#define LOGSERVER_CLI_H

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

char **cli_configure(const struct cli_program *prog, void *cfg, int argc, char **argv,
    int *noperands, struct opt_origin **origins);

#endif
