/* Unit tests: the store's journal. A writer killed in the middle of a write
 * is simulated by doing its write by hand and leaving its journal entry set,
 * as a SIGKILL between write() and the bookkeeping would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "logstore.h"
#include "record.h"

static char dir[64];
static struct logstore ls;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lstest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return logstore_open(&ls, dir, 1 << 20, 10, 1, REC_TEXT, err, sizeof(err));
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	logstore_close(&ls);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The current file's bytes, NUL-terminated (static buffer). */
static const char *
contents(void)
{
	static char buf[8192];
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, ls.sh->name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Writes bytes as a writer that dies right after (journal left set). */
static void
dead_writer(const char *bytes, size_t journal_len, int slot, uint64_t seq_after)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, ls.sh->name);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	ls.sh->pending.start = ls.sh->size;
	ls.sh->pending.len = journal_len;
	ls.sh->pending.slot = slot;
	ls.sh->pending.seq_after = seq_after;
	ls.sh->pending.pid = 4242;
	ls.sh->pending.active = 1;
	assert_int_equal(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
	close(fd);
}

static void
append(const char *s)
{
	size_t w;

	assert_int_equal(logstore_append(&ls, s, strlen(s), &w), 0);
	assert_int_equal(w, strlen(s));
}

static void
test_a_complete_write_of_a_dead_writer_only_gets_its_bookkeeping(void **state)
{
	static const uint8_t id[LS_SESSION_ID] = { 1, 2, 3 };
	uint64_t seq;

	(void)state;
	append("one\n");
	assert_int_equal(logstore_session_seq(&ls, id, &seq), 0);
	assert_int_equal(seq, 0);
	int slot = -1;
	for (int i = 0; i < LS_SESSIONS; i++)
		if (memcmp(ls.sh->sess[i].id, id, LS_SESSION_ID) == 0)
			slot = i;
	assert_true(slot >= 0);
	dead_writer("two\n", 4, slot, 7);
	append("three\n");
	assert_string_equal(contents(), "one\ntwo\nthree\n");
	assert_int_equal(logstore_session_seq(&ls, id, &seq), 0);
	assert_int_equal(seq, 7);	/* the resend of messages 1..7 will be skipped */
	assert_int_equal(ls.sh->pending.active, 0);
}

static void
test_a_torn_write_is_cut_back_to_its_last_whole_record_and_recorded(void **state)
{
	(void)state;
	append("one\n");
	dead_writer("two\nthr", 20, -1, 0);
	append("four\n");
	const char *c = contents();
	assert_memory_equal(c, "one\ntwo\n", 8);
	assert_non_null(strstr(c, " - logserver["));
	assert_non_null(strstr(c, "]: repair: process 4242 was killed in the middle of a write to "
	    "logserver-"));
	assert_non_null(strstr(c, "removed the 3 bytes of its torn tail at offset 8\nfour\n"));
	assert_null(strstr(c, "thr"));
}

static void
test_a_torn_write_of_a_named_session_is_removed_whole(void **state)
{
	static const uint8_t id[LS_SESSION_ID] = { 9 };
	uint64_t seq;

	(void)state;
	append("one\n");
	assert_int_equal(logstore_session_seq(&ls, id, &seq), 0);
	int slot = -1;
	for (int i = 0; i < LS_SESSIONS; i++)
		if (memcmp(ls.sh->sess[i].id, id, LS_SESSION_ID) == 0)
			slot = i;
	dead_writer("two\nthr", 20, slot, 5);
	append("four\n");
	const char *c = contents();
	assert_memory_equal(c, "one\n2", 5);	/* the repair record follows at once */
	assert_non_null(strstr(c, "removed the 7 bytes of its torn tail at offset 4\nfour\n"));
	assert_int_equal(logstore_session_seq(&ls, id, &seq), 0);
	assert_int_equal(seq, 0);	/* nothing of it counts as written: all resent */
}

static void
test_a_writer_killed_before_its_first_byte_leaves_no_empty_record(void **state)
{
	(void)state;
	append("one\n");
	dead_writer("", 20, -1, 0);
	append("two\n");
	const char *c = contents();
	assert_memory_equal(c, "one\n", 4);
	assert_null(strstr(c, "\n\n"));
	assert_non_null(strstr(c, "removed the 0 bytes of its torn tail at offset 4\ntwo\n"));
}

static void
test_the_size_comes_from_the_file_not_the_shared_page(void **state)
{
	(void)state;
	append("one\n");
	ls.sh->size = 0;	/* as after a writer killed before its bookkeeping */
	append("two\n");
	assert_int_equal(ls.sh->size, 8);
	assert_string_equal(contents(), "one\ntwo\n");
}

/* The default setup's store is closed and a new one opened on a directory
 * holding a file whose sequence number is at its maximum. */
static void
test_a_sequence_number_at_its_maximum_does_not_stop_rotation(void **state)
{
	char path[256], err[256], line[64];
	const char *planted = "logserver-20260101T000000Z-99999999.log";
	int fd;

	(void)state;
	logstore_close(&ls);
	snprintf(path, sizeof(path), "%s/%s", dir, planted);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	assert_int_equal(logstore_open(&ls, dir, 1024, 10, 1, REC_TEXT, err, sizeof(err)), 0);
	/* The files were renumbered from 1 in their order (the setup's file is
	 * 1, the planted one 2, keeping its time part); the new one is 3. */
	snprintf(path, sizeof(path), "%s/logserver-20260101T000000Z-00000002.log", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ls.sh->seq, 3);
	for (int i = 0; i < 25; i++) {	/* 25 x 50 bytes: past max-size 1024 once */
		snprintf(line, sizeof(line), "%049d\n", i);
		append(line);
	}
	assert_int_equal(ls.sh->seq, 4);	/* rotated, numbering on */
	assert_non_null(strstr(contents(), "the sequence numbers reached their maximum: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_a_complete_write_of_a_dead_writer_only_gets_its_bookkeeping, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_torn_write_is_cut_back_to_its_last_whole_record_and_recorded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_a_torn_write_of_a_named_session_is_removed_whole,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_writer_killed_before_its_first_byte_leaves_no_empty_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_size_comes_from_the_file_not_the_shared_page,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_sequence_number_at_its_maximum_does_not_stop_rotation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
