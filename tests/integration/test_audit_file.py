"""--audit-file NAME: the query children's audit records go to NAME in the log
directory (opened relative to it, never through a symbolic link, reopened on
SIGHUP), not into the message log."""
import os
import signal

import pytest

from integration_helpers import events, free_port, one_stderr_line, run_client, run_server, \
    wait_until


def list_files(srv, qport):
    res = run_client(["-H", "127.0.0.1", "--query-port", qport, "list"], srv.logdir.parent,
                     plain=False)
    assert res.returncode == 0, res.stderr
    return res.stdout.decode()


def fetch_first(srv, qport):
    """Fetches the first log file to stdout: an audited request (FETCH)."""
    name = [w for w in list_files(srv, qport).split() if w.startswith("logserver-")][0]
    res = run_client(["-H", "127.0.0.1", "--query-port", qport, "fetch", name, "-o", "-"],
                     srv.logdir.parent, plain=False)
    assert res.returncode == 0, res.stderr


def audit_lines(path):
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_query_audit_records_go_to_the_audit_file_not_the_log(start_server):
    qport = free_port()
    srv = start_server("--query-port", qport, "--query-bind", "127.0.0.1",
                       "--audit-file", "audit.log")
    assert " audit-file=audit.log" in srv.wait_event("start ")[-1].event
    srv.send(b"a message\n")
    names = list_files(srv, qport)
    assert "logserver-" in names and "audit.log" not in names, names
    fetch_first(srv, qport)
    audit = srv.logdir / "audit.log"
    wait_until(lambda: any(" FETCH " in ln for ln in audit_lines(audit)))
    assert all(" - logserver[" in ln and ": query 127.0.0.1:" in ln for ln in audit_lines(audit))
    assert srv.stop() == 0
    assert [e for e in events(srv.records()) if e.event.startswith("query ")] == []


def test_without_audit_file_query_records_stay_in_the_log(start_server):
    qport = free_port()
    srv = start_server("--query-port", qport, "--query-bind", "127.0.0.1")
    fetch_first(srv, qport)
    wait_until(lambda: [e for e in events(srv.records()) if e.event.startswith("query ")])
    assert srv.stop() == 0


def test_sighup_reopens_the_audit_file_by_name(start_server):
    qport = free_port()
    srv = start_server("--query-port", qport, "--query-bind", "127.0.0.1",
                       "--audit-file", "audit.log")
    fetch_first(srv, qport)
    audit = srv.logdir / "audit.log"
    wait_until(lambda: audit_lines(audit))
    os.rename(audit, srv.logdir / "audit.log.1")            # what logrotate does
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: audit.exists())
    fetch_first(srv, qport)
    wait_until(lambda: audit_lines(audit))
    assert len(audit_lines(srv.logdir / "audit.log.1")) == 1
    assert srv.stop() == 0


def test_audit_file_that_is_a_symlink_is_refused(tmp_path):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    (logdir / "audit.log").symlink_to(tmp_path / "elsewhere")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", logdir,
                      "--audit-file", "audit.log"], tmp_path)
    assert res.returncode == 1
    assert "symbolic link" in one_stderr_line(res)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("name", ["../out.log", "sub/a.log", ".hidden",
                                  "logserver-20260101T000000Z-00000001.log"])
def test_audit_file_name_outside_or_like_a_log_file_is_a_usage_error(tmp_path, name):
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs",
                      "--audit-file", name], tmp_path)
    assert res.returncode == 2, res
    assert "--audit-file %s, from the command line" % name in one_stderr_line(res)
