/* logserver: start-up only; the supervisor runs the loop. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "logstore.h"
#include "net.h"
#include "supervisor.h"
#include "udp.h"

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
	if (cfg.udp_port != 0) {
		int uport = cfg.udp_port == -1 ? (int)cfg.port : (int)cfg.udp_port;
		size_t used;
		long granted = 0;

		sv.nufds = net_listen(cfg.bind, uport, SOCK_DGRAM, sv.ufds, sv.udp_note,
		    sizeof(sv.udp_note), err, sizeof(err));
		if (sv.nufds == -1)
			fatalx("UDP: %s", err);
		for (int i = 0; i < sv.nufds; i++)
			if ((granted = udp_setup(sv.ufds[i], cfg.udp_rcvbuf, err, sizeof(err))) == -1)
				fatalx("UDP: %s", err);
		used = (size_t)snprintf(sv.udp_note, sizeof(sv.udp_note), " udp=");
		for (int i = 0; i < sv.nufds && used < sizeof(sv.udp_note) - 1; i++) {
			if (i > 0)
				sv.udp_note[used++] = ',';
			used += net_format_local(sv.ufds[i], sv.udp_note + used,
			    sizeof(sv.udp_note) - used);
		}
		if (used < sizeof(sv.udp_note))
			snprintf(sv.udp_note + used, sizeof(sv.udp_note) - used, " udp-rcvbuf=%ld",
			    granted);
	}
	if (logstore_open(&store, cfg.dir, (uint64_t)cfg.max_size, (size_t)cfg.max_files,
	    cfg.on_start == ON_START_NEW, cfg.format, err, sizeof(err)) == -1)
		fatalx("%s", err);
	rc = supervisor_run(&sv);
	logstore_close(&store);
	return rc;
}
