"""LIST and logclient list: every log file of the directory, oldest first, with
its size and the times of its first and last records ("-" when there is no
record time)."""
import re

import pytest

from query_helpers import TIME_RE, line_time, logname, record_lines, seq_of, wait_until

PLANTED = {
    logname(1, "20260103T000000Z"): b"".join(
        b"2026-01-03T00:00:%02d.%03dZ 10.3.3.3:514 planted %d\n" % (i, i * 7, i)
        for i in range(50)),
    logname(2, "20260103T000100Z"): b"",                                   # empty
    logname(3, "20260103T000200Z"): b"no record time here\nnor here\n",    # no times
    logname(4, "20260103T000300Z"): b"2026-01-03T00:03:00.000Z 10.3.3.3:514 only one\n",
}
NOT_OURS = ["notes.txt", "logserver-x.log", "logserver-20260103T000000Z-00000009.log.gz"]


def expected_line(path):
    data = path.read_bytes()
    lines = record_lines(data)
    if data and not data.endswith(b"\n"):
        lines.append(data.rsplit(b"\n", 1)[-1])
    first = line_time(lines[0]) if lines else "-"
    last = line_time(lines[-1]) if lines else "-"
    return "%s %d %s %s" % (path.name, len(data), first, last)


def list_reply(srv):
    with srv.query() as q:
        head = q.request("LIST")
        assert re.match(r"^OK \d+$", head), head
        return [q.line() for _ in range(int(head[3:]))]


def test_list_shows_every_file_with_its_size_and_first_and_last_record_times(
        start_server, tmp_path):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    for name, data in PLANTED.items():
        (logdir / name).write_bytes(data)
    for name in NOT_OURS:
        (logdir / name).write_bytes(b"2026-01-03T00:00:00.000Z 10.3.3.3:514 not ours\n")
    srv = start_server("--on-start", "new", "--max-size", "4K")
    for c in range(4):
        srv.send_lines([b"client %d message %03d %s" % (c, i, b"m" * (i % 30)) for i in range(40)])
    assert len(srv.own_files()) >= 4, "expected rotations"

    box = {}

    def consistent():
        got = list_reply(srv)
        want = [expected_line(p) for p in srv.files()]
        box.update(got=got, want=want)
        return got == want
    try:
        wait_until(consistent, what="LIST to match the directory")
    except AssertionError:
        assert box["got"] == box["want"]
    got = box["got"]
    names = [l.split(" ")[0] for l in got]
    assert names == sorted(names, key=seq_of), "oldest (lowest sequence number) first"
    assert not set(NOT_OURS) & set(names)
    for line in got:
        fields = line.split(" ")
        assert len(fields) == 4, line
        assert all(f == "-" or TIME_RE.match(f) for f in fields[2:]), line
    by = {l.split(" ")[0]: l for l in got}
    assert by[logname(1, "20260103T000000Z")].endswith(
        " 2026-01-03T00:00:00.000Z 2026-01-03T00:00:49.343Z")
    assert by[logname(2, "20260103T000100Z")] == logname(2, "20260103T000100Z") + " 0 - -"
    assert by[logname(3, "20260103T000200Z")].endswith(" - -")
    assert by[logname(4, "20260103T000300Z")].endswith(
        " 2026-01-03T00:03:00.000Z 2026-01-03T00:03:00.000Z")

    # logclient list: a header, then one row per file with the same fields.
    res = srv.client("list")
    assert res.returncode == 0, res.stderr
    rows = res.stdout.decode().splitlines()
    assert rows[0].split() == ["NAME", "SIZE", "FIRST", "RECORD", "LAST", "RECORD"]
    listed = [r.split() for r in rows[1:]]
    now = [l.split(" ") for l in list_reply(srv)]
    assert listed == now


def test_list_reads_record_times_in_json_format(start_server):
    srv = start_server("--format", "json", "--max-size", "2K")
    for c in range(2):
        srv.send_lines([b"json message %02d" % i for i in range(15)])
    box = {}

    def consistent():
        box["got"] = got = list_reply(srv)
        return got == [expected_line(p) for p in srv.files()]
    wait_until(consistent, what="LIST to match the directory")
    assert len(box["got"]) >= 2
    for line in box["got"]:
        _, _, first, last = line.split(" ")
        assert TIME_RE.match(first) and TIME_RE.match(last), line


def test_list_line_has_four_fields_in_raw_format(start_server):
    import socket
    srv = start_server("--format", "raw", udp_port=None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"2026-a b c d e f g h i j k l m n o p", ("127.0.0.1", srv.uport))
    cur = srv.own_files()[-1]
    wait_until(lambda: cur.read_bytes().endswith(b"2026-a b c d e f g h i j k l m n o p\n"),
               what="the datagram")
    for line in list_reply(srv):
        fields = line.split(" ")
        assert len(fields) == 4, line
        assert all(f == "-" or TIME_RE.match(f) for f in fields[2:]), line
