"""The service manager's notify protocol (Type=notify): READY once listening,
RELOADING + MONOTONIC_USEC and READY around SIGHUP, STOPPING at stop."""
import os
import select
import signal
import socket
import time

import pytest


def recv(sock, timeout=10):
    """The next datagram, within timeout seconds."""
    r, _, _ = select.select([sock], [], [], timeout)
    assert r, "no notification within %ss" % timeout
    return sock.recv(4096).decode()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_notify_ready_reloading_stopping_in_order(tmp_path, start_server, abstract):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "logserver-test-%d-%d" % (os.getpid(), time.monotonic_ns())
        sock.bind("\0" + name)
        value = "@" + name
    else:
        value = str(tmp_path / "notify.sock")
        sock.bind(value)
    with sock:
        env = dict(os.environ, NOTIFY_SOCKET=value)
        proc, _ = start_server(env=env)
        assert recv(sock) == "READY=1"
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        os.kill(proc.pid, signal.SIGHUP)
        reloading = dict(kv.split("=", 1) for kv in recv(sock).split("\n"))
        assert reloading["RELOADING"] == "1"
        assert int(reloading["MONOTONIC_USEC"]) >= before
        assert recv(sock) == "READY=1"
        os.kill(proc.pid, signal.SIGTERM)
        assert recv(sock) == "STOPPING=1"
        assert proc.wait(timeout=15) == 0


def test_bad_notify_socket_value_fails_start_with_one_line(tmp_path, start_server):
    proc, err = start_server(env=dict(os.environ, NOTIFY_SOCKET="relative/name"), wait=False)
    assert proc.wait(timeout=10) == 1
    assert "NOTIFY_SOCKET" in err.read_text()
