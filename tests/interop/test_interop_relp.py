"""rsyslog's omrelp sending to logserver's RELP port (issue 8).

    Python (octet-counted frames) --> rsyslogd B (imtcp on a loopback port)
                                  --> omrelp --> logserver --relp-port P --format json

rsyslogd comes from Debian's rsyslog package with omrelp/imrelp from
rsyslog-relp of the same version, unpacked by peers.sh (never installed as a
service), in the foreground with a configuration of the test's own. The
omrelp action (interop_helpers.omrelp_action) has its own in-memory queue and
retries forever, once a second, so a receiver that is away loses nothing:
librelp resends the unacknowledged window on the new session, which is where
duplicates come from.

* the harness itself first: rsyslog B -> rsyslog A (imrelp -> a file), A
  killed and restarted three times; every message must arrive;
* 100,000 messages to logserver while it is SIGKILLed (supervisor by pid, its
  children must die with it) and restarted on the same ports and directory
  three times: every message 1..N at least once, duplicates counted and
  printed, every line of the files one well-formed JSON record;
* 1,000 messages, no kills: each exactly once with all its fields, a clean
  disconnect and stop record.
"""
import re
import signal
import threading
import time
from collections import Counter

import pytest

from .interop_helpers import (PEER_RE, _common, TIME_RE, FileCounter, assert_fields,
                              free_port, rsyslog_imrelp_conf, rsyslog_omrelp_conf,
                              send_octet_counted, stop_proc, syslog5424, wait_until)

N_KILL = 100_000            # messages of the kill test
N_HARNESS = 6_000           # rsyslog -> rsyslog (imrelp answers slowly: ~3 k msg/s here)
N_PLAIN = 1_000
KILL_AT = (0.20, 0.45, 0.70)    # fractions of N_KILL written when logserver is killed
WINDOW = 128                # omrelp's (librelp's) default window, given explicitly
RUN_DEADLINE = 90.0         # the whole delivery of the kill test, kills included
SEQ_TEXT = 'seq=%06d quote" backslash\\ utf8 \u00e9 end'
SEQ_RE = re.compile(r'seq=(\d{6}) quote" backslash\\ utf8 \u00e9 end')
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$")

pytestmark = pytest.mark.usefixtures("relp_server")


def seq_messages(n, **kw):
    return [syslog5424(SEQ_TEXT % i, **kw) for i in range(1, n + 1)]


def inject(port, messages):
    """Sends messages into rsyslog B's imtcp in a thread (so the test can watch
    the receiver meanwhile); join() re-raises what the sender raised."""
    box = {}

    def run():
        try:
            send_octet_counted(port, messages)
        except BaseException as e:      # noqa: BLE001 -- handed to the test
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join(timeout=60):
        t.join(timeout)
        assert not t.is_alive(), "the injector is still sending after %ds" % timeout
        if "error" in box:
            raise box["error"]
    return join


def start_sender(rsyslog_relp, procs, tmp_path, target_port, window=WINDOW):
    work = tmp_path / "rsyslog-b"
    work.mkdir()
    inport = free_port()
    p, out = rsyslog_relp.start(procs, work, rsyslog_omrelp_conf(work, inport, target_port,
                                                                 window=window),
                                [("tcp", inport)], name="rsyslogd-b")
    return p, out, inport


def seq_counts(texts, n):
    """Counter of message numbers in texts; every text must be one whole
    numbered message (a torn or glued one does not match)."""
    c = Counter()
    for t in texts:
        m = SEQ_RE.fullmatch(t)
        assert m, "not one whole numbered message: %r" % t[:300]
        c[int(m.group(1))] += 1
    bad = [k for k in c if not 1 <= k <= n]
    assert not bad, "numbers never sent: %s" % bad[:5]
    return c


def check_sequence(c, n, what):
    """Strict: every number 1..n at least once. Returns the duplicate count."""
    missing = [i for i in range(1, n + 1) if c[i] == 0]
    assert not missing, "%s: %d of %d messages missing, first %s" % (
        what, len(missing), n, missing[:10])
    return sum(c.values()) - n


def report(capsys, text):
    with capsys.disabled():
        print("\n" + text)


# --------------------------------------------------------------------------
# the harness against rsyslog itself

def test_harness_omrelp_to_imrelp_with_receiver_killed(rsyslog_relp, procs, tmp_path, capsys):
    """rsyslog B's omrelp to rsyslog A's imrelp (main queue Direct, so A
    writes each message before it answers), A SIGKILLed and restarted on the
    same port three times: the omrelp configuration loses nothing."""
    work_a = tmp_path / "rsyslog-a"
    work_a.mkdir()
    out_file = work_a / "received.log"
    port_a = free_port()
    conf_a = rsyslog_imrelp_conf(work_a, port_a, out_file)
    conf_a = conf_a.replace("module(load=\"imrelp\")",
                            "main_queue(queue.type=\"Direct\")\nmodule(load=\"imrelp\")")

    def start_a(k):
        return rsyslog_relp.start(procs, work_a, conf_a, [("tcp", port_a)],
                                  name="rsyslogd-a%d" % k)[0]

    def lines():
        try:
            data = out_file.read_bytes()
        except FileNotFoundError:
            return []
        return data.decode("utf-8").split("\n")[:-1]

    a = start_a(0)
    b, b_out, inport = start_sender(rsyslog_relp, procs, tmp_path, port_a)
    t0 = time.monotonic()
    join = inject(inport, seq_messages(N_HARNESS))
    for k, frac in enumerate(KILL_AT, 1):
        wait_until(lambda: len(lines()) >= frac * N_HARNESS, 60, "%d%% at rsyslog A" % (
            frac * 100))
        stop_proc(a, sig=signal.SIGKILL)
        a = start_a(k)
    join()
    wait_until(lambda: len(set(lines())) >= N_HARNESS, 60, "all messages at rsyslog A")
    elapsed = time.monotonic() - t0
    assert stop_proc(b) == 0, b_out.read_text(errors="replace")
    assert stop_proc(a) == 0
    c = seq_counts(lines(), N_HARNESS)
    dups = check_sequence(c, N_HARNESS, "rsyslog A")
    report(capsys, "harness rsyslog->rsyslog: %d messages, 3 kills of A, %.1fs, %d duplicates"
           % (N_HARNESS, elapsed, dups))


# --------------------------------------------------------------------------
# logserver as the RELP receiver

def server_events(recs):
    return [r["msg"] for r in recs if r.get("peer") == "-"]


@pytest.mark.parametrize("fsync", ["never", "batch"])
def test_omrelp_100k_while_logserver_is_killed(fsync, rsyslog_relp, logserver, procs, tmp_path,
                                               capsys):
    srv = logserver("--query-port", 0, "--fsync", fsync, relp=True)
    b, b_out, inport = start_sender(rsyslog_relp, procs, tmp_path, srv.relp_port)
    counter = FileCounter(srv.logdir, b'"transport":"relp"')
    t0 = time.monotonic()
    deadline = t0 + RUN_DEADLINE
    join = inject(inport, seq_messages(N_KILL))
    kills = []
    for frac in KILL_AT:
        want = int(frac * N_KILL)
        # polled often: at tens of thousands of records a second a slow poll
        # would kill late
        _common.wait_until(lambda: counter.count() >= want,
                           max(1.0, deadline - time.monotonic()),
                           "%d records before kill %d" % (want, len(kills) + 1),
                           interval=0.002, max_interval=0.01)
        at, t_kill = counter.count(), time.monotonic()
        survivors = srv.kill()
        assert not survivors, ("children %s of the SIGKILLed logserver %d were still alive "
                               "3 s later" % (survivors, srv.pid))
        srv = logserver(like=srv)
        kills.append((at, t_kill - t0, time.monotonic() - t_kill))
    join()

    def all_there():
        if counter.count() < N_KILL:
            return False
        seen = set()
        for rec in srv.records():
            m = SEQ_RE.fullmatch(rec.get("msg", ""))
            if m and rec.get("transport") == "relp":
                seen.add(int(m.group(1)))
        return len(seen) >= N_KILL
    wait_until(all_there, max(1.0, deadline - time.monotonic()),
               "all %d messages in logserver's files" % N_KILL)
    elapsed = time.monotonic() - t0

    assert stop_proc(b) == 0, b_out.read_text(errors="replace")
    srv.stop()

    recs = srv.strict_records()     # every line one JSON record, files end with LF
    msgs = [r for r in recs if r.get("peer") != "-"]
    for r in msgs[:: max(1, len(msgs) // 2000)] + msgs[-10:]:
        assert PEER_RE.match(r["peer"]) and TIME_RE.match(r["time"]), r
        assert_fields(r, transport="relp", host="relp-host", app="relp-app", procid="4242",
                      msgid="RELPMSG", facility="local6", severity="notice")
    assert all(r.get("transport") == "relp" for r in msgs), "non-RELP client records"
    c = seq_counts([r["msg"] for r in msgs], N_KILL)
    dups = check_sequence(c, N_KILL, "logserver --fsync %s" % fsync)
    events = server_events(recs)
    starts = [e for e in events if e.startswith("start ")]
    assert len(starts) == 1 + len(KILL_AT), starts
    # the last session ended with omrelp's close, after every message was answered
    assert re.fullmatch(r"disconnect \S+ messages=\d+ duplicates=0", [
        e for e in events if e.startswith("disconnect ")][-1]), events[-5:]
    assert events[-1].startswith("stop: SIGTERM"), events[-3:]
    dup_nums = sorted(k for k, v in c.items() if v > 1)
    report(capsys, "omrelp -> logserver --fsync %s: %d messages in %.1fs, kills at "
           "%s; %d records, %d duplicates (%d numbers more than once%s)"
           % (fsync, N_KILL, elapsed,
              ", ".join("%d records (at %.1fs, up again %.2fs later)" % k for k in kills),
              len(msgs), dups, len(dup_nums),
              (", e.g. %s" % dup_nums[:6]) if dup_nums else ""))


def test_omrelp_1000_exactly_once(rsyslog_relp, logserver, procs, tmp_path):
    srv = logserver("--query-port", 0, relp=True)
    b, b_out, inport = start_sender(rsyslog_relp, procs, tmp_path, srv.relp_port)
    sd = r'[ex@32473 k="va\"l" b="a\\b\]c"]'
    sent = seq_messages(N_PLAIN, sd=sd)
    send_octet_counted(inport, sent)
    srv.wait_messages(N_PLAIN, timeout=30)
    assert stop_proc(b) == 0, b_out.read_text(errors="replace")
    srv.stop()

    recs = srv.strict_records()
    msgs = [r for r in recs if r.get("peer") != "-"]
    c = seq_counts([r["msg"] for r in msgs], N_PLAIN)
    assert check_sequence(c, N_PLAIN, "logserver") == 0, "duplicated records"
    assert [int(SEQ_RE.fullmatch(r["msg"]).group(1)) for r in msgs] == list(
        range(1, N_PLAIN + 1)), "records out of order on one RELP session"
    peers = {r["peer"] for r in msgs}
    assert len(peers) == 1, peers
    peer = peers.pop()
    for r in msgs:
        assert TIME_RE.match(r["time"]) and PEER_RE.match(r["peer"]), r
        assert_fields(r, transport="relp", pri=22 * 8 + 5, facility="local6",
                      severity="notice", host="relp-host", app="relp-app", procid="4242",
                      msgid="RELPMSG", sd={"ex@32473": {"k": 'va"l', "b": "a\\b]c"}})
        assert RFC3339_RE.match(r["timestamp"]), r
    events = server_events(recs)
    assert events[0].startswith("start "), events[:2]
    assert ("connect %s relp" % peer) in events, events
    # omrelp ended its session with RELP close: no reason after the counts
    assert ("disconnect %s messages=%d duplicates=0" % (peer, N_PLAIN)) in events, events
    assert re.fullmatch(r"stop: SIGTERM; clients served=1 refused=0", events[-1]), events
