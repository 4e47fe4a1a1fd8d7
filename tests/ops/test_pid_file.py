"""--pid-file: written once started, locked against a second server, removed at a clean stop."""
import os
import signal
from ops_helpers import free_port, run_server, server_argv, wait_until


def test_pid_file_holds_the_server_pid_once_it_listens(tmp_path, start_server):
    pidfile = tmp_path / "run" / "logserver.pid"
    pidfile.parent.mkdir()
    proc, _ = start_server("--pid-file", pidfile)
    assert pidfile.read_text() == "%d\n" % proc.pid


def test_second_server_on_the_same_pid_file_fails_with_one_line(tmp_path, start_server):
    """Same pid file and same port: the lock is checked first, so the message is
    about the pid file, not the busy port."""
    pidfile = tmp_path / "logserver.pid"
    port = free_port()
    first, _ = start_server("-p", port, "--pid-file", pidfile)
    r = run_server(server_argv(tmp_path / "logs2", "--pid-file", pidfile, port=port))
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "pid %d" % first.pid in lines[0] and str(pidfile) in lines[0]
    assert pidfile.read_text() == "%d\n" % first.pid, "the loser touched the pid file"


def test_pid_file_is_removed_at_a_clean_stop(tmp_path, start_server):
    pidfile = tmp_path / "logserver.pid"
    proc, _ = start_server("--pid-file", pidfile)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not pidfile.exists()


def test_stale_pid_file_of_a_dead_server_does_not_block_start(tmp_path, start_server):
    pidfile = tmp_path / "logserver.pid"
    pidfile.write_text("999999\n")
    proc, _ = start_server("--pid-file", pidfile)
    wait_until(lambda: pidfile.read_text() == "%d\n" % proc.pid, 5, what="pid written")


def test_pid_file_in_a_missing_directory_fails_naming_the_option(tmp_path):
    r = run_server(server_argv(tmp_path / "logs", "--pid-file", tmp_path / "no" / "x.pid"))
    assert r.returncode == 1
    assert "--pid-file" in r.stderr


def test_start_that_fails_after_locking_leaves_no_pid_file(tmp_path):
    pidfile = tmp_path / "logserver.pid"
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    r = run_server(server_argv(blocker, "--pid-file", pidfile))
    assert r.returncode == 1, r.stderr
    assert not pidfile.exists()
