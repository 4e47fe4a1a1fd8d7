"""Gaps (issue 8): at SIGTERM a session writes what the kernel already holds
for its socket, even when it had not read those bytes yet."""
import os
import signal

from integration_helpers import (client_msgs, events, kill_pid, peer_of, proc_state,
                                 rx_queue, signal_pending, wait_until)

SIGTERM_BIT = 1 << (signal.SIGTERM - 1)


def test_sigterm_writes_lines_the_kernel_held_that_the_session_never_read(start_server,
                                                                         procs):
    # Checked against a planted bug: session.c with drain() left out of the
    # sig_got_term branch of session_run() (the session stops without reading
    # what the kernel holds); this test then fails (the 200 held lines are
    # missing) while every other test passes.
    srv = start_server("--shutdown-timeout", "10")
    s = srv.connect()
    procs.on_cleanup(s.close)
    peer = peer_of(s)
    s.sendall(b"read before the stop\n")
    recs = srv.wait_records(lambda rs: client_msgs(rs, peer) == ["read before the stop"])
    (child,) = [r.pid for r in events(recs, "connect %s" % peer)]
    assert child in srv.children()
    # The session waits in ppoll() for more (state S) before it is stopped.
    wait_until(lambda: proc_state(child) == "S", what="the session to wait for input")
    os.kill(child, signal.SIGSTOP)
    procs.on_cleanup(lambda: kill_pid(child, signal.SIGCONT))
    wait_until(lambda: proc_state(child) == "T", what="the session to stop")

    held = [b"held by the kernel %03d %s" % (i, b"k" * (i % 37)) for i in range(200)]
    data = b"".join(line + b"\n" for line in held)
    s.sendall(data)
    client_port = s.getsockname()[1]
    # every byte sits in the receive queue of the session's socket
    wait_until(lambda: rx_queue(srv.port, client_port) == len(data),
               what="the lines in the session's receive queue")

    srv.kill(signal.SIGTERM)
    # the supervisor passes SIGTERM on: pending at the stopped child
    wait_until(lambda: signal_pending(child) & SIGTERM_BIT, what="SIGTERM at the session")
    assert rx_queue(srv.port, client_port) == len(data), "the stopped session read"
    os.kill(child, signal.SIGCONT)
    assert srv.proc.wait(15) == 0

    recs = srv.records()
    assert client_msgs(recs, peer) == ["read before the stop"] + [x.decode() for x in held]
    assert [r.event for r in events(recs, "disconnect %s " % peer)] == \
        ["disconnect %s messages=201 truncated=0 (server shutdown)" % peer]
    assert events(recs)[-1].event == "stop: SIGTERM; clients served=1 refused=0"
