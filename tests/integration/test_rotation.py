"""Many concurrent clients, size rotation, retention, and restarts."""
import random
import re
import socket
import threading
import time
from calendar import timegm

import pytest

from integration_helpers import (LOGNAME_RE, client_msgs, events, first_record, peer_of,
                                 read_file_records, wait_closed, wait_until)

CLIENTS = 50
LINES = 2000
MAX_SIZE = 64 * 1024

LINE_RE = re.compile(r"^c(\d\d) n(\d{5}) (.*)$")
ROTATE_RE = re.compile(r"^rotate: continues (\S+) \((\d+) bytes\); max-size (\d+), "
                       r"max-files (\d+)(?:, rotate-interval (?P<every>\d+))?(?:; deleted (?P<deleted>.*))?$")


def line_for(client, n):
    """Numbered line whose body can be checked for integrity."""
    pad = "abcdefghijklmnopqrstuvwxyz0123456789"[(client + n) % 36] * ((client * 7 + n) % 41)
    return "c%02d n%05d <%s|%d>" % (client, n, pad, (client * 7919 + n * 31) % 100003)


def run_clients(srv, clients=CLIENTS, lines=LINES):
    """Every client sends its numbered lines in randomly sized pieces (cutting
    lines anywhere), all at once, then half-closes and waits for the server to
    close. Returns {client: peer}."""
    peers = {}
    errors = []
    barrier = threading.Barrier(clients)

    def one(c):
        try:
            data = "".join(line_for(c, n) + "\n" for n in range(lines)).encode()
            rnd = random.Random(c)
            with srv.connect(timeout=120) as s:
                peers[c] = peer_of(s)
                barrier.wait(60)
                pos = 0
                while pos < len(data):
                    k = rnd.randint(1, 16384)
                    s.sendall(data[pos:pos + k])
                    pos += k
                s.shutdown(socket.SHUT_WR)
                wait_closed(s, timeout=120)
        except Exception as e:      # reported by the caller
            errors.append((c, repr(e)))
            barrier.abort()

    threads = [threading.Thread(target=one, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not [t for t in threads if t.is_alive()], "client threads hung"
    assert not errors, errors
    return peers


def check_rotate_chain(srv, files):
    """Each file after the first starts with a rotate record naming the file
    before it and that file's final size; deleted files are gone."""
    deleted = []
    for prev, cur in zip(files, files[1:]):
        first = first_record(cur)
        m = ROTATE_RE.match(first.event or "")
        assert m, "%s does not start with a rotate record: %r" % (cur.name, first.line)
        assert m.group(1) == prev.name
        assert int(m.group(2)) == prev.stat().st_size
        assert int(m.group(3)) == MAX_SIZE
        if m.group("deleted"):
            deleted += m.group("deleted").split()
    for name in deleted:
        assert LOGNAME_RE.match(name), name
        assert not (srv.logdir / name).exists(), "%s was reported deleted" % name
    return deleted


def check_client_lines(recs, peers, complete):
    """Every line intact, at most once, in per-client order, from the right
    peer; with complete, every line present; otherwise each client's lines
    form a run that ends with its last line (older files were deleted)."""
    by_peer = {p: c for c, p in peers.items()}
    got = {c: [] for c in peers}
    for r in recs:
        if r.is_event:
            continue
        m = LINE_RE.match(r.msg)
        assert m, "foreign or damaged record: %r" % r.line[:200]
        c, n = int(m.group(1)), int(m.group(2))
        assert r.msg == line_for(c, n), "damaged line: %r" % r.line[:200]
        assert by_peer.get(r.peer) == c, "line of client %d from peer %s" % (c, r.peer)
        got[c].append(n)
    for c, ns in got.items():
        if complete:
            assert ns == list(range(LINES)), "client %d: lines missing, doubled or reordered" % c
        elif ns:
            assert ns == list(range(ns[0], LINES)), \
                "client %d: lines doubled, reordered or a gap in the kept files" % c
    return got


def test_50_clients_x_2000_lines_all_present_once_in_order_no_file_over_max_size(start_server):
    srv = start_server("--max-size", "64K", "--max-files", "1000")
    peers = run_clients(srv)
    assert srv.stop() == 0
    files = srv.files()
    assert len(files) > 20, "the test must rotate many times"
    sizes = {f.name: f.stat().st_size for f in files}
    assert max(sizes.values()) <= MAX_SIZE, sizes
    recs = [r for f in files for r in read_file_records(f, complete_only=False)]
    check_client_lines(recs, peers, complete=True)
    assert check_rotate_chain(srv, files) == [], "nothing may be deleted with max-files 1000"
    seqs = [int(LOGNAME_RE.match(f.name).group(2)) for f in files]
    assert seqs == list(range(seqs[0], seqs[0] + len(files))), "sequence numbers have gaps"
    for c, p in peers.items():
        assert [r.event for r in events(recs, "disconnect %s " % p)] == \
            ["disconnect %s messages=%d truncated=0" % (p, LINES)]
    assert events(recs, "stop: ")[-1].event == \
        "stop: SIGTERM; clients served=%d refused=0" % CLIENTS


def test_small_max_files_deletes_oldest_keeps_limit_and_per_client_order(start_server):
    srv = start_server("--max-size", "64K", "--max-files", "3")
    foreign = srv.logdir / "notes.txt"
    foreign.write_text("not ours\n")
    lookalike = srv.logdir / "logserver-20000101T000000Z-00000000.log.1"
    lookalike.write_text("not ours either\n")
    peers = run_clients(srv)
    assert srv.stop() == 0
    files = srv.files()
    assert len(files) == 3, [f.name for f in files]
    assert max(f.stat().st_size for f in files) <= MAX_SIZE
    deleted = check_rotate_chain(srv, files)
    assert deleted, "retention must have deleted files"
    first_seq = int(LOGNAME_RE.match(files[0].name).group(2))
    assert first_seq > 3, "the oldest files are the ones deleted"
    assert all(int(LOGNAME_RE.match(d).group(2)) < first_seq for d in deleted)
    recs = [r for f in files for r in read_file_records(f, complete_only=False)]
    got = check_client_lines(recs, peers, complete=False)
    assert sum(len(v) for v in got.values()) > 0
    assert foreign.read_text() == "not ours\n"
    assert lookalike.read_text() == "not ours either\n"


def test_record_bigger_than_max_size_gets_a_file_of_its_own(start_server):
    srv = start_server("--max-size", "1K", "--max-line", "3000", "--max-files", "100")
    peer = srv.send(b"small one\n" + b"B" * 2500 + b"\nsmall two\n")
    assert srv.stop() == 0
    files = srv.files()
    big = [f for f in files if any(r.msg == "B" * 2500 for r in read_file_records(f))]
    assert len(big) == 1
    others = [r for r in read_file_records(big[0]) if not r.is_event]
    assert [r.msg for r in others] == ["B" * 2500], "the big record is alone in its file"
    assert all(f.stat().st_size <= 1024 for f in files if f != big[0])
    recs = srv.records()
    assert client_msgs(recs, peer) == ["small one", "B" * 2500, "small two"]


def test_restart_on_start_append_continues_most_recent_file(start_server):
    srv = start_server("--on-start", "new")
    p1 = srv.send(b"first run\n")
    assert srv.stop() == 0
    srv = start_server("--on-start", "new")
    p2 = srv.send(b"second run\n")
    assert srv.stop() == 0
    files = srv.files()
    assert len(files) == 2
    before = files[1].stat().st_size
    srv = start_server("--on-start", "append")
    p3 = srv.send(b"third run\n")
    assert srv.stop() == 0
    assert srv.files() == files, "append must not start a new file"
    last = read_file_records(files[1], complete_only=False)
    assert [r.msg for r in last if r.peer == p2] == ["second run"]
    assert [r.msg for r in last if r.peer == p3] == ["third run"]
    assert files[1].stat().st_size > before
    assert [r.msg for r in read_file_records(files[0]) if r.peer == p1] == ["first run"]
    # the third run's start record went into the most recent file too
    assert len(events(last, "start ")) == 2 and len(events(last, "stop: ")) == 2


def test_default_on_start_is_append(start_server):
    srv = start_server()
    srv.send(b"one\n")
    assert srv.stop() == 0
    srv = start_server()
    srv.send(b"two\n")
    assert srv.stop() == 0
    files = srv.files()
    assert len(files) == 1
    recs = read_file_records(files[0], complete_only=False)
    assert [r.msg for r in recs if not r.is_event] == ["one", "two"]
    assert len(events(recs, "start ")) == 2 and len(events(recs, "stop: ")) == 2


def test_restart_on_start_new_starts_new_file_after_the_last(start_server):
    srv = start_server()
    srv.send(b"old\n")
    assert srv.stop() == 0
    old = srv.files()
    srv = start_server("--on-start", "new")
    peer = srv.send(b"new\n")
    start = srv.wait_event("start ")[-1]
    assert srv.stop() == 0
    files = srv.files()
    assert len(files) == 2 and files[0] == old[0]
    assert files[1].name > files[0].name
    s0 = int(LOGNAME_RE.match(files[0].name).group(2))
    assert int(LOGNAME_RE.match(files[1].name).group(2)) == s0 + 1
    recs = read_file_records(files[1], complete_only=False)
    assert recs[0].event == start.event and start.file == files[1].name
    assert " file=%s" % files[1].name in start.event
    assert [r.msg for r in recs if r.peer == peer] == ["new"]


def test_on_start_applies_max_files_to_existing_files(start_server):
    for _ in range(4):
        srv = start_server("--on-start", "new")
        assert srv.stop() == 0
    assert len(srv.files()) == 4
    srv = start_server("--on-start", "new", "--max-files", "2")
    names = [f.name for f in srv.files()]
    assert len(names) == 2
    assert " file=%s" % names[-1] in srv.wait_event("start ")[-1].event
    assert srv.stop() == 0


def test_first_record_after_rotation_goes_whole_even_past_max_size(start_server):
    # Documented rule: a file never grows past --max-size, except when its
    # first record does not fit after the rotate record that opens it; that
    # record is then written whole (records are never split), so the file
    # holds the rotate record and exactly that one record.
    srv = start_server("--max-size", "1K", "--max-line", "900", "--max-files", "100")
    lines = [(b"%d" % (i % 10)) * 900 for i in range(6)]
    peer = srv.send(b"".join(line + b"\n" for line in lines))
    assert srv.stop() == 0
    recs = srv.records(complete_only=False)
    mine = [r for r in recs if r.peer == peer]
    assert [r.msg for r in mine] == [x.decode() for x in lines]
    for f in srv.files():
        if f.stat().st_size <= 1024:
            continue
        frecs = [r for r in recs if r.file == f.name]
        assert frecs[0].is_event and frecs[0].event.startswith("rotate: "), f.name
        assert len([r for r in frecs if not r.is_event]) == 1, (f.name, frecs)

def name_time(name):
    """The UTC time in a log file's name, in seconds since the epoch."""
    return timegm(time.strptime(LOGNAME_RE.match(name).group(1), "%Y%m%dT%H%M%SZ"))


def test_rotate_interval_starts_a_file_with_the_first_record_of_each_period(start_server):
    every = 2
    srv = start_server("--rotate-interval", every, "--udp-port", "0")

    def file_of(msg):
        recs = srv.wait_records(lambda rs: any(r.msg == msg for r in rs), what=msg)
        return [r.file for r in recs if r.msg == msg][0]

    def periods_after(name, n):
        start = name_time(name) // every
        wait_until(lambda: int(time.time()) // every >= start + n, timeout=(n + 2) * every,
                   what="%d periods after %s" % (n, name))

    with srv.connect() as s:
        s.sendall(b"first\n")
        a = file_of("first")
        periods_after(a, 1)
        s.sendall(b"second\n")
        b = file_of("second")
        assert b != a
        m = ROTATE_RE.match(first_record(srv.logdir / b).event)
        assert m and m.group(1) == a and m.group("every") == str(every), first_record(srv.logdir / b)
        # A period without records starts no file; the next record does.
        names = [f.name for f in srv.files()]
        assert names[-2:] == [a, b]     # (the start record may have a file of its own)
        periods_after(b, 2)
        assert [f.name for f in srv.files()] == names
        s.sendall(b"third\n")
        c = file_of("third")
        assert c not in (a, b)
    msgs = [r.msg for r in srv.records() if not r.is_event]
    assert msgs == ["first", "second", "third"]
    assert srv.stop() == 0
