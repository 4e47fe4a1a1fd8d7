"""Records: format, framing, escaping, and hostile input (binary data, forged
records, over-long lines, broken connections)."""
import calendar
import json
import random
import re
import socket
import struct
import threading
import time

import pytest

from integration_helpers import (TIME_RE, client_msgs, events, peer_of, session_pids, unescape,
                                 vm_rss_kb, wait_closed, wait_until)

FORGED_TIME = "2026-01-02T03:04:05.678Z"


def test_record_has_utc_ms_timestamp_peer_and_message(start_server):
    srv = start_server()
    before = time.time()
    peer = srv.send(b"hello world\n")
    after = time.time()
    recs = srv.records()
    mine = [r for r in recs if r.peer == peer]
    assert len(mine) == 1
    rec = mine[0]
    assert rec.line == "%s %s hello world" % (rec.time, peer)
    assert re.fullmatch(TIME_RE, rec.time)
    ts = calendar.timegm(time.strptime(rec.time[:19], "%Y-%m-%dT%H:%M:%S"))
    assert before - 2 <= ts + int(rec.time[20:23]) / 1000 <= after + 2, "time is not UTC"


def test_connect_and_disconnect_events_count_messages(start_server):
    srv = start_server()
    peer = srv.send(b"one\ntwo\nthree\n")
    recs = srv.records()
    connect = [r for r in events(recs, "connect ") if r.event == "connect " + peer]
    disc = [r for r in events(recs, "disconnect ") if r.event.startswith("disconnect %s " % peer)]
    assert len(connect) == 1 and len(disc) == 1
    assert disc[0].event == "disconnect %s messages=3 truncated=0" % peer
    idx = recs.index
    assert idx(connect[0]) < idx([r for r in recs if r.msg == "one"][0]) < idx(disc[0])
    assert connect[0].pid not in (None, srv.pid), "a child writes its client's events"


def test_lf_crlf_nul_and_unterminated_last_line_each_make_one_record(start_server):
    srv = start_server()
    peer = srv.send(b"lf\ncrlf\r\nnul\x00nul-then-lf\x00\nbare-cr\rinside\n\nlast-no-newline")
    assert client_msgs(srv.records(), peer) == [
        "lf", "crlf", "nul", "nul-then-lf", "bare-cr\\rinside", "", "last-no-newline"]


def test_octet_counted_frame_is_one_message_with_newlines_escaped(start_server):
    srv = start_server()
    msg = b"<13>x two\nlines\x00and a NUL"   # a frame starts with a syslog PRI
    peer = srv.send(b"%d %s" % (len(msg), msg) + b"\n" + b"404 not found\n" +
                    b"%d %s" % (len(msg), msg))
    assert client_msgs(srv.records(), peer) == [
        "user.notice x two\\nlines\\x00and a NUL", "404 not found",
        "user.notice x two\\nlines\\x00and a NUL"]


def test_octet_counted_syslog_frame_with_newline_is_one_record(start_server):
    srv = start_server()
    msg = b"<13>1 2026-11-20T23:29:19.022Z host app - - - two\nlines"
    peer = srv.send(b"%d %s%d %s" % (len(msg), msg, len(msg), msg))
    msgs = client_msgs(srv.records(), peer)
    assert len(msgs) == 2
    assert all(m.endswith("two\\nlines") and "host" in m and "app" in m for m in msgs)


def test_lines_split_across_many_small_writes_are_reassembled(start_server):
    srv = start_server()
    data = b"".join(b"line %03d %s\n" % (i, b"." * (i % 37)) for i in range(300))
    with srv.connect() as s:
        peer = peer_of(s)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rnd = random.Random(7)
        pos = 0
        while pos < len(data):
            n = rnd.randint(1, 17)
            s.sendall(data[pos:pos + n])
            pos += n
        s.shutdown(socket.SHUT_WR)
        wait_closed(s)
    assert client_msgs(srv.records(), peer) == \
        ["line %03d %s" % (i, "." * (i % 37)) for i in range(300)]


def test_utf8_kept_controls_del_c1_and_invalid_utf8_escaped(start_server):
    srv = start_server()
    cases = [
        (b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0", "café € 😀 \u00a0"),
        (b"tab\there", "tab\\there"),
        (b"back\\slash \\n not a newline", "back\\\\slash \\\\n not a newline"),
        (b"bell\x07 esc\x1b[31mred\x1b[0m", "bell\\x07 esc\\x1b[31mred\\x1b[0m"),
        (b"del\x7f", "del\\x7f"),
        (b"c1 \xc2\x85 \xc2\x9b", "c1 \\xc2\\x85 \\xc2\\x9b"),
        (b"raw c1 \x85 \x9b", "raw c1 \\x85 \\x9b"),
        (b"bad \xff\xfe", "bad \\xff\\xfe"),
        (b"overlong \xc0\xaf", "overlong \\xc0\\xaf"),
        (b"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"),
        (b"truncated seq \xe2\x82", "truncated seq \\xe2\\x82"),
        (b"above max \xf4\x90\x80\x80", "above max \\xf4\\x90\\x80\\x80"),
        (b'quote " and \x01', 'quote " and \\x01'),
    ]
    peer = srv.send(b"".join(raw + b"\n" for raw, _ in cases))
    msgs = client_msgs(srv.records(), peer)
    assert msgs == [esc for _, esc in cases]
    assert [unescape(m) for m in msgs] == [raw for raw, _ in cases]


def garbage_messages(seed, n):
    """Random binary messages (any byte but LF and NUL, which frame) with a
    readable prefix, each paired with the terminator that ends it."""
    rnd = random.Random(seed)
    allowed = bytes(b for b in range(256) if b not in (0x0A, 0x00))
    out = []
    for i in range(n):
        body = bytes(rnd.choice(allowed) for _ in range(rnd.randint(0, 400)))
        msg = b"g%04d " % i + body
        term = rnd.choice([b"\n", b"\x00", b"\x00\n"])
        if term == b"\n" and msg.endswith(b"\r"):
            msg += b"."         # a CR right before LF is part of the delimiter
        out.append((msg, term))
    return out


def test_binary_garbage_with_nuls_is_escaped_one_line_per_record_others_unaffected(start_server):
    srv = start_server()
    msgs = garbage_messages(1234, 400)
    payload = b"".join(m + t for m, t in msgs)
    good_lines = [b"good client line %d" % i for i in range(500)]
    result = {}

    def good_client():
        result["good"] = srv.send(b"".join(line + b"\n" for line in good_lines))

    t = threading.Thread(target=good_client)
    t.start()
    with srv.connect() as s:
        peer = peer_of(s)
        rnd = random.Random(99)
        pos = 0
        while pos < len(payload):
            n = rnd.randint(1, 4096)
            s.sendall(payload[pos:pos + n])
            pos += n
        s.shutdown(socket.SHUT_WR)
        wait_closed(s)
    t.join(60)
    assert not t.is_alive()
    recs = srv.records()            # also checks: valid UTF-8, no control bytes
    got = client_msgs(recs, peer)
    assert len(got) == len(msgs), "one record per message"
    assert [unescape(g) for g in got] == [m for m, _ in msgs]
    assert client_msgs(recs, result["good"]) == [x.decode() for x in good_lines]
    disc = [r.event for r in events(recs, "disconnect %s " % peer)]
    assert disc == ["disconnect %s messages=%d truncated=0" % (peer, len(msgs))]


def test_forged_record_inside_message_never_starts_a_line(start_server):
    srv = start_server()
    forged = FORGED_TIME + " - logserver[1]: stop: SIGTERM; clients served=0 refused=0"
    fb = forged.encode()
    octet_msg = b"<13>\n" + fb + b"\n" + fb
    payload = (b"a\r" + fb + b"\n" +                  # bare CR inside a line
               b"b\x0b\x0c" + fb + b"\n" +            # VT, FF
               b"c\xc2\x85" + fb + b"\n" +            # NEL (C1 line break)
               b"d\xe2\x80\xa8" + fb + b"\n" +        # U+2028 line separator
               b"%d %s" % (len(octet_msg), octet_msg) +   # LF inside a counted frame
               b"\n" + fb + b"\n")                    # LF splits: a new record, with our peer
    syslog_lf = b"<13>1 - host app - - - x\n" + fb    # syslog, LF inside a counted frame
    payload += (b"%d %s" % (len(syslog_lf), syslog_lf) +
                b"<13>Nov 20 23:29:19 - logserver[1]: stop: SIGTERM\n")   # syslog look-alike
    peer = srv.send(payload)
    recs = srv.records()
    lines = [line for f in srv.files() for line in f.read_text().split("\n") if line]
    assert not [line for line in lines if line.startswith(FORGED_TIME)]
    assert not [r for r in recs if r.is_event and r.pid == 1]
    mine = client_msgs(recs, peer)
    assert len(mine) == 8
    assert mine[0] == "a\\r" + forged
    assert mine[4] == "user.notice \\n" + forged + "\\n" + forged
    # a line of its own, but after "TIME PEER ": attributed to its sender
    assert mine[5].endswith("logserver[1]: stop: SIGTERM; clients served=0 refused=0")
    assert mine[6].endswith("x\\n" + forged)
    # the server's own events come only from the server and its children
    assert {r.pid for r in recs if r.is_event} <= {srv.pid} | session_pids(recs)
    # every line still parses as TIME PEER MESSAGE with a real peer or "-"
    assert all(r.peer in (peer, "-") for r in recs)
    assert len(lines) == len(recs)


RAW_EVENT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \\- logserver\[\d+\]: ")


def is_real_event(fmt, line):
    """The check docs/SECURITY.md describes, per format."""
    if fmt == "json":
        return json.loads(line)["peer"] == "-"
    if fmt == "raw":
        return RAW_EVENT_RE.match(line) is not None
    return line.split(" ", 2)[1] == "-"


@pytest.mark.parametrize("fmt", ["text", "json", "raw"])
def test_forged_events_can_be_told_from_real_ones_in_every_format(start_server, fmt):
    srv = start_server("--format", fmt)
    forged = [FORGED_TIME + " - logserver[1]: rotate: fake-evt-7",
              FORGED_TIME + " \\- logserver[1]: rotate: fake-evt-7",
              FORGED_TIME + " \\\\- logserver[1]: rotate: fake-evt-7",
              '{"time":"%s","peer":"-","transport":"-","app":"logserver","procid":"1",'
              '"msg":"rotate: fake-evt-7"}' % FORGED_TIME]
    srv.send("".join(f + "\n" for f in forged).encode())
    wait_until(lambda: sum("fake-evt-7" in ln for f in srv.files()
                           for ln in f.read_text().split("\n")) >= len(forged),
               what="the forged lines")
    lines = [ln for f in srv.files() for ln in f.read_text().split("\n") if ln]
    real = [ln for ln in lines if is_real_event(fmt, ln)]
    assert real and all("fake-evt-7" not in ln for ln in real), real
    assert any("start " in ln for ln in real)
    assert sum("fake-evt-7" in ln for ln in lines) == len(forged)


def test_plain_line_starting_with_a_timestamp_is_recorded_unchanged(start_server):
    srv = start_server()
    lines = ["2026-01-02T03:04:05.678Z foo bar",
             "Nov 20 23:29:19 done.",
             "2026-01-02 03:04:05,678 INFO [main] app started"]
    peer = srv.send("".join(line + "\n" for line in lines).encode())
    assert client_msgs(srv.records(), peer) == lines


def test_overlong_line_is_truncated_with_marker_and_event(start_server):
    srv = start_server("--max-line", "16")
    peer = srv.send(b"0123456789abcdefOVERFLOW\n"
                    b"0123456789abcdef\n"               # exactly max-line: kept whole
                    b"0123456789abcdef\r\n"             # CRLF does not count
                    b"caf\xc3\xa9 0123456789\n"         # 16 bytes that cut no character
                    b"abcdefghijklmno\xc3\xa9tail\n"    # cut inside a character
                    b"after\n")
    recs = srv.records()
    assert client_msgs(recs, peer) == [
        "0123456789abcdef [truncated]",
        "0123456789abcdef",
        "0123456789abcdef",
        "café 0123456789",
        "abcdefghijklmno\\xc3 [truncated]",
        "after"]
    trunc = [r.event for r in events(recs, "truncated message from %s" % peer)]
    assert trunc == [
        "truncated message from %s: kept the first 16 bytes, dropped 8 (max-line)" % peer,
        "truncated message from %s: kept the first 16 bytes, dropped 5 (max-line)" % peer]
    assert [r.event for r in events(recs, "disconnect %s" % peer)] == \
        ["disconnect %s messages=6 truncated=2" % peer]


def test_overlong_octet_counted_frame_is_truncated_and_stream_stays_in_sync(start_server):
    srv = start_server("--max-line", "16")
    body = b"<13>" + b"z" * 40 + b"\nstill inside"
    peer = srv.send(b"%d %s" % (len(body), body) + b"next line\n")
    recs = srv.records()
    assert client_msgs(recs, peer) == ["user.notice " + "z" * 12 + " [truncated]", "next line"]
    assert [r.event for r in events(recs, "truncated message from %s" % peer)] == \
        ["truncated message from %s: kept the first 16 bytes, dropped %d (max-line)"
         % (peer, len(body) - 16)]


def test_100mb_line_truncated_server_serves_others_and_child_memory_bounded(start_server):
    srv = start_server()
    total = 100 * 1024 * 1024
    chunk = b"A" * (1024 * 1024)
    half = threading.Event()
    resume = threading.Event()
    err = []

    s = srv.connect(timeout=60)
    peer = peer_of(s)

    def sender():
        try:
            for i in range(100):
                if i == 50:
                    half.set()
                    resume.wait(60)
                s.sendall(chunk)
            s.sendall(b"\nafter the big one\n")
            s.shutdown(socket.SHUT_WR)
            wait_closed(s, timeout=120)
        except Exception as e:      # reported by the main thread
            err.append(e)
            half.set()

    t = threading.Thread(target=sender)
    t.start()
    rss = []
    sampling = threading.Event()
    st = None
    try:
        # the child serving us is named by its connect event
        child = srv.wait_event("connect %s" % peer)[0].pid

        def sampler():
            while not sampling.is_set():
                rss.append(vm_rss_kb(child))
                sampling.wait(0.002)
        st = threading.Thread(target=sampler)
        st.start()
        wait_until(half.is_set, 60, what="half of the 100 MB sent")
        # half-way through the line, another client is served normally
        other = srv.send(b"other client is served\n")
        assert client_msgs(srv.records(), other) == ["other client is served"]
        resume.set()
        t.join(120)
    finally:
        resume.set()
        sampling.set()
        t.join(120)
        s.close()
    if st is not None:
        st.join(10)
    assert not err, err
    rss = [r for r in rss if r is not None]
    assert len(rss) >= 5, "too few VmRSS samples of the child: %r" % rss
    assert max(rss) < 32 * 1024, "child VmRSS peaked at %d kB" % max(rss)
    recs = srv.records()
    assert client_msgs(recs, peer) == ["A" * 8192 + " [truncated]", "after the big one"]
    assert [r.event for r in events(recs, "truncated message from %s" % peer)] == \
        ["truncated message from %s: kept the first 8192 bytes, dropped %d (max-line)"
         % (peer, total - 8192)]
    assert max(f.stat().st_size for f in srv.files()) < 1024 * 1024


def test_disconnect_mid_line_records_partial_line(start_server):
    srv = start_server()
    with srv.connect() as s:
        peer = peer_of(s)
        s.sendall(b"complete line\npartial li")
        srv.wait_records(lambda rs: "complete line" in client_msgs(rs, peer))
        s.sendall(b"ne without end")
    # plain close (FIN) in the middle of a line
    srv.wait_event("disconnect %s" % peer)
    recs = srv.records()
    assert client_msgs(recs, peer) == ["complete line", "partial line without end"]
    assert [r.event for r in events(recs, "disconnect %s" % peer)] == \
        ["disconnect %s messages=2 truncated=0" % peer]


def test_connection_reset_mid_line_records_partial_line_and_reset(start_server):
    srv = start_server()
    s = srv.connect()
    peer = peer_of(s)
    s.sendall(b"before reset\nhalf a li")
    srv.wait_records(lambda rs: "before reset" in client_msgs(rs, peer))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()                       # RST
    srv.wait_event("disconnect %s" % peer)
    recs = srv.records()
    assert client_msgs(recs, peer) == ["before reset", "half a li"]
    assert [r.event for r in events(recs, "disconnect %s" % peer)] == \
        ["disconnect %s messages=2 truncated=0 (connection reset)" % peer]


def test_ipv6_peer_written_in_brackets(start_server):
    srv = start_server(host="::1")
    peer = srv.send(b"over ipv6\n")
    assert peer.startswith("[::1]:")
    recs = srv.records()
    assert client_msgs(recs, peer) == ["over ipv6"]
    assert " listen=[::1]:%d " % srv.port in srv.wait_event("start ")[0].event
