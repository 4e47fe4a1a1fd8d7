/* logserver: start-up only; the supervisor runs the loop. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "logstore.h"
#include "net.h"
#include "supervisor.h"

static const struct cli_program server_program = {
	.name = "logserver",
	.usage = "[-c FILE] [-p PORT] [-d DIR] [options]",
	.summary = "Central log server: writes what its clients send into size-rotated log files.",
	.default_config = "./logserver.conf",
	.tab = server_options,
	.help_tail = "exit status: 0 after a graceful stop, 1 on a start-up error "
	    "(configuration, port, directory), 2 on a command-line usage error.\n",
};

int
main(int argc, char **argv)
{
	struct server_config cfg;
	struct supervisor sv = { 0 };
	struct logstore store;
	char err[512];
	char **operands;
	int noperands, rc;
	struct cli_program prog = server_program;

	prog.n = server_noptions;
	log_init("logserver");
	operands = calloc((size_t)argc + 1, sizeof(*operands));
	if (operands == NULL)
		fatalx("out of memory");
	cli_configure(&prog, &cfg, argc, argv, operands, &noperands);
	if (noperands > 0) {
		fprintf(stderr, "logserver: unexpected argument '%s' (see --help)\n", operands[0]);
		exit(2);
	}
	free(operands);

	sv.cfg = &cfg;
	sv.store = &store;
	sv.nlfds = net_listen(cfg.bind, (int)cfg.port, SOCK_STREAM, sv.lfds, sv.listen_note,
	    sizeof(sv.listen_note), err, sizeof(err));
	if (sv.nlfds == -1)
		fatalx("%s", err);
	if (logstore_open(&store, cfg.dir, (uint64_t)cfg.max_size, (size_t)cfg.max_files,
	    cfg.on_start == ON_START_NEW, err, sizeof(err)) == -1)
		fatalx("%s", err);
	rc = supervisor_run(&sv);
	logstore_close(&store);
	return rc;
}
