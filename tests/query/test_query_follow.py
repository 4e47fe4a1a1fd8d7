"""FOLLOW and logclient follow: records as they are written, every record
exactly once and in file order, continuing into the next file at each
rotation; the START / END / LINES n / OFFSET n starting points."""
import signal
import subprocess

from query_helpers import (CLIENT, CLIENT_PLAIN, LOOP, TIMEOUT, StreamReader, event_text,
                           record_lines, seq_of, wait_until)

N_SENDERS = 20
N_LINES = 240
ROUNDS = 4


def concatenation_from(srv, first_seq):
    return b"".join(p.read_bytes() for p in srv.own_files() if seq_of(p.name) >= first_seq)


def test_follow_from_start_sees_every_record_once_in_file_order_across_5_rotations_under_20_senders(
        start_server, procs, tmp_path):
    srv = start_server("--max-size", "32K")
    first = srv.own_files()[-1].name
    first_seq = seq_of(first)

    # Follower 1: logclient follow --from-start (FOLLOW - START on the current file).
    out_path = tmp_path / "follow.out"
    with open(out_path, "wb") as out:
        follower = procs.popen(srv.client_argv("follow", "--from-start"), cwd=str(tmp_path),
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
    # Follower 2: raw FOLLOW <first file> START.
    q = srv.query()
    procs.on_cleanup(q.close)
    assert q.request("FOLLOW %s START" % first) == "OK %s 0" % first
    raw = StreamReader(q.sock, q.buf)
    procs.on_cleanup(raw.close)
    srv.wait_event("FOLLOW %s offset=0" % first, count=2)

    # 20 logclient senders, all connected before any of them sends a line.
    senders = []
    for s in range(N_SENDERS):
        senders.append(procs.popen([CLIENT, *CLIENT_PLAIN, "-H", LOOP, "-p", srv.port],
                                   cwd=str(tmp_path),
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE))
    # (their children start with their first bytes: docs/ARCHITECTURE.md)
    wait_until(lambda: srv.connections() == N_SENDERS, TIMEOUT, "every sender connected")
    per_round = N_LINES // ROUNDS
    for r in range(ROUNDS):
        for s, p in enumerate(senders):
            p.stdin.write(b"".join(b"sender=%02d seq=%05d %s\n" % (s, i, b"x" * (i % 50))
                                   for i in range(r * per_round, (r + 1) * per_round)))
            p.stdin.flush()
    for p in senders:
        p.stdin.close()
    for p in senders:
        assert p.wait(timeout=60) == 0, p.stderr.read()

    box = {}

    def caught_up():
        exp = concatenation_from(srv, first_seq)
        a, b = out_path.read_bytes(), raw.snapshot()
        box.update(exp=exp, a=a, b=b)
        return a == exp and b == exp

    try:
        wait_until(caught_up, 30, what="both followers to match the files")
    except AssertionError:
        exp, a, b = box["exp"], box["a"], box["b"]
        raise AssertionError("follow streams differ from the files: files %d bytes, logclient "
                             "%d, raw %d; first difference at %s / %s" % (
                                 len(exp), len(a), len(b), first_diff(exp, a), first_diff(exp, b)))
    files = [p for p in srv.own_files() if seq_of(p.name) >= first_seq]
    assert len(files) >= 6, "expected at least 5 rotations, got %d files" % len(files)
    stream = box["exp"]
    assert stream.count(b"rotate: continues ") == len(files) - 1

    seen = {}
    for line in record_lines(stream):
        _, _, msg = line.partition(b" ")
        _, _, msg = msg.partition(b" ")
        if msg.startswith(b"sender="):
            s, i = int(msg[7:9]), int(msg[14:19])
            seen.setdefault(s, []).append(i)
    assert sorted(seen) == list(range(N_SENDERS))
    for s, got in seen.items():
        assert got == list(range(N_LINES)), "sender %d: records missing, doubled or reordered" % s

    follower.send_signal(signal.SIGINT)
    assert follower.wait(timeout=TIMEOUT) == 130     # Ctrl-C ends follow with 130
    assert follower.stderr.read() == b""


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n if len(a) != len(b) else None


def test_logclient_follow_starts_with_the_last_10_lines_then_prints_new_records(
        start_server, procs, tmp_path):
    srv = start_server()
    srv.send_lines([b"early %02d" % i for i in range(30)])
    cur = srv.own_files()[-1]
    out_path = tmp_path / "follow.out"
    with open(out_path, "wb") as out:
        p = procs.popen(srv.client_argv("follow"), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                        stdout=out, stderr=subprocess.PIPE)
    ev = srv.wait_event("FOLLOW %s offset=" % cur.name)[0]
    off = int(ev.rsplit("=", 1)[1])
    data = cur.read_bytes()
    assert off > 0 and data[off - 1:off] == b"\n", "starts at the beginning of a line"
    shown = record_lines(data[off:])
    # Ten lines that were already there, then the audit record of this FOLLOW.
    assert "FOLLOW %s offset=%d" % (cur.name, off) in (event_text(shown[10]) or ""), shown[:11]
    assert b"early 29" in b"".join(shown[:10])
    wait_until(lambda: out_path.read_bytes().startswith(b"\n".join(shown[:11]) + b"\n"),
               what="the last 10 lines and the audit record on stdout")
    srv.send_lines([b"late %02d" % i for i in range(5)])
    wait_until(lambda: b"late 04" in out_path.read_bytes()
               and out_path.read_bytes() == cur.read_bytes()[off:], what="the new records")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 0
    assert p.stderr.read() == b""


def audit_position(data, conn, name, off):
    """Offset of the audit record of this connection's FOLLOW in data."""
    want = "query %s: FOLLOW %s offset=%d" % (conn.local, name, off)
    pos = 0
    for line in record_lines(data):
        if event_text(line) == want:
            return pos
        pos += len(line) + 1
    return None


def test_follow_starting_points_end_offset_and_lines(start_server):
    srv = start_server()
    srv.send_lines([b"line %02d" % i for i in range(25)])
    cur = srv.own_files()[-1]

    def follow(req):
        q = srv.query()
        head = q.request(req)
        assert head.startswith("OK "), (req, head)
        name, off = head[3:].split(" ")
        assert name == cur.name, (req, head)
        off = int(off)
        data = wait_until(lambda: (lambda d: d if audit_position(d, q, name, off) is not None
                                   else None)(cur.read_bytes()), what="the FOLLOW audit record")
        before = data[:audit_position(data, q, name, off)]  # the file when FOLLOW arrived
        stream = q.exact(len(data) - off)
        assert stream == data[off:], req
        q.close()
        return off, before

    off, before = follow("FOLLOW - END")
    assert off == len(before)
    off, before = follow("FOLLOW %s" % cur.name)                # END is the default
    assert off == len(before)
    off, before = follow("FOLLOW %s OFFSET 17" % cur.name)      # even inside a line
    assert off == 17
    off, before = follow("FOLLOW - START")
    assert off == 0
    off, before = follow("FOLLOW - LINES 3")
    assert off == len(before) - sum(len(l) + 1 for l in record_lines(before)[-3:])
    off, before = follow("FOLLOW %s LINES 0" % cur.name)
    assert off == len(before)
    off, before = follow("FOLLOW - LINES 999999")               # more lines than there are
    assert off == 0
    with srv.query() as q:
        size = cur.stat().st_size
        assert q.request("FOLLOW - OFFSET %d" % (size + 1000)).startswith("ERR range ")
        assert q.request("FOLLOW - SIDEWAYS").startswith("ERR badreq ")
        assert q.request("FOLLOW - LINES").startswith("ERR badreq ")
        assert q.request("FOLLOW - LINES -1").startswith("ERR badreq ")


def test_logclient_follow_lines_n_and_named_file(start_server, procs, tmp_path):
    srv = start_server()
    srv.send_lines([b"row %02d" % i for i in range(12)])
    cur = srv.own_files()[-1]
    out_path = tmp_path / "follow.out"
    with open(out_path, "wb") as out:
        p = procs.popen(srv.client_argv("follow", cur.name, "--lines", "3"), cwd=str(tmp_path),
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
    ev = srv.wait_event("FOLLOW %s offset=" % cur.name)[0]
    off = int(ev.rsplit("=", 1)[1])
    data = cur.read_bytes()
    lines = record_lines(data)
    audit = [i for i, l in enumerate(lines)
             if (event_text(l) or "").endswith("FOLLOW %s offset=%d" % (cur.name, off))][0]
    assert off == sum(len(l) + 1 for l in lines[:audit - 3]), "starts 3 lines before the audit"
    assert b"row 11" in b"".join(lines[:audit])
    wait_until(lambda: out_path.read_bytes().startswith(b"\n".join(lines[audit - 3:audit + 1])),
               what="the last 3 lines and the audit record on stdout")
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=TIMEOUT) == 130
