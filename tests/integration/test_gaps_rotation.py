"""Gaps (issue 8) in rotation: a record that ends exactly at --max-size,
SIGHUP in logrotate's `create` mode, and retention next to names of the same
length as the server's own that are not of its shape."""
import os
import signal

from integration_helpers import (LOGNAME_RE, client_msgs, events, first_record, peer_of,
                                 proc_state, read_file_records, rx_queue, wait_until)

MAX = 8192


def msgs_by_file(srv, peer):
    """{file name: [messages of peer in it]} over the server's files."""
    out = {}
    for f in srv.files():
        out[f.name] = [r.msg for r in read_file_records(f) if r.peer == peer]
    return out


def file_of(srv, peer, msg):
    """The name of the one file that holds msg from peer (waits for it)."""
    def find():
        hits = [n for n, ms in msgs_by_file(srv, peer).items() if msg in ms]
        assert len(hits) <= 1 and sum(ms.count(msg) for ms in
                                      msgs_by_file(srv, peer).values()) <= 1, hits
        return hits[0] if hits else None
    return wait_until(find, what="the record %r" % msg[:40])


def test_record_ending_exactly_at_max_size_stays_and_one_byte_more_rotates(start_server,
                                                                          procs):
    # Checked against planted bugs in logstore_append(): memrchr(buf, '\n',
    # room - 1) (a record that fits exactly is moved to the next file: fails at
    # "the boundary record stays") and memrchr(buf, '\n', room + 1) (a file one
    # byte over --max-size: fails at "one byte too many").
    srv = start_server("--max-size", MAX, "--max-files", "100")
    s = srv.connect()
    procs.on_cleanup(s.close)
    peer = peer_of(s)
    s.sendall(b"probe\n")
    first = file_of(srv, peer, "probe")
    (probe,) = [r for r in read_file_records(srv.logdir / first) if r.peer == peer]
    (session,) = [r.pid for r in events(srv.records(), "connect %s" % peer)]
    # bytes of a record of this connection around its message: the receive
    # time and peer prefix are fixed width, plus the newline
    overhead = len(probe.line.encode()) - len("probe") + 1

    def fill_msg(path, extra):
        """A message whose record is `extra` bytes longer than the room left."""
        room = MAX - path.stat().st_size
        k = room - overhead + extra
        assert 0 < k <= 8192, (room, overhead)
        return "x%d-" % extra + "b" * (k - len("x%d-" % extra))

    def send_as_one_batch(msgs):
        """The session is stopped while the bytes arrive, so that one read
        takes them all and the store gets them in one batch."""
        data = b"".join(m.encode() + b"\n" for m in msgs)
        os.kill(session, signal.SIGSTOP)
        try:
            wait_until(lambda: proc_state(session) == "T", what="the session to stop")
            s.sendall(data)
            wait_until(lambda: rx_queue(srv.port, s.getsockname()[1]) == len(data),
                       what="the batch in the session's receive queue")
        finally:
            os.kill(session, signal.SIGCONT)

    # 1. a record that makes the file exactly MAX bytes stays in it, while the
    # record after it in the same batch starts the next file
    boundary = fill_msg(srv.logdir / first, 0)
    send_as_one_batch([boundary, "after the boundary"])
    second = file_of(srv, peer, "after the boundary")
    assert file_of(srv, peer, boundary) == first, "the boundary record stays in its file"
    assert second != first
    assert (srv.logdir / first).stat().st_size == MAX
    assert first_record(srv.logdir / second).event.startswith("rotate: continues %s (%d bytes)"
                                                               % (first, MAX))

    # 2. a record one byte longer than the room left goes to the next file
    size2 = (srv.logdir / second).stat().st_size
    over = fill_msg(srv.logdir / second, 1)
    send_as_one_batch([over, "after the overflow"])
    third = file_of(srv, peer, "after the overflow")
    assert file_of(srv, peer, over) == third != second, \
        "one byte too many: the record must start the next file"
    assert (srv.logdir / second).stat().st_size == size2
    s.close()
    assert srv.stop() == 0
    sizes = {f.name: f.stat().st_size for f in srv.files()}
    assert max(sizes.values()) <= MAX, sizes
    assert client_msgs(srv.records(), peer) == ["probe", boundary, "after the boundary", over,
                                                "after the overflow"]


def test_sighup_in_logrotate_create_mode_writes_to_the_new_empty_file(start_server, procs):
    # logrotate `create`: rename the current file, create an empty one under
    # the same name, SIGHUP. The server and every child (a client connected
    # before the SIGHUP too) must write to the new file and never again to the
    # renamed one, and take the new file's size (0) as its size.
    # Checked against planted bugs in logstore_reopen(): the generation not
    # bumped (children keep their descriptor of the renamed file: "held after"
    # lands there; fails) and, at commit a53c69b, the size not re-read from
    # the new file (the next 34 KiB rotate although it is empty; fails; the
    # store now re-reads the size under the lock before every write).
    srv = start_server("--max-size", "64K", "--max-files", "100")
    held = srv.connect()
    procs.on_cleanup(held.close)
    held_peer = peer_of(held)
    filler = [b"filler %04d %s" % (i, b"f" * 80) for i in range(360)]    # about 47 KiB
    held.sendall(b"".join(x + b"\n" for x in filler))
    srv.wait_records(lambda rs: len(client_msgs(rs, held_peer)) == len(filler))
    (cur,) = srv.files()
    assert 40 * 1024 < cur.stat().st_size < 56 * 1024

    rotated = cur.with_name(cur.name + ".1")
    os.rename(cur, rotated)
    cur.touch(exist_ok=False)                   # what `create` does
    srv.kill(signal.SIGHUP)
    wait_until(lambda: [r for r in read_file_records(cur)
                        if r.event == "reopen: SIGHUP, writing to %s" % cur.name],
               what="the reopen record in the new file")
    frozen = rotated.read_bytes()

    later = [b"held after %04d %s" % (i, b"h" * 60) for i in range(300)]   # about 34 KiB
    held.sendall(b"".join(x + b"\n" for x in later))
    fresh = srv.send(b"new client after the reopen\n")
    srv.wait_records(lambda rs: len(client_msgs(rs, held_peer)) == len(later) and
                     client_msgs(rs, fresh))
    held.close()
    assert srv.stop() == 0

    assert rotated.read_bytes() == frozen, "records went to the renamed file"
    assert srv.files() == [cur], "no new file: the empty one was reopened, and had room"
    recs = read_file_records(cur)
    assert recs[0].event == "reopen: SIGHUP, writing to %s" % cur.name
    assert client_msgs(recs, held_peer) == [x.decode() for x in later]
    assert client_msgs(recs, fresh) == ["new client after the reopen"]
    old = read_file_records(rotated)
    assert client_msgs(old, held_peer) == [x.decode() for x in filler]
    assert not events(old, "reopen")


# Same length as the server's own names, but not of their shape.
LOOKALIKES = [
    "logserver-20261120T232918Z-0000000x.log",
    "logserver-20261120T232918Z_00000001.log",
    "logserver-20261120T232918Z-00000002.lgo",
    "logserver-20261120t232918Z-00000003.log",
    "logserver-20261120T232918z-00000004.log",
    "logserver_20261120T232918Z-00000005.log",
    "logserver-2026112xT232918Z-00000006.log",
    "Logserver-20261120T232918Z-00000008.log",
    "logserver-20261120T232918Z-0000 009.log",
]


def test_retention_never_deletes_same_length_lookalike_names(start_server, tmp_path):
    # Checked against planted bugs in logname_parse(): the '-' before the
    # sequence number not checked, and digits() taking any character; either
    # makes retention (or start-up's choice of the latest file) take a
    # lookalike for a log file, and this test fails.
    logdir = tmp_path / "logs"
    logdir.mkdir()
    real_len = len("logserver-20261120T232918Z-00000001.log")
    for n in LOOKALIKES:
        assert len(n) == real_len and not LOGNAME_RE.match(n), n
        (logdir / n).write_text("not ours: %s\n" % n)
    srv = start_server("--max-size", "4K", "--max-files", "3")
    lines = [b"retention %04d %s" % (i, b"r" * 90) for i in range(400)]     # about 50 KiB
    peer = srv.send(b"".join(x + b"\n" for x in lines))
    assert srv.stop() == 0

    for n in LOOKALIKES:
        assert (logdir / n).read_text() == "not ours: %s\n" % n, n
    files = srv.files()
    assert len(files) == 3, [f.name for f in files]
    deleted = []
    for f in files[1:]:
        ev = first_record(f).event
        assert ev.startswith("rotate: continues "), ev
        if "; deleted " in ev:
            deleted += ev.split("; deleted ", 1)[1].split()
    # the first file was sequence number 1 (the directory had none of ours)
    assert int(LOGNAME_RE.match(files[-1].name).group(2)) >= 8, "several rotations"
    assert len(deleted) == 2, deleted
    assert all(LOGNAME_RE.match(d) for d in deleted), deleted
    assert not set(deleted) & set(LOOKALIKES)
    got = [r.msg for f in files for r in read_file_records(f) if r.peer == peer]
    assert got and got == [x.decode() for x in lines[len(lines) - len(got):]]
    assert sorted(os.listdir(logdir)) == sorted(LOOKALIKES + [f.name for f in files]
                                                + [".logserver.lock"])
