/* logclient: sends messages to a logserver. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_plain.h"
#include "client_query.h"
#include "client_send.h"
#include "config.h"
#include "log.h"
#include "sig.h"

static const struct cli_program client_program = {
	.name = "logclient",
	.usage = "[-c FILE] [-H HOST] [-p PORT] [--plain] [[send] MESSAGE ...]\n"
	    "       logclient [options] list\n"
	    "       logclient [options] fetch NAME [-o FILE] [--offset N | --resume | --force]\n"
	    "       logclient [options] follow [NAME] [--from-start | --lines N]",
	.summary = "Sends MESSAGE (the arguments joined by spaces) to a logserver, or else every\n"
	    "line of standard input until EOF (or a line 'quit' typed on a terminal; from a\n"
	    "pipe 'quit' is a message). It speaks RELP (the server's --relp-port): the\n"
	    "server acknowledges each message once written; up to --window\n"
	    "messages are sent ahead, and after a broken connection it reconnects and sends\n"
	    "again what was not acknowledged, for up to --retry-for seconds without progress.\n"
	    "A message longer than 64 KiB goes as several. --plain sends plain TCP lines to\n"
	    "the server's --port instead. list, fetch and follow talk to the server's query\n"
	    "port (--query-port; logclient waits for its greeting before it sends anything):\n"
	    "list its log files, download one (resumable; an existing file only with --force\n"
	    "or --resume), or print records as they are written; --tls for a server with\n"
	    "--query-tls on. To send a message that starts with one of these words, write\n"
	    "'send' before it.",
	.default_config = "./logclient.conf",
	.tab = client_options,
	.n = &client_noptions,
	.help_tail = "exit status: 0 when the server acknowledged every message read; 1 when it did\n"
	    "not (it refused, or --retry-for seconds passed without progress: 'N of M messages\n"
	    "were not acknowledged'); with --plain 0 when every message was sent and the\n"
	    "server closed the connection cleanly, 1 when it cannot be reached or the\n"
	    "connection broke; 2 on a usage error; 130 after SIGINT (Ctrl-C), once what was\n"
	    "to be said is said. SIGTERM or SIGINT stop the reading; what was read still\n"
	    "gets up to --retry-for seconds to be acknowledged (a second signal: none).\n",
};

static void
usage_error(const char *msg)
{
	fprintf(stderr, "logclient: %s (see --help)\n", msg);
	exit(2);
}

/* Runs the subcommand or sends the message; returns the exit status. */
static int
run(const struct client_config *cfg, char **ops, int nops)
{
	if (nops > 0 && strcmp(ops[0], "list") == 0) {
		if (nops != 1)
			usage_error("list takes no argument");
		return cq_list(cfg);
	}
	if (nops > 0 && strcmp(ops[0], "fetch") == 0) {
		if (nops != 2)
			usage_error("fetch takes one file NAME (see 'logclient list')");
		return cq_fetch(cfg, ops[1]);
	}
	if (nops > 0 && strcmp(ops[0], "follow") == 0) {
		if (nops > 2)
			usage_error("follow takes at most one file NAME");
		return cq_follow(cfg, nops == 2 ? ops[1] : NULL);
	}
	if (nops > 0 && strcmp(ops[0], "send") == 0) {
		ops++;
		nops--;
		if (nops == 0)
			usage_error("send needs a MESSAGE");
	}
	if (cfg->tls && !cfg->plain && cfg->port == 0)
		usage_error("RELP over TLS has no standard port: name the server's --relp-tls-port "
		    "with -p (or use --plain --tls for syslog over TLS, port 6514)");
	return cfg->plain ? plain_send(cfg, ops, nops) : cs_send(cfg, ops, nops);
}

int
main(int argc, char **argv)
{
	struct client_config cfg;
	char **operands;
	int noperands, rc;

	log_init("logclient");
	operands = cli_configure(&client_program, &cfg, argc, argv, &noperands, NULL);
	sig_init_client();
	rc = run(&cfg, operands, noperands);
	free(operands);
	/* Ctrl-C: what was to be said is said; the status says interrupted,
	 * as a shell expects (128 + SIGINT). */
	if (sig_got_int)
		rc = 128 + SIGINT;
	return rc;
}
