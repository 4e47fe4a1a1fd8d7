"""Gaps (issue 8): logclient exits 1 with one line on stderr when the server
refuses it, whether the refusal reaches it before its half-close (it peeks
before shutting down its side) or after (it waits for the server's close).

Refused by --allow (logclient connects from 127.0.0.1) and by --max-clients 1
with the one slot held by another open connection."""
import os
import signal
import subprocess
from types import SimpleNamespace

import pytest

from integration_helpers import (CLIENT, CLIENT_PLAIN, client_msgs, events, kill_pid,
                                 one_stderr_line, peer_of, proc_state, tcp_sockets, wait_until)

REASONS = {"allow": ("--allow", "127.0.0.2/32"), "max-clients": ("--max-clients", "1")}
FIN_WAIT2, CLOSE_WAIT = "05", "08"


def refusing_server(start_server, procs, reason):
    srv = start_server(*REASONS[reason])
    if reason == "max-clients":
        hold = srv.connect()
        procs.on_cleanup(hold.close)
        peer = peer_of(hold)
        hold.sendall(b"holding the only slot\n")
        srv.wait_records(lambda rs: client_msgs(rs, peer) == ["holding the only slot"])
    return srv


def check_refused(srv, rc, err, what):
    assert rc == 1, "logclient exited %s after a refusal %s: %r" % (rc, what, err)
    line = one_stderr_line(SimpleNamespace(stderr=err), "logclient")
    assert "refused" in line, line
    # nothing of logclient's reached the file
    assert not [r for r in srv.records() if r.msg.startswith("refused message")]


@pytest.mark.parametrize("reason", list(REASONS))
def test_logclient_exits_1_when_the_refusal_arrives_before_its_half_close(
        start_server, procs, tmp_path, reason):
    # Checked against a planted bug: the plain sender's finish() (main_client.c,
    # now client_plain.c) returning 0 instead of refused() when its MSG_PEEK
    # before shutdown() finds the server's line;
    # this test then fails (exit 0) for both reasons.
    srv = refusing_server(start_server, procs, reason)
    p = procs.popen([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p", srv.port],
                    cwd=str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    (ev,) = srv.wait_event("refused ")
    port = int(ev.event.split()[1].split(":")[1])
    # the refusal line and the server's FIN are at logclient before it sends
    wait_until(lambda: [s for s in tcp_sockets(port, srv.port) if s["state"] == CLOSE_WAIT
                        and s["rx_queue"] > 0], what="the refusal at logclient")
    p.stdin.write(b"refused message one\n")
    p.stdin.close()
    rc = p.wait(15)
    check_refused(srv, rc, p.stderr.read(), "before the half-close")


@pytest.mark.parametrize("reason", list(REASONS))
def test_logclient_exits_1_when_the_refusal_arrives_after_its_half_close(
        start_server, procs, tmp_path, reason):
    # The supervisor is stopped, so the connection waits in the listen queue
    # (the kernel completes it) until logclient has sent and half-closed; only
    # then is it accepted and refused.
    # Checked against a planted bug: the plain sender's finish() (main_client.c,
    # now client_plain.c) returning 0 instead of refused() when its read after
    # shutdown() returns the server's line;
    # this test then fails (exit 0) for both reasons.
    srv = refusing_server(start_server, procs, reason)
    known = {s["local"] for s in tcp_sockets(remote_port=srv.port)}
    os.kill(srv.pid, signal.SIGSTOP)
    procs.on_cleanup(lambda: kill_pid(srv.pid, signal.SIGCONT))
    wait_until(lambda: proc_state(srv.pid) == "T", what="the supervisor to stop")
    try:
        p = procs.popen([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p", srv.port,
                         "refused message two"], cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: [s for s in tcp_sockets(remote_port=srv.port)
                            if s["local"] not in known and s["state"] == FIN_WAIT2],
                   what="logclient's half-close")
        assert p.poll() is None
    finally:
        os.kill(srv.pid, signal.SIGCONT)
    rc = p.wait(15)
    check_refused(srv, rc, p.stderr.read(), "after the half-close")
    # the supervisor records the refusal after it closed the connection
    assert len(srv.wait_event("refused ")) == 1
    assert srv.stop() == 0
    assert len(events(srv.records(), "refused ")) == 1
