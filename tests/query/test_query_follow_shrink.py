"""A follower whose file shrank under it (the store cut a failed write back,
or repaired a torn tail) goes on at the new end, a record boundary, says so,
and delivers what is written next: no bytes twice, none from mid-record."""
import os

from query_helpers import StreamReader, record_lines, wait_until


def test_a_follower_resynchronises_at_a_record_boundary_when_its_file_shrinks(
        start_server, procs):
    srv = start_server()
    cur = srv.own_files()[-1]
    q = srv.query()
    procs.on_cleanup(q.close)
    assert q.request("FOLLOW - END").startswith("OK %s " % cur.name)
    raw = StreamReader(q.sock, q.buf)
    procs.on_cleanup(raw.close)
    srv.send_lines([b"kept %02d" % i for i in range(5)] + [b"cut %02d" % i for i in range(5)])
    wait_until(lambda: b"cut 04\n" in raw.snapshot(), what="the first records followed")
    # Cut the file back to just after "kept 04", as the store does after a failed write.
    data = cur.read_bytes()
    keep = data.index(b"kept 04\n") + len(b"kept 04\n")
    seen = len(raw.snapshot())
    os.truncate(cur, keep)
    # The follower notices at the end of what it has (inotify or its 1 s poll)
    # and says so in the file it follows, before anything else is written.
    wait_until(lambda: b"shrank from " in raw.snapshot()[seen:], what="the resync record")
    srv.send_lines([b"after %02d" % i for i in range(3)])
    wait_until(lambda: b"after 02\n" in raw.snapshot(), what="records after the cut")
    tail = raw.snapshot()[seen:]
    lines = record_lines(tail)
    assert any(b"FOLLOW %s shrank from " % cur.name.encode() in ln and
               b"; continuing at %d" % keep in ln for ln in lines), tail
    # everything after the cut is whole records, each once, in file order
    assert tail == cur.read_bytes()[keep:], "the follower's bytes differ from the file"
    assert [ln.split(b" ")[-2:] for ln in lines if b" after " in ln] == \
        [[b"after", b"%02d" % i] for i in range(3)]
