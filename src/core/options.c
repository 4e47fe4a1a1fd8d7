/* options: table-driven command line, configuration file and --help. */
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

static int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
parse_ll(const char *s, size_t len, long long min, long long max, long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > ((unsigned long long)LLONG_MAX - d) / 10)
			return -1;	/* would overflow */
		v = v * 10 + d;
	}
	long long r = neg ? -(long long)v : (long long)v;
	if (r < min || r > max)
		return -1;
	*out = r;
	return 0;
}

int
parse_size(const char *s, size_t len, long long *out)
{
	size_t digits = 0;
	long long v, mult = 1;

	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0)
		return -1;
	const char *u = s + digits;
	size_t ulen = len - digits;
	if (ulen > 0) {
		switch (u[0]) {
		case 'k': case 'K': mult = 1LL << 10; break;
		case 'm': case 'M': mult = 1LL << 20; break;
		case 'g': case 'G': mult = 1LL << 30; break;
		case 't': case 'T': mult = 1LL << 40; break;
		case 'b': case 'B': if (ulen == 1) break; return -1;
		default: return -1;
		}
		if (mult > 1 && !(ulen == 1 || (ulen == 2 && (u[1] == 'B' || u[1] == 'b')) ||
		    (ulen == 3 && u[1] == 'i' && (u[2] == 'B' || u[2] == 'b'))))
			return -1;
	}
	/* Only digits are left: parse_ll fails only when they overflow. */
	if (parse_ll(s, digits, 0, LLONG_MAX, &v) == -1 || v > LLONG_MAX / mult)
		return -2;
	*out = v * mult;
	return 0;
}

const char *
format_size(long long v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lld", v);
	else
		snprintf(buf, len, "%lld%c", v, units[u]);
	return buf;
}

/* Key comparison with '-' and '_' alike. */
static int
key_eq(const char *name, const char *key, size_t keylen)
{
	size_t i;

	for (i = 0; i < keylen; i++) {
		char a = name[i], b = key[i];

		if (a == '\0')
			return 0;
		if (a == '_')
			a = '-';
		if (b == '_')
			b = '-';
		if (a != b)
			return 0;
	}
	return name[i] == '\0';
}

static const struct opt_def *
opt_find(const struct opt_def *tab, size_t n, const char *key, size_t keylen)
{
	for (size_t i = 0; i < n; i++)
		if (key_eq(tab[i].name, key, keylen))
			return &tab[i];
	return NULL;
}

/* Index of val among the '|'-separated choices, or -1. */
static int
choice_index(const char *choices, const char *val, size_t vallen)
{
	int idx = 0;
	const char *c = choices;

	while (*c != '\0') {
		const char *bar = strchr(c, '|');
		size_t clen = bar != NULL ? (size_t)(bar - c) : strlen(c);

		if (clen == vallen && memcmp(c, val, vallen) == 0)
			return idx;
		if (bar == NULL)
			break;
		c = bar + 1;
		idx++;
	}
	return -1;
}

static int
opt_store(const struct opt_def *o, void *cfg, const char *val, size_t vallen, char *err,
    size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	long long v;
	int idx;

	switch (o->type) {
	case OPT_INT:
		if (parse_ll(val, vallen, o->min, o->max, &v) == -1)
			return errf(err, errlen, "%s: '%.*s' is not a whole number from %lld to %lld",
			    o->name, (int)vallen, val, o->min, o->max);
		memcpy(field, &v, sizeof(v));
		return 0;
	case OPT_SIZE:
		idx = parse_size(val, vallen, &v);
		if (idx == -1)
			return errf(err, errlen, "%s: '%.*s' is not a size (digits with an optional "
			    "K, M, G or T suffix)", o->name, (int)vallen, val);
		if (idx == -2 || v < o->min || v > o->max) {
			char lo[32], hi[32];

			return errf(err, errlen, "%s: '%.*s' is out of range: a size from %s to %s",
			    o->name, (int)vallen, val, format_size(o->min, lo, sizeof(lo)),
			    format_size(o->max, hi, sizeof(hi)));
		}
		memcpy(field, &v, sizeof(v));
		return 0;
	case OPT_STRING:
		if (vallen + 1 > (size_t)o->max)
			return errf(err, errlen, "%s: value is longer than %lld bytes", o->name,
			    o->max - 1);
		if (memchr(val, '\0', vallen) != NULL)
			return errf(err, errlen, "%s: value contains a NUL byte", o->name);
		if (vallen == 0 && o->min > 0)
			return errf(err, errlen, "%s: value must not be empty", o->name);
		memcpy(field, val, vallen);
		field[vallen] = '\0';
		return 0;
	case OPT_CHOICE:
		idx = choice_index(o->choices, val, vallen);
		if (idx == -1)
			return errf(err, errlen, "%s: '%.*s' is not one of %s", o->name,
			    (int)vallen, val, o->choices);
		memcpy(field, &idx, sizeof(idx));
		return 0;
	case OPT_FLAG:
		idx = choice_index("0|1|no|yes|false|true|off|on", val, vallen);
		if (idx == -1)
			return errf(err, errlen, "%s: '%.*s' is not one of yes, no, true, false, on, off, 1, 0",
			    o->name, (int)vallen, val);
		idx %= 2;
		memcpy(field, &idx, sizeof(idx));
		return 0;
	case OPT_ACTION:
		break;
	}
	return errf(err, errlen, "%s: can only be given on the command line", o->name);
}

int
opt_defaults(const struct opt_def *tab, size_t n, void *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *d = tab[i].defval != NULL ? tab[i].defval : "";

		if (tab[i].type == OPT_ACTION)
			continue;
		if (tab[i].defval == NULL && tab[i].type != OPT_STRING) {
			memset((char *)cfg + tab[i].offset, 0,
			    tab[i].type == OPT_CHOICE || tab[i].type == OPT_FLAG ? sizeof(int) :
			    sizeof(long long));
			continue;
		}
		if (opt_store(&tab[i], cfg, d, strlen(d), err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
opt_set(const struct opt_def *tab, size_t n, void *cfg, const char *key, size_t keylen,
    const char *val, size_t vallen, char *err, size_t errlen)
{
	const struct opt_def *o = opt_find(tab, n, key, keylen);

	if (o == NULL)
		return errf(err, errlen, "unknown option '%.*s'", (int)keylen, key);
	return opt_store(o, cfg, val, vallen, err, errlen);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
opt_index(const struct opt_def *tab, size_t n, const char *name)
{
	const struct opt_def *o = opt_find(tab, n, name, strlen(name));

	return o != NULL ? (int)(o - tab) : -1;
}

const char *
opt_origin_text(const struct opt_origin *o, char *buf, size_t len)
{
	if (o == NULL || o->from == OPT_FROM_DEFAULT)
		snprintf(buf, len, "default");
	else if (o->from == OPT_FROM_CMDLINE)
		snprintf(buf, len, "command line");
	else
		snprintf(buf, len, "%s:%u", o->file != NULL ? o->file : "?", o->line);
	return buf;
}

/* Records that o was set from (from, file, line), when origins are kept. */
static void
mark(const struct opt_def *tab, const struct opt_def *o, struct opt_origin *orig, int from,
    const char *file, unsigned line)
{
	if (orig == NULL || o == NULL)
		return;
	orig[o - tab].from = from;
	orig[o - tab].file = file;
	orig[o - tab].line = line;
}

static int
parse_config(const struct opt_def *tab, size_t n, void *cfg, const char *text, size_t len,
    const char *fname, struct opt_origin *orig, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	char msg[OPT_ERRLEN];
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *k, *ke, *v, *ve;

		lineno++;
		k = p;
		p = nl != NULL ? nl + 1 : end;
		while (k < le && is_space(*k))
			k++;
		if (k == le || *k == '#')
			continue;
		ke = k;
		while (ke < le && *ke != '=' && !is_space(*ke))
			ke++;
		v = ke;
		while (v < le && is_space(*v))
			v++;
		if (v == le || *v != '=')
			return errf(err, errlen, "%s:%u: expected 'key = value'", fname, lineno);
		v++;
		while (v < le && is_space(*v))
			v++;
		if (v < le && *v == '"') {
			const char *q = memchr(v + 1, '"', (size_t)(le - v - 1));
			if (q == NULL)
				return errf(err, errlen, "%s:%u: missing closing '\"'", fname, lineno);
			ve = q + 1;
			while (ve < le && is_space(*ve))
				ve++;
			if (ve < le && *ve != '#')
				return errf(err, errlen, "%s:%u: unexpected text after the closing '\"'",
				    fname, lineno);
			ve = q;
			v++;
		} else {
			ve = v;
			/* A '#' after white space starts a comment. */
			while (ve < le && !(*ve == '#' && ve > v && is_space(ve[-1])))
				ve++;
			while (ve > v && is_space(ve[-1]))
				ve--;
		}
		if (opt_set(tab, n, cfg, k, (size_t)(ke - k), v, (size_t)(ve - v), msg,
		    sizeof(msg)) == -1)
			return errf(err, errlen, "%s:%u: %s", fname, lineno, msg);
		mark(tab, opt_find(tab, n, k, (size_t)(ke - k)), orig, OPT_FROM_FILE, fname,
		    lineno);
	}
	return 0;
}

int
opt_parse_config(const struct opt_def *tab, size_t n, void *cfg, const char *text, size_t len,
    const char *fname, char *err, size_t errlen)
{
	return parse_config(tab, n, cfg, text, len, fname, NULL, err, errlen);
}

int
opt_load_file(const struct opt_def *tab, size_t n, void *cfg, const char *path,
    struct opt_origin *orig, char *err, size_t errlen)
{
	char *buf;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errf(err, errlen, "%s: cannot open configuration file: %s", path,
		    strerror(errno));
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf == NULL) {
		close(fd);
		return errf(err, errlen, "%s: out of memory", path);
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, CONFIG_MAX_BYTES + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = errf(err, errlen, "%s: cannot read configuration file: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CONFIG_MAX_BYTES) {
			rc = errf(err, errlen, "%s: configuration file is larger than %d bytes", path,
			    CONFIG_MAX_BYTES);
			goto out;
		}
	}
	rc = parse_config(tab, n, cfg, buf, len, path, orig, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

static const struct opt_def *
opt_find_short(const struct opt_def *tab, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].short_name == c)
			return &tab[i];
	return NULL;
}

/* Handles one recognised option with its value (NULL for actions). */
static int
opt_take(const struct opt_def *o, void *cfg, const char *val, int apply, struct opt_actions *act,
    char *err, size_t errlen)
{
	if (o->type == OPT_ACTION) {
		if (strcmp(o->name, "help") == 0)
			act->help = 1;
		else if (strcmp(o->name, "version") == 0)
			act->version = 1;
		else if (strcmp(o->name, "config") == 0)
			act->config = val;
		else if (strcmp(o->name, "check-config") == 0)
			act->check_config = 1;
		return 0;
	}
	if (!apply)
		return 0;
	if (o->type == OPT_FLAG)
		val = "1";
	return opt_store(o, cfg, val, strlen(val), err, errlen);
}

/* Flags and actions take no value, except the action "config". */
static int
opt_wants_value(const struct opt_def *o)
{
	if (o->type == OPT_FLAG)
		return 0;
	return o->type != OPT_ACTION || strcmp(o->name, "config") == 0;
}

int
opt_argv(const struct opt_def *tab, size_t n, void *cfg, int argc, char **argv, int apply,
    struct opt_actions *act, char **operands, int *noperands, struct opt_origin *orig,
    char *err, size_t errlen)
{
	int i, only_operands = 0;

	memset(act, 0, sizeof(*act));
	*noperands = 0;
	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt_def *o;
		const char *val = NULL;

		if (only_operands || a[0] != '-' || a[1] == '\0') {
			operands[(*noperands)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_operands = 1;
			continue;
		}
		if (a[1] == '-') {
			char *eq = strchr(a + 2, '=');
			size_t klen = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);

			o = opt_find(tab, n, a + 2, klen);
			if (o == NULL)
				return errf(err, errlen, "unknown option '--%.*s' (see --help)",
				    (int)klen, a + 2);
			if (opt_wants_value(o)) {
				if (eq != NULL)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return errf(err, errlen, "option '--%s' needs a value", o->name);
			} else if (eq != NULL) {
				return errf(err, errlen, "option '--%s' takes no value", o->name);
			}
			if (opt_take(o, cfg, val, apply, act, err, errlen) == -1)
				return -1;
			if (apply)
				mark(tab, o, orig, OPT_FROM_CMDLINE, NULL, 0);
			continue;
		}
		/* A cluster of short options: -hV, -p5140, -p 5140. */
		for (char *c = a + 1; *c != '\0'; c++) {
			o = opt_find_short(tab, n, *c);
			if (o == NULL)
				return errf(err, errlen, "unknown option '-%c' (see --help)", *c);
			if (opt_wants_value(o)) {
				if (c[1] != '\0')
					val = c + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return errf(err, errlen, "option '-%c' needs a value", *c);
				if (opt_take(o, cfg, val, apply, act, err, errlen) == -1)
					return -1;
				if (apply)
					mark(tab, o, orig, OPT_FROM_CMDLINE, NULL, 0);
				break;
			}
			if (opt_take(o, cfg, NULL, apply, act, err, errlen) == -1)
				return -1;
			if (apply)
				mark(tab, o, orig, OPT_FROM_CMDLINE, NULL, 0);
		}
	}
	return 0;
}

void
opt_help(FILE *fp, const struct opt_def *tab, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *o = &tab[i];
		char left[64];

		if (o->short_name != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
			    o->metavar != NULL ? " " : "", o->metavar != NULL ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			    o->metavar != NULL ? " " : "", o->metavar != NULL ? o->metavar : "");
		fprintf(fp, "  %-28s %s", left, o->help);
		if (o->defval != NULL && o->defval[0] != '\0' && strstr(o->help, "default") == NULL)
			fprintf(fp, " (default: %s)", o->defval);
		fputc('\n', fp);
	}
}

int
opt_format_value(const struct opt_def *o, const void *cfg, char *buf, size_t len)
{
	const char *field = (const char *)cfg + o->offset;
	long long v;
	int idx;

	switch (o->type) {
	case OPT_INT:
	case OPT_SIZE:
		memcpy(&v, field, sizeof(v));
		return snprintf(buf, len, "%lld", v);
	case OPT_STRING:
		return snprintf(buf, len, "\"%s\"", field);
	case OPT_CHOICE:
		memcpy(&idx, field, sizeof(idx));
		for (const char *c = o->choices; *c != '\0'; idx--) {
			const char *bar = strchr(c, '|');
			int clen = bar != NULL ? (int)(bar - c) : (int)strlen(c);

			if (idx == 0)
				return snprintf(buf, len, "%.*s", clen, c);
			if (bar == NULL)
				break;
			c = bar + 1;
		}
		return snprintf(buf, len, "?");
	case OPT_FLAG:
		memcpy(&idx, field, sizeof(idx));
		return snprintf(buf, len, "%s", idx ? "yes" : "no");
	case OPT_ACTION:
		break;
	}
	return snprintf(buf, len, "%s", "");
}
