/*
 * verify: checks what a receiver wrote against what loadgen sent.
 *
 *   verify --conns K --count TOTAL [--match SUBSTR] [--acked N0,N1,...] [--verbose] PATH...
 *
 * PATH is a file or a directory (every regular file in it whose name
 * contains SUBSTR, oldest first by mtime, then by name, so rotated files are
 * read in the order they were written). Every line holding loadgen's marker
 * "c=<digits> s=<digits>" counts; other lines (daemon start-up notes) are
 * counted as "other". The expected messages are those loadgen sends with
 * the same --conns (the sending connections) and --count: connection c sends
 * sequence numbers 1..n_c, n_c = TOTAL/K (+1 for c < TOTAL%K).
 *
 * Output (stdout, one key=value per line): lines, other, written (marker
 * lines), unique, lost, dup, ooo (a sequence number lower than the one before
 * it on the same connection), bad (c or s outside the expected range), then
 * one "conn=" line per connection with a problem (all with --verbose, at
 * most 20 otherwise). Exit status 0 if nothing was lost, duplicated or
 * reordered, 2 otherwise, 1 on usage or I/O errors.
 *
 * --acked (RELP: loadgen's acked_per_conn= line, one count per connection)
 * says which messages the receiver acknowledged: s=1..Nc on connection c.
 * Then acked= and acked_missing= are printed too: acknowledged messages
 * not found in the output, the one thing a RELP receiver must never do
 * (also counted when the run failed half-way).
 *
 * Written in C because it must read millions of lines in well under a
 * second; it uses mmap and memchr/memmem only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct cstat {
	uint64_t expect, written, unique, dup, ooo, last;
	uint64_t acked;		/* --acked: s=1..acked were acknowledged */
};

static struct cstat *cs;
static uint8_t **seen;		/* per connection bitmap of sequence numbers */
static uint64_t nconns;
static uint64_t lines, other, bad;

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses a run of decimal digits at p (< e); returns chars used, 0 if none. */
static size_t digits(const char *p, const char *e, uint64_t *v)
{
	size_t n = 0;
	uint64_t x = 0;
	while (p + n < e && p[n] >= '0' && p[n] <= '9' && n < 19)
		x = x * 10 + (uint64_t)(p[n++] - '0');
	*v = x;
	return n;
}

/* Finds "c=<digits> s=<digits>" in [p, e); returns 1 and fills c, s if found. */
static int find_marker(const char *p, const char *e, uint64_t *c, uint64_t *s)
{
	while (p < e) {
		const char *q = memmem(p, (size_t)(e - p), " s=", 3);
		if (!q)
			return 0;
		/* walk back over "c=<digits>" before " s=" */
		const char *d = q;
		while (d > p && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d < q && d - p >= 2 && d[-1] == '=' && d[-2] == 'c') {
			uint64_t sv;
			size_t n = digits(q + 3, e, &sv);
			if (n > 0) {
				digits(d, q, c);
				*s = sv;
				return 1;
			}
		}
		p = q + 3;
	}
	return 0;
}

static void account(uint64_t c, uint64_t s)
{
	if (c >= nconns || s < 1 || s > cs[c].expect) {
		bad++;
		return;
	}
	struct cstat *x = &cs[c];
	x->written++;
	uint8_t *bm = seen[c];
	uint64_t i = s - 1;
	if (bm[i >> 3] & (1u << (i & 7)))
		x->dup++;
	else {
		bm[i >> 3] |= (uint8_t)(1u << (i & 7));
		x->unique++;
	}
	if (s < x->last)
		x->ooo++;
	x->last = s;
}

static int scan_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	const char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "verify: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	madvise((void *)m, (size_t)st.st_size, MADV_SEQUENTIAL);
	const char *p = m, *end = m + st.st_size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lines++;
		uint64_t c, s;
		if (find_marker(p, le, &c, &s))
			account(c, s);
		else
			other++;
		p = le + 1;
	}
	munmap((void *)m, (size_t)st.st_size);
	return 0;
}

struct fent {
	char *path;
	struct timespec mtime;
};

static int fent_cmp(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int scan_path(const char *path, const char *match)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return scan_file(path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct fent *fs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (match && !strstr(de->d_name, match)))
			continue;
		char *fp;
		if (asprintf(&fp, "%s/%s", path, de->d_name) < 0) {
			fprintf(stderr, "verify: out of memory\n");
			exit(1);
		}
		struct stat fst;
		if (stat(fp, &fst) < 0 || !S_ISREG(fst.st_mode)) {
			free(fp);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct fent *nfs = realloc(fs, cap * sizeof *fs);
			if (!nfs) {
				fprintf(stderr, "verify: out of memory\n");
				exit(1);
			}
			fs = nfs;
		}
		fs[n].path = fp;
		fs[n].mtime = fst.st_mtim;
		n++;
	}
	closedir(d);
	if (n == 0)
		return 0;
	qsort(fs, n, sizeof *fs, fent_cmp);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (scan_file(fs[i].path) < 0)
			rc = -1;
		free(fs[i].path);
	}
	free(fs);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t count = 0;
	const char *match = NULL, *acked_list = NULL;
	int verbose = 0, npaths = 0;
	char **paths = calloc((size_t)argc, sizeof *paths);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--conns") || !strcmp(a, "--count") || !strcmp(a, "--match") || !strcmp(a, "--acked")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "verify: %s needs a value\n", a);
				return 1;
			}
			const char *v = argv[++i];
			if (!strcmp(a, "--match"))
				match = v;
			else if (!strcmp(a, "--acked"))
				acked_list = v;
			else if (parse_u64(v, !strcmp(a, "--conns") ? 1000000 : 100000000000ULL,
					   !strcmp(a, "--conns") ? &nconns : &count) < 0) {
				fprintf(stderr, "verify: %s: bad number '%s'\n", a, v);
				return 1;
			}
		} else if (!strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "verify: unknown option %s\n", a);
			return 1;
		} else {
			paths[npaths++] = argv[i];
		}
	}
	if (nconns == 0 || count == 0 || npaths == 0) {
		fputs("usage: verify --conns K --count TOTAL [--match SUBSTR] [--acked N0,N1,...] [--verbose] PATH...\n", stderr);
		return 1;
	}
	cs = calloc(nconns, sizeof *cs);
	seen = calloc(nconns, sizeof *seen);
	if (!cs || !seen)
		return 1;
	for (uint64_t c = 0; c < nconns; c++) {
		cs[c].expect = count / nconns + (c < count % nconns ? 1 : 0);
		seen[c] = calloc(cs[c].expect / 8 + 1, 1);
		if (!seen[c])
			return 1;
	}
	if (acked_list) {
		const char *p = acked_list;
		for (uint64_t c = 0; c < nconns; c++) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (errno || end == p || *p == '-' || v > cs[c].expect ||
			    (*end != (c + 1 < nconns ? ',' : '\0'))) {
				fprintf(stderr, "verify: --acked: expected %llu counts, each at most the connection's messages\n",
					(unsigned long long)nconns);
				return 1;
			}
			cs[c].acked = v;
			p = end + 1;
		}
	}
	int rc = 0;
	for (int i = 0; i < npaths; i++)
		if (scan_path(paths[i], match) < 0)
			rc = 1;

	uint64_t written = 0, unique = 0, dup = 0, ooo = 0;
	for (uint64_t c = 0; c < nconns; c++) {
		written += cs[c].written;
		unique += cs[c].unique;
		dup += cs[c].dup;
		ooo += cs[c].ooo;
	}
	printf("lines=%llu\nother=%llu\nwritten=%llu\nunique=%llu\nlost=%llu\ndup=%llu\nooo=%llu\nbad=%llu\n",
	       (unsigned long long)lines, (unsigned long long)other, (unsigned long long)written,
	       (unsigned long long)unique, (unsigned long long)(count - unique), (unsigned long long)dup,
	       (unsigned long long)ooo, (unsigned long long)bad);
	uint64_t acked = 0, acked_missing = 0;
	if (acked_list) {
		for (uint64_t c = 0; c < nconns; c++) {
			acked += cs[c].acked;
			for (uint64_t i = 0; i < cs[c].acked; i++)
				if (!(seen[c][i >> 3] & (1u << (i & 7))))
					acked_missing++;
		}
		printf("acked=%llu\nacked_missing=%llu\n", (unsigned long long)acked, (unsigned long long)acked_missing);
	}
	int shown = 0;
	for (uint64_t c = 0; c < nconns; c++) {
		struct cstat *x = &cs[c];
		int problem = x->unique != x->expect || x->dup || x->ooo;
		if (!(verbose || (problem && shown < 20)))
			continue;
		shown++;
		printf("conn=%llu expect=%llu written=%llu lost=%llu dup=%llu ooo=%llu\n", (unsigned long long)c,
		       (unsigned long long)x->expect, (unsigned long long)x->written,
		       (unsigned long long)(x->expect - x->unique), (unsigned long long)x->dup,
		       (unsigned long long)x->ooo);
	}
	if (rc)
		return 1;
	return (unique != count || dup || ooo || bad || acked_missing) ? 2 : 0;
}
