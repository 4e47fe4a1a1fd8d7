"""One bad client cannot hurt the others: timeouts free the slots that idle
and slowloris senders hold, per-address limits, flood control of the events
others cause, a supervisor that a stopped lock holder cannot stall, and a
UDP receiver that always comes back."""
import fcntl
import os
import resource
import signal
import socket
import threading
import time

from integration_helpers import (events, free_port, kill_pid, proc_state, read_records,
                                 run_client, wait_until)


def _raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def connect_from(port, src, timeout=30):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def good_client(srv, cwd, n, tag="good"):
    lines = b"".join(b"%s %05d\n" % (tag.encode(), i) for i in range(n))
    return run_client(["-H", "127.0.0.1", "-p", srv.port], cwd, input=lines, timeout=120)


def test_idle_and_slowloris_senders_are_closed_at_their_timeouts_and_a_good_client_is_served(
        start_server, tmp_path):
    _raise_nofile(4096)
    srv = start_server("--idle-timeout", "3", "--frame-timeout", "3")
    # 200 slowloris senders, then 1,100 idle ones from 20 addresses (at most
    # 64 each, --max-per-ip): beyond --max-clients (1024) the last idle ones
    # are refused at first.
    # Each slowloris sender begins its message as it connects, so its frame
    # deadline runs from then, however long the machine takes to connect the
    # rest (a sender still silent 3 s after connecting would be an idle one).
    slow = []
    for i in range(200):
        s = connect_from(srv.port, "127.0.2.%d" % (1 + i % 10))
        s.send(b"x")
        slow.append(s)
    # (on a slow machine the first may already have timed out when the last start)
    wait_until(lambda: len(srv.children()) + len(events(srv.records(), "frame timeout: ")) >=
               200, what="the slowloris senders' children", timeout=120)
    socks = []
    for i in range(1100):
        socks.append(connect_from(srv.port, "127.0.1.%d" % (1 + i % 20)))
    stop = threading.Event()

    def trickle():
        # one byte every 0.5 s, never a newline: the idle timeout never fires
        for k in range(200):
            if stop.wait(0.5):
                return
            for s in slow:
                try:
                    s.send(b"x")
                except OSError:
                    pass
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        # the timeouts free the slots; a good client then gets in and is served
        res = None
        deadline = time.monotonic() + 120
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            res = good_client(srv, tmp_path, 10000, "good%d" % attempt)
            if res.returncode == 0:
                break
        assert res is not None and res.returncode == 0, res.stderr
        recs = srv.wait_records(lambda rs: len(events(rs, "frame timeout: ")) >= 200 and
                                len(events(rs, "idle timeout: ")) >= 1024 - 200, 120)
        idle = events(recs, "idle timeout: ")
        frame = events(recs, "frame timeout: ")
        assert len(idle) >= 1024 - 200 and len(frame) == 200
        assert all("left a message unfinished for 3 s" in e.event for e in frame)
        tag = "good%d " % attempt
        good = [r.msg for r in recs if r.msg.startswith(tag)]
        assert good == [tag + "%05d" % i for i in range(10000)]
        # what a slowloris sent was written, marked truncated
        assert len([r for r in recs if not r.is_event and r.msg.startswith("x") and
                    r.msg.endswith(" [truncated]")]) >= 200
    finally:
        stop.set()
        for s in socks + slow:
            s.close()
    assert srv.stop() == 0


def test_max_per_ip_refuses_the_next_connection_and_keeps_the_others(start_server):
    srv = start_server("--max-per-ip", "3")
    held = [connect_from(srv.port, "127.0.0.5") for _ in range(3)]
    # Silent, they wait in the holder without children, and count all the same.
    wait_until(lambda: srv.connections() == 3, what="three connections held")
    assert srv.children() == []
    extra = connect_from(srv.port, "127.0.0.5")
    assert extra.recv(200) == b"logserver: refused: max-per-ip (3) reached\n"
    other = connect_from(srv.port, "127.0.0.6")      # another address is served
    other.sendall(b"from six\n")
    other.close()
    for s in held:
        s.sendall(b"still here\n")
        s.close()
    # the other address's child writes on its own time: wait for it too
    srv.wait_records(lambda rs: len([r for r in rs if r.msg == "still here"]) == 3 and
                     any(r.msg == "from six" for r in rs))
    recs = srv.records()
    assert [r.msg for r in recs if r.msg == "from six"] == ["from six"]
    assert events(recs, "refused 127.0.0.5:")
    extra.close()
    assert srv.stop() == 0


def test_max_per_ip_counts_come_back_when_waiting_and_served_connections_end(start_server):
    srv = start_server("--max-per-ip", "2", "--udp-port", "0")
    for rnd in range(3):
        # Round 1 and 2 are served only if both kinds of connection gave
        # their count back when they ended (a waiting one in the holder, a
        # served one with a child).
        silent = connect_from(srv.port, "127.0.0.7")        # waits in the holder
        served = connect_from(srv.port, "127.0.0.7")        # gets a child
        served.sendall(b"round %d\n" % rnd)
        srv.wait_records(lambda rs: any(r.msg == "round %d" % rnd for r in rs))
        third = connect_from(srv.port, "127.0.0.7")         # never counted below what is open
        assert third.recv(200) == b"logserver: refused: max-per-ip (2) reached\n"
        third.close()
        peer = "127.0.0.7:%d" % silent.getsockname()[1]
        silent.close()
        served.close()
        # Settled: the supervisor recorded the silent one's end (it does so
        # as it releases its slot) and reaped the served one's child.
        srv.wait_records(lambda rs: events(rs, "disconnect %s messages=0" % peer))
        wait_until(lambda: srv.children() == [], what="round %d: the child reaped" % rnd)
    assert srv.stop() == 0


def test_a_refused_flood_adds_a_bounded_number_of_records_and_real_messages_survive(
        start_server, tmp_path):
    srv = start_server("--allow", "127.0.0.2/32", "--max-size", "64K", "--max-files", "3",
                       "--udp-port", "0")
    keep = connect_from(srv.port, "127.0.0.2")
    keep.sendall(b"a real message before the flood\n")
    srv.wait_records(lambda rs: any(r.msg == "a real message before the flood" for r in rs))
    for _ in range(5000):
        s = connect_from(srv.port, "127.0.0.1")
        s.close()
    keep.sendall(b"a real message after the flood\n")
    keep.close()
    srv.wait_records(lambda rs: any(r.msg == "a real message after the flood" for r in rs))
    recs = srv.records()
    refused = events(recs, "refused 127.0.0.1:")
    assert 1 <= len(refused) <= 20, len(refused)
    assert [r.msg for r in recs if r.msg.startswith("a real message")] == [
        "a real message before the flood", "a real message after the flood"]
    assert srv.stop() == 0
    # the summary of what was suppressed is written at the latest at the stop
    summary = events(read_records(srv.logdir), "flood control: ")
    assert summary and "similar events suppressed (refused connections)" in summary[-1].event


def test_udp_from_alternating_senders_not_allowed_adds_a_bounded_number_of_records(
        start_server):
    uport = free_port()
    srv = start_server("--allow", "127.0.0.2/32", "--udp-port", uport)
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
    for i, s in enumerate(socks):
        s.bind(("127.0.3.%d" % (i + 1), 0))
    for n in range(100000):
        socks[n % 50].sendto(b"<13>spoofed %d" % n, ("127.0.0.1", uport))
    ok = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ok.bind(("127.0.0.2", 0))

    def sent_and_seen():
        # the flood may overflow the socket buffer: send again until it arrives
        ok.sendto(b"allowed datagram", ("127.0.0.1", uport))
        return any(r.msg == "allowed datagram" for r in srv.records())
    wait_until(sent_and_seen, 30, what="the allowed datagram", interval=0.2)
    for s in socks + [ok]:
        s.close()
    assert srv.stop() == 0
    recs = read_records(srv.logdir)
    assert 1 <= len(events(recs, "refused UDP from 127.0.3.")) <= 20
    stats = events(recs, "udp stats (")
    assert stats and "denied=" in stats[-1].event
    assert not [r for r in recs if "spoofed" in r.msg]


def test_an_unauthenticated_query_flood_adds_a_bounded_number_of_records(start_server,
                                                                          tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    qport = free_port()
    srv = start_server("--query-port", qport, "--query-token-file", token)
    for _ in range(50):
        with socket.create_connection(("127.0.0.1", qport), timeout=15) as q:
            try:
                q.sendall(b"FETCH ../etc/passwd\n" * 400)      # 20,000 requests in all
            except OSError:
                pass
            data = b""
            while True:
                try:
                    chunk = q.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
            # the greeting, one answer, about authentication only, then the server closes
            assert data == b"OK logserver-query 1\nERR auth this server wants AUTH <token> " \
                b"first\n", data[:200]
    assert srv.stop() == 0
    recs = read_records(srv.logdir)
    assert 1 <= len(events(recs, "query 127.0.0.1:")) <= 20


def test_a_stopped_process_holding_the_lock_does_not_stall_accepting(start_server):
    srv = start_server("--max-clients", "1")
    lockf = open(srv.logdir / ".logserver.lock", "r+b")
    try:
        # hold the write lock (byte 0) as a stopped child would
        fcntl.lockf(lockf, fcntl.LOCK_EX, 1, 0, os.SEEK_SET)
        held = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
        held.sendall(b"wai")    # its child starts with its first bytes, then waits
        wait_until(lambda: len(srv.children()) == 1, what="the first child forked")
        refused = []
        for _ in range(3):      # the supervisor still accepts, refuses and says why
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
            refused.append(s.recv(200))
            s.close()
        assert refused == [b"logserver: refused: max-clients (1) reached\n"] * 3
    finally:
        fcntl.lockf(lockf, fcntl.LOCK_UN, 1, 0, os.SEEK_SET)
        lockf.close()
    held.close()
    # the queued refusals are written once the lock is free
    srv.wait_records(lambda rs: len(events(rs, "refused 127.0.0.1:")) == 3)
    assert srv.stop() == 0


def test_the_udp_receiver_comes_back_after_every_kill(start_server):
    uport = free_port()
    srv = start_server("--udp-port", uport)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for k in range(6):
        msg = b"udp round %d" % k
        # resend until it is written: the receiver may be between lives
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out.sendto(msg, ("127.0.0.1", uport))
            try:
                wait_until(lambda: any(r.msg == msg.decode() for r in srv.records()), 0.5)
                break
            except AssertionError:
                continue
        assert any(r.msg == msg.decode() for r in srv.records()), msg
        if k == 5:
            break
        recv_pid = [p for p in srv.children()]
        assert len(recv_pid) == 1
        kill_pid(recv_pid[0], signal.SIGKILL)
        wait_until(lambda p=recv_pid[0]: proc_state(p) in (None, "Z"))
    out.close()
    ends = events(srv.records(), "UDP receiver ")
    assert len(ends) == 5 and all("restarting it in" in e.event for e in ends)
    assert srv.stop() == 0


def test_max_rate_holds_a_fast_tcp_sender_back_drops_nothing_and_leaves_others_alone(
        start_server, tmp_path):
    n, rate = 100000, 25000
    srv = start_server("--max-rate", rate)
    fast = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
    t0 = time.monotonic()
    sender = threading.Thread(target=fast.sendall,
                              args=(b"".join(b"fast %06d\n" % i for i in range(n)),))
    sender.start()
    srv.wait_event("max-rate: ")
    # While the fast sender is held back, another connection is served at once.
    res = good_client(srv, tmp_path, 10, tag="other")
    assert res.returncode == 0, res.stderr
    sender.join(60)
    fast.close()
    recs = srv.wait_records(lambda rs: sum(r.msg.startswith("fast ") for r in rs) == n
                            and len(events(rs, "disconnect ")) == 2, timeout=60)
    # One second's burst free, the rest at the rate, less one read's overshoot.
    assert time.monotonic() - t0 >= (n - rate) / rate - 0.5
    msgs = [r.msg for r in recs]
    assert [m for m in msgs if m.startswith("fast ")] == ["fast %06d" % i for i in range(n)]
    # the other client's lines went in before the fast sender was done
    last_other = max(i for i, m in enumerate(msgs) if m.startswith("other "))
    last_fast = max(i for i, m in enumerate(msgs) if m.startswith("fast "))
    assert last_other < last_fast
    assert any("paced_ms=" in e.event for e in events(recs, "disconnect "))


def test_max_rate_holds_a_fast_relp_sender_back_and_every_message_is_acknowledged(
        start_server):
    from relp_helpers import RelpConn, send_window
    n, rate = 1000, 200
    relp = free_port()
    srv = start_server("--max-rate", rate, "--relp-port", relp, "--fsync", "never")
    conn = RelpConn(relp, timeout=30)
    conn.open()
    t0 = time.monotonic()
    answers = send_window(conn, [b"<13>relp %04d" % i for i in range(n)], window=128)
    assert [c for _i, c in answers] == [200] * n
    # one second's burst free, the rest at the rate, less one window's overshoot
    assert time.monotonic() - t0 >= (n - rate - 128) / rate - 0.5
    recs = srv.wait_records(lambda rs: sum("relp " in r.msg for r in rs) == n)
    assert events(recs, "max-rate: ")
