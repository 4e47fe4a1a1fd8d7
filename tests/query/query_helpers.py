"""Helpers of the query-service suite (tests/query).

Binaries come from $LOGSERVER_BIN (default: <repo>/bin). Every process a test
starts goes through a Procs registry and is ended by its pid in a finalizer
(a server's children are collected from /proc first and ended by pid too).
Nothing sleeps for a fixed time: waits poll with a deadline (wait_until) or
block on a socket with a timeout. Everything listens and connects on loopback.

This module has its own name (not conftest) so that a combined pytest run over
several suite directories cannot confuse it with another suite's helpers.
"""
import hashlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import sys as _sys
_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import lstest_common as _common  # noqa: E402

REPO, BIN, SERVER, CLIENT = _common.REPO, _common.BIN, _common.SERVER, _common.CLIENT
LOGNAME_RE = _common.LOGNAME_RE
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIMEOUT = 20.0
LOOP = "127.0.0.1"
GREETING = b"OK logserver-query 1"     # the server's first line on a query connection


# --------------------------------------------------------------------------
# polling

def wait_until(pred, timeout=TIMEOUT, what=None):
    return _common.wait_until(pred, timeout, what, interval=0.002)


def free_port(kind=socket.SOCK_STREAM):
    return _common.free_port(kind, LOOP)


# --------------------------------------------------------------------------
# files

def logname(seq, stamp="20260101T000000Z"):
    return "logserver-%s-%08d.log" % (stamp, seq)


def seq_of(name):
    m = LOGNAME_RE.match(name)
    return int(m.group(2)) if m else None


def sha256_file(path, offset=0, length=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(offset)
        left = length
        while left is None or left > 0:
            chunk = f.read(8 << 20 if left is None else min(8 << 20, left))
            if not chunk:
                break
            h.update(chunk)
            if left is not None:
                left -= len(chunk)
    return h.hexdigest()


def record_lines(data):
    """Complete lines of a log file's bytes (the last, unfinished one left out)."""
    lines = data.split(b"\n")
    lines.pop()
    return lines


def line_time(line):
    """The receive time a text or json record line starts with, or '-'."""
    text = line[:64].decode("utf-8", "replace")
    if TIME_RE.match(text[:24]):
        return text[:24]
    if text.startswith('{"time":"') and TIME_RE.match(text[9:33]):
        return text[9:33]
    return "-"


def event_text(line):
    """'text' of a server event line 'TIME - logserver[PID]: text', else None."""
    parts = line.split(b" ", 2)
    if len(parts) == 3 and parts[1] == b"-" and parts[2].startswith(b"logserver["):
        head, _, rest = parts[2].partition(b"]: ")
        if rest or head:
            return rest.decode("utf-8", "replace")
    return None


# --------------------------------------------------------------------------
# processes

child_pids = _common.child_pids
kill_pid = _common.kill_pid
Procs = _common.Procs


# --------------------------------------------------------------------------
# the server

class Server:
    def __init__(self, proc, procs, port, qport, uport, logdir, cwd, errpath):
        self.proc = proc
        self.procs = procs
        self.port = port
        self.qport = qport
        self.uport = uport
        self.logdir = Path(logdir)
        self.cwd = Path(cwd)
        self.errpath = errpath
        self.planted = set()        # names of files the test wrote (not scanned for events)

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        return Path(self.errpath).read_text(errors="replace")

    def files(self):
        """Paths of every name in the log directory that looks like a log file,
        sorted by sequence number (whatever kind of file it is)."""
        names = [n for n in os.listdir(self.logdir) if LOGNAME_RE.match(n)]
        return [self.logdir / n for n in sorted(names, key=seq_of)]

    def own_files(self):
        """The server's own regular files (not planted, not symlinks)."""
        return [p for p in self.files() if p.name not in self.planted
                and not p.is_symlink() and p.is_file()]

    def events(self, contains=""):
        out = []
        for p in self.own_files():
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                continue
            for line in record_lines(data):
                ev = event_text(line)
                if ev is not None and contains in ev:
                    out.append(ev)
        return out

    def connections(self):
        """Accepted sender connections on the TCP port the server holds (with
        a child, or waiting in the connection holder for their first byte)."""
        return _common.held_sockets([self.pid] + _common.child_pids(self.pid, holder=True),
                                    self.port)

    def wait_event(self, contains, count=1, timeout=TIMEOUT):
        return wait_until(lambda: (lambda evs: evs if len(evs) >= count else None)(
            self.events(contains)), timeout, what="%d event(s) containing %r" % (count, contains))

    def query(self, source=None, timeout=TIMEOUT):
        return QConn(self.qport, source=source, timeout=timeout)

    def client_argv(self, *args):
        return [CLIENT, "-H", LOOP, "-p", str(self.qport)] + [str(a) for a in args]

    def client(self, *args, cwd=None, timeout=60, input=None):
        """Runs logclient against the query port and waits for it."""
        return subprocess.run(self.client_argv(*args), cwd=str(cwd or self.cwd),
                              input=input, stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)

    def send_lines(self, lines, timeout=30):
        """Sends lines on one TCP connection; returns after the server closed it,
        which it does only after writing everything."""
        with socket.create_connection((LOOP, self.port), timeout=timeout) as s:
            s.sendall(b"".join(l + b"\n" for l in lines))
            s.shutdown(socket.SHUT_WR)
            read_to_eof(s)

    def stop(self, sig=signal.SIGTERM, timeout=TIMEOUT):
        if self.proc.poll() is None:
            os.kill(self.pid, sig)
        return self.proc.wait(timeout=timeout)


def read_to_eof(sock, timeout=TIMEOUT):
    """Everything until the peer closes (EOF or reset), within timeout."""
    sock.settimeout(timeout)
    out = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk
    raise AssertionError("the peer did not close the connection")


def launch_server(procs, workdir, *args, logdir=None, udp_port=0, max_files=1000,
                  query_bind=True, timeout=TIMEOUT):
    """Starts logserver on loopback with an empty configuration file, cwd in
    workdir, free TCP and query ports, and the log directory workdir/logs
    unless told. Returns a Server once it says it is listening."""
    workdir = Path(workdir)
    logdir = Path(logdir) if logdir is not None else workdir / "logs"
    conf = workdir / "empty.conf"
    conf.write_text("")
    last = ""
    for attempt in range(5):
        port, qport = free_port(), free_port()
        uport = free_port(socket.SOCK_DGRAM) if udp_port is None else udp_port
        errpath = workdir / ("server-%d-%d.stderr" % (os.getpid(), attempt))
        argv = [SERVER, "-c", conf, "--bind", LOOP, "-p", port, "--udp-port", uport,
                "--query-port", qport, "--relp-port", 0, "-d", logdir]
        if query_bind:
            argv += ["--query-bind", LOOP]
        if max_files is not None:
            argv += ["--max-files", max_files]
        argv += list(args)
        with open(errpath, "wb") as ef:
            proc = procs.popen(argv, cwd=str(workdir), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=ef)
        wait_until(lambda: proc.poll() is not None
                   or "listening on" in errpath.read_text(errors="replace"),
                   timeout, what="logserver start-up")
        if proc.poll() is None:
            return Server(proc, procs, port, qport, uport, logdir, workdir, errpath)
        last = errpath.read_text(errors="replace")
        if "in use" not in last:
            break
    raise AssertionError("logserver did not start (%s): %s" % (argv, last))


# --------------------------------------------------------------------------
# the query protocol

class QConn:
    """One query connection. Every byte received after the server's greeting
    is kept in .received. The greeting is read (and checked) before the first
    send, as a client must; a test that wants the raw bytes of a refused
    connection (no greeting) reads .sock itself."""

    def __init__(self, port, source=None, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.connect((LOOP, port))
        host, lport = self.sock.getsockname()[:2]
        self.local = "%s:%d" % (host, lport)      # the peer text the server logs
        self.buf = bytearray()
        self.received = bytearray()
        self.eof = False
        self.greeted = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def greeting(self):
        """Reads the server's first line; it must be the greeting."""
        if not self.greeted:
            self.greeted = True
            first = self.line().encode()
            assert first == GREETING, "expected the greeting, got %r" % first
            del self.received[:len(first) + 1]

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.greeting()
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise EOFError("the server closed the connection")
        self.received += chunk
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                break
            self._fill()
        line = bytes(self.buf[:i])
        del self.buf[:i + 1]
        return line.decode("utf-8", "replace")

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def request(self, line):
        """Sends one request line (LF added) and returns the first reply line."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\n")
        return self.line()

    def closed_by_server(self):
        """True when the server closes the connection (reads and keeps any rest)."""
        try:
            while True:
                self._fill()
        except EOFError:
            return True
        except socket.timeout:
            return False


def fetch(conn, name, offset=None):
    """FETCH over conn: returns the body bytes (asserting the OK header)."""
    req = "FETCH %s" % name + ("" if offset is None else " %d" % offset)
    head = conn.request(req)
    assert head.startswith("OK "), "%s -> %r" % (req, head)
    return conn.exact(int(head[3:]))


# --------------------------------------------------------------------------
# a throttling proxy: forwards the server's bytes up to a budget, then holds

class HoldingProxy:
    """Listens on loopback; for one client connection, opens one to upstream
    and forwards both ways, but passes at most `budget` bytes from the server
    to the client: after that the client sees a stalled (not closed)
    connection, or with then_close a closed one. close() ends everything."""

    def __init__(self, upstream_port, budget, then_close=False):
        self.upstream_port = upstream_port
        self.budget = budget
        self.then_close = then_close
        self.forwarded = 0
        self.done = threading.Event()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind((LOOP, 0))
        self.lsock.listen(1)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.socks = [self.lsock]
        self.threads = [threading.Thread(target=self._run, daemon=True)]
        self.threads[0].start()

    def _run(self):
        try:
            c, _ = self.lsock.accept()
        except OSError:
            return
        self.socks.append(c)
        try:
            u = socket.create_connection((LOOP, self.upstream_port), timeout=TIMEOUT)
        except OSError:
            return
        self.socks.append(u)
        t = threading.Thread(target=self._pump, args=(c, u, None), daemon=True)
        self.threads.append(t)
        t.start()
        self._pump(u, c, self.budget)

    def _pump(self, src, dst, budget):
        src.settimeout(None)
        try:
            while not self.done.is_set():
                want = 1 << 20 if budget is None else min(1 << 20, budget - self.forwarded)
                if want <= 0:
                    if self.then_close:
                        dst.shutdown(socket.SHUT_RDWR)
                        return
                    self.done.wait(TIMEOUT * 6)     # hold: the client is about to be killed
                    return
                data = src.recv(want)
                if not data:
                    return
                dst.sendall(data)
                if budget is not None:
                    self.forwarded += len(data)
        except OSError:
            return

    def close(self):
        self.done.set()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        for t in self.threads:
            t.join(timeout=5)


# --------------------------------------------------------------------------
# a follower reading a raw FOLLOW stream in a thread

class StreamReader:
    """Collects everything a socket (or pipe fd) delivers, in a thread."""

    def __init__(self, sock, initial=b""):
        self.sock = sock
        self.data = bytearray(bytes(initial))
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def snapshot(self):
        with self.lock:
            return bytes(self.data)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------
# logclient's protocol for sending

def _client_help():
    try:
        return subprocess.run([CLIENT, "--help"], capture_output=True, timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return ""


# logclient sends with RELP by default once it knows --plain; tests that send to
# the plain TCP port pass CLIENT_PLAIN.
CLIENT_PLAIN = ["--plain"] if "--plain" in _client_help() else []
