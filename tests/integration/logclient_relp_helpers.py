"""Helpers of the logclient RELP tests (test_logclient_relp.py,
test_logclient_relp_server.py): FakeRelp, a small RELP server in a thread of
the test that records every frame and answers as each test tells it, frame
parsing, and ways to start logclient."""
import re
import socket
import subprocess
import threading
import time

from integration_helpers import (CLIENT, proc_state, wait_until)

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
