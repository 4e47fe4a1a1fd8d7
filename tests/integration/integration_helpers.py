"""Helpers of the logserver integration suite (the fixtures are in conftest.py).

Binaries come from $LOGSERVER_BIN (default: <repo>/bin). Every process a test
starts is registered with the `procs` fixture and ended by its pid in the
finalizer (children of a server are collected from /proc and ended by pid too).
Nothing sleeps for a fixed time: waits poll with a deadline (wait_until).
Everything listens and connects on loopback only.
"""
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sys as _sys
_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import lstest_common as _common  # noqa: E402

REPO, BIN, SERVER, CLIENT = _common.REPO, _common.BIN, _common.SERVER, _common.CLIENT
LOGNAME_RE = _common.LOGNAME_RE
TIME_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
RECORD_RE = re.compile(r"^(" + TIME_RE + r") (\S+) (.*)$", re.S)
EVENT_RE = re.compile(r"^logserver\[(\d+)\]: (.*)$", re.S)
_CONTROL_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")   # C0 but LF, DEL, C1

DEFAULT_TIMEOUT = 15.0


def _server_help():
    try:
        return subprocess.run([SERVER, "--help"], capture_output=True, timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return ""


# Services besides the TCP receiver that newer servers start by default on fixed
# ports (query service on 5141, UDP on the TCP port): off unless a test asks,
# so servers of concurrent tests (or suites) never compete for a port.
SERVER_HELP = _server_help()
SERVER_EXTRAS = []
if "--query-port" in SERVER_HELP:
    SERVER_EXTRAS += ["--query-port", "0"]
if "--udp-port" in SERVER_HELP:
    SERVER_EXTRAS += ["--udp-port", "0"]
if "--relp-port" in SERVER_HELP:
    SERVER_EXTRAS += ["--relp-port", "0"]   # a test that wants RELP passes its own port


def _client_help():
    try:
        return subprocess.run([CLIENT, "--help"], capture_output=True, timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return ""


# logclient sends with RELP by default once it knows --plain; tests that send to
# the plain TCP port pass CLIENT_PLAIN.
CLIENT_PLAIN = ["--plain"] if "--plain" in _client_help() else []


# --------------------------------------------------------------------------
# polling

def wait_until(pred, timeout=DEFAULT_TIMEOUT, interval=0.01, what=None):
    return _common.wait_until(pred, timeout, what, interval=interval, max_interval=0.2)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    return _common.free_port(socket.SOCK_STREAM, host)


# --------------------------------------------------------------------------
# log files and records

@dataclass
class Record:
    time: str
    peer: str
    msg: str
    file: str
    line: str

    @property
    def is_event(self):
        return self.peer == "-"

    @property
    def pid(self):
        m = EVENT_RE.match(self.msg) if self.is_event else None
        return int(m.group(1)) if m else None

    @property
    def event(self):
        """The event text after "logserver[PID]: ", or None for a client message."""
        m = EVENT_RE.match(self.msg) if self.is_event else None
        return m.group(2) if m else None


def log_files(logdir):
    """The server's own files in logdir, oldest first (names sort in creation order)."""
    try:
        names = os.listdir(logdir)
    except FileNotFoundError:
        return []
    return [Path(logdir) / n for n in sorted(names) if LOGNAME_RE.match(n)]


def parse_line(line, fname=""):
    m = RECORD_RE.match(line)
    assert m, "malformed record in %s: %r" % (fname, line[:300])
    return Record(m.group(1), m.group(2), m.group(3), fname, line)


def read_file_records(path, complete_only=True):
    """Parses one log file. Every line must be a well-formed record in valid
    UTF-8 without control characters. With complete_only, a last line still
    being written (no newline yet) is ignored."""
    data = Path(path).read_bytes()
    end = data.rfind(b"\n") + 1
    tail = data[end:]           # a last line without its newline (yet)
    if tail and not complete_only:
        raise AssertionError("%s ends without a newline: %r" % (path, tail[-200:]))
    try:
        text = data[:end].decode("utf-8")       # escaping guarantees valid UTF-8
    except UnicodeDecodeError as e:
        raise AssertionError("invalid UTF-8 in %s near %r" % (path, data[max(0, e.start - 100):
                                                                          e.end + 20]))
    bad = _CONTROL_RE.search(text)
    assert not bad, "control character %r in record %r" % (
        bad.group(), text[text.rfind("\n", 0, bad.start()) + 1:][:300])
    name = Path(path).name
    lines = text.split("\n")
    lines.pop()
    return [parse_line(line, name) for line in lines]


def first_record(path):
    """The first record of a log file."""
    with open(path, "rb") as f:
        return parse_line(f.readline().decode("utf-8").rstrip("\n"), Path(path).name)


def read_records(logdir, complete_only=True):
    """All records of all the server's files in logdir, in file order."""
    out = []
    for f in log_files(logdir):
        try:
            out.extend(read_file_records(f, complete_only))
        except FileNotFoundError:     # deleted by retention while we listed
            continue
    return out


_ESC_RE = re.compile(r"\\(\\|t|r|n|x[0-9a-f]{2})")


def unescape(text):
    """Inverse of the server's escaping: returns the original message bytes."""
    out = bytearray()
    pos = 0
    for m in _ESC_RE.finditer(text):
        out += text[pos:m.start()].encode("utf-8")
        e = m.group(1)
        out += {"\\": b"\\", "t": b"\t", "r": b"\r", "n": b"\n"}.get(e, b"")
        if e.startswith("x"):
            out.append(int(e[1:], 16))
        pos = m.end()
    rest = text[pos:]
    assert "\\" not in rest, "unknown escape in %r" % text
    out += rest.encode("utf-8")
    return bytes(out)


def session_pids(records):
    """Pids of the children that served clients (from their connect events)."""
    return {r.pid for r in events(records, "connect ")}


def client_msgs(records, peer):
    return [r.msg for r in records if r.peer == peer]


def events(records, prefix=""):
    return [r for r in records if r.is_event and r.event is not None
            and r.event.startswith(prefix)]


# --------------------------------------------------------------------------
# processes

child_pids = _common.child_pids
holder_pid = _common.holder_pid


proc_state = _common.proc_state
Procs = _common.Procs
OnTty = _common.OnTty


def vm_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


_kill_pid = _common.kill_pid


# --------------------------------------------------------------------------
# the server

class Server:
    def __init__(self, proc, port, host, logdir, cwd, errpath, outpath):
        self.proc = proc
        self.port = port
        self.host = host
        self.logdir = Path(logdir)
        self.cwd = Path(cwd)
        self.errpath = errpath
        self.outpath = outpath

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        return Path(self.errpath).read_text(errors="replace")

    def records(self, complete_only=True):
        return read_records(self.logdir, complete_only)

    def files(self):
        return log_files(self.logdir)

    def children(self):
        return child_pids(self.pid)

    def connections(self, port=None):
        """Accepted connections on port (default: the TCP port) that the
        server holds, with a child or waiting in the holder for a first byte."""
        return _common.held_sockets([self.pid] + child_pids(self.pid, holder=True),
                                    port or self.port)

    def wait_records(self, pred, timeout=DEFAULT_TIMEOUT, what=None):
        """Waits until pred(records) is truthy; returns the records then."""
        box = []

        def check():
            recs = self.records()
            if pred(recs):
                box.append(recs)
                return True
            return False
        wait_until(check, timeout, what=what or "records")
        return box[0]

    def wait_event(self, prefix, count=1, timeout=DEFAULT_TIMEOUT):
        recs = self.wait_records(lambda rs: len(events(rs, prefix)) >= count, timeout,
                                 what="%d event(s) %r" % (count, prefix))
        return events(recs, prefix)

    def connect(self, timeout=30):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect((self.host, self.port))
        return s

    def send(self, data, timeout=30):
        """One connection: sends data, half-closes, and waits until the server
        closes, which it does after writing everything. Returns the peer text."""
        with self.connect(timeout) as s:
            peer = peer_of(s)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            wait_closed(s)
        return peer

    def kill(self, sig):
        os.kill(self.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        if self.proc.poll() is None:
            self.kill(sig)
        return self.proc.wait(timeout=timeout)


def peer_of(sock):
    """The peer text the server writes for this client socket."""
    addr = sock.getsockname()
    if sock.family == socket.AF_INET6:
        return "[%s]:%d" % (addr[0], addr[1])
    return "%s:%d" % (addr[0], addr[1])


def wait_closed(sock, timeout=30):
    """Reads until the peer closes (EOF or reset). Bounded by timeout."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return "eof"
        except ConnectionResetError:
            return "reset"
    raise AssertionError("the server did not close the connection")


def server_argv(port, logdir, *args, host="127.0.0.1", config=None):
    argv = [SERVER] + SERVER_EXTRAS
    if config is not None:
        argv += ["-c", str(config)]
    if host is not None:
        argv += ["--bind", host]
    if port is not None:
        argv += ["-p", str(port)]
    if logdir is not None:
        argv += ["-d", str(logdir)]
    return argv + [str(a) for a in args]


def run_server(args, cwd, timeout=10, extras=True):
    """Runs logserver expecting it to exit by itself (start-up errors, --help)."""
    argv = [SERVER] + (SERVER_EXTRAS if extras else []) + [str(a) for a in args]
    return subprocess.run(argv, cwd=str(cwd),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def run_client(args, cwd, input=None, timeout=30, plain=True):
    """Runs logclient and waits for it. plain=True (every caller so far sends to
    the plain TCP port, or asks for --help/--version) passes CLIENT_PLAIN."""
    return subprocess.run([CLIENT] + (CLIENT_PLAIN if plain else []) + [str(a) for a in args],
                          cwd=str(cwd), input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


def one_stderr_line(res, prog="logserver"):
    """Asserts stderr holds exactly one line starting with 'PROG: '; returns it."""
    err = res.stderr.decode(errors="replace")
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), "expected one stderr line, got %r" % err
    assert lines[0].startswith(prog + ": "), lines[0]
    return lines[0]


# --------------------------------------------------------------------------
# kernel views of sockets and signals (/proc), used by the test_gaps_* tests

def tcp_sockets(local_port=None, remote_port=None):
    """IPv4 and IPv6 TCP sockets from /proc/net/tcp{,6}, as dicts with local
    and remote port, state (hex: 01 ESTABLISHED, 05 FIN_WAIT2, 08 CLOSE_WAIT,
    0A LISTEN), tx_queue and rx_queue (bytes), filtered by the ports given."""
    out = []
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/net/" + name) as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            lport = int(fields[1].rsplit(":", 1)[1], 16)
            rport = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port is not None and lport != local_port:
                continue
            if remote_port is not None and rport != remote_port:
                continue
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            out.append({"local": lport, "remote": rport, "state": fields[3],
                        "tx_queue": tx, "rx_queue": rx})
    return out


def rx_queue(local_port, remote_port):
    """Bytes waiting to be read on the TCP socket local_port <- remote_port
    (None when there is no such socket)."""
    socks = [s for s in tcp_sockets(local_port, remote_port) if s["state"] != "0A"]
    return socks[0]["rx_queue"] if socks else None


def signal_pending(pid):
    """Mask of the signals pending at pid (thread and process-wide), 0 when gone."""
    mask = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("SigPnd:", "ShdPnd:")):
                    mask |= int(line.split()[1], 16)
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return mask


kill_pid = _common.kill_pid
