/* Unit tests: the notify socket protocol (NOTIFY_SOCKET names, datagrams sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static void
test_a_path_name_is_kept_with_its_terminating_nul(void **state)
{
	struct sockaddr_un a;

	(void)state;
	assert_int_equal(notify_parse_addr("/run/systemd/notify", &a),
	    (int)(offsetof(struct sockaddr_un, sun_path) + strlen("/run/systemd/notify") + 1));
	assert_string_equal(a.sun_path, "/run/systemd/notify");
}

static void
test_an_at_sign_names_an_abstract_socket_without_nul(void **state)
{
	struct sockaddr_un a;

	(void)state;
	assert_int_equal(notify_parse_addr("@sd-notify", &a),
	    (int)(offsetof(struct sockaddr_un, sun_path) + strlen("@sd-notify")));
	assert_int_equal(a.sun_path[0], '\0');
	assert_memory_equal(a.sun_path + 1, "sd-notify", 9);
}

static void
test_relative_empty_and_overlong_names_are_refused(void **state)
{
	struct sockaddr_un a;
	char longname[200];

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(notify_parse_addr("relative", &a), -1);
	assert_int_equal(notify_parse_addr("", &a), -1);
	assert_int_equal(notify_parse_addr("@", &a), -1);
	assert_int_equal(notify_parse_addr(longname, &a), -1);
}

static void
test_init_sends_to_the_socket_and_clears_the_variable(void **state)
{
	char path[] = "/tmp/test_notify_XXXXXX", sock[64], err[256], buf[128];
	struct sockaddr_un a;
	int fd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	int len = notify_parse_addr(sock, &a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, (socklen_t)len), 0);
	setenv("NOTIFY_SOCKET", sock, 1);
	assert_int_equal(notify_init(err, sizeof(err)), 0);
	assert_true(notify_enabled());
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_int_equal(notify_send("READY=1", err, sizeof(err)), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 7);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1");
	assert_int_equal(notify_reloading(err, sizeof(err)), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	close(fd);
	unlink(sock);
	rmdir(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_path_name_is_kept_with_its_terminating_nul),
		cmocka_unit_test(test_an_at_sign_names_an_abstract_socket_without_nul),
		cmocka_unit_test(test_relative_empty_and_overlong_names_are_refused),
		cmocka_unit_test(test_init_sends_to_the_socket_and_clears_the_variable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
