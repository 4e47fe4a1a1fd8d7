"""logserver's RELP listener: answers in order, 200 only for what is in the
file (on disk with --fsync batch), de-duplication of a named session,
malformed frames, the plain port's refusal of RELP, serverclose at shutdown."""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import uuid

import pytest

from integration_helpers import events, free_port, peer_of, wait_until
from relp_helpers import RelpConn, frame, offers, send_window


def relp_server(start_server, *args, **kw):
    rport = free_port()
    srv = start_server("--relp-port", rport, *args, **kw)
    srv.relp_port = rport
    return srv


def msgs(n, tag="m"):
    return [b"<13>Dec  2 10:00:00 host app: %s %06d" % (tag.encode(), i) for i in range(n)]


def texts(records, tag="m"):
    pat = re.compile(r"user\.notice host app sent=\"Dec  2 10:00:00\": (%s \d{6})( |$)"
                     % re.escape(tag))
    return [m.group(1) for m in (pat.search(r.msg) for r in records if not r.is_event) if m]


def test_relp_acknowledges_a_message_only_once_its_record_is_in_the_file(start_server):
    srv = relp_server(start_server, "--fsync", "never")
    c = RelpConn(srv.relp_port)
    ans = c.open()
    assert ans[b"relp_version"] == b"0" and b"syslog" in ans[b"commands"]
    ms = msgs(3000)
    checked = []

    def on_ack(i):
        # every 97th ack: the acknowledged record must already be readable
        if i % 97 == 0:
            assert "m %06d" % i in texts(srv.records()), "200 before the record was written"
            checked.append(i)
    answers = send_window(c, ms, window=128, on_ack=on_ack)
    assert [code for _i, code in answers] == [200] * len(ms)
    assert [i for i, _c in answers] == list(range(len(ms)))
    assert len(checked) == len(range(0, 3000, 97))
    t = c.command("close")
    assert c.rsp() == (t, 200, "OK")
    assert c.next_frame() is None       # the server closes after close
    c.close()
    recs = srv.records()
    assert texts(recs) == ["m %06d" % i for i in range(len(ms))]
    disc = events(recs, "disconnect ")
    assert disc and disc[-1].event.endswith("messages=3000 duplicates=0")
    assert srv.stop() == 0


def test_relp_records_carry_the_transport_in_json(start_server):
    srv = relp_server(start_server, "--format", "json")
    c = RelpConn(srv.relp_port)
    c.open()
    assert send_window(c, msgs(3)) == [(0, 200), (1, 200), (2, 200)]
    c.close()
    import json
    lines = [json.loads(line) for f in srv.files() for line in f.read_text().splitlines()]
    mine = [x for x in lines if x.get("peer") != "-"]
    assert [x["transport"] for x in mine] == ["relp"] * 3
    assert [x["msg"] for x in mine] == ["m %06d" % i for i in range(3)]
    assert srv.stop() == 0


def test_a_named_session_is_not_written_twice_when_it_resends(start_server):
    srv = relp_server(start_server)
    sid = uuid.uuid4().hex
    ms = msgs(500)
    c = RelpConn(srv.relp_port)
    assert c.open(session=sid, seq=1)[b"logserver_seq"] == b"0"
    send_window(c, ms[:300])
    c.close()
    # reconnect and resend from message 201 (as if the last 100 answers were lost)
    c = RelpConn(srv.relp_port)
    assert c.open(session=sid, seq=201)[b"logserver_seq"] == b"300"
    answers = send_window(c, ms[200:])
    assert all(code == 200 for _i, code in answers)
    c.close()
    recs = srv.wait_records(lambda rs: len(events(rs, "disconnect ")) >= 2)
    assert texts(recs) == ["m %06d" % i for i in range(500)]
    assert "messages=200 duplicates=100" in events(recs, "disconnect ")[-1].event
    # another session's numbers are its own
    c = RelpConn(srv.relp_port)
    assert c.open(session=uuid.uuid4().hex, seq=1)[b"logserver_seq"] == b"0"
    c.close()
    assert srv.stop() == 0


@pytest.mark.parametrize("bad,reason", [
    (b"abc open 0\n", "bad transaction number"),
    (b"1234567890 open 0\n", "bad transaction number"),
    (b"1 open 999999999 x", "data length over the limit"),
    (b"1 open 3 abcX", "missing trailer"),
    (b"1 syslog 5 hello\n", "open expected first"),
    (b"0 open 0\n", "transaction number 0"),
    (None, ""),     # random bytes
])
def test_malformed_relp_is_answered_500_recorded_and_others_are_served(start_server, bad,
                                                                       reason):
    srv = relp_server(start_server)
    good = RelpConn(srv.relp_port)
    good.open()
    if bad is None:
        rnd = random.Random(8)
        bad = bytes(rnd.randrange(256) for _ in range(4000))
        bad = b"x" + bad    # never a valid frame start
    c = RelpConn(srv.relp_port)
    c.send(bad)
    r = c.rsp()
    assert r is not None and r[1] == 500 and reason in r[2], r
    assert c.next_frame() == (0, "serverclose", b"")
    assert c.next_frame() is None
    c.close()
    # the server stays up and serves the other client
    assert send_window(good, msgs(50)) == [(i, 200) for i in range(50)]
    good.close()
    recs = srv.wait_records(lambda rs: len(events(rs, "disconnect ")) >= 2)
    why = [e.event for e in events(recs, "disconnect ") if "messages=0" in e.event]
    assert len(why) == 1 and reason in why[0], why
    assert srv.proc.poll() is None
    assert srv.stop() == 0


def test_relp_open_on_the_plain_port_is_refused_naming_the_relp_port(start_server):
    srv = relp_server(start_server)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=15) as s:
        peer = peer_of(s)
        s.sendall(frame(1, "open", offers()))
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data == (b"logserver: refused: this is the plain TCP port; RELP goes to port %d "
                    b"(--relp-port)\n" % srv.relp_port)
    recs = srv.wait_records(lambda rs: events(rs, "disconnect " + peer))
    assert not [r for r in recs if r.peer == peer], "the RELP open was written as a message"
    assert events(recs, "refused %s: a RELP open on the plain TCP port" % peer)
    assert srv.stop() == 0


def test_relp_senders_get_serverclose_when_the_server_stops(start_server):
    srv = relp_server(start_server)
    c = RelpConn(srv.relp_port)
    c.open()
    send_window(c, msgs(10))
    srv.kill(signal.SIGTERM)
    assert c.next_frame() == (0, "serverclose", b"")
    assert c.next_frame() is None
    assert srv.proc.wait(timeout=15) == 0
    assert texts(srv.records()) == ["m %06d" % i for i in range(10)]


def _strace():
    return shutil.which("strace")


@pytest.mark.skipif(_strace() is None, reason="strace is not installed")
@pytest.mark.parametrize("mode", ["batch", "never"])
def test_fsync_batch_syncs_before_every_answer_and_never_does_not(start_server, tmp_path,
                                                                  mode):
    trace = tmp_path / "trace"
    srv = relp_server(start_server, "--fsync", mode)
    tr = subprocess.Popen(["strace", "-f", "-qq", "-o", str(trace), "-e",
                           "trace=fdatasync,write,sendto", "-p", str(srv.pid)],
                          stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: trace.exists() or tr.poll() is not None, what="strace attached")
        wait_until(lambda: "strace" not in open("/proc/%d/status" % srv.pid).read()
                   and _traced(srv.pid), what="tracer attached")
        c = RelpConn(srv.relp_port)
        c.open()
        assert all(code == 200 for _i, code in send_window(c, msgs(400), window=16))
        c.close()
        srv.wait_event("disconnect ")
    finally:
        tr.send_signal(signal.SIGINT)
        tr.wait(timeout=15)
    lines = trace.read_text().splitlines()
    syncs = [x for x in lines if "fdatasync(" in x]
    answers = [i for i, x in enumerate(lines) if re.search(r'(sendto|write)\(\d+, "\d+ rsp 6 200 OK', x)]
    assert answers
    if mode == "never":
        assert syncs == []
        return
    # every answer frame carrying a 200 for a message follows a sync that came
    # after the last write of records before it
    for i in answers:
        before = lines[:i]
        last_rec = max(j for j, x in enumerate(before) if re.search(r'write\(\d+, "20\d\d-', x))
        assert any("fdatasync(" in x for x in before[last_rec:]), lines[last_rec:i + 1]


def _traced(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1]) != 0
    return False


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mnt)],
                         capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % res.stderr.decode().strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_gets_500_never_200_for_what_was_not_written(start_server, small_disk):
    srv = relp_server(start_server, "--max-size", "10M", logdir=small_disk / "logs")
    free_kb = int(subprocess.run(["df", "-k", "--output=avail", str(small_disk)],
                                 capture_output=True, text=True).stdout.split()[-1])
    with open(small_disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, (free_kb - 64) * 1024))
    c = RelpConn(srv.relp_port)
    c.open()
    ms = [m + b" " + b"z" * 100 for m in msgs(3000)]
    acked, refused = [], []
    for i, code in send_window(c, ms, window=64):
        (acked if code == 200 else refused).append(i)
    assert refused, "the disk never filled"
    assert c.serverclose        # after its 500 answers the server closes
    assert c.next_frame() is None
    c.close()
    got = texts(srv.records())
    assert got == ["m %06d" % i for i in acked], "an acknowledged message is missing"
    assert srv.proc.poll() is None
    os.unlink(small_disk / "filler")
    assert srv.stop() == 0
    # the reason reaches the daemon's log at once (the disconnect record may
    # itself not fit on the full disk, so it is not waited for)
    assert re.search(r"RELP 127\.0\.0\.1:\d+: cannot write to the log: No space left on "
                     r"device; answered 500 to \d+ messages", srv.stderr()), srv.stderr()


def test_many_relp_senders_at_once_each_get_every_message_once_in_order(start_server):
    srv = relp_server(start_server, "--fsync", "batch")
    n, per = 10, 2000
    results = {}

    def run(k):
        c = RelpConn(srv.relp_port)
        c.open(session=uuid.uuid4().hex, seq=1)
        results[k] = send_window(c, msgs(per, "c%02d" % k), window=128)
        c.close()
    ts = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert all(not t.is_alive() for t in ts)
    recs = srv.wait_records(lambda rs: len(events(rs, "disconnect ")) >= n)
    for k in range(n):
        assert all(code == 200 for _i, code in results[k])
        assert texts(recs, "c%02d" % k) == ["c%02d %06d" % (k, i) for i in range(per)]
    assert srv.stop() == 0


@pytest.mark.skipif(_strace() is None, reason="strace is not installed")
def test_tcp_fsync_batch_syncs_each_plain_batch_before_reading_more(start_server, tmp_path):
    trace = tmp_path / "trace"
    srv = start_server("--tcp-fsync", "batch")
    tr = subprocess.Popen(["strace", "-f", "-qq", "-o", str(trace), "-e",
                           "trace=fdatasync,write,read", "-p", str(srv.pid)],
                          stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _traced(srv.pid), what="tracer attached")
        srv.send(b"".join(b"plain %04d\n" % i for i in range(2000)))
    finally:
        tr.send_signal(signal.SIGINT)
        tr.wait(timeout=15)
    lines = trace.read_text().splitlines()
    recs = [i for i, x in enumerate(lines) if re.search(r'write\(\d+, "20\d\d-', x)]
    assert recs
    for i in recs:
        nxt = [x for x in lines[i + 1:] if "fdatasync(" in x or re.search(r" read\(", x)]
        assert nxt and "fdatasync(" in nxt[0], "a batch of records not synced before reading on"
