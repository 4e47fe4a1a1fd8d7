/* cli: defaults < configuration file < command line, for both programs. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

char **
cli_configure(const struct cli_program *prog, void *cfg, int argc, char **argv,
    int *noperands, struct cli_trace *tr)
{
	struct opt_origin *orig = NULL;
	struct opt_actions act;
	char err[OPT_ERRLEN];
	const char *path;
	size_t n = *prog->n;
	char **operands = calloc((size_t)argc + 1, sizeof(*operands));

	if (tr != NULL)
		orig = calloc(n, sizeof(*orig));
	if (operands == NULL || (tr != NULL && orig == NULL)) {
		fprintf(stderr, "%s: out of memory\n", prog->name);
		exit(1);
	}
	/* First pass: syntax, -c, --help, --version. */
	if (opt_argv(prog->tab, n, cfg, argc, argv, 0, &act, operands, noperands, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog->name, err);
		exit(2);
	}
	if (act.help) {
		printf("usage: %s %s\n%s\n\noptions (each long option is also a key of the "
		    "configuration file):\n", prog->name, prog->usage, prog->summary);
		opt_help(stdout, prog->tab, n);
		if (prog->help_tail != NULL)
			printf("\n%s", prog->help_tail);
		exit(0);
	}
	if (act.version) {
		printf("%s %s\n", prog->name, LOGSERVER_VERSION);
		exit(0);
	}
	if (opt_defaults(prog->tab, n, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: built-in default: %s\n", prog->name, err);
		exit(1);
	}
	path = act.config;
	if (path == NULL && access(prog->default_config, F_OK) == 0)
		path = prog->default_config;
	if (path != NULL &&
	    opt_load_file(prog->tab, n, cfg, path, orig, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog->name, err);
		exit(1);
	}
	/* Second pass: the command line wins over the file. A bad value here is
	 * a usage error (2); one in the file is a configuration error (1). */
	if (opt_argv(prog->tab, n, cfg, argc, argv, 1, &act, operands, noperands, orig, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s (see --help)\n", prog->name, err);
		exit(2);
	}
	if (tr != NULL) {
		tr->orig = orig;
		tr->config_path = path;
		tr->check_config = act.check_config;
	}
	return operands;
}

void
cli_trace_free(struct cli_trace *tr)
{
	free(tr->orig);
	tr->orig = NULL;
}

void
cli_print_settings(FILE *fp, const struct cli_program *prog, const void *cfg,
    const struct cli_trace *tr)
{
	size_t n = *prog->n;

	fprintf(fp, "# %s %s: the configuration is valid\n# configuration file: %s\n",
	    prog->name, LOGSERVER_VERSION, tr->config_path != NULL ? tr->config_path :
	    "none (no -c FILE and no default file)");
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *o = &prog->tab[i];
		char val[4200], from[300];

		if (o->type == OPT_ACTION)
			continue;
		opt_format_value(o, cfg, val, sizeof(val));
		fprintf(fp, "%s = %s\t# %s\n", o->name, val,
		    opt_origin_text(&tr->orig[i], from, sizeof(from)));
	}
}
