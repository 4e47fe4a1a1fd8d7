"""The metrics endpoint (--metrics-port, docs/METRICS.md) and the statistics
records (--stats-interval and shutdown), seen from outside: what promtool
says of the text, what the counters say after a known load, where the
endpoint listens, its sandbox, its restart."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from integration_helpers import events, free_port, run_client, wait_until
from relp_helpers import RelpConn, send_window
from test_faults import fill_leaving, small_disk  # noqa: F401  (small_disk: a fixture)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import tls_certs  # noqa: E402

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None,
                                    reason="promtool (Debian package prometheus) missing")
SAMPLE_RE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not a sample line: %r" % line
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def wait_samples(mport, want, what="the counts"):
    """Scrapes until every sample named in want has that value; returns the
    samples of that scrape."""
    box = []

    def check():
        v = samples(scrape(mport))
        if all(v.get(k) == x for k, x in want.items()):
            box.append(v)
            return True
        return False
    wait_until(check, what=what)
    return box[0]


def promtool_check(text):
    res = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                         capture_output=True, timeout=30)
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()
    assert res.stdout.decode().strip() == "" and res.stderr.decode().strip() == "", \
        res.stdout.decode() + res.stderr.decode()


def listening_addrs(port):
    """Local addresses of the TCP sockets listening on port (from /proc/net/tcp{,6})."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                addr, _, p = local.partition(":")
                if state == "0A" and int(p, 16) == port:
                    found.append(addr)
    return found


def start_record(srv):
    return events(srv.records(), "start ")[0].event


def metrics_child(srv, others=()):
    """The one child of srv that is not in others (the metrics child when UDP is off)."""
    box = []

    def one():
        kids = [k for k in srv.children() if k not in others]
        if len(kids) == 1:
            box.append(kids[0])
            return True
        return False
    wait_until(one, what="the metrics child")
    return box[0]


def seccomp_mode(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Seccomp:"):
                return line.split()[1]
    return None


def test_metrics_endpoint_is_off_by_default(start_server):
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0)
    assert " metrics=" not in start_record(srv)
    assert srv.children() == []          # no metrics child, no UDP receiver
    assert " metrics=" not in srv.stderr()


def test_metrics_listen_on_loopback_by_default(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--metrics-port", mport)
    assert " metrics=127.0.0.1:%d" % mport in start_record(srv)
    assert listening_addrs(mport) == ["0100007F"]       # 127.0.0.1, nothing else
    scrape(mport)


def test_a_busy_metrics_port_stops_start_up_naming_the_option(start_server, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        from integration_helpers import run_server
        res = run_server(["-p", free_port(), "-d", tmp_path / "logs", "--udp-port", 0,
                          "--relp-port", 0, "--query-port", 0, "--metrics-port", port],
                         tmp_path)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "metrics" in err and "--metrics-port" in err, err


@needs_promtool
def test_scrapes_during_a_tcp_udp_relp_load_pass_promtool_and_count_what_was_sent(
        start_server):
    relp, udp, mport = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    srv = start_server("--relp-port", relp, "--udp-port", udp, "--query-port", 0,
                       "--metrics-port", mport)
    tcp_lines = [b"tcp message %d" % i for i in range(300)]
    relp_lines = [b"relp message %d" % i for i in range(200)]
    udp_msgs = [b"udp datagram %d" % i for i in range(100)]
    scrapes, stop = [], threading.Event()

    def scraper():
        while not stop.is_set() and len(scrapes) < 200:
            scrapes.append(scrape(mport))

    t = threading.Thread(target=scraper)
    t.start()
    try:
        for chunk in (tcp_lines[:150], tcp_lines[150:]):       # two TCP connections
            res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd,
                             input=b"\n".join(chunk) + b"\n")
            assert res.returncode == 0, res.stderr
        res = run_client(["-H", "127.0.0.1", "-p", relp], srv.cwd,
                         input=b"\n".join(relp_lines) + b"\n", plain=False)
        assert res.returncode == 0, res.stderr
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i, m in enumerate(udp_msgs):
                s.sendto(m, ("127.0.0.1", udp))
                if i % 20 == 19:        # paced: the test counts, it does not flood
                    n = i + 1
                    srv.wait_records(lambda rs, n=n: sum(r.msg.startswith("udp datagram")
                                                         for r in rs) >= n)
        srv.wait_records(lambda rs: sum(r.msg.startswith("udp datagram") for r in rs) == 100)
    finally:
        stop.set()
        t.join(30)
    assert scrapes, "no scrape finished during the load"
    for text in (scrapes[0], scrapes[len(scrapes) // 2], scrapes[-1]):
        promtool_check(text)
    # Counters never go backwards between scrapes.
    seq = [samples(x)['logserver_messages_total{transport="tcp"}'] for x in scrapes]
    assert seq == sorted(seq)

    # Once everything is in the file, the sums are exact.
    wait_samples(mport, {'logserver_messages_total{transport="udp"}': 100,
                         'logserver_connections_accepted_total{transport="relp"}': 1,
                         'logserver_children{kind="sender"}': 0}, "the counters of the load")
    text = scrape(mport)
    promtool_check(text)
    v = samples(text)
    assert v['logserver_messages_total{transport="tcp"}'] == 300
    assert v['logserver_messages_total{transport="relp"}'] == 200
    assert v['logserver_messages_total{transport="udp"}'] == 100
    assert v['logserver_message_bytes_total{transport="tcp"}'] == sum(map(len, tcp_lines))
    assert v['logserver_message_bytes_total{transport="relp"}'] == sum(map(len, relp_lines))
    assert v['logserver_message_bytes_total{transport="udp"}'] == sum(map(len, udp_msgs))
    assert v['logserver_connections_accepted_total{transport="tcp"}'] == 2
    assert v['logserver_connections_accepted_total{transport="relp"}'] == 1
    # RELP: open + 200 syslog + close, each answered 200; --fsync batch synced them.
    assert v["logserver_relp_frames_total"] == 202
    assert v["logserver_relp_acks_total"] == 202
    assert v["logserver_relp_negative_acks_total"] == 0
    assert v["logserver_fsync_duration_seconds_count"] >= 1
    assert v['logserver_fsync_duration_seconds_bucket{le="+Inf"}'] == \
        v["logserver_fsync_duration_seconds_count"]
    assert v['logserver_children{kind="udp"}'] == 1
    assert v['logserver_children{kind="metrics"}'] == 1
    size = sum(f.stat().st_size for f in srv.files())
    assert 0 < v["logserver_file_size_bytes"] <= size
    assert v["logserver_write_errors_total"] == 0


def test_refusals_are_counted_by_transport_and_reason(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--allow", "192.0.2.0/24", "--metrics-port", mport)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"x\n")
    assert res.returncode != 0
    v = wait_samples(mport, {
        'logserver_connections_refused_total{transport="tcp",reason="allow"}': 1})
    assert v['logserver_connections_accepted_total{transport="tcp"}'] == 0
    assert v['logserver_connections_refused_total{transport="tcp",reason="max-clients"}'] == 0


def test_rotation_retention_and_truncation_are_counted(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--max-size", 1024, "--max-files", 2, "--max-line", 64,
                       "--metrics-port", mport)
    lines = [b"rotation filler line %03d " % i + b"x" * 30 for i in range(80)]
    lines.append(b"L" * 200)            # kept as its first 64 bytes, marked
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd,
                     input=b"\n".join(lines) + b"\n")
    assert res.returncode == 0
    srv.wait_records(lambda rs: any(r.msg.startswith("L" * 64) for r in rs))

    v = wait_samples(mport, {'logserver_messages_total{transport="tcp"}': 81,
                             'logserver_children{kind="sender"}': 0})
    with open(max(srv.files())) as f:        # the newest file names the last rotation
        first = f.readline()
    seq = int(re.search(r"-(\d{8})\.log", str(max(srv.files()))).group(1))
    assert "rotate: continues" in first
    assert v["logserver_rotations_total"] == seq - 1 >= 3
    assert v["logserver_retention_deletions_total"] == seq - len(srv.files())
    assert len(srv.files()) == 2
    assert v['logserver_messages_truncated_total{transport="tcp"}'] == 1
    assert v['logserver_message_bytes_total{transport="tcp"}'] == \
        sum(len(x) for x in lines[:-1]) + 64


def test_write_errors_on_a_full_disk_are_counted_and_every_message_still_is(start_server,
                                                                            small_disk):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--metrics-port", mport, logdir=small_disk / "logs")
    filler = fill_leaving(small_disk, 64)
    lines = [b"metrics disk full line %05d %s" % (i, b"z" * 60) for i in range(3000)]
    sender = threading.Thread(target=srv.send, args=(b"\n".join(lines) + b"\n", 60))
    sender.start()
    try:
        wait_until(lambda: samples(scrape(mport))["logserver_write_errors_total"] >= 1,
                   what="the write error counted")
    finally:
        filler.unlink()
        sender.join(90)
    assert not sender.is_alive()
    v = wait_samples(mport, {'logserver_children{kind="sender"}': 0})
    assert v['logserver_messages_total{transport="tcp"}'] == 3000
    assert sum(r.msg.startswith("metrics disk full line") for r in srv.records()) == 3000


def test_relp_duplicates_of_a_named_session_are_counted_not_written(start_server):
    relp, mport = free_port(), free_port()
    srv = start_server("--udp-port", 0, "--relp-port", relp, "--query-port", 0,
                       "--metrics-port", mport)
    sid = uuid.uuid4().hex
    ms = [b"dup %03d" % i for i in range(50)]
    c = RelpConn(relp)
    c.open(session=sid, seq=1)
    send_window(c, ms[:30])
    c.close()
    c = RelpConn(relp)                  # resends 21..30 as if their answers were lost
    assert c.open(session=sid, seq=21)[b"logserver_seq"] == b"30"
    assert all(code == 200 for _i, code in send_window(c, ms[20:]))
    c.close()
    srv.wait_records(lambda rs: len(events(rs, "disconnect ")) >= 2)

    v = wait_samples(mport, {'logserver_children{kind="sender"}': 0,
                             "logserver_relp_duplicates_total": 10})
    assert v['logserver_messages_total{transport="relp"}'] == 50
    assert v["logserver_relp_acks_total"] == 2 + 60   # two opens, every syslog frame
    assert sum(r.msg.startswith("dup ") for r in srv.records()) == 50


def test_udp_over_rate_drops_are_counted(start_server):
    udp, mport = free_port(socket.SOCK_DGRAM), free_port()
    srv = start_server("--udp-port", udp, "--relp-port", 0, "--query-port", 0,
                       "--udp-max-rate", 1, "--metrics-port", mport)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(30):
            s.sendto(b"burst %d" % i, ("127.0.0.1", udp))

    def all_seen():
        v = samples(scrape(mport))
        return v['logserver_messages_total{transport="udp"}'] + \
            v["logserver_udp_rate_limited_total"] == 30
    wait_until(all_seen, what="every datagram written or counted")
    v = samples(scrape(mport))
    kept = sum(r.msg.startswith("burst ") for r in srv.records())
    assert kept == v['logserver_messages_total{transport="udp"}'] < 30
    assert v["logserver_udp_rate_limited_total"] == 30 - kept


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_certs.make_pki(tmp_path_factory.mktemp("pki"))


def tls_attempt(port, pki, cert, data):
    """One TLS connection with cert (None: no client certificate); sends data
    and reads until the server closes. Refusals end it with an error."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki["ca"]))
    if cert is not None:
        ctx.load_cert_chain(str(pki[cert]), str(pki[cert + "_key"]))
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(data)
            s.unwrap()
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
        pass
    finally:
        raw.close()


def test_tls_messages_and_handshake_failures_are_counted_by_reason(start_server, pki):
    tport, mport = free_port(), free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--tls-port", tport, "--tls-cert", pki["server"],
                       "--tls-key", pki["server_key"], "--tls-ca", pki["ca"],
                       "--metrics-port", mport)
    msg = b"<13>Dec  3 06:00:00 host1 app[7]: over tls"
    tls_attempt(tport, pki, "good", b"%d %s" % (len(msg), msg))
    tls_attempt(tport, pki, None, b"5 never")           # no client certificate
    with socket.create_connection(("127.0.0.1", tport), timeout=30) as s:
        s.sendall(b"<13>plain text to the TLS port\n")
        s.recv(1000)

    v = wait_samples(mport, {
        'logserver_tls_handshake_failures_total{reason="plaintext"}': 1,
        'logserver_tls_handshake_failures_total{reason="peer-not-permitted"}': 1,
        'logserver_messages_total{transport="tls"}': 1}, "the TLS counts")
    assert v['logserver_connections_accepted_total{transport="tls"}'] == 3
    assert v['logserver_message_bytes_total{transport="tls"}'] == len(msg)
    assert v['logserver_tls_handshake_failures_total{reason="timeout"}'] == 0
    assert v['logserver_tls_handshake_failures_total{reason="handshake"}'] == 0
    assert v['logserver_messages_total{transport="tcp"}'] == 0


def test_only_get_of_slash_metrics_is_served(start_server):
    mport = free_port()
    start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0, "--metrics-port", mport)
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(mport, "/other")
    assert e.value.code == 404
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % mport, data=b"x",
                                 method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405
    head = urllib.request.Request("http://127.0.0.1:%d/metrics" % mport, method="HEAD")
    with urllib.request.urlopen(head, timeout=10) as r:
        assert r.status == 200 and r.read() == b""


def mapped_objects(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f if "/" in line}


def test_only_the_metrics_child_maps_libmicrohttpd_and_gnutls(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--metrics-port", mport)
    mpid = metrics_child(srv)
    assert "logserver_messages_total" in scrape(mport)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as c:
        c.sendall(b"one line\n")
        wait_until(lambda: len(srv.children()) == 2, what="the connection's child")
        session = [k for k in srv.children() if k != mpid][0]
        for pid in (srv.pid, session):
            libs = mapped_objects(pid)
            assert not any(n.startswith(("libmicrohttpd", "libgnutls", "libp11-kit"))
                           for n in libs), (pid, sorted(libs))
    assert any(n.startswith("libmicrohttpd.so") for n in mapped_objects(mpid))


def test_a_missing_libmicrohttpd_stops_start_up_with_one_line(tmp_path):
    import glob
    from integration_helpers import one_stderr_line, server_argv
    libs = glob.glob("/usr/lib/*/libmicrohttpd.so.12") + glob.glob("/lib/*/libmicrohttpd.so.12")
    if os.geteuid() != 0 or shutil.which("unshare") is None or not libs:
        pytest.skip("needs root and unshare(1) to hide libmicrohttpd in a mount namespace")
    real = os.path.realpath(libs[0])
    # Three tries: a port found free can be taken before the server binds it.
    for _attempt in range(3):
        argv = server_argv(free_port(), tmp_path / "logs", "--udp-port", "0", "--relp-port", "0",
                           "--query-port", "0", "--metrics-port", free_port())
        # The library is hidden by an empty file mounted over it, in a mount
        # namespace of this command only.
        res = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                              'mount --bind /dev/null "$0" && exec "$@"', real] + argv,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        if b"Address already in use" not in res.stderr:
            break
    assert res.returncode == 1, res.stderr
    line = one_stderr_line(res)
    assert "libmicrohttpd.so.12" in line and "--metrics-port 0" in line, line


def test_metrics_child_runs_in_its_seccomp_sandbox_and_silent_scrapers_do_not_block_it(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--metrics-port", mport)
    pid = metrics_child(srv)
    wait_until(lambda: seccomp_mode(pid) == "2", what="the metrics child in its filter")
    # Silent connections (a scraper that never sends its request) do not
    # hold up the one-process loop: the others are served meanwhile.
    idle = [socket.create_connection(("127.0.0.1", mport), timeout=10) for _ in range(4)]
    idle[0].sendall(b"GET /metr")          # half a request line, then nothing
    try:
        for _ in range(3):  # it serves under its filter (sandbox_guard: nothing killed)
            assert "logserver_messages_total" in scrape(mport)
    finally:
        for c in idle:
            c.close()
    assert srv.children() == [pid]


def test_a_killed_metrics_child_is_restarted_and_the_counts_survive_it_and_sighup(start_server):
    mport = free_port()
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0,
                       "--metrics-port", mport)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"one\ntwo\n")
    assert res.returncode == 0
    old = metrics_child(srv)
    wait_samples(mport, {'logserver_messages_total{transport="tcp"}': 2})
    os.kill(old, signal.SIGKILL)
    ev = srv.wait_event("metrics child %d ended unexpectedly" % old)
    assert "killed by signal 9" in ev[0].event
    wait_until(lambda: [k for k in srv.children() if k != old], what="a new metrics child")
    v = samples(scrape(mport))
    assert v['logserver_messages_total{transport="tcp"}'] == 2
    assert v['logserver_children{kind="metrics"}'] == 1
    # SIGHUP (reopen) keeps the totals too.
    srv.kill(signal.SIGHUP)
    srv.wait_event("reopen: SIGHUP")
    assert samples(scrape(mport))['logserver_messages_total{transport="tcp"}'] == 2


STATS_RE = re.compile(r"^stats \((periodic|shutdown)\) ([a-z-]+):((?: [a-z_]+=[0-9.]+)+)$")


def stats_records(recs, when, group):
    out = []
    for r in events(recs, "stats (%s) %s:" % (when, group)):
        m = STATS_RE.match(r.event)
        assert m, r.event
        out.append(dict(kv.split("=") for kv in m.group(3).split()))
    return out


def test_stats_records_for_tcp_and_relp_at_the_interval_and_at_shutdown(start_server):
    relp = free_port()
    srv = start_server("--relp-port", relp, "--udp-port", 0, "--query-port", 0,
                       "--stats-interval", 1)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"a\nbb\nccc\n")
    assert res.returncode == 0
    res = run_client(["-H", "127.0.0.1", "-p", relp], srv.cwd, input=b"r1\nr2\n", plain=False)
    assert res.returncode == 0

    def periodic_has_both(recs):
        tcp = stats_records(recs, "periodic", "tcp")
        relp_ = stats_records(recs, "periodic", "relp")
        return (tcp and tcp[-1]["messages"] == "3" and relp_ and
                relp_[-1]["messages"] == "2")
    recs = srv.wait_records(periodic_has_both, what="periodic stats with both senders")
    tcp = stats_records(recs, "periodic", "tcp")[-1]
    assert tcp == {"connections": "1", "refused": "0", "messages": "3", "bytes": "6",
                   "truncated": "0"}
    assert stats_records(recs, "periodic", "relp")[-1]["bytes"] == "4"
    assert stats_records(recs, "periodic", "server")
    # Only the transports the server listens on have a record.
    assert not stats_records(recs, "periodic", "udp")
    assert not stats_records(recs, "periodic", "query")
    assert srv.stop() == 0
    recs = srv.records()
    evs = [r.event for r in events(recs)]
    assert evs[-1].startswith("stop: SIGTERM; clients served=2 refused=0")
    last = evs[-4:-1]
    assert [e.split(":")[0] for e in last] == ["stats (shutdown) tcp", "stats (shutdown) relp",
                                               "stats (shutdown) server"]
    assert stats_records(recs, "shutdown", "tcp")[0]["messages"] == "3"
    assert stats_records(recs, "shutdown", "relp")[0]["messages"] == "2"
    server = stats_records(recs, "shutdown", "server")[0]
    assert server["relp_frames"] == "4" and server["relp_acks"] == "4"
    assert int(server["fsyncs"]) >= 1
    assert server["children"] == "0"


def test_without_stats_interval_only_the_shutdown_records_are_written(start_server):
    srv = start_server("--udp-port", 0, "--relp-port", 0, "--query-port", 0)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], srv.cwd, input=b"x\n")
    assert res.returncode == 0
    srv.wait_records(lambda rs: any(r.msg == "x" for r in rs))
    assert srv.stop() == 0
    recs = srv.records()
    assert not events(recs, "stats (periodic)")
    assert stats_records(recs, "shutdown", "tcp")[0]["messages"] == "1"
