/* Unit tests: the children's sandbox. Each test forks a child that enters
 * it and then tries something; the parent checks how the child ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZER 1
#else
#define SANITIZER 0
#endif

static char dir[64];
static int dirfd_ = -1;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sbtest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ >= 0 && sandbox_prepare(err, sizeof(err)) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs what() in a sandboxed child of kind; returns its wait status. */
static int
in_sandbox(enum sandbox_kind kind, int (*what)(void), pid_t *pidp)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];

		if (sandbox_enter(kind, dirfd_, err, sizeof(err)) == -1)
			_exit(2);
		_exit(what());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (pidp != NULL)
		*pidp = pid;
	return status;
}

static int
make_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 3;
}

static int
run_program(void)
{
	char *argv[] = { "/bin/true", NULL };

	execv("/bin/true", argv);
	return 3;
}

static int
signal_parent(void)
{
	kill(getppid(), 0);
	return 0;
}

static int
raise_self(void)
{
	signal(SIGUSR1, SIG_DFL);
	raise(SIGUSR1);
	return 0;
}

static int
write_in_log_dir(void)
{
	int fd = openat(dirfd_, "a.log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0640);

	if (fd == -1 || write(fd, "x\n", 2) != 2 || fdatasync(fd) == -1 || ftruncate(fd, 0) == -1)
		return 3;
	close(fd);
	return unlinkat(dirfd_, "a.log", 0) == 0 ? 0 : 4;
}

static int
read_outside(void)
{
	int fd = open("/etc/hostname", O_RDONLY);

	return fd == -1 && errno == EACCES ? 0 : 3;
}

static void
test_a_forbidden_call_ends_only_that_child_and_names_the_call(void **state)
{
	char call[96];
	pid_t pid;
	int status;

	(void)state;
	status = in_sandbox(SANDBOX_SESSION, make_socket, &pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), SANDBOX_EXIT);
	assert_int_equal(sandbox_lookup(pid, call, sizeof(call)), 0);
	char want[32];
	snprintf(want, sizeof(want), "socket (%d)", (int)SYS_socket);
	assert_string_equal(call, want);
	assert_int_equal(sandbox_lookup(pid, call, sizeof(call)), -1);	/* reported once */
}

static void
test_no_child_may_run_a_program(void **state)
{
	int status;

	(void)state;
	for (int k = SANDBOX_SESSION; k <= SANDBOX_METRICS; k++) {
		status = in_sandbox((enum sandbox_kind)k, run_program, NULL);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), SANDBOX_EXIT);
	}
}

static void
test_a_child_may_signal_itself_but_no_other_process(void **state)
{
	int status;

	(void)state;
	status = in_sandbox(SANDBOX_QUERY, signal_parent, NULL);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), SANDBOX_EXIT);
	status = in_sandbox(SANDBOX_SESSION, raise_self, NULL);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGUSR1);
}

static void
test_every_child_can_append_sync_cut_and_delete_in_the_log_directory(void **state)
{
	(void)state;
	for (int k = SANDBOX_SESSION; k <= SANDBOX_METRICS; k++) {
		int status = in_sandbox((enum sandbox_kind)k, write_in_log_dir, NULL);

		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void
test_a_child_cannot_open_files_outside_the_log_directory(void **state)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

	(void)state;
	if (SANITIZER || abi < 1)
		skip();		/* no Landlock here, or the sanitizer build (no Landlock) */
	int status = in_sandbox(SANDBOX_SESSION, read_outside, NULL);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_a_forbidden_call_ends_only_that_child_and_names_the_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_child_may_run_a_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_child_may_signal_itself_but_no_other_process,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_child_can_append_sync_cut_and_delete_in_the_log_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_child_cannot_open_files_outside_the_log_directory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
