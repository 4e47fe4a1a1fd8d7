/*
 * config: the option tables of logserver and logclient and the structs they
 * fill. Adding an option is one line in a table plus one field here; the
 * command line, the configuration file, validation and --help follow.
 */
#ifndef LOGSERVER_CONFIG_H
#define LOGSERVER_CONFIG_H

#include <stddef.h>

#include "options.h"

#define LOGSERVER_VERSION "0.1.0"

/* The server's default configuration file: ./logserver.conf in the tree;
 * the installed build (make install) sets SYSCONFDIR/logserver/logserver.conf. */
#ifndef LS_CONFIG_PATH
#define LS_CONFIG_PATH "./logserver.conf"
#endif

enum fsync_mode { FSYNC_NEVER = 0, FSYNC_BATCH = 1 };
enum on_start { ON_START_APPEND = 0, ON_START_NEW = 1 };

enum check_host { CHECK_HOST_OFF, CHECK_HOST_MARK, CHECK_HOST_REJECT };
/* --events: the optional records. */
enum events_set { EVENTS_CONNECTIONS = 0, EVENTS_NONE = 1 };

struct server_config {
	long long port;
	long long relp_port;	/* 0: no RELP listener */
	int fsync;		/* enum fsync_mode, RELP */
	int tcp_fsync;		/* enum fsync_mode, plain TCP */
	char dir[1024];
	char bind[256];
	long long max_size;
	long long max_files;
	long long rotate_interval;	/* seconds, 0: none */
	int on_start;
	long long max_clients;
	long long max_per_ip;
	long long max_rate;		/* messages/s per TCP or RELP connection, 0: none */
	long long idle_timeout;		/* seconds; 0: none */
	long long frame_timeout;	/* seconds; 0: none */
	long long query_auth_timeout;
	long long max_line;
	long long shutdown_timeout;
	int format;		/* enum rec_format */
	long long udp_port;	/* -1: same as port; 0: no UDP */
	long long udp_rcvbuf;
	long long udp_workers;		/* UDP receiver processes */
	long long udp_max_rate;		/* datagrams/s per source address, 0: no limit */
	long long stats_interval;
	long long metrics_port;		/* 0: no metrics endpoint */
	char metrics_bind[256];
	char allow[1024];		/* ingest allow-list, "" = everyone */
	long long query_port;		/* 0: no query service */
	char query_bind[256];
	char query_allow[1024];
	char query_token_file[1024];
	long long query_max_clients;
	long long tls_port;		/* -1: 6514 when tls_cert is set; 0: none */
	char tls_cert[1024];
	char tls_key[1024];		/* "": the key is in tls_cert */
	char tls_ca[1024];
	int tls_auth;			/* enum tls_auth (tls.h) */
	char tls_permitted_peer[4096];
	int tls_min_version;		/* 0: TLS 1.2, 1: TLS 1.3 */
	char tls_ciphers[512];
	long long tls_handshake_timeout;	/* seconds */
	long long relp_tls_port;	/* 0: none */
	int query_tls;			/* the query port speaks TLS */
	int tls_check_hostname;		/* enum check_host */
	char user[64];			/* --user: run as this user after binding ("" = stay) */
	char group[64];			/* --group: and this group ("" = the user's own) */
	int sandbox;			/* 1: every child runs under seccomp (and Landlock) */
	char pid_file[1024];		/* "": none */
	int events;			/* enum events_set */
	char audit_file[256];		/* --audit-file: in the log directory; "": the log */
};

extern const struct opt_def server_options[];
extern const size_t server_noptions;

struct client_config {
	char host[256];
	long long port;			/* 0: 2514 (RELP) or 5140 (--plain) to send,
					 * query_port for queries */
	int plain;			/* send plain TCP lines instead of RELP */
	long long retry_for;		/* RELP: seconds without progress before giving up */
	long long window;		/* RELP: unacknowledged messages at most */
	long long query_port;		/* 0: -p, else 5141 (QUERY_DEFAULT_PORT) */
	char token_file[1024];
	char output[1024];		/* fetch -o */
	long long offset;		/* fetch --offset, -1 when not given */
	int resume;
	int force;			/* fetch: overwrite an existing output file */
	int from_start;
	long long lines;		/* follow --lines, -1 when not given */
	long long timeout;		/* list/fetch, RELP answers: seconds a silent server is
					 * waited for */
	int tls;			/* --plain --tls: syslog over TLS (RFC 5425) */
	char ca[1024];
	char cert[1024];
	char key[1024];
	char tls_server_name[256];	/* "": the host connected to */
	long long tls_handshake_timeout;
};

extern const struct opt_def client_options[];
extern const size_t client_noptions;

#endif
