"""Privilege drop and the children's sandbox, seen from outside: which user
every process runs as, and what /proc says of every kind of child. (What a
sandboxed child may and may not do is tested in tests/unit/test_sandbox.c;
every other test of the suite runs with the sandbox on, and fails when it
kills a child: see sandbox_guard in tests/common/lstest_common.py.)"""
import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from integration_helpers import (child_pids, events, free_port, holder_pid, read_records,
                                 run_client, run_server, wait_until)

NOBODY = pwd.getpwnam("nobody")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change user")


def status_fields(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


@pytest.fixture
def open_dir():
    """A directory every user can traverse (tmp_path's parents are root's
    alone), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="lsdrop-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def hold_connections(srv, relp_port, query_port):
    """One TCP sender, one RELP sender and one query connection, each held
    open until its child exists; returns the sockets. A sender's child
    starts with its first bytes (before, it waits in the holder): each sends
    the beginning of a message."""
    socks = []
    for port, first in ((srv.port, b"begun"), (relp_port, b"1 "), (query_port, b"")):
        before = set(srv.children())
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(first)
        socks.append(s)
        wait_until(lambda: set(srv.children()) - before, what="the child for port %d" % port)
    return socks


def test_every_kind_of_child_runs_with_seccomp_and_no_new_privs(start_server):
    relp, query, udp = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    srv = start_server("--relp-port", relp, "--query-port", query, "--query-bind", "127.0.0.1",
                       "--udp-port", udp)
    socks = hold_connections(srv, relp, query)
    kids = child_pids(srv.pid, holder=True)
    # the UDP receiver, the connection holder, a session, a RELP and a query child
    assert len(kids) == 5
    for pid in kids:
        # A child enters its sandbox right after the fork, on its own time:
        # wait for it, and fail if it never does.
        wait_until(lambda: status_fields(pid)["Seccomp"] == ["2"],
                   what="child %d in its seccomp filter" % pid)
        assert status_fields(pid)["NoNewPrivs"] == ["1"], pid
    # The supervisor itself is not confined: it must accept, fork and rotate.
    assert status_fields(srv.pid)["Seccomp"] == ["0"]
    start = events(read_records(srv.logdir), "start ")[0].event
    assert " sandbox=seccomp" in start
    for s in socks:
        s.close()
    # The children served normally under their filters.
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"still served\n")
    assert res.returncode == 0
    srv.wait_records(lambda rs: any(r.msg == "still served" for r in rs))


def test_with_the_sandbox_off_children_run_unconfined(start_server):
    srv = start_server("--sandbox", "off")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"served\n")     # once its record is written the child is past its set-up
    pid = wait_until(lambda: srv.children(), what="the session child")[0]
    srv.wait_records(lambda rs: any(r.msg == "served" for r in rs))
    assert status_fields(pid)["Seccomp"] == ["0"]
    s.close()
    assert " sandbox=off" in events(read_records(srv.logdir), "start ")[0].event


@as_root
def test_with_user_nobody_every_process_runs_as_nobody_and_owns_what_it_writes(
        start_server, open_dir):
    logdir = open_dir / "logs"      # missing: created for the user
    relp = free_port()
    srv = start_server("--user", "nobody", "--relp-port", relp, logdir=logdir)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"as ")           # its child starts with its first bytes
    wait_until(lambda: srv.children(), what="the session child")
    for pid in [srv.pid] + child_pids(srv.pid, holder=True):
        st = status_fields(pid)
        assert st["Uid"] == [str(NOBODY.pw_uid)] * 4, (pid, st["Uid"])
        assert st["Gid"] == [str(NOBODY.pw_gid)] * 4, (pid, st["Gid"])
        assert st["Groups"] == [str(NOBODY.pw_gid)] or st["Groups"] == [], st["Groups"]
    s.sendall(b"nobody\n")
    s.close()
    srv.wait_records(lambda rs: any(r.msg == "as nobody" for r in rs))
    assert logdir.stat().st_uid == NOBODY.pw_uid
    for f in logdir.iterdir():
        assert f.stat().st_uid == NOBODY.pw_uid, f
    start = events(read_records(logdir), "start ")[0].event
    assert " user=nobody group=" in start


@as_root
def test_an_unknown_user_stops_start_up_with_one_clear_line(tmp_path):
    res = run_server(["-p", free_port(), "-d", tmp_path / "logs", "--user", "no-such-user-x"],
                     tmp_path)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1 and "--user no-such-user-x: no such user" in err, err
    assert not (tmp_path / "logs").exists()


@as_root
def test_a_log_directory_the_user_cannot_write_stops_start_up(tmp_path, open_dir):
    logdir = open_dir / "rootonly"
    logdir.mkdir(mode=0o755)        # root's, and not writable by nobody
    res = run_server(["-p", free_port(), "-d", logdir, "--user", "nobody"], tmp_path)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1, err
    assert "not writable by --user nobody" in err and "chown nobody:" in err, err
    assert list(logdir.iterdir()) == []


def test_group_without_user_is_refused(tmp_path):
    res = run_server(["-p", free_port(), "-d", tmp_path / "logs", "--group", "nogroup"],
                     tmp_path)
    assert res.returncode == 1
    assert "--group nogroup needs --user as well" in res.stderr.decode()


def nobody_processes():
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat("/proc/" + d).st_uid == NOBODY.pw_uid:
                    n += 1
            except OSError:
                pass
    return n


@as_root
def test_a_fork_failure_refuses_that_one_client_and_the_next_is_served(start_server, open_dir):
    # RLIMIT_NPROC binds every user but root: run as nobody and allow one child.
    import resource
    limit = nobody_processes() + 3      # the supervisor, the holder and one child

    def low_nproc():
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    srv = start_server("--user", "nobody", logdir=open_dir / "logs", preexec_fn=low_nproc)
    wait_until(lambda: holder_pid(srv.pid), what="the connection holder")
    a = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    a.sendall(b"fir")                   # its child starts with its first bytes
    wait_until(lambda: len(srv.children()) == 1, what="the first client's child")
    b = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    b.sendall(b"x")
    b.settimeout(10)
    assert b.recv(200).startswith(b"logserver: refused: cannot fork")
    b.close()
    srv.wait_records(lambda rs: any(r.event and r.event.startswith("refused ")
                                    and "cannot fork" in r.event for r in rs))
    a.sendall(b"st\n")
    a.close()
    wait_until(lambda: not srv.children(), what="the first child to end")
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"after the failure\n")
    assert res.returncode == 0, res.stderr
    srv.wait_records(lambda rs: {"first", "after the failure"} <= {r.msg for r in rs})
    assert srv.proc.poll() is None
