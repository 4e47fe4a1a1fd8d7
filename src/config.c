/* config: the option tables of logserver and logclient. */
#include "config.h"

#include <stddef.h>

#define S(f) offsetof(struct server_config, f)
#define C(f) offsetof(struct client_config, f)
#define STR_CAP(type, f) ((long long)sizeof(((struct type *)0)->f))

const struct opt_def server_options[] = {
	{ "config", 'c', OPT_ACTION, NULL, 0, 0, NULL, 0, "FILE",
	  "configuration file (default: ./logserver.conf when it exists)" },
	{ "port", 'p', OPT_INT, "5140", 1, 65535, NULL, S(port), "PORT", "TCP port to listen on" },
	{ "dir", 'd', OPT_STRING, "./logs", 1, STR_CAP(server_config, dir), NULL, S(dir), "DIR",
	  "log directory, created when missing" },
	{ "bind", 0, OPT_STRING, "", 0, STR_CAP(server_config, bind), NULL, S(bind), "ADDR",
	  "address or host name to listen on (default: all, IPv6 and IPv4)" },
	{ "max-size", 0, OPT_SIZE, "10M", 1024, 1LL << 40, NULL, S(max_size), "SIZE",
	  "rotate the log file before it grows past SIZE (K, M, G suffixes)" },
	{ "max-files", 0, OPT_INT, "10", 1, 1000000, NULL, S(max_files), "N",
	  "log files the directory keeps; older ones are deleted" },
	{ "on-start", 0, OPT_CHOICE, "append", 0, 0, "append|new", S(on_start), "append|new",
	  "append to the most recent log file, or start a new one" },
	{ "max-clients", 0, OPT_INT, "1024", 1, 100000, NULL, S(max_clients), "N",
	  "concurrent clients; more are refused and the refusal is logged" },
	{ "max-line", 0, OPT_SIZE, "8192", 16, 4LL << 20, NULL, S(max_line), "BYTES",
	  "longest message; longer ones are kept truncated and marked" },
	{ "shutdown-timeout", 0, OPT_INT, "5", 0, 3600, NULL, S(shutdown_timeout), "SECONDS",
	  "at shutdown, how long children may take to write what they received" },
	{ "format", 'f', OPT_CHOICE, "text", 0, 0, "text|json|raw", S(format), "text|json|raw",
	  "record format: text lines, JSON Lines, or the raw message" },
	{ "udp-port", 'u', OPT_INT, "-1", -1, 65535, NULL, S(udp_port), "PORT",
	  "UDP port (default: the TCP port; 0 disables UDP)" },
	{ "udp-rcvbuf", 0, OPT_SIZE, "8M", 0, 1LL << 30, NULL, S(udp_rcvbuf), "SIZE",
	  "UDP socket receive buffer (0: the kernel's default)" },
	{ "stats-interval", 0, OPT_INT, "0", 0, 86400, NULL, S(stats_interval), "SECONDS",
	  "write a statistics record this often (0: only at shutdown)" },
	{ "allow", 0, OPT_STRING, "", 0, STR_CAP(server_config, allow), NULL, S(allow), "CIDR,...",
	  "clients allowed to send, TCP and UDP (default: everyone)" },
	{ "query-port", 0, OPT_INT, "5141", 0, 65535, NULL, S(query_port), "PORT",
	  "query service port for list/fetch/follow (0 disables)" },
	{ "query-bind", 0, OPT_STRING, "localhost", 1, STR_CAP(server_config, query_bind), NULL,
	  S(query_bind), "ADDR", "address the query service listens on" },
	{ "query-allow", 0, OPT_STRING, "127.0.0.0/8,::1", 0, STR_CAP(server_config, query_allow),
	  NULL, S(query_allow), "CIDR,...", "clients allowed to query (empty: everyone)" },
	{ "query-token-file", 0, OPT_STRING, "", 0, STR_CAP(server_config, query_token_file), NULL,
	  S(query_token_file), "FILE", "file holding a token that queries must present" },
	{ "query-max-clients", 0, OPT_INT, "64", 1, 10000, NULL, S(query_max_clients), "N",
	  "concurrent query connections" },
	{ "help", 'h', OPT_ACTION, NULL, 0, 0, NULL, 0, NULL, "show this help and exit" },
	{ "version", 'V', OPT_ACTION, NULL, 0, 0, NULL, 0, NULL, "show the version and exit" },
};
const size_t server_noptions = sizeof(server_options) / sizeof(server_options[0]);

const struct opt_def client_options[] = {
	{ "config", 'c', OPT_ACTION, NULL, 0, 0, NULL, 0, "FILE",
	  "configuration file (default: ./logclient.conf when it exists)" },
	{ "host", 'H', OPT_STRING, "localhost", 1, STR_CAP(client_config, host), NULL, C(host),
	  "HOST", "server name or address (IPv4 or IPv6)" },
	{ "port", 'p', OPT_INT, "0", 0, 65535, NULL, C(port), "PORT",
	  "server port (default: 5140 to send, the query port for list/fetch/follow)" },
	{ "query-port", 0, OPT_INT, "5141", 1, 65535, NULL, C(query_port), "PORT",
	  "the server's query port, for list/fetch/follow" },
	{ "token-file", 0, OPT_STRING, "", 0, STR_CAP(client_config, token_file), NULL,
	  C(token_file), "FILE", "file with the query token, when the server wants one" },
	{ "output", 'o', OPT_STRING, "", 0, STR_CAP(client_config, output), NULL, C(output),
	  "FILE", "fetch: where to write (default: NAME in this directory; - for stdout)" },
	{ "offset", 0, OPT_INT, "-1", -1, 1LL << 62, NULL, C(offset), "N",
	  "fetch: start at byte N; the output file keeps its first N bytes (default: 0)" },
	{ "resume", 0, OPT_FLAG, NULL, 0, 0, NULL, C(resume), NULL,
	  "fetch: continue an interrupted download of the output file" },
	{ "from-start", 0, OPT_FLAG, NULL, 0, 0, NULL, C(from_start), NULL,
	  "follow: start at the beginning of the file" },
	{ "lines", 'n', OPT_INT, "-1", -1, 1000000, NULL, C(lines), "N",
	  "follow: start with the last N lines (default 10)" },
	{ "timeout", 0, OPT_INT, "60", 1, 86400, NULL, C(timeout), "SECONDS",
	  "list, fetch: give up when the server sends nothing for this long" },
	{ "help", 'h', OPT_ACTION, NULL, 0, 0, NULL, 0, NULL, "show this help and exit" },
	{ "version", 'V', OPT_ACTION, NULL, 0, 0, NULL, 0, NULL, "show the version and exit" },
};
const size_t client_noptions = sizeof(client_options) / sizeof(client_options[0]);
