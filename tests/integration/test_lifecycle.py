"""Stopping (SIGTERM, SIGINT, quit on a terminal), SIGHUP reopen, reaping of
children, and --max-clients."""
import os
import signal
import socket
import subprocess
import threading

import pytest

from integration_helpers import (SERVER_HELP, child_pids, client_msgs, events, free_port,
                                 peer_of, proc_state, session_pids, wait_closed, wait_until)

TRIALS = 10


def connected_client(srv, lines):
    """A client that sent lines and stays connected; returns (socket, peer)
    once its lines are in the file."""
    s = srv.connect()
    peer = peer_of(s)
    s.sendall(b"".join(line + b"\n" for line in lines))
    srv.wait_records(lambda rs: len(client_msgs(rs, peer)) == len(lines))
    return s, peer


def check_graceful_stop(srv, rc, reason, peers, served):
    assert rc == 0
    recs = srv.records(complete_only=False)
    last = recs[-1]
    assert last.pid == srv.pid
    assert last.event == "stop: %s; clients served=%d refused=0" % (reason, served)
    for p in peers:
        assert [r.event for r in events(recs, "disconnect %s " % p)] == \
            ["disconnect %s messages=2 truncated=0 (server shutdown)" % p]
    assert "logserver: " in srv.stderr()


def test_sigterm_stops_gracefully_with_stop_record(start_server):
    srv = start_server()
    clients = [connected_client(srv, [b"a%d" % i, b"b%d" % i]) for i in range(3)]
    # the child holds an unterminated line when the server is told to stop
    s, peer = clients[0]
    s.sendall(b"complete\npartial at shutdown")
    srv.wait_records(lambda rs: "complete" in client_msgs(rs, peer))
    srv.kill(signal.SIGTERM)
    rc = srv.proc.wait(15)
    recs = srv.records(complete_only=False)
    assert client_msgs(recs, peer) == ["a0", "b0", "complete", "partial at shutdown"]
    assert [r.event for r in events(recs, "disconnect %s " % peer)] == \
        ["disconnect %s messages=4 truncated=0 (server shutdown)" % peer]
    check_graceful_stop(srv, rc, "SIGTERM", [p for _, p in clients[1:]], 3)
    for sock, _ in clients:
        assert wait_closed(sock, 5) in ("eof", "reset")
        sock.close()
    assert not child_pids(srv.pid)


def test_sigint_stops_gracefully_with_stop_record(start_server):
    srv = start_server()
    clients = [connected_client(srv, [b"x%d" % i, b"y%d" % i]) for i in range(2)]
    rc = srv.stop(signal.SIGINT)
    check_graceful_stop(srv, rc, "SIGINT", [p for _, p in clients], 2)
    for sock, _ in clients:
        sock.close()


def test_stopped_server_refuses_new_connections(start_server):
    srv = start_server()
    port = srv.port
    assert srv.stop() == 0
    with socket.socket() as s:
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            refused = False
        except ConnectionRefusedError:
            refused = True
    assert refused


def test_quit_typed_on_terminal_stops_gracefully(start_server, procs):
    master, slave = os.openpty()
    procs.fds += [master, slave]
    srv = start_server(stdin=slave)
    sock, peer = connected_client(srv, [b"typed", b"quit"])     # "quit" from a client is data
    assert srv.proc.poll() is None
    os.write(master, b"hello\n")            # anything else is not a command
    os.write(master, b"quit\n")
    rc = srv.proc.wait(15)
    check_graceful_stop(srv, rc, "quit typed on the terminal", [peer], 1)
    sock.close()


def test_eof_on_non_terminal_stdin_does_not_stop(start_server):
    srv = start_server(stdin=subprocess.PIPE)
    srv.proc.stdin.write(b"quit\n")
    srv.proc.stdin.close()                  # EOF on a pipe
    for i in range(3):                      # the server goes on serving
        peer = srv.send(b"still serving %d\n" % i)
        assert client_msgs(srv.records(), peer) == ["still serving %d" % i]
    assert srv.proc.poll() is None
    assert not events(srv.records(), "stop: ")
    assert srv.stop() == 0


def test_eof_on_devnull_stdin_does_not_stop(start_server):
    srv = start_server()                    # stdin is /dev/null
    peer = srv.send(b"served\n")
    assert client_msgs(srv.records(), peer) == ["served"]
    assert srv.proc.poll() is None
    assert srv.stop() == 0


def test_sighup_reopens_same_file_when_still_there(start_server):
    srv = start_server()
    sock, peer = connected_client(srv, [b"before hup"])
    name = srv.files()[0].name
    srv.kill(signal.SIGHUP)
    reopen = srv.wait_event("reopen: ")
    assert [r.event for r in reopen] == ["reopen: SIGHUP, writing to %s" % name]
    assert reopen[0].pid == srv.pid and reopen[0].file == name
    sock.sendall(b"after hup\n")
    sock.shutdown(socket.SHUT_WR)
    wait_closed(sock)
    sock.close()
    assert [f.name for f in srv.files()] == [name]
    assert client_msgs(srv.records(), peer) == ["before hup", "after hup"]
    assert srv.proc.poll() is None
    assert srv.stop() == 0


def test_sighup_after_rename_starts_new_file_and_connected_clients_follow(start_server):
    srv = start_server()
    sock, peer = connected_client(srv, [b"before rotate"])
    old = srv.files()[0]
    moved = srv.logdir / (old.name + ".1")
    os.rename(old, moved)
    srv.kill(signal.SIGHUP)
    new = wait_until(lambda: srv.files(), what="a new log file")[0]
    assert new.name != old.name and new.name > old.name
    reopen = srv.wait_event("reopen: ")
    assert [r.event for r in reopen] == ["reopen: SIGHUP, writing to %s" % new.name]
    assert reopen[0].file == new.name
    sock.sendall(b"after rotate\n")         # the connected client's child follows
    sock.shutdown(socket.SHUT_WR)
    wait_closed(sock)
    sock.close()
    p2 = srv.send(b"new client\n")
    assert srv.stop() == 0
    moved_text = moved.read_text()
    assert "after rotate" not in moved_text and "new client" not in moved_text
    assert "before rotate" in moved_text
    recs = srv.records(complete_only=False)
    assert client_msgs(recs, peer) == ["after rotate"]
    assert client_msgs(recs, p2) == ["new client"]
    assert [f.name for f in srv.files()] == [new.name]


def test_no_zombie_children_after_200_short_lived_clients(start_server):
    srv = start_server()
    errors = []

    def batch(k):
        try:
            for i in range(k * 20, k * 20 + 20):
                with srv.connect() as s:
                    s.sendall(b"short-lived %03d\n" % i)
                    if i % 2:       # half wait for the server, half just go
                        s.shutdown(socket.SHUT_WR)
                        wait_closed(s)
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=batch, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    srv.wait_records(lambda rs: len(events(rs, "disconnect ")) == 200, timeout=30)

    recs = srv.records()
    served_by = session_pids(recs)
    assert len(served_by) == 200

    def all_reaped():
        # a child that exited but was not reaped stays listed, in state Z
        kids = child_pids(srv.pid)
        return not (served_by & set(kids)) and all(proc_state(k) != "Z" for k in kids)
    wait_until(all_reaped, timeout=15, what="every session child reaped")
    ps = subprocess.run(["ps", "--ppid", str(srv.pid), "-o", "pid=,stat="],
                        capture_output=True, text=True, timeout=10)
    assert ps.stdout.split()[1::2] == [st for st in ps.stdout.split()[1::2]
                                       if not st.startswith("Z")], ps.stdout
    msgs = sorted(r.msg for r in recs if not r.is_event)
    assert msgs == ["short-lived %03d" % i for i in range(200)]
    assert not events(recs, "child ")      # no child killed or failed
    assert srv.stop() == 0
    assert srv.records(complete_only=False)[-1].event == \
        "stop: SIGTERM; clients served=200 refused=0"


def test_max_clients_refuses_extra_connection_with_record(start_server):
    srv = start_server("--max-clients", "2")
    a, pa = connected_client(srv, [b"first"])
    b, pb = connected_client(srv, [b"second"])
    child_a = srv.wait_event("connect %s" % pa)[0].pid
    c = srv.connect()
    pc = peer_of(c)
    try:
        c.sendall(b"refused line\n")
    except OSError:
        pass
    assert wait_closed(c, 10) in ("eof", "reset"), "closed at once"
    c.close()
    refused = srv.wait_event("refused ")
    assert [r.event for r in refused] == ["refused %s: max-clients (2) reached" % pc]
    assert refused[0].pid == srv.pid
    recs = srv.records()
    assert not client_msgs(recs, pc)
    assert not events(recs, "connect %s" % pc)
    # the served clients are unaffected
    a.sendall(b"first again\n")
    a.shutdown(socket.SHUT_WR)
    wait_closed(a)
    a.close()
    # once a slot is free (its child reaped), a new client is served
    wait_until(lambda: child_a not in child_pids(srv.pid), what="a's child reaped")
    pd = srv.send(b"fourth\n")
    b.close()
    assert srv.stop() == 0
    recs = srv.records(complete_only=False)
    assert client_msgs(recs, pa) == ["first", "first again"]
    assert client_msgs(recs, pb) == ["second"]
    assert client_msgs(recs, pd) == ["fourth"]
    assert recs[-1].event == "stop: SIGTERM; clients served=3 refused=1"


def test_sigterm_during_connection_burst_stops_every_child_gracefully(start_server,
                                                                      tmp_path):
    # The race is timing-dependent: up to TRIALS servers, each stopped while
    # clients keep connecting; the first trial that loses a child fails.
    for trial in range(TRIALS):
        srv = start_server("--shutdown-timeout", "2", logdir=tmp_path / ("burst%d" % trial))
        socks = []
        lock = threading.Lock()
        done = threading.Event()

        def flood():
            for _ in range(300):
                if done.is_set():
                    return
                try:
                    c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                except OSError:
                    return          # the server has stopped listening
                with lock:
                    socks.append(c)

        threads = [threading.Thread(target=flood) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: len(socks) >= 30, what="connections opening")
            srv.kill(signal.SIGTERM)
            rc = srv.proc.wait(30)
        finally:
            done.set()
            for t in threads:
                t.join(30)
            for c in socks:
                c.close()
        assert rc == 0
        recs = srv.records(complete_only=False)
        assert not events(recs, "shutdown: "), [r.event for r in events(recs, "shutdown: ")]
        assert not events(recs, "child ")
        connects = len(events(recs, "connect "))
        assert len([r for r in events(recs, "disconnect ")
                    if r.event.endswith("(server shutdown)")]) == connects
        # Connections that never sent a byte had no child (they waited in
        # the holder): closed at the stop, and counted in one record.
        held = [int(r.event.split()[0]) for r in recs
                if r.event.endswith("connections that had sent nothing yet were closed "
                                    "(the server is stopping)")]
        assert len(held) <= 1
        assert recs[-1].event.startswith("stop: SIGTERM; clients served=%d "
                                         % (connects + sum(held)))


@pytest.mark.skipif("--udp-port" not in SERVER_HELP or "--query-port" not in SERVER_HELP,
                    reason="this server has no UDP receiver or query service")
def test_sigterm_with_udp_and_query_services_on_stops_everything(start_server):
    # Servers that also run a UDP receiver and a query service (on by default)
    # still stop gracefully, with the stop record last and no process left.
    udp = free_port(socket.AF_INET, "127.0.0.1")
    query = free_port()
    srv = start_server("--udp-port", udp, "--query-port", query, "--query-bind", "127.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(b"over udp", ("127.0.0.1", udp))
    srv.wait_records(lambda rs: any(r.msg == "over udp" for r in rs))
    peer = srv.send(b"over tcp\n")
    helpers = child_pids(srv.pid)
    assert srv.stop() == 0
    recs = srv.records(complete_only=False)
    assert client_msgs(recs, peer) == ["over tcp"]
    assert recs[-1].event == "stop: SIGTERM; clients served=1 refused=0"
    wait_until(lambda: all(proc_state(p) in (None, "Z") for p in helpers),
               what="helper processes gone")


def test_ctrl_c_to_the_process_group_stops_every_process_without_restarts(tmp_path, procs):
    # Ctrl-C at a terminal sends SIGINT to the whole process group: children
    # (a sender's session, the UDP receiver) get it too, maybe before the
    # supervisor; nothing may be taken for a crash and restarted.
    from integration_helpers import SERVER, read_records, run_client
    port = free_port()
    err = tmp_path / "server.stderr"
    with open(err, "wb") as ef:
        p = procs.popen([SERVER, "-c", "/dev/null", "--bind", "127.0.0.1", "-p", str(port),
                         "--udp-port", str(port), "--query-port", "0",
                         "-d", str(tmp_path / "logs")],
                        cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=ef, start_new_session=True)
    wait_until(lambda: p.poll() is not None or "listening on" in err.read_text(),
               what="server start-up")
    assert run_client(["-H", "127.0.0.1", "-p", str(port), "before", "ctrl-c"],
                      tmp_path).returncode == 0
    with socket.create_connection(("127.0.0.1", port)) as held:
        held.sendall(b"held open\n")
        wait_until(lambda: any(r.msg == "held open" for r in read_records(tmp_path / "logs")),
                   what="the held connection's line")
        os.killpg(p.pid, signal.SIGINT)
        assert p.wait(15) == 0
    recs = read_records(tmp_path / "logs")
    texts = [r.event for r in recs if r.event]
    assert not [t for t in texts if "unexpectedly" in t or "killed by signal" in t], texts
    assert texts[-1].startswith("stop: SIGINT")
