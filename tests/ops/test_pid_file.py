"""--pid-file: written once started, locked against a second server, removed at a clean stop."""
import os
import signal
import subprocess

from ops_helpers import SERVER, free_port, wait_until


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
    r = subprocess.run([SERVER, "--bind", "127.0.0.1", "-p", str(port), "--udp-port",
                        "0", "--relp-port", "0", "--query-port", "0", "-d",
                        str(tmp_path / "logs2"), "--pid-file", str(pidfile)],
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
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
    r = subprocess.run([SERVER, "--bind", "127.0.0.1", "-p", str(free_port()), "--udp-port",
                        "0", "--relp-port", "0", "--query-port", "0", "-d",
                        str(tmp_path / "logs"), "--pid-file", str(tmp_path / "no" / "x.pid")],
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "--pid-file" in r.stderr


def test_start_that_fails_after_locking_leaves_no_pid_file(tmp_path):
    pidfile = tmp_path / "logserver.pid"
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    r = subprocess.run([SERVER, "--bind", "127.0.0.1", "-p", str(free_port()), "--udp-port",
                        "0", "--relp-port", "0", "--query-port", "0", "-d", str(blocker),
                        "--pid-file", str(pidfile)],
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r.stderr
    assert not pidfile.exists()
