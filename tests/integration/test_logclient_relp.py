"""logclient over RELP (its default): open with a session id and logserver_seq,
numbered syslog frames within --window, exit 0 only once every message is
acknowledged, reconnect and resend after a broken connection, skip what the
server says it has, give up after --retry-for, a refusal line is final,
--plain keeps the plain lines.

Most tests talk to FakeRelp, a small RELP server in a thread of the test that
records every frame and answers as each test tells it; the last ones talk to
the real logserver's RELP listener."""
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from integration_helpers import (CLIENT, REPO, OnTty, SERVER_HELP, client_msgs, events,
                                 free_port, proc_state, wait_until)

FRAME_RE = re.compile(rb"^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})([ \n])")
HEADER_START_RE = re.compile(rb"^\d{0,9}( [A-Za-z]{0,32}( \d{0,9})?)?$")
MSG_MAX = 64 * 1024


def client_version():
    out = subprocess.run([CLIENT, "--version"], capture_output=True, timeout=10).stdout
    return out.decode().split()[1]


def parse_frame(buf):
    """(frame, rest) with frame = (txnr, cmd, data), or (None, buf) when incomplete."""
    m = FRAME_RE.match(buf)
    if not m:
        if not HEADER_START_RE.match(buf[:60]):
            raise AssertionError("not a RELP frame from logclient: %r" % buf[:200])
        return None, buf
    dlen = int(m.group(3))
    if dlen == 0:
        assert m.group(4) == b"\n", "DATALEN 0 must end the frame: %r" % buf[:100]
        return (int(m.group(1)), m.group(2).decode(), b""), buf[m.end():]
    assert m.group(4) == b" ", "no SP before the data: %r" % buf[:100]
    start = m.end()
    if len(buf) < start + dlen + 1:
        return None, buf
    assert buf[start + dlen:start + dlen + 1] == b"\n", "frame without trailer: %r" % buf[:100]
    return (int(m.group(1)), m.group(2).decode(), buf[start:start + dlen]), \
        buf[start + dlen + 1:]


def rsp(txnr, code=200, text="OK", data=b""):
    body = b"%d %s" % (code, text.encode()) + ((b"\n" + data) if data else b"")
    return b"%d rsp %d %s\n" % (txnr, len(body), body)


class FakeConn:
    def __init__(self, n, sock, peer_port):
        self.n = n                  # 0 for the first connection
        self.sock = sock
        self.peer_port = peer_port
        self.frames = []            # (txnr, cmd, data), every frame in order
        self.offers = {}            # of its open
        self.seq0 = None            # logserver_seq of its open
        self.syslog = []            # (txnr, message number, data)
        self.answered = 0           # syslog frames answered
        self.held = []              # answers waiting for release()
        self.max_outstanding = 0
        self.got_close = False
        self.done = threading.Event()


class FakeRelp:
    """A RELP server on 127.0.0.1 in threads of the test.

    on_syslog(conn, k, seq, data) decides about the k-th syslog frame of a
    connection (which carries message number seq = its open's logserver_seq
    + k) and returns None (write it, answer 200), ("CODE", "TEXT") (answer
    that, not written), "hold" (written, answered at release()), "write"
    (written, never answered), "write-drop" (written, then the connection is
    closed without an answer), "drop" (closed without an answer, not
    written), "silent" (neither written nor answered), "serverclose" (the
    hint, then closed), "garbage" (a line that is no frame), "wrong-txnr" (an
    answer to a transaction that is not outstanding). With answer_seq, the
    open's answer carries logserver_seq=M, the highest message number up to
    which everything was written, as logserver does. refuse: bytes sent
    instead of RELP before closing."""

    def __init__(self, procs, on_syslog=None, answer_seq=False, open_reply=None,
                 refuse=None):
        self.lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lst.bind(("127.0.0.1", 0))
        self.lst.listen(16)
        self.port = self.lst.getsockname()[1]
        self.on_syslog = on_syslog or (lambda c, k, seq, data: None)
        self.answer_seq = answer_seq
        self.open_reply = open_reply
        self.refuse = refuse
        self.conns = []
        self.written = {}           # message number -> data
        self.errors = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()
        procs.on_cleanup(self.stop)

    # -- control

    def release(self):
        self.released.set()

    def stop_listening(self):
        """No more connections (shutdown wakes the accepting thread up)."""
        for step in (lambda: self.lst.shutdown(socket.SHUT_RDWR), self.lst.close):
            try:
                step()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.stop_listening()
        for c in list(self.conns):
            try:
                c.sock.close()
            except OSError:
                pass

    def conn(self, n):
        return wait_until(lambda: len(self.conns) > n and self.conns[n],
                          what="connection %d" % n)

    def highest_written(self):
        m = 0
        while m + 1 in self.written:
            m += 1
        return m

    # -- serving

    def _accept(self):
        while not self.stopping:
            try:
                s, addr = self.lst.accept()
            except OSError:
                return
            with self.lock:
                c = FakeConn(len(self.conns), s, addr[1])
                self.conns.append(c)
            if self.refuse is not None:
                s.sendall(self.refuse)
                s.close()
                c.done.set()
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _send(self, c, data):
        try:
            c.sock.sendall(data)
        except OSError:
            pass

    def _flush_held(self, c):
        while c.held:
            self._send(c, rsp(c.held.pop(0)))
            c.answered += 1

    def _serve(self, c):
        buf = b""
        c.sock.settimeout(0.02)
        try:
            while not self.stopping:
                if c.held and self.released.is_set():
                    self._flush_held(c)
                try:
                    chunk = c.sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                while True:
                    fr, buf = parse_frame(buf)
                    if fr is None:
                        break
                    if not self._frame(c, *fr):
                        return
        except Exception as e:      # noqa: BLE001 -- reported by the test
            self.errors.append(repr(e))
        finally:
            try:
                c.sock.close()
            except OSError:
                pass
            c.done.set()

    def _frame(self, c, txnr, cmd, data):
        """Handles one frame; False closes the connection."""
        c.frames.append((txnr, cmd, data))
        if cmd == "open":
            assert txnr == 1 and c.frames == [(1, "open", data)], "open must come first"
            for line in data.split(b"\n"):
                name, _eq, value = line.partition(b"=")
                c.offers[name.decode()] = value.decode()
            c.seq0 = int(c.offers.get("logserver_seq", "1"))
            reply = (self.open_reply if self.open_reply is not None else
                     b"relp_version=0\nrelp_software=fakerelp,1,x\ncommands=syslog")
            if self.answer_seq and "logserver_session" in c.offers:
                reply += b"\nlogserver_seq=%d" % self.highest_written()
            self._send(c, rsp(txnr, data=reply))
            return True
        if cmd == "close":
            assert data == b""
            c.got_close = True
            self._flush_held(c)
            self._send(c, rsp(txnr))
            return False
        assert cmd == "syslog", "unexpected command %r" % cmd
        k = len(c.syslog)
        seq = c.seq0 + k
        c.syslog.append((txnr, seq, data))
        c.max_outstanding = max(c.max_outstanding, len(c.syslog) - c.answered)
        act = self.on_syslog(c, k, seq, data)
        if act in (None, "hold", "write", "write-drop"):
            self.written.setdefault(seq, data)
        if act is None and not c.held:
            self._send(c, rsp(txnr))
            c.answered += 1
        elif act in (None, "hold"):
            c.held.append(txnr)
            if self.released.is_set():
                self._flush_held(c)
        elif isinstance(act, tuple):
            self._send(c, rsp(txnr, int(act[0]), act[1]))
            c.answered += 1
        elif act == "serverclose":
            self._send(c, b"0 serverclose 0\n")
            return False
        elif act == "garbage":
            self._send(c, b"this is no frame\n")
        elif act == "wrong-txnr":
            self._send(c, rsp(txnr + 5))
        elif act in ("drop", "write-drop"):
            return False
        return True


def check_frames(srv, lines):
    """Every connection: open first with the same session, syslog frames with
    txnr 2, 3, ... whose k-th carries message logserver_seq + k; and every
    line of `lines` was written exactly once."""
    assert not srv.errors, srv.errors
    sessions = {c.offers.get("logserver_session") for c in srv.conns if c.frames}
    assert len(sessions) == 1, sessions
    for c in srv.conns:
        if not c.frames:
            continue
        assert c.frames[0][:2] == (1, "open")
        for k, (txnr, seq, data) in enumerate(c.syslog):
            assert txnr == k + 2, (c.n, k, txnr)
            assert data == lines[seq - 1], \
                "connection %d frame %d carries %r, not message %d" % (c.n, k, data[:40], seq)
    assert [srv.written.get(i + 1) for i in range(len(lines))] == lines


def start_client(procs, tmp_path, port, *args, stdin=subprocess.PIPE):
    return procs.popen([CLIENT, "-H", "127.0.0.1", "-p", str(port)] + [str(a) for a in args],
                       cwd=str(tmp_path), stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)


def run_relp(procs, tmp_path, port, *args, input=None, timeout=60):
    """Runs logclient to its end; returns (exit status, stderr text, seconds)."""
    t0 = time.monotonic()
    p = start_client(procs, tmp_path, port, *args,
                     stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
    _out, err = p.communicate(input, timeout=timeout)
    return p.returncode, err.decode(errors="replace"), time.monotonic() - t0


def send_lines(procs, tmp_path, srv, tag, n, *args):
    """logclient sends n lines "TAG NN" from stdin: (exit status, stderr, lines)."""
    lines = [b"%s %02d" % (tag, i) for i in range(n)]
    rc, err, _ = run_relp(procs, tmp_path, srv.port, *args, input=b"\n".join(lines) + b"\n")
    return rc, err, lines


def first_connection_loses_acks(acked, written):
    """on_syslog: the first connection answers `acked` messages, writes `written`,
    then drops without answering the others."""
    def act(c, k, seq, data):
        if c.n != 0:
            return None
        return None if k < acked else "write" if k < written - 1 else "write-drop"
    return act


def tcp_queue(local_port, remote_port, which):
    """tx_queue or rx_queue bytes of the IPv4 socket local_port -> remote_port."""
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16) == local_port and
                    int(fields[2].split(":")[1], 16) == remote_port):
                tx, rx = fields[4].split(":")
                return int(tx if which == "tx" else rx, 16)
    return None


def quiet(p, c, srv):
    """logclient sleeps with nothing on its way to the fake server."""
    return (proc_state(p.pid) == "S" and tcp_queue(c.peer_port, srv.port, "tx") == 0
            and tcp_queue(srv.port, c.peer_port, "rx") == 0)


# --------------------------------------------------------------------------
# the session

def test_arguments_go_as_one_syslog_frame_after_an_open_with_session_offers(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "hello,", "big", "world  x")
    assert rc == 0 and err == ""
    assert len(srv.conns) == 1
    c = srv.conns[0]
    assert c.frames[1:] == [(2, "syslog", b"hello, big world  x"), (3, "close", b"")]
    o = c.offers
    assert list(o) == ["relp_version", "relp_software", "commands", "logserver_session",
                       "logserver_seq"]
    assert o["relp_version"] == "0" and o["commands"] == "syslog"
    name, version, url = o["relp_software"].split(",")
    assert name == "logclient" and version == client_version() and "://" in url
    assert re.fullmatch(r"[0-9a-f]{32}", o["logserver_session"])
    assert o["logserver_seq"] == "1"
    assert c.got_close
    check_frames(srv, [b"hello, big world  x"])


def test_line_breaks_inside_arguments_become_spaces(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "send", "two\nlines", "in\r\none")
    assert rc == 0, err
    assert [d for _t, _s, d in srv.conns[0].syslog] == [b"two lines in  one"]


def test_stdin_lines_are_numbered_in_order_and_closed_after_the_last_ack(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port,
                          input=b"line one\nline two\r\n\ttabbed\n\n3 <x> three\n"
                                b"last without newline")
    assert rc == 0 and err == ""
    lines = [b"line one", b"line two", b"\ttabbed", b"", b"3 <x> three",
             b"last without newline"]
    c = srv.conns[0]
    assert [f[:2] for f in c.frames] == [(1, "open")] + [(i + 2, "syslog") for i in range(6)] \
        + [(8, "close")]
    check_frames(srv, lines)


def test_quit_typed_on_a_terminal_ends_the_input(procs, tmp_path):
    srv = FakeRelp(procs)
    t = OnTty(procs, [CLIENT, "-H", "127.0.0.1", "-p", srv.port], tmp_path)
    t.type(b"kept 1\nkept 2\nquit\nnot sent\n")     # no Ctrl-D: "quit" alone ends it
    assert t.wait(15)[0] == 0
    check_frames(srv, [b"kept 1", b"kept 2"])


def test_quit_from_a_pipe_is_an_ordinary_message(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"a\nquit\nb\n")
    assert rc == 0, err
    check_frames(srv, [b"a", b"quit", b"b"])


def test_every_run_has_its_own_session_id(procs, tmp_path):
    srv = FakeRelp(procs)
    for _ in range(2):
        assert run_relp(procs, tmp_path, srv.port, "x")[0] == 0
    ids = [c.offers["logserver_session"] for c in srv.conns]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_no_input_still_opens_and_closes(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"")
    assert rc == 0 and err == ""
    assert [f[:2] for f in srv.conns[0].frames] == [(1, "open"), (2, "close")]


def test_exit_waits_until_every_message_is_acknowledged(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port)
    p.stdin.write(b"a\nb\nc\n")
    p.stdin.close()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 3, what="three frames")
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting")
    assert p.poll() is None, "logclient ended before its messages were acknowledged"
    assert not c.got_close
    srv.release()
    assert p.wait(15) == 0
    assert c.got_close
    check_frames(srv, [b"a", b"b", b"c"])


def test_window_bounds_the_unacknowledged_messages(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    lines = [b"w %02d" % i for i in range(10)]
    p = start_client(procs, tmp_path, srv.port, "--window", 4)
    p.stdin.write(b"\n".join(lines) + b"\n")
    p.stdin.close()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) >= 4, what="a window of frames")
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting for answers")
    assert len(c.syslog) == 4
    srv.release()
    assert p.wait(15) == 0
    assert c.max_outstanding == 4
    check_frames(srv, lines)


def test_long_line_is_sent_as_messages_of_64_kib(procs, tmp_path):
    srv = FakeRelp(procs)
    big = bytes(range(32, 127)) * 1600      # 152000 bytes
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=big + b"\nshort\n")
    assert rc == 0, err
    got = [d for _t, _s, d in srv.conns[0].syslog]
    assert [len(d) for d in got] == [MSG_MAX, MSG_MAX, len(big) - 2 * MSG_MAX, 5]
    assert b"".join(got[:3]) == big


# --------------------------------------------------------------------------
# broken connections

def test_resends_what_was_not_acknowledged_after_the_server_drops_the_connection(procs,
                                                                                 tmp_path):
    def drop_fourth_of_first(c, k, seq, data):
        return "drop" if c.n == 0 and k == 3 else None
    srv = FakeRelp(procs, on_syslog=drop_fourth_of_first)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"r", 10)
    assert rc == 0 and err == ""
    first, second = srv.conns[0], srv.conns[1]
    assert first.seq0 == 1 and second.seq0 == 4
    assert [d for _t, _s, d in second.syslog] == lines[3:]
    assert len(srv.conns) == 2
    check_frames(srv, lines)


def test_skips_what_the_server_says_it_has_written(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=first_connection_loses_acks(3, 7), answer_seq=True)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"s", 12)
    assert rc == 0 and err == ""
    assert srv.conns[1].seq0 == 4           # the first it had no answer for
    later = [(seq, d) for c in srv.conns[1:] for _t, seq, d in c.syslog]
    assert [seq for seq, _d in later] == list(range(8, 13)), "4..7 were sent again"
    check_frames(srv, lines)


def test_without_logserver_seq_everything_unacknowledged_is_sent_again(procs, tmp_path):
    # a RELP server that is not logserver (rsyslog's imrelp) does not answer logserver_seq
    srv = FakeRelp(procs, on_syslog=first_connection_loses_acks(2, 4))
    rc, err, lines = send_lines(procs, tmp_path, srv, b"n", 8)
    assert rc == 0, err
    assert [seq for _t, seq, _d in srv.conns[1].syslog] == list(range(3, 9))
    check_frames(srv, lines)


def test_a_500_answer_makes_it_reconnect_and_send_again(procs, tmp_path):
    def disk_full_twice(c, k, seq, data):
        return ("500", "disk full") if c.n < 2 and seq == 2 else None
    srv = FakeRelp(procs, on_syslog=disk_full_twice, answer_seq=True)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"f", 4)
    assert rc == 0
    assert err == "logclient: server did not take message 2: disk full; retrying\n"
    assert [c.seq0 for c in srv.conns] == [1, 2, 2]
    assert [d for _t, _s, d in srv.conns[2].syslog] == lines[1:]
    check_frames(srv, lines)


@pytest.mark.parametrize("how", ["serverclose", "garbage", "wrong-txnr"])
def test_serverclose_or_a_bad_answer_breaks_the_connection(procs, tmp_path, how):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: how if c.n == 0 and k == 1
                   else None)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"b", 5)
    assert rc == 0 and err == ""
    assert srv.conns[1].seq0 == 2
    check_frames(srv, lines)


def test_a_silent_server_is_left_after_timeout_and_the_messages_sent_again(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "silent" if c.n == 0 else None)
    rc, err, secs = run_relp(procs, tmp_path, srv.port, "--timeout", 1, input=b"q1\nq2\n")
    assert rc == 0 and err == ""
    assert secs >= 1.0
    assert srv.conns[1].seq0 == 1
    check_frames(srv, [b"q1", b"q2"])


# --------------------------------------------------------------------------
# failures

def test_gives_up_after_retry_for_when_nothing_listens(procs, tmp_path):
    port = free_port()
    rc, err, secs = run_relp(procs, tmp_path, port, "--retry-for", 1, input=b"a\nb\nc\n")
    assert rc == 1
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "cannot connect to 127.0.0.1 port %d" % port in lines[0]
    assert "--retry-for 1 s" in lines[0]
    assert lines[1] == "logclient: 3 of 3 messages were not acknowledged by 127.0.0.1:%d" % port
    assert 1.0 <= secs < 10


def test_gives_up_when_the_server_goes_away_for_longer_than_retry_for(procs, tmp_path):
    def vanish(c, k, seq, data):
        if k == 2:
            srv.stop_listening()
            return "drop"
        return None
    srv = FakeRelp(procs, on_syslog=vanish)
    rc, err, secs = run_relp(procs, tmp_path, srv.port, "--retry-for", 1,
                             input=b"1\n2\n3\n4\n5\n")
    assert rc == 1
    assert err.splitlines()[-1] == \
        "logclient: 3 of 5 messages were not acknowledged by 127.0.0.1:%d" % srv.port
    assert secs < 10


def test_a_refusal_line_is_final(procs, tmp_path):
    srv = FakeRelp(procs, refuse=b"logserver: refused: too many clients (--max-clients 1)\n")
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"a\n")
    assert rc == 1
    lines = err.splitlines()
    assert lines[0] == ("logclient: the server refused the messages: logserver: refused: "
                        "too many clients (--max-clients 1)")
    # the refusal may come before logclient has read its standard input
    assert lines[1:] in ([], ["logclient: 1 of 1 messages were not acknowledged by "
                              "127.0.0.1:%d" % srv.port])
    assert len(srv.conns) == 1, "a refusal must not be retried"


def test_a_server_without_the_syslog_command_is_final(procs, tmp_path):
    srv = FakeRelp(procs, open_reply=b"relp_version=0\ncommands=eventlog")
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "x")
    assert rc == 1
    assert "commands=syslog" in err.splitlines()[0]
    assert len(srv.conns) == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_reading_but_waits_for_the_acks(procs, tmp_path, sig):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port)
    p.stdin.write(b"read before the signal\n")
    p.stdin.flush()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 1 and quiet(p, c, srv), what="the frame")
    p.send_signal(sig)
    p.stdin.write(b"written after the signal\n")
    p.stdin.flush()
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting")
    assert p.poll() is None
    srv.release()
    # Every message acknowledged: 0 after SIGTERM; Ctrl-C's status is 130.
    assert p.wait(15) == (130 if sig == signal.SIGINT else 0), p.stderr.read()
    assert c.got_close
    check_frames(srv, [b"read before the signal"])


def test_after_a_signal_unacknowledged_messages_get_retry_for_seconds(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port, "--retry-for", 1)
    p.stdin.write(b"never acknowledged\n")
    p.stdin.flush()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 1, what="the frame")
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=15)
    assert p.returncode == 1
    assert time.monotonic() - t0 >= 0.9
    assert err.decode().splitlines()[-1] == \
        "logclient: 1 of 1 messages were not acknowledged by 127.0.0.1:%d" % srv.port


# --------------------------------------------------------------------------
# options

def test_help_tells_the_relp_options(tmp_path):
    out = subprocess.run([CLIENT, "--help"], capture_output=True, timeout=10, cwd=str(tmp_path))
    assert out.returncode == 0
    text = out.stdout.decode()
    for word in ("--plain", "--retry-for SECONDS", "--window N", "2514", "5140", "RELP"):
        assert word in text, word


@pytest.mark.parametrize("args", [["--window", "0"], ["--window", "1025"],
                                  ["--retry-for", "-1"], ["--retry-for", "86401"]])
def test_out_of_range_relp_options_are_refused(tmp_path, args):
    res = subprocess.run([CLIENT] + args + ["x"], capture_output=True, timeout=10,
                         cwd=str(tmp_path), stdin=subprocess.DEVNULL)
    assert res.returncode in (1, 2)
    assert res.stderr.decode().startswith("logclient: ")


def test_plain_keeps_sending_plain_lines(start_server, procs, tmp_path):
    srv = start_server()
    p = procs.popen([CLIENT, "--plain", "-H", "127.0.0.1", "-p", str(srv.port)],
                    cwd=str(tmp_path), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _out, err = p.communicate(b"plain one\nplain two\n", timeout=30)
    assert p.returncode == 0, err
    recs = srv.records()
    peers = [r.event.split()[1] for r in events(recs, "connect ")]
    assert len(peers) == 1
    assert client_msgs(recs, peers[0]) == ["plain one", "plain two"]


# --------------------------------------------------------------------------
# the real logserver

needs_relp = pytest.mark.skipif("--relp-port" not in SERVER_HELP,
                                reason="logserver has no RELP listener yet (--relp-port "
                                       "is missing from logserver --help)")


def relp_server(start_server, *args):
    rport = free_port()
    srv = start_server("--relp-port", rport, *args)
    srv.relp_port = rport
    return srv


def relp_peers(recs):
    return [r.event.split()[1] for r in events(recs, "connect ") if r.event.endswith(" relp")]


@needs_relp
def test_logserver_writes_what_logclient_sends_over_relp(start_server, procs, tmp_path):
    srv = relp_server(start_server)
    rc, err, _ = run_relp(procs, tmp_path, srv.relp_port, input=b"over relp\nsecond\r\n")
    assert rc == 0 and err == ""
    recs = srv.records()            # exit 0: already in the file
    peers = relp_peers(recs)
    assert len(peers) == 1
    assert client_msgs(recs, peers[0]) == ["over relp", "second"]


@needs_relp
def test_logserver_plain_port_refuses_relp_and_logclient_names_the_relp_port(start_server,
                                                                             procs, tmp_path):
    srv = relp_server(start_server)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "to", "the", "wrong", "port")
    assert rc == 1
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "RELP goes to port %d" % srv.relp_port in lines[0]
    assert lines[1] == "logclient: 1 of 1 messages were not acknowledged by 127.0.0.1:%d" \
        % srv.port
    assert len(events(srv.records(), "connect ")) == 1, "a refusal must not be retried"


@needs_relp
def test_session_child_killed_5_times_loses_and_duplicates_nothing(start_server, procs,
                                                                   tmp_path):
    srv = relp_server(start_server)
    n = 100000
    src = tmp_path / "lines.txt"
    src.write_bytes(b"".join(b"kill %06d\n" % i for i in range(n)))

    def sent():
        """Bytes in the log files: cheaper to watch than the records."""
        return sum(f.stat().st_size for f in srv.files())

    with open(src, "rb") as f:
        p = start_client(procs, tmp_path, srv.relp_port, stdin=f)
    killed = []
    last = 0
    for _ in range(5):
        def victim():
            if p.poll() is not None:
                raise AssertionError("logclient finished after only %d kills" % len(killed))
            now = sent()
            if now < last + 100000:         # some 2000 records more
                return None
            kids = [k for k in srv.children() if k not in killed
                    and proc_state(k) not in (None, "Z")]
            return kids[0] if len(kids) == 1 else None
        pid = wait_until(victim, timeout=60, what="a session child that wrote more")
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        last = sent()
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    recs = srv.records()
    got = [r.msg for r in recs if not r.is_event and r.msg.startswith("kill ")]
    assert len(got) == n and sorted(got) == ["kill %06d" % i for i in range(n)]
    assert got == sorted(got), "resent messages came out of order"
    assert len([e for e in events(recs, "child ") if "killed by signal 9" in e.event]) == 5


# --------------------------------------------------------------------------
# rsyslog's imrelp (another RELP server: no logserver_seq, so everything not
# acknowledged is sent again)

def _imrelp_dir():
    peers = Path(os.environ.get("INTEROP_PEERS_DIR", str(REPO / "tests/interop/.peers")))
    hits = sorted((peers / "rsyslog").rglob("imrelp.so")) if (peers / "rsyslog").is_dir() else []
    return hits[0].parent if hits else None


IMRELP = _imrelp_dir()


def start_rsyslogd(procs, tmp_path, port, n):
    conf = tmp_path / "rsyslog.conf"
    conf.write_text('global(workDirectory="%s")\n'
                    'module(load="imrelp")\n'
                    'input(type="imrelp" port="%d" address="127.0.0.1")\n'
                    'template(name="raw" type="string" string="%%rawmsg%%\\n")\n'
                    'action(type="omfile" file="%s" template="raw")\n'
                    % (tmp_path, port, tmp_path / "out.log"))
    pidfile = tmp_path / ("rsyslogd%d.pid" % n)
    rsyslogd = IMRELP.parents[2] / "sbin/rsyslogd"     # .../usr/lib/ARCH/rsyslog
    with open(tmp_path / ("rsyslogd%d.out" % n), "wb") as out:
        p = procs.popen([rsyslogd, "-n", "-f", conf, "-i", pidfile, "-M", IMRELP],
                        cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=out,
                        stderr=subprocess.STDOUT)

    def listening():
        assert p.poll() is None, "rsyslogd exited %s" % p.returncode
        return tcp_queue(port, 0, "rx") is not None
    wait_until(listening, what="rsyslogd listening on %d" % port)
    return p


@pytest.mark.skipif(IMRELP is None, reason="rsyslog's imrelp is not unpacked "
                    "(bash tests/interop/peers.sh rsyslog-relp)")
def test_rsyslog_imrelp_gets_every_line_across_its_restart(procs, tmp_path):
    port = free_port()
    rs = start_rsyslogd(procs, tmp_path, port, 1)
    n = 100000
    src = tmp_path / "lines.txt"
    src.write_bytes(b"".join(b"rs %06d\n" % i for i in range(n)))
    out = tmp_path / "out.log"
    with open(src, "rb") as f:
        p = start_client(procs, tmp_path, port, stdin=f)
    wait_until(lambda: out.exists() and out.stat().st_size > 0 or p.poll() is not None,
               what="rsyslogd writing")
    assert p.poll() is None, "logclient finished before the restart"
    rs.send_signal(signal.SIGTERM)
    assert rs.wait(15) == 0
    start_rsyslogd(procs, tmp_path, port, 2)
    _o, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    got = out.read_bytes().split(b"\n")[:-1]
    assert set(got) == {b"rs %06d" % i for i in range(n)}


@needs_relp
def test_first_line_after_the_server_restarted_is_resent_not_lost(start_server, procs,
                                                                  tmp_path):
    # The server stops while logclient waits for input; the next line goes out
    # on the dead connection, is not acknowledged, and is sent again on a new one.
    srv = relp_server(start_server)
    p = start_client(procs, tmp_path, srv.relp_port)
    p.stdin.write(b"before the restart\n")
    p.stdin.flush()
    srv.wait_records(lambda rs: any(r.msg == "before the restart" for r in rs
                                    if not r.is_event), what="the first line")
    assert srv.stop() == 0
    again = start_server("--relp-port", srv.relp_port, logdir=tmp_path / "logs2")
    _out, err = p.communicate(b"after the restart\n", timeout=60)
    assert p.returncode == 0, err
    assert [r.msg for r in again.records() if not r.is_event] == ["after the restart"]
