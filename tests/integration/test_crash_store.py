"""The store when processes are killed: no torn or glued record, nothing of
the other clients lost or doubled, children die with the supervisor, a torn
file is repaired at start-up."""
import os
import random
import re
import signal
import socket
import threading
import time

from integration_helpers import (LOGNAME_RE, events, free_port, kill_pid,
                                 proc_state, read_file_records, wait_closed, wait_until)

OTHER_RE = re.compile(r"^other(\d) (\d{6}) x{40}$")
BIG_RE = re.compile(r"^big(\d{2})-(\d{6}) (y+)$")
BIG_LINE = 1500


def sender(srv, k, n, errors, pace=None):
    """One connection sending n numbered lines in chunks of 20."""
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=60) as s:
            for i in range(0, n, 20):
                s.sendall(b"".join(b"other%d %06d %s\n" % (k, j, b"x" * 40)
                                   for j in range(i, min(n, i + 20))))
                if pace is not None:
                    pace.wait(0.002)
            s.shutdown(socket.SHUT_WR)
            wait_closed(s, 60)
    except OSError as e:        # noqa: PERF203 -- reported by the test
        errors.append(e)


def test_a_session_child_killed_20_times_mid_stream_tears_nothing_and_others_lose_nothing(
        start_server):
    max_size = 8 * 1024 * 1024
    srv = start_server("--max-size", "8M", "--max-files", "1000")
    errors = []
    stop_pace = threading.Event()
    others = [threading.Thread(target=sender, args=(srv, k, 6000, errors, stop_pace))
              for k in range(5)]
    for t in others:
        t.start()
    wait_until(lambda: len(srv.children()) >= 5, what="the five senders' children")
    rnd = random.Random(20)
    killed = []
    for rnd_no in range(20):
        stop = threading.Event()
        before = set(srv.children())
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        body = b"y" * BIG_LINE

        def run(sock=s, r=rnd_no):
            try:
                j = 0
                while not stop.is_set():
                    sock.sendall(b"".join(b"big%02d-%06d %s\n" % (r, j + x, body)
                                          for x in range(400)))
                    j += 400
            except OSError:
                pass
        t = threading.Thread(target=run)
        t.start()
        # (its child starts with its first bytes: docs/ARCHITECTURE.md)
        new = wait_until(lambda: set(srv.children()) - before, what="the big sender's child")
        assert len(new) == 1
        pid = new.pop()
        # let it write for a moment (its records reach the file), then kill
        start = sum(f.stat().st_size for f in srv.files())
        wait_until(lambda: sum(f.stat().st_size for f in srv.files()) > start + 200000,
                   what="the big stream writing")
        deadline = time.monotonic() + rnd.uniform(0.0, 0.05)
        wait_until(lambda: time.monotonic() >= deadline, what="a random moment")
        kill_pid(pid, signal.SIGKILL)
        killed.append(pid)
        wait_until(lambda p=pid: proc_state(p) in (None, "Z"), what="child %d gone" % pid)
        stop.set()
        s.close()
        t.join(30)
    for t in others:
        t.join(120)
    assert not errors, errors
    assert srv.stop() == 0

    # Every line of every file is one whole record, no file is past max-size
    # beyond the documented exception (a rotate record and one record).
    recs = []
    for f in srv.files():
        file_recs = read_file_records(f, complete_only=False)
        size = f.stat().st_size
        if size > max_size:
            assert len(file_recs) == 2 and file_recs[0].event.startswith("rotate: "), f
        recs.extend(file_recs)
    by_client = {k: [] for k in range(5)}
    for r in recs:
        if r.is_event:
            assert r.event is not None, r.line[:200]
            continue
        m = OTHER_RE.match(r.msg)
        if m:
            by_client[int(m.group(1))].append(int(m.group(2)))
            continue
        m = BIG_RE.match(r.msg)
        assert m and len(m.group(3)) == BIG_LINE, "torn or glued record: %r" % r.line[:300]
    for k in range(5):
        assert by_client[k] == list(range(6000)), "client %d lost or doubled lines" % k
    kills = events(recs, "child ")
    assert sorted(e.event.split()[1] for e in kills if "killed by signal 9" in e.event) == \
        sorted(str(p) for p in killed)
    repairs = events(recs, "repair: ")
    print("repairs of torn writes: %d of %d kills" % (len(repairs), len(killed)))


def test_children_die_with_a_killed_supervisor_and_a_new_server_takes_over(start_server,
                                                                           tmp_path):
    logdir = tmp_path / "logs"
    srv = start_server(logdir=logdir)
    stop = threading.Event()
    socks = []
    for k in range(3):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        socks.append(s)

        def run(sock=s, k=k):
            try:
                j = 0
                while not stop.is_set():
                    sock.sendall(b"".join(b"old%d %06d\n" % (k, j + x) for x in range(100)))
                    j += 100
            except OSError:
                pass
        threading.Thread(target=run, daemon=True).start()
    old_pids = wait_until(lambda: len(srv.children()) >= 3 and set(srv.children()),
                          what="three session children")
    wait_until(lambda: sum(f.stat().st_size for f in srv.files()) > 100000,
               what="the senders writing")
    srv.kill(signal.SIGKILL)
    srv.proc.wait(timeout=10)
    t0 = time.monotonic()
    wait_until(lambda: all(proc_state(p) in (None, "Z") for p in old_pids), timeout=1.0,
               what="the children of the killed supervisor to die")
    assert time.monotonic() - t0 < 1.0
    new = start_server(logdir=logdir)
    new.send(b"after the restart\n")
    assert new.stop() == 0
    stop.set()
    for s in socks:
        s.close()
    recs = []
    for f in new.files():
        recs.extend(read_file_records(f, complete_only=False))
    start_i = max(i for i, r in enumerate(recs) if r.is_event and r.event.startswith("start "))
    after = recs[start_i:]
    assert not [r for r in after if r.pid in old_pids], "an old child wrote after the restart"
    assert not [r for r in after if r.msg.startswith("old")]
    assert [r.msg for r in after if not r.is_event] == ["after the restart"]


def test_a_torn_last_record_is_removed_at_start_up_and_the_repair_recorded(start_server,
                                                                           tmp_path):
    logdir = tmp_path / "logs"
    srv = start_server(logdir=logdir)
    srv.send(b"whole one\nwhole two\n")
    assert srv.stop() == 0
    newest = srv.files()[-1]
    size_whole = newest.stat().st_size
    with open(newest, "ab") as f:
        f.write(b"2026-12-02T10:00:00.000Z 127.0.0.1:9 a record cut short by a ki")
    srv2 = start_server(logdir=logdir)
    srv2.send(b"after repair\n")
    assert srv2.stop() == 0
    data = newest.read_bytes()
    assert data[:size_whole] == newest.read_bytes()[:size_whole]
    recs = read_file_records(newest, complete_only=False)
    assert [r.msg for r in recs if not r.is_event] == ["whole one", "whole two",
                                                        "after repair"]
    rep = events(recs, "repair: ")
    assert len(rep) == 1
    assert rep[0].event == ("repair: %s ended in a torn record (a process was killed in the "
                            "middle of a write); removed its 63 bytes at offset %d"
                            % (newest.name, size_whole))
    assert LOGNAME_RE.match(newest.name)


def test_a_symlink_as_the_newest_file_is_ignored_not_followed(start_server, tmp_path):
    logdir = tmp_path / "logs"
    srv = start_server(logdir=logdir)
    assert srv.stop() == 0
    newest = srv.files()[-1]
    target = tmp_path / "victim"
    target.write_bytes(b"precious\n")
    newest.unlink()
    os.symlink(target, newest)
    srv2 = start_server(logdir=logdir)
    srv2.send(b"after the plant\n")
    assert srv2.stop() == 0
    assert target.read_bytes() == b"precious\n"
    assert newest.is_symlink()
    recs = [r for f in srv2.files() if not f.is_symlink() for r in read_file_records(f)]
    start = events(recs, "start ")
    assert " ignored=1 (symlinks or files not ours, named like ours)" in start[-1].event
    assert [r.msg for r in recs if not r.is_event] == ["after the plant"]


def test_a_symlink_at_the_current_name_before_sighup_is_not_followed(start_server, tmp_path):
    srv = start_server()
    cur = srv.files()[-1]
    target = tmp_path / "victim"
    target.write_bytes(b"precious\n")
    os.rename(cur, tmp_path / "rotated.log")
    os.symlink(target, cur)
    srv.kill(signal.SIGHUP)

    def reopen_events():
        recs = [r for f in srv.files() if not f.is_symlink() for r in read_file_records(f)]
        return events(recs, "reopen: SIGHUP, ")
    ev = wait_until(reopen_events, what="the reopen record")
    assert ev[0].event.startswith("reopen: SIGHUP, %s is a symbolic link; not followed, "
                                  "writing to " % cur.name), ev[0].event
    srv.send(b"after the reopen\n")
    assert srv.stop() == 0
    assert target.read_bytes() == b"precious\n"


def test_a_rotation_whose_first_write_fails_keeps_true_bookkeeping(start_server, tmp_path):
    import subprocess
    import pytest
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                         capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % res.stderr.decode().strip())
    try:
        srv = start_server("--max-size", "16K", logdir=mnt / "logs")
        first = [b"first %04d %s" % (i, b"f" * 50) for i in range(150)]     # ~10 KiB
        srv.send(b"\n".join(first) + b"\n")
        name1 = srv.files()[0].name
        size1 = srv.files()[0].stat().st_size
        # fill the disk to the last block; inodes remain, so the next file can be made
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for _ in range(100000):
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        second = [b"second %04d %s" % (i, b"s" * 50) for i in range(150)]
        t = threading.Thread(target=srv.send, args=(b"\n".join(second) + b"\n", 60))
        t.start()
        wait_until(lambda: "cannot write records" in srv.stderr(), what="the write failure")
        wait_until(lambda: len(srv.files()) == 2, what="the next file")
        assert srv.files()[1].stat().st_size == 0     # nothing half-written in it
        # the old file took what fitted below max-size (the last page had room)
        size1 = srv.files()[0].stat().st_size
        assert size1 <= 16384 and srv.files()[0].read_bytes().endswith(b"\n")
        os.unlink(mnt / "filler")
        t.join(60)
        assert not t.is_alive()
        assert srv.stop() == 0
        recs2 = read_file_records(srv.files()[1])
        assert recs2[0].event.startswith("rotate: continues %s (%d bytes); max-size 16384"
                                         % (name1, size1)), recs2[0].line
        msgs = [r.msg.encode() for f in srv.files() for r in read_file_records(f)
                if not r.is_event]
        assert msgs == first + second
        assert not events([r for f in srv.files() for r in read_file_records(f)],
                          "rotate failed")
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_symlinked_lock_file_is_refused_and_its_target_not_created(tmp_path):
    from integration_helpers import run_server
    logdir = tmp_path / "logs"
    logdir.mkdir()
    target = tmp_path / "would-be-created"
    os.symlink(target, logdir / ".logserver.lock")
    res = run_server(["-p", free_port(), "-d", logdir], tmp_path)
    assert res.returncode == 1
    assert b".logserver.lock: Too many levels of symbolic links" in res.stderr, res.stderr
    assert not target.exists()
