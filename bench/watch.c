/*
 * watch: measures one benchmark run from the receiver's side.
 *
 *   watch --dir DIR [--match SUBSTR] --expect N --pid PID
 *         [--idle-ms 2000] [--timeout S] [--poll-ms 2] [--pss-ms 200]
 *
 * Started before the load generator. It
 *  - takes a CPU baseline of the receiver's process tree (PID and all of its
 *    descendants) and prints "ready=1" (the run script waits for that line);
 *  - every --poll-ms stat()s the files in DIR whose names contain SUBSTR and
 *    remembers the CLOCK_REALTIME at which their total size last grew;
 *  - whenever the total size has not grown for 20 ms, counts the newly
 *    completed lines carrying loadgen's marker (" s="), reading only bytes
 *    it has not read before, so the files are read once, mostly while the
 *    receiver is idle instead of competing with it for the CPU;
 *  - samples PSS (/proc/PID/smaps_rollup) summed over the receiver's tree
 *    every --pss-ms (stretched to 20x the time one sample takes, so that
 *    trees of a thousand processes cost at most ~5% of a core) and keeps
 *    the peak; sampling goes on after the last line arrived until the load
 *    generator is done (loadgen --hold-ms keeps its connections open a
 *    moment so that the receiver is sampled while serving all of them);
 *  - finishes when N marker lines are on disk, or when the load generator is
 *    done (SIGUSR1) and nothing has been written for --idle-ms, or at
 *    --timeout (default 600 s) after its start.
 * end_ns is the time at which the last growth of the files was observed,
 * i.e. when the final line was on disk (in the page cache), within one
 * poll interval.
 *
 * CPU: utime+stime+cutime+cstime of every live process in the tree, minus
 * the baseline. A process that exits and is reaped by its parent moves its
 * times (and those of its reaped descendants) into the parent's cutime/cstime,
 * so the sum is complete as long as the receiver reaps its children (a child
 * that is never reaped stays a zombie and is still counted from its own
 * /proc entry). After the end it waits (at most 3 s) until the tree's CPU
 * and process count are stable, so children finishing after their client
 * disconnected are included.
 *
 * Prints key=value lines: ready=1 first, then end_ns, lines, reached, idle,
 * timeout, peak_pss_kb, pss_samples, cpu_s, max_procs, receiver_alive, and
 * for judging interference by other work on the machine: other_cpu_s, the
 * CPU time used by every process outside the harness (our parent's tree) and
 * the receiver's tree, kernel threads excluded (see note_others), over
 * window_s (from the baseline to the last CPU sample); steal_s, the CPU time the hypervisor
 * gave to other guests (/proc/stat) over the same window; watch_cpu_s,
 * its own CPU time; and user_s, the user-space part of cpu_s (utime+cutime):
 * the receiver's own code, without the kernel's socket and page-cache work,
 * which is what a change to a parser or a record layout moves.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXF 4096
#define RBUF (4 << 20)

static volatile sig_atomic_t loadgen_done;
static void on_usr1(int s)
{
	(void)s;
	loadgen_done = 1;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *m)
{
	fprintf(stderr, "watch: %s\n", m);
	exit(1);
}

static long long num(const char *name, const char *s, long long min, long long max)
{
	char *e;
	errno = 0;
	long long v = strtoll(s, &e, 10);
	if (errno || e == s || *e || v < min || v > max) {
		fprintf(stderr, "watch: %s: bad value '%s'\n", name, s);
		exit(1);
	}
	return v;
}

/* ---- output files ---- */

struct wf {
	dev_t dev;
	ino_t ino;
	char name[256];
	uint64_t size;		/* last stat()ed size */
	uint64_t counted;	/* bytes up to the last complete line counted */
};
static struct wf files[MAXF];
static int nfiles;
static const char *dir, *match;
static char *rbuf;
static uint64_t marker_lines;

static uint64_t scan_sizes(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int dfd = dirfd(d);
	struct dirent *de;
	uint64_t total = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (match && !strstr(de->d_name, match)))
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		int i;
		for (i = 0; i < nfiles; i++)
			if (files[i].dev == st.st_dev && files[i].ino == st.st_ino)
				break;
		if (i == nfiles) {
			if (nfiles == MAXF)
				continue;
			nfiles++;
			memset(&files[i], 0, sizeof files[i]);
			files[i].dev = st.st_dev;
			files[i].ino = st.st_ino;
		}
		snprintf(files[i].name, sizeof files[i].name, "%s", de->d_name);
		files[i].size = (uint64_t)st.st_size;
	}
	closedir(d);
	for (int i = 0; i < nfiles; i++)
		total += files[i].size;
	return total;
}

/* Counts marker lines in bytes not yet counted (complete lines only). */
static void count_new(void)
{
	for (int i = 0; i < nfiles; i++) {
		struct wf *f = &files[i];
		if (f->size <= f->counted)
			continue;
		char path[4096 + 256];
		snprintf(path, sizeof path, "%s/%s", dir, f->name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		for (;;) {
			ssize_t r = pread(fd, rbuf, RBUF, (off_t)f->counted);
			if (r <= 0)
				break;
			const char *p = rbuf, *e = rbuf + r;
			const char *last = memrchr(p, '\n', (size_t)r);
			if (!last)
				break;	/* no complete line yet (lines are < RBUF) */
			e = last + 1;
			while (p < e) {
				const char *nl = memchr(p, '\n', (size_t)(e - p));
				if (memmem(p, (size_t)(nl - p), " s=", 3))
					marker_lines++;
				p = nl + 1;
			}
			f->counted += (uint64_t)(e - rbuf);
			if (r < RBUF)
				break;
		}
		close(fd);
	}
}

/* ---- the receiver's process tree ---- */

struct pinfo {
	int pid, ppid;
	uint64_t start;		/* start time (clock ticks after boot), against pid reuse */
	uint64_t ticks;		/* utime+stime+cutime+cstime */
	uint64_t self;		/* utime+stime */
	uint64_t user;		/* utime+cutime: the code's own CPU, not the kernel's */
};
static struct pinfo *procs;	/* the receiver's tree, from the last scan */
static int nprocs, capprocs;
static int root_pid;

static int read_stat(int pid, struct pinfo *pi)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;			/* field 3: state */
	unsigned long long f[23] = { 0 };
	int k = 3;
	char *save = NULL;
	for (char *t = strtok_r(p, " ", &save); t && k <= 22; t = strtok_r(NULL, " ", &save), k++)
		f[k] = strtoull(t, NULL, 10);
	pi->pid = pid;
	pi->ppid = (int)f[4];
	pi->ticks = f[14] + f[15] + f[16] + f[17];
	pi->self = f[14] + f[15];
	pi->user = f[14] + f[16];
	pi->start = f[22];
	return 0;
}

static int pinfo_cmp(const void *a, const void *b)
{
	const struct pinfo *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

struct snap {
	struct pinfo *p;
	int n, cap;
};

/* Every process on the machine, sorted by pid. */
static void snap_all(struct snap *sn)
{
	sn->n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *e;
		long pid = strtol(de->d_name, &e, 10);
		if (*e || pid <= 0)
			continue;
		if (sn->n == sn->cap) {
			sn->cap = sn->cap ? sn->cap * 2 : 1024;
			sn->p = realloc(sn->p, (size_t)sn->cap * sizeof *sn->p);
			if (!sn->p)
				die("out of memory");
		}
		if (read_stat((int)pid, &sn->p[sn->n]) == 0)
			sn->n++;
	}
	closedir(d);
	qsort(sn->p, (size_t)sn->n, sizeof *sn->p, pinfo_cmp);
}

static struct pinfo *snap_find(const struct snap *sn, int pid)
{
	struct pinfo key = { .pid = pid };
	return bsearch(&key, sn->p, (size_t)sn->n, sizeof *sn->p, pinfo_cmp);
}

/* Is `root` the process `pid` itself or one of its ancestors in the snapshot? */
static int under(const struct snap *sn, int pid, int root)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == root)
			return 1;
		struct pinfo *f = snap_find(sn, pid);
		if (!f)
			return 0;
		pid = f->ppid;
	}
	return 0;
}

/*
 * Other work on the machine: every process except kernel threads, the
 * receiver's tree and the tree of whoever started this program (the run
 * script: load generator, receiver, ourselves), followed across the samples
 * by (pid, start time). Its CPU is the growth of its own utime+stime between
 * the first and the last sample that saw it (from 0 if it started after the
 * baseline). cutime/cstime are not used: a shell reaping a child that ran
 * for minutes before the run would count all of it. A process that lives
 * less than one sampling interval is missed.
 */
struct other {
	int pid;
	uint64_t start, first, last;
};
static struct other *others;
static size_t nothers, capothers;
static int harness_pid, baseline_done;

static void note_others(const struct snap *sn)
{
	for (int i = 0; i < sn->n; i++) {
		const struct pinfo *q = &sn->p[i];
		if (q->pid == 2 || q->ppid == 2 || under(sn, q->pid, harness_pid) || under(sn, q->pid, root_pid))
			continue;
		size_t j;
		for (j = 0; j < nothers; j++)
			if (others[j].pid == q->pid && others[j].start == q->start)
				break;
		if (j == nothers) {
			if (nothers == capothers) {
				capothers = capothers ? capothers * 2 : 256;
				others = realloc(others, capothers * sizeof *others);
				if (!others)
					die("out of memory");
			}
			others[j].pid = q->pid;
			others[j].start = q->start;
			others[j].first = baseline_done ? 0 : q->self;
			nothers++;
		}
		others[j].last = q->self;
	}
}

static uint64_t other_ticks(void)
{
	uint64_t t = 0;
	for (size_t j = 0; j < nothers; j++) {
		uint64_t d = others[j].last > others[j].first ? others[j].last - others[j].first : 0;
		if (d && getenv("WATCH_DEBUG"))
			fprintf(stderr, "watch: other pid %d: %llu ticks\n", others[j].pid, (unsigned long long)d);
		t += d;
	}
	return t;
}

/* Fills procs[] with root_pid and all its descendants; returns the count. */
static int scan_tree(void)
{
	static struct snap all;
	snap_all(&all);
	note_others(&all);
	nprocs = 0;
	for (int i = 0; i < all.n; i++) {
		if (!under(&all, all.p[i].pid, root_pid))
			continue;
		if (nprocs == capprocs) {
			capprocs = capprocs ? capprocs * 2 : 256;
			procs = realloc(procs, (size_t)capprocs * sizeof *procs);
			if (!procs)
				die("out of memory");
		}
		procs[nprocs++] = all.p[i];
	}
	return nprocs;
}

static uint64_t tree_ticks(void)
{
	uint64_t t = 0;
	for (int i = 0; i < nprocs; i++)
		t += procs[i].ticks;
	return t;
}

static uint64_t tree_user_ticks(void)
{
	uint64_t t = 0;
	for (int i = 0; i < nprocs; i++)
		t += procs[i].user;
	return t;
}

static uint64_t tree_pss_kb(void)
{
	uint64_t kb = 0;
	char path[64], buf[4096];
	for (int i = 0; i < nprocs; i++) {
		snprintf(path, sizeof path, "/proc/%d/smaps_rollup", procs[i].pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *p = strstr(buf, "\nPss:");
		if (p)
			kb += strtoull(p + 5, NULL, 10);
	}
	return kb;
}

static int alive(void)
{
	return kill(root_pid, 0) == 0;
}

/* Steal time of all CPUs (/proc/stat): CPU the hypervisor gave to others. */
static uint64_t steal_ticks(void)
{
	char buf[512];
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	unsigned long long v[8] = { 0 };
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6], &v[7]) < 8)
		return 0;
	return v[7];
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* PSS of the receiver's tree, sampled every --pss-ms (stretched to 20x the
 * cost of one sample); keeps the peak and the largest process count. */
static uint64_t peak_pss, pss_samples, next_pss, pss_gap_ns;
static int max_procs;

static void sample_pss(int force)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	if (!force && t0 < next_pss)
		return;
	if (scan_tree() > max_procs)
		max_procs = nprocs;
	uint64_t kb = tree_pss_kb();
	pss_samples++;
	if (kb > peak_pss)
		peak_pss = kb;
	uint64_t t1 = now_ns(CLOCK_MONOTONIC);
	uint64_t gap = pss_gap_ns;
	if ((t1 - t0) * 20 > gap)
		gap = (t1 - t0) * 20;
	next_pss = t1 + gap;
}

int main(int argc, char **argv)
{
	long long expect = -1, idle_ms = 2000, timeout_s = 600, poll_ms = 2, pss_ms = 200;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("every option needs a value");
		i++;
		if (!strcmp(a, "--dir"))
			dir = v;
		else if (!strcmp(a, "--match"))
			match = v;
		else if (!strcmp(a, "--expect"))
			expect = num(a, v, 1, 100000000000LL);
		else if (!strcmp(a, "--pid"))
			root_pid = (int)num(a, v, 2, 1 << 30);
		else if (!strcmp(a, "--idle-ms"))
			idle_ms = num(a, v, 10, 3600000);
		else if (!strcmp(a, "--timeout"))
			timeout_s = num(a, v, 1, 86400);
		else if (!strcmp(a, "--poll-ms"))
			poll_ms = num(a, v, 1, 1000);
		else if (!strcmp(a, "--pss-ms"))
			pss_ms = num(a, v, 10, 60000);
		else {
			fprintf(stderr, "watch: unknown option %s\n", a);
			return 1;
		}
	}
	if (!dir || expect < 0 || !root_pid)
		die("usage: watch --dir DIR [--match SUBSTR] --expect N --pid PID [--idle-ms MS] [--timeout S]");
	rbuf = malloc(RBUF);
	if (!rbuf)
		die("out of memory");
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);

	harness_pid = (int)getppid();
	scan_tree();
	baseline_done = 1;
	uint64_t base_ticks = tree_ticks(), base_user = tree_user_ticks();
	uint64_t steal0 = steal_ticks();
	uint64_t base_wall = now_ns(CLOCK_MONOTONIC);
	double base_self = self_cpu_s();
	max_procs = nprocs;
	peak_pss = tree_pss_kb();
	pss_samples = 1;
	pss_gap_ns = (uint64_t)pss_ms * 1000000u;
	printf("ready=1\n");
	fflush(stdout);

	uint64_t start = now_ns(CLOCK_MONOTONIC);
	uint64_t last_size = scan_sizes();
	uint64_t last_growth_mono = start, last_growth_rt = now_ns(CLOCK_REALTIME);
	uint64_t done_mono = 0;
	next_pss = start + pss_gap_ns;
	int counted_at_size = 0, reached = 0, idle = 0, timed_out = 0;
	if (last_size)
		count_new();

	for (;;) {
		uint64_t m = now_ns(CLOCK_MONOTONIC);
		uint64_t sz = scan_sizes();
		if (sz != last_size) {
			last_size = sz;
			last_growth_mono = m;
			last_growth_rt = now_ns(CLOCK_REALTIME);
			counted_at_size = 0;
		} else if (!counted_at_size && m - last_growth_mono >= 20000000u) {
			count_new();
			counted_at_size = 1;
			if ((long long)marker_lines >= expect) {
				reached = 1;
				break;
			}
		}
		if (loadgen_done && !done_mono)
			done_mono = m;
		if (done_mono) {
			uint64_t since = m - (last_growth_mono > done_mono ? last_growth_mono : done_mono);
			if (since >= (uint64_t)idle_ms * 1000000u) {
				count_new();
				idle = 1;
				reached = (long long)marker_lines >= expect;
				break;
			}
		}
		if (m - start >= (uint64_t)timeout_s * 1000000000u) {
			count_new();
			timed_out = 1;
			reached = (long long)marker_lines >= expect;
			break;
		}
		sample_pss(0);
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)poll_ms * 1000000L };
		nanosleep(&ts, NULL);
	}
	uint64_t end_rt = last_growth_rt;

	/* Until the load generator is done (it may hold its connections open
	 * for a while after sending), keep sampling PSS. */
	while (!loadgen_done && !timed_out && now_ns(CLOCK_MONOTONIC) - start < (uint64_t)timeout_s * 1000000000u) {
		sample_pss(0);
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 10000000L };
		nanosleep(&ts, NULL);
	}

	/* One more PSS sample at the end of the load, then let the tree settle. */
	sample_pss(1);
	uint64_t settle_end = now_ns(CLOCK_MONOTONIC) + 3000000000u;
	uint64_t prev = tree_ticks();
	int prevn = nprocs, stable = 0;
	while (now_ns(CLOCK_MONOTONIC) < settle_end && stable < 2) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 100000000L };
		nanosleep(&ts, NULL);
		scan_tree();
		uint64_t t = tree_ticks();
		stable = (t == prev && nprocs == prevn && (loadgen_done || reached)) ? stable + 1 : 0;
		prev = t;
		prevn = nprocs;
	}
	uint64_t ticks = prev > base_ticks ? prev - base_ticks : 0;
	uint64_t user = tree_user_ticks();
	user = user > base_user ? user - base_user : 0;
	long hz = sysconf(_SC_CLK_TCK);
	double dhz = (double)(hz > 0 ? hz : 100);
	uint64_t other = other_ticks();
	uint64_t steal = steal_ticks() - steal0;
	double window = (double)(now_ns(CLOCK_MONOTONIC) - base_wall) / 1e9;
	printf("end_ns=%llu\nlines=%llu\nreached=%d\nidle=%d\ntimeout=%d\npeak_pss_kb=%llu\npss_samples=%llu\n"
	       "cpu_s=%.2f\nmax_procs=%d\nreceiver_alive=%d\nother_cpu_s=%.2f\nsteal_s=%.2f\nwindow_s=%.3f\nwatch_cpu_s=%.3f\nuser_s=%.2f\n",
	       (unsigned long long)end_rt, (unsigned long long)marker_lines, reached, idle, timed_out,
	       (unsigned long long)peak_pss, (unsigned long long)pss_samples, (double)ticks / dhz, max_procs,
	       alive(), (double)other / dhz, (double)steal / dhz, window, self_cpu_s() - base_self, (double)user / dhz);
	return 0;
}
