/* sandbox: no_new_privs, Landlock and a seccomp allow-list per kind of child. */
#include "sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/* Kernel ABI 3 (Linux 6.2); older headers (Debian 12's) lack the name. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define REPORTS 64

/* Written by a dying child's SIGSYS handler, read by the supervisor. */
struct sandbox_reports {
	unsigned next;
	struct {
		pid_t pid;
		int nr;
	} e[REPORTS];
};

static struct sandbox_reports *reports;

/*
 * What every child needs: its own descriptors (read, write, poll, close),
 * memory (malloc), time, signals (the TERM flag handler, the SIGSYS one),
 * and the log store: reopen the current file by name relative to the
 * directory descriptor, check it, lock it, append, cut a torn tail, sync,
 * create the next file and delete the oldest when it rotates.
 */
static const char *const common_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "lseek",
	"fstat", "newfstatat", "statx",
	"poll", "ppoll",
	"mmap", "munmap", "mremap", "brk", "madvise", "mprotect",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"exit", "exit_group",
	"futex", "getrandom", "sysinfo",	/* (sysinfo: glibc qsort sizes its buffer by it) */
	"openat", "fcntl", "ftruncate", "fdatasync", "fsync", "unlinkat", "getdents64",
	"renameat2",	/* (the store renumbers its files when the sequence runs out) */
	"getsockopt", "setsockopt", "getsockname", "getpeername", "shutdown",
	NULL
};

/* Senders over TCP and RELP: the socket's bytes, and the answers. */
static const char *const stream_calls[] = {
	"recvfrom", "recvmsg", "sendto", "sendmsg", NULL
};

/* The UDP receiver: batches of datagrams. */
static const char *const udp_calls[] = {
	"recvfrom", "recvmsg", "recvmmsg", NULL
};

/* The metrics child: libmicrohttpd accepts scrapers on the listener the
 * supervisor bound, waits in select(), reads requests, sends answers. */
static const char *const metrics_calls[] = {
	"accept4", "recvfrom", "sendto", "sendmsg", "select", "pselect6", NULL
};

/* The connection holder: connections come and go over its socket to the
 * supervisor (SCM_RIGHTS); it waits for them in epoll and reads no byte
 * (it peeks at one, to tell a close without a byte from data). */
static const char *const holder_calls[] = {
	"recvfrom",	/* (a peek at one byte: closed without sending, or not) */
	"recvmsg", "sendmsg", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", NULL
};

/* Query children: LIST reads the directory, FETCH and FOLLOW send files. */
static const char *const query_calls[] = {
	"recvfrom", "sendto", "sendmsg", "sendfile",
	"inotify_init1", "inotify_add_watch", "inotify_rm_watch",	/* FOLLOW waits for growth */
	NULL
};

#if SANDBOX_SANITIZER
/* What ASan/UBSan themselves do in a child: their allocator, their
 * reports (they read /proc/self/maps and write their log files). */
static const char *const sanitizer_calls[] = {
	"sigaltstack", "readlink", "readlinkat", "sched_yield", "sched_getaffinity",
	"prlimit64", "getrlimit", "mincore", "prctl", "uname", "open", "stat", "lstat",
	"access", "faccessat", "dup", "dup2", "dup3", "pipe", "pipe2", "wait4", NULL
};
#endif

/*
 * The filters are compiled once, in the supervisor (sandbox_prepare), and a
 * child only loads its kind's program: libseccomp's compilation would
 * otherwise dirty some 80 KiB of every child's memory. The one thing that
 * differs per child, its own pid (it may signal itself only), is compiled as
 * SELF_PLACEHOLDER, a number no pid can be (above PID_MAX_LIMIT, 2^22), and
 * patched in the child before loading.
 */
#define SELF_PLACEHOLDER 0x3ffffff1u
#define NKINDS (SANDBOX_HOLDER + 1)

static struct {
	struct sock_filter *insns;
	unsigned short len;
	unsigned short patches;		/* placeholder instructions: 3 */
} progs[NKINDS];

static int compile(enum sandbox_kind kind, char *err, size_t errlen);

int
sandbox_prepare(char *err, size_t errlen)
{
	void *p = mmap(NULL, sizeof(*reports), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);

	if (p == MAP_FAILED) {
		snprintf(err, errlen, "sandbox: cannot map its report page: %s", strerror(errno));
		return -1;
	}
	reports = p;
	for (int k = 0; k < NKINDS; k++)
		if (progs[k].insns == NULL && compile((enum sandbox_kind)k, err, errlen) == -1)
			return -1;
	return 0;
}

int
sandbox_lookup(pid_t pid, char *out, size_t cap)
{
	if (reports == NULL)
		return -1;
	for (unsigned i = 0; i < REPORTS; i++) {
		if (__atomic_load_n(&reports->e[i].pid, __ATOMIC_ACQUIRE) != pid)
			continue;
		int nr = reports->e[i].nr;
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		snprintf(out, cap, "%s (%d)", name != NULL ? name : "unknown", nr);
		free(name);
		reports->e[i].pid = 0;
		return 0;
	}
	return -1;
}

/* Async-signal-safe: notes the call and leaves. */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	if (reports != NULL) {
		unsigned i = __atomic_fetch_add(&reports->next, 1, __ATOMIC_RELAXED) % REPORTS;

		reports->e[i].nr = si->si_syscall;
		__atomic_store_n(&reports->e[i].pid, getpid(), __ATOMIC_RELEASE);
	}
	_exit(SANDBOX_EXIT);
}

static int
allow_list(scmp_filter_ctx ctx, const char *const *names)
{
	for (; *names != NULL; names++) {
		int nr = seccomp_syscall_resolve_name(*names);

		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call of this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
			return -1;
	}
	return 0;
}

/* Signals only to itself: abort() and raise() use these. */
static int
allow_self_signals(scmp_filter_ctx ctx)
{
	scmp_datum_t self = SELF_PLACEHOLDER;

	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, self)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, self)) ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tkill), 1, SCMP_A0(SCMP_CMP_EQ, self)))
		return -1;
	return 0;
}

/* The log directory and nothing else; a kernel without Landlock (or with
 * it disabled) keeps the seccomp filter alone. */
static int
landlock(int dirfd, char *err, size_t errlen)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 1 || dirfd < 0)
		return 0;
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
		    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
		    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
		    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		    LANDLOCK_ACCESS_FS_MAKE_SYM,
	};
	__u64 inside = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3) {
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
		inside |= LANDLOCK_ACCESS_FS_TRUNCATE;
	}
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rfd == -1) {
		snprintf(err, errlen, "sandbox: landlock ruleset: %s", strerror(errno));
		return -1;
	}
	struct landlock_path_beneath_attr dir = { .allowed_access = inside, .parent_fd = dirfd };
	int rc = (int)syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &dir, 0);
	if (rc == 0)
		rc = (int)syscall(SYS_landlock_restrict_self, rfd, 0);
	if (rc == -1)
		snprintf(err, errlen, "sandbox: landlock on the log directory: %s", strerror(errno));
	close(rfd);
	return rc;
}

int
sandbox_probe(int dirfd, char *note, size_t notecap, char *err, size_t errlen)
{
	int pfd[2], status = 0;
	char why[256] = "";
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "sandbox: pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "sandbox: cannot fork to try it: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (sandbox_enter(SANDBOX_SESSION, dirfd, why, sizeof(why)) == -1) {
			(void)!write(pfd[1], why, strlen(why));
			_exit(1);
		}
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], why, sizeof(why) - 1);
	close(pfd[0]);
	why[n > 0 ? n : 0] = '\0';
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s (this kernel cannot run the children's sandbox; "
		    "--sandbox off runs them without it)", why[0] ? why : "sandbox: the trial child failed");
		return -1;
	}
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	snprintf(note, notecap, "seccomp%s%s", abi >= 1 && !SANDBOX_SANITIZER ? "+landlock" : "",
	    SANDBOX_SANITIZER ? "(widened for the sanitizer build)" : "");
	return 0;
}

/* Compiles kind's filter into progs[kind] (supervisor). */
static int
compile(enum sandbox_kind kind, char *err, size_t errlen)
{
	static const char *const *const extra[] = {
		[SANDBOX_SESSION] = stream_calls, [SANDBOX_RELP] = stream_calls,
		[SANDBOX_QUERY] = query_calls, [SANDBOX_UDP] = udp_calls,
		[SANDBOX_METRICS] = metrics_calls, [SANDBOX_HOLDER] = holder_calls,
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc, fd = -1;
	off_t size;

	if (ctx == NULL) {
		snprintf(err, errlen, "sandbox: cannot create the seccomp filter");
		return -1;
	}
	rc = allow_list(ctx, common_calls) || allow_list(ctx, extra[kind]) ||
	    allow_self_signals(ctx);
#if SANDBOX_SANITIZER
	rc = rc || allow_list(ctx, sanitizer_calls);
#endif
	if (rc == 0 && ((fd = memfd_create("seccomp-bpf", MFD_CLOEXEC)) == -1 ||
	    seccomp_export_bpf(ctx, fd) != 0 || (size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS))
		rc = -1;
	seccomp_release(ctx);
	if (rc == 0) {
		progs[kind].len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
		progs[kind].insns = malloc((size_t)size);
		if (progs[kind].insns == NULL || pread(fd, progs[kind].insns, (size_t)size, 0) !=
		    (ssize_t)size)
			rc = -1;
	}
	if (fd != -1)
		close(fd);
	for (unsigned i = 0; rc == 0 && i < progs[kind].len; i++)
		progs[kind].patches += progs[kind].insns[i].k == SELF_PLACEHOLDER;
	if (rc != 0 || progs[kind].patches == 0) {
		snprintf(err, errlen, "sandbox: cannot compile the seccomp filter");
		return -1;
	}
	return 0;
}

int
sandbox_enter(enum sandbox_kind kind, int dirfd, char *err, size_t errlen)
{
	struct sigaction sa;
	unsigned patched = 0;
	uint32_t self = (uint32_t)getpid();

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "sandbox: no_new_privs: %s", strerror(errno));
		return -1;
	}
#if !SANDBOX_SANITIZER
	/* (A sanitizer writes its reports outside the log directory.) */
	if (landlock(dirfd, err, errlen) == -1)
		return -1;
#else
	(void)landlock;
	(void)dirfd;
#endif
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		snprintf(err, errlen, "sandbox: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	if (progs[kind].insns == NULL) {
		snprintf(err, errlen, "sandbox: no filter compiled (sandbox_prepare)");
		return -1;
	}
	for (unsigned i = 0; i < progs[kind].len; i++)
		if (progs[kind].insns[i].k == SELF_PLACEHOLDER) {
			progs[kind].insns[i].k = self;
			patched++;
		}
	struct sock_fprog prog = { .len = progs[kind].len, .filter = progs[kind].insns };

	if (patched != progs[kind].patches ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1) {
		snprintf(err, errlen, "sandbox: cannot load the seccomp filter: %s",
		    patched != progs[kind].patches ? "its program is damaged" : strerror(errno));
		return -1;
	}
	return 0;
}
