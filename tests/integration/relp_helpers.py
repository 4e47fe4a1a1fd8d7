"""A small RELP client for the tests of logserver's RELP listener (the test's
own, so a test can send exactly the bytes it wants, bad ones too).

Frames are `TXNR SP COMMAND SP DATALEN [SP DATA] LF` (rsyslog/librelp
doc/relp.md). Every wait has a deadline."""
import re
import socket
import time

FRAME_RE = re.compile(rb"^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})")


def frame(txnr, cmd, data=b""):
    if isinstance(cmd, str):
        cmd = cmd.encode()
    return b"%d %s %d%s\n" % (txnr, cmd, len(data), (b" " + data) if data else b"")


def offers(session=None, seq=None):
    o = [b"relp_version=0", b"relp_software=lstest,1,x", b"commands=syslog"]
    if session is not None:
        o.append(b"logserver_session=" + session.encode())
    if seq is not None:
        o.append(b"logserver_seq=%d" % seq)
    return b"\n".join(o)


class RelpConn:
    """One RELP connection; answers are collected in order as (txnr, cmd, data)."""

    def __init__(self, port, host="127.0.0.1", timeout=15.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.timeout = timeout
        self.txnr = 0
        self.closed = False
        self.serverclose = False

    def send(self, data):
        """Sends data; a server that already closed is noticed when reading."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True

    def next_frame(self, deadline=None):
        """The next frame from the server, or None when it closed the connection."""
        deadline = deadline or time.monotonic() + self.timeout
        while True:
            m = FRAME_RE.match(self.buf)
            if m:
                dlen = int(m.group(3))
                start = m.end() + (1 if dlen else 0)
                if len(self.buf) >= start + dlen + 1:
                    assert self.buf[start + dlen:start + dlen + 1] == b"\n", \
                        "server frame without trailer: %r" % self.buf[:200]
                    f = (int(m.group(1)), m.group(2).decode(), self.buf[start:start + dlen])
                    self.buf = self.buf[start + dlen + 1:]
                    return f
            elif self.buf and not re.match(rb"^\d{0,9}( [A-Za-z]{0,32}( \d{0,9})?)?$",
                                           self.buf[:60]):
                raise AssertionError("not a RELP frame from the server: %r" % self.buf[:200])
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no RELP frame from the server in time; have %r"
                                     % self.buf[:200])
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                assert not self.buf, "connection closed inside a frame: %r" % self.buf[:200]
                return None
            self.buf += chunk

    def command(self, cmd, data=b""):
        self.txnr += 1
        self.send(frame(self.txnr, cmd, data))
        return self.txnr

    def open(self, session=None, seq=None):
        t = self.command("open", offers(session, seq))
        f = self.next_frame()
        assert f is not None and f[0] == t and f[1] == "rsp", f
        assert f[2].startswith(b"200 OK"), f
        return dict(line.split(b"=", 1) if b"=" in line else (line, b"")
                    for line in f[2].split(b"\n")[1:])

    def rsp(self):
        """The next answer: (txnr, code, text)."""
        f = self.next_frame()
        if f is None:
            return None
        t, cmd, data = f
        if cmd != "rsp":
            return (t, cmd, data)
        code, _, text = data.partition(b" ")
        return (t, int(code), text.decode(errors="replace"))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def send_window(conn, msgs, window=128, on_ack=None):
    """Sends msgs as syslog frames keeping at most window unanswered; returns
    the list of (msg index, code) in answer order. on_ack(i) after each 200.
    A serverclose hint ends it early (conn.serverclose is then set)."""
    sent = {}
    answers = []
    nxt = 0
    while nxt < len(msgs) or sent:
        batch = b""
        while nxt < len(msgs) and len(sent) < window:
            conn.txnr += 1
            sent[conn.txnr] = nxt
            batch += frame(conn.txnr, "syslog", msgs[nxt])
            nxt += 1
        if batch:
            conn.send(batch)
        r = conn.rsp()
        assert r is not None, "server closed with %d frames unanswered" % len(sent)
        if r[:2] == (0, "serverclose"):
            conn.serverclose = True     # what is still outstanding was not taken
            return answers
        t, code, _text = r
        assert t in sent and t == min(sent), "answer %r out of order (outstanding %r..)" % (
            r, sorted(sent)[:3])
        i = sent.pop(t)
        answers.append((i, code))
        if code == 200 and on_ack is not None:
            on_ack(i)
    return answers
