/*
 * options: one table drives the command line, the configuration file,
 * validation and --help.
 *
 * Contract: a program describes each option once in a struct opt_def
 * table; the functions here fill a caller-owned configuration struct at the
 * offsets the table gives. Everything except opt_load_file() is pure: no
 * I/O, errors are returned as -1 with a one-line message in the caller's
 * buffer ("FILE:LINE: ..." for the configuration file), and the caller
 * reports it. Keys match with '-' and '_' treated alike, so "max-size" and
 * "max_size" are the same key.
 */
#ifndef LOGSERVER_OPTIONS_H
#define LOGSERVER_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_INT,	/* long long, bounded by [min, max] */
	OPT_SIZE,	/* long long bytes with K/M/G suffix, bounded by [min, max] */
	OPT_STRING,	/* char[max] inside the struct, NUL-terminated */
	OPT_CHOICE,	/* int index into the '|'-separated choices */
	OPT_FLAG,	/* int 0/1: no value on the command line; yes/no, true/false,
			 * on/off or 1/0 in the configuration file */
	OPT_ACTION,	/* command line only: -h, -V, -c (see opt_argv) */
};

struct opt_def {
	const char *name;	/* long option and configuration key */
	char short_name;	/* 0 when there is none */
	enum opt_type type;
	const char *defval;	/* default as text; NULL: zero / empty */
	long long min, max;	/* bounds; for OPT_STRING max is the capacity */
	const char *choices;	/* OPT_CHOICE: "append|new" */
	size_t offset;		/* offsetof(config struct, field) */
	const char *metavar;	/* shown in --help */
	const char *help;
};

#define OPT_ERRLEN 512

/* Where an option's value came from, for messages and --check-config. file
 * points at the caller's path string (it must outlive the origins). */
enum opt_from { OPT_FROM_DEFAULT = 0, OPT_FROM_FILE, OPT_FROM_CMDLINE };
struct opt_origin {
	int from;		/* enum opt_from */
	unsigned line;		/* OPT_FROM_FILE: 1-based line */
	const char *file;	/* OPT_FROM_FILE: the configuration file */
};

/* Index of option name in tab, or -1. */
int opt_index(const struct opt_def *tab, size_t n, const char *name);
/* "default", "command line" or "FILE:LINE" into buf; returns buf. */
const char *opt_origin_text(const struct opt_origin *o, char *buf, size_t len);

/* Sets every option to its default. */
int opt_defaults(const struct opt_def *tab, size_t n, void *cfg, char *err, size_t errlen);

/* Sets option key (keylen bytes) from val (vallen bytes, need not be
 * NUL-terminated). */
int opt_set(const struct opt_def *tab, size_t n, void *cfg, const char *key, size_t keylen,
    const char *val, size_t vallen, char *err, size_t errlen);

/* Parses configuration text: "key = value" lines, '#' comments, optional
 * double quotes around the value. fname only names the file in messages. */
int opt_parse_config(const struct opt_def *tab, size_t n, void *cfg, const char *text,
    size_t len, const char *fname, char *err, size_t errlen);

/* Reads path (at most 1 MiB) and parses it as above. When orig is not NULL
 * (an array of n), each option set records path and its line there. */
int opt_load_file(const struct opt_def *tab, size_t n, void *cfg, const char *path,
    struct opt_origin *orig, char *err, size_t errlen);

/*
 * Command line. GNU style: --name=value, --name value, -x value, -xvalue,
 * options and operands in any order, "--" ends options. With apply == 0 it
 * only checks the syntax and reports the actions (-c FILE, -h, -V); with
 * apply == 1 it also sets the values. Operands are stored in operands[]
 * (capacity argc), their count in *noperands. With apply == 1 and orig not
 * NULL (an array of n), each option set is marked OPT_FROM_CMDLINE there.
 * Returns 0, or -1 with err.
 */
struct opt_actions {
	const char *config;	/* -c FILE, or NULL */
	int help;
	int version;
	int check_config;	/* --check-config */
};
int opt_argv(const struct opt_def *tab, size_t n, void *cfg, int argc, char **argv,
    int apply, struct opt_actions *act, char **operands, int *noperands,
    struct opt_origin *orig, char *err, size_t errlen);

/* Writes o's current value in cfg as configuration-file text (strings
 * quoted) into buf; returns what snprintf returns. */
int opt_format_value(const struct opt_def *o, const void *cfg, char *buf, size_t len);

/* Prints the option list for --help. */
void opt_help(FILE *fp, const struct opt_def *tab, size_t n);

/* Parses an integer in [min, max] from s[0..len). */
int parse_ll(const char *s, size_t len, long long min, long long max, long long *out);
/* Parses a size: digits with an optional K, M, G or T (powers of 1024, any
 * case, optionally followed by "B" or "iB"). Returns 0, -1 when s is not a
 * size, -2 when it is one past LLONG_MAX bytes. */
int parse_size(const char *s, size_t len, long long *out);
/* A size in the largest unit that divides it exactly: "1T", "8192"; returns buf. */
const char *format_size(long long v, char *buf, size_t len);

#endif
