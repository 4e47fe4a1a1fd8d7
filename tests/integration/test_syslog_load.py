"""Syslog-specific behaviour under load: JSON lines stay valid for jq, and
the UDP receiver reports the datagrams the kernel dropped."""
import codecs
import json
import random
import signal
import socket
import subprocess
import threading

from integration_helpers import child_pids, free_port, proc_state, wait_until


def nasty(rng, i):
    """A message with every kind of byte JSON must escape."""
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60)))
    body = body.replace(b"\n", b"").replace(b"\0", b"")
    sd = b'[x@1 q="a\\"b\\\\c\\]d" e="\xff\x01"][y@2]'
    return b"<%d>1 2026-01-02T03:04:05Z h app %d ID %s c=%d %s" % (
        rng.randrange(192), i, sd if i % 3 == 0 else b"-", i, body)


def json_text(raw):
    """The string the server's JSON carries for message bytes: valid UTF-8 as
    it is, each byte of invalid UTF-8 as the code point of the same value."""
    return raw.decode("utf-8", errors="latin1_bytes")


def _latin1_bytes(err):
    return "".join(chr(b) for b in err.object[err.start:err.end]), err.end


codecs.register_error("latin1_bytes", _latin1_bytes)


def test_json_file_written_under_load_reads_with_jq_line_by_line(start_server):
    srv = start_server("--format", "json", "--max-size", "256K", "--max-files", "1000")
    clients, per = 20, 500
    sent = {}       # client -> (peer, [messages])
    errors = []

    def sender(c):
        try:
            rng = random.Random(c)
            msgs = [nasty(rng, i) for i in range(per)]
            frames = b"".join(b"%d %s" % (len(m), m) for m in msgs)   # octet-counted
            sent[c] = (srv.send(frames), msgs)
        except Exception as e:      # reported below
            errors.append((c, repr(e)))

    threads = [threading.Thread(target=sender, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [t for t in threads if t.is_alive()], "sender threads hung"
    assert not errors and len(sent) == clients, errors
    assert srv.stop() == 0
    got = {}        # peer -> [records]
    for f in srv.files():
        res = subprocess.run(["jq", "-c", "."], stdin=open(f, "rb"), capture_output=True)
        assert res.returncode == 0, (f.name, res.stderr[:300])
        lines = f.read_bytes().splitlines()
        assert len(res.stdout.splitlines()) == len(lines)
        for line in lines:
            rec = json.loads(line)
            if rec["peer"] != "-":
                assert rec["transport"] == "tcp" and rec["app"] == "app"
                got.setdefault(rec["peer"], []).append(rec)
    # every message of every connection exactly once, in the order sent, under
    # the peer that connection had (checked against a planted bug: the JSON
    # peer cut by its last character, which the count alone let pass)
    assert sorted(got) == sorted(peer for peer, _ in sent.values())
    for c, (peer, msgs) in sorted(sent.items()):
        recs = got[peer]
        assert [r["procid"] for r in recs] == [str(i) for i in range(per)], \
            "client %d: messages missing, doubled or out of order" % c
        for i, (r, m) in enumerate(zip(recs, msgs)):
            assert r["pri"] == int(m[1:m.index(b">")]), (c, i, r)
            body = m.split(b" ID ", 1)[1]
            body = body.split(b" ", 1)[1] if i % 3 else body[body.index(b"[y@2]") + 6:]
            # trailing CR, LF and NUL are framing residue the parser drops (syslog.c)
            assert r["msg"] == json_text(body.rstrip(b"\r\n\0")), (c, i, r["msg"], body)
    assert sum(len(v) for v in got.values()) == clients * per


def test_udp_kernel_drops_are_reported_in_the_shutdown_statistics(start_server):
    port = free_port(socket.AF_INET)
    srv = start_server("--udp-port", str(port), "--udp-rcvbuf", "4K")
    # the UDP receiver is the server's child that no client started
    receiver = wait_until(lambda: child_pids(srv.pid), what="the UDP receiver")[0]
    srv_pid = srv.pid
    try:
        import os
        os.kill(receiver, signal.SIGSTOP)
        wait_until(lambda: proc_state(receiver) == "T", what="the receiver to stop")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(3000):
                s.sendto(b"<13>dropped or not %d" % i, ("127.0.0.1", port))
    finally:
        os.kill(receiver, signal.SIGCONT)
    assert srv.stop() == 0
    stats = [r.event for r in srv.records() if r.event and r.event.startswith("udp stats")]
    assert len(stats) == 1, stats
    fields = dict(kv.split("=") for kv in stats[0].split(": ", 1)[1].split())
    received, dropped = int(fields["datagrams"]), int(fields["kernel_drops"])
    assert dropped > 0 and received + dropped == 3000, (srv_pid, stats)
