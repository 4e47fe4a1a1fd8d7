"""The connection holder (docs/ARCHITECTURE.md, "connection holder"):
accepted TCP and RELP connections that have not sent a byte wait in one
process instead of a child each, are served from their first byte, are
closed at --idle-timeout, and survive nothing but are counted when the
holder dies."""
import signal
import socket
import urllib.request

from integration_helpers import (events, free_port, holder_pid, kill_pid, wait_until)

QUIET = ("--udp-port", 0, "--query-port", 0)


def idle_from(port, n):
    return idle_from_range(port, 0, n)


def idle_from_range(port, first, n):
    """n connections to port, from 127.0.x.y addresses numbered from first."""
    socks = []
    for i in range(first, first + n):
        s = socket.socket()
        s.settimeout(30)
        s.bind(("127.0.%d.%d" % (10 + i // 200, 1 + i % 200), 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def gauge(mport, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def test_silent_connections_wait_without_a_child_and_are_served_from_their_first_byte(
        start_server):
    mport, relp = free_port(), free_port()
    srv = start_server("--relp-port", relp, "--metrics-port", mport, *QUIET)
    # In steps of 50, each held before the next: a connection that finds the
    # holder's queue full gets its child at once (src/server/waiting.c), and
    # a holder slowed down (ASan, a busy machine) may drain 300 at once too
    # slowly; that fallback is not what this test is about.
    idle = []
    for step in range(6):
        idle += idle_from_range(srv.port, 50 * step, 50)
        wait_until(lambda: srv.connections() == len(idle), what="%d held" % len(idle))
    idle += idle_from(relp, 1)
    wait_until(lambda: srv.connections() == 300 and srv.connections(relp) == 1,
               what="301 connections held")
    kids = set(srv.children())          # the metrics child only
    assert len(kids) == 1
    assert gauge(mport, "logserver_waiting_connections") == 301
    assert gauge(mport, 'logserver_children{kind="holder"}') == 1
    # One of them speaks: it gets its child, its bytes are all there.
    idle[7].sendall(b"the first words\n")
    wait_until(lambda: len(set(srv.children()) - kids) == 1, what="its child")
    srv.wait_records(lambda rs: any(r.msg == "the first words" for r in rs))
    assert gauge(mport, "logserver_waiting_connections") == 300
    assert srv.connections() == 300     # the others still held
    assert srv.stop() == 0
    recs = srv.records()
    assert len(events(recs, "connect ")) == 1
    assert not events(recs, "child ")
    assert events(recs, "300 connections that had sent nothing yet were closed (the server "
                  "is stopping)")
    for s in idle:
        assert s.recv(100) == b""
        s.close()


def test_a_silent_connection_is_closed_at_the_idle_timeout_and_recorded(start_server):
    srv = start_server("--idle-timeout", 1, *QUIET)
    s = idle_from(srv.port, 1)[0]
    port = s.getsockname()[1]
    assert s.recv(100) == b""          # closed by the holder (30 s socket timeout)
    recs = srv.wait_records(lambda rs: events(rs, "idle timeout: "))
    ev = events(recs, "idle timeout: ")[0].event
    assert ev == ("idle timeout: 127.0.10.1:%d sent nothing for 1 s; closing "
                  "(idle-timeout)" % port), ev
    assert srv.children() == []


def test_a_killed_holder_closes_its_connections_is_recorded_and_restarted(start_server):
    srv = start_server(*QUIET)
    idle = idle_from(srv.port, 5)
    wait_until(lambda: srv.connections() == 5, what="five connections held")
    old = wait_until(lambda: holder_pid(srv.pid), what="the connection holder")
    kill_pid(old, signal.SIGKILL)
    for s in idle:
        assert s.recv(100) == b""      # closed with it
    recs = srv.wait_records(lambda rs: events(rs, "5 connections that had sent nothing"))
    assert events(recs, "5 connections that had sent nothing yet were closed (connection "
                  "holder %d ended)" % old)
    assert events(recs, "connection holder %d ended unexpectedly (killed by signal 9); "
                  "restarting it in 0 ms" % old)
    new = wait_until(lambda: holder_pid(srv.pid) not in (None, old) and holder_pid(srv.pid),
                     what="a new holder")
    s = idle_from(srv.port, 1)[0]
    wait_until(lambda: srv.connections() == 1, what="a connection held by the new holder")
    s.sendall(b"after the restart\n")
    s.close()
    srv.wait_records(lambda rs: any(r.msg == "after the restart" for r in rs))
    assert holder_pid(srv.pid) == new


def test_a_holder_out_of_descriptors_closes_the_extra_connections_with_a_record(start_server):
    import resource

    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
    srv = start_server("--max-clients", 200, *QUIET, preexec_fn=low_nofile)
    wait_until(lambda: "below --max-clients 200" in srv.stderr(), what="the holder's warning")
    holder = wait_until(lambda: holder_pid(srv.pid), what="the connection holder")
    idle = idle_from(srv.port, 80)
    recs = srv.wait_records(lambda rs: events(rs, "cannot keep "))
    ev = events(recs, "cannot keep ")[0].event
    assert "the connection holder is out of descriptors" in ev and "LimitNOFILE" in ev, ev
    held = srv.connections()
    assert 0 < held < 80
    assert holder_pid(srv.pid) == holder     # it lives on, and serves
    for s in idle:
        try:
            s.sendall(b"x\n")
        except OSError:
            pass
    srv.wait_records(lambda rs: len([r for r in rs if r.msg == "x"]) >= held)
    for s in idle:
        s.close()


def test_a_connection_closed_before_its_first_byte_is_recorded_without_a_child(start_server):
    srv = start_server(*QUIET)
    s = idle_from(srv.port, 1)[0]
    port = s.getsockname()[1]
    wait_until(lambda: srv.connections() == 1, what="the connection held")
    s.close()
    peer = "127.0.10.1:%d" % port
    recs = srv.wait_records(lambda rs: events(rs, "disconnect " + peer))
    assert [r.event for r in events(recs, "connect " + peer)] == ["connect " + peer]
    disc = events(recs, "disconnect " + peer)
    assert [r.event for r in disc] == ["disconnect %s messages=0 truncated=0" % peer]
    # Written by the supervisor: the connection never had a child.
    assert disc[0].msg.startswith("logserver[%d]: " % srv.pid), disc[0].msg
    assert srv.children() == []


def test_the_holder_and_the_metrics_child_keep_no_log_file_open(start_server):
    import os
    from integration_helpers import run_client
    srv = start_server("--metrics-port", free_port(), "--max-size", "64K", "--max-files", "2",
                       *QUIET)
    # (a child names itself just after its fork: wait for that)
    holder = wait_until(lambda: holder_pid(srv.pid), what="the connection holder")
    metrics = wait_until(lambda: [k for k in srv.children() if k != holder],
                         what="the metrics child")[0]
    lines = b"".join(b"line %05d %s\n" % (i, b"x" * 100) for i in range(3000))
    assert run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=lines).returncode == 0
    srv.wait_records(lambda rs: any(r.msg.startswith("line 02999") for r in rs))
    for pid in (holder, metrics):
        targets = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
        files = [t for t in targets if t.startswith(str(srv.logdir)) and t != str(srv.logdir)
                 and not t.endswith("/.logserver.lock")]
        assert files == [], (pid, files)     # (a deleted one would say so: "(deleted)")


def test_while_the_holder_is_stopped_new_connections_get_children_at_once_and_none_is_lost(
        start_server):
    # A holder that does not read (stopped here; in life: slowed down) lets
    # its socket's send buffer fill with connections (a few hundred); a
    # connection that then finds it full gets its child at once
    # (src/server/waiting.c).
    most = 2000
    srv = start_server("--max-clients", most + 10, *QUIET)
    holder = wait_until(lambda: holder_pid(srv.pid), what="the connection holder")
    before = set(srv.children())
    conns = []

    def new_children():
        return len(set(srv.children()) - before)
    kill_pid(holder, signal.SIGSTOP)
    try:
        while new_children() < 10:
            assert len(conns) < most, "no child for any of %d connections" % len(conns)
            step = idle_from_range(srv.port, len(conns), 25)
            for i, s in enumerate(step):
                s.sendall(b"conn %04d\n" % (len(conns) + i))
            conns += step
        # Served while the holder still sleeps: the ones past its full queue.
        srv.wait_records(lambda rs: len([r for r in rs if r.msg.startswith("conn ")]) >= 10,
                         what="records from connections the holder could not take")
        assert holder_pid(srv.pid) == holder
    finally:
        kill_pid(holder, signal.SIGCONT)
    # Woken, the holder hands the others back with their first bytes.
    n = len(conns)
    recs = srv.wait_records(lambda rs: len([r for r in rs if r.msg.startswith("conn ")]) == n,
                            what="a record from each of the %d connections" % n)
    msgs = sorted(r.msg for r in recs if r.msg.startswith("conn "))
    assert msgs == ["conn %04d" % i for i in range(n)]      # each once
    for s in conns:
        s.close()
    assert srv.stop() == 0


def test_while_the_holder_waits_to_be_restarted_a_silent_connection_gets_its_child_at_once(
        start_server):
    # A holder that keeps dying is restarted later each time (0, 250, 500,
    # 1000, 2000, 4000 ms: src/server/children.c); meanwhile there is no
    # holder, and a sender that has not spoken gets its child at once
    # instead of waiting for one.
    srv = start_server(*QUIET)
    pid = None
    for delay in (0, 250, 500, 1000, 2000, 4000):
        pid = wait_until(lambda: holder_pid(srv.pid) not in (None, pid) and holder_pid(srv.pid),
                         what="the holder to restart before %d ms" % delay)
        kill_pid(pid, signal.SIGKILL)
        srv.wait_records(lambda rs: events(rs, "connection holder %d ended unexpectedly "
                                           "(killed by signal 9); restarting it in %d ms"
                                           % (pid, delay)))
    # Now 4 s without a holder:
    before = set(srv.children())
    s = idle_from(srv.port, 1)[0]
    child = wait_until(lambda: set(srv.children()) - before,
                       what="a child for the silent connection")
    assert holder_pid(srv.pid) is None, "restarted within 4 s: the test ran too slowly"
    s.sendall(b"served without a holder\n")
    s.close()
    srv.wait_records(lambda rs: any(r.msg == "served without a holder" for r in rs))
    assert len(child) == 1
    wait_until(lambda: holder_pid(srv.pid) not in (None, pid), what="the holder restarted",
               timeout=30)
    assert srv.stop() == 0
