"""Helpers every pytest suite of logserver shares: polling with a deadline,
free loopback ports, and the children of a process (by pid, from /proc).

Each suite's own helper module imports these (tests/*/..._helpers.py) and
keeps only what is particular to it."""

import os
import random
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("LOGSERVER_BIN", str(REPO / "bin"))).resolve()
SERVER = str(BIN / "logserver")
CLIENT = str(BIN / "logclient")
LOGNAME_RE = re.compile(r"^logserver-(\d{8}T\d{6}Z)-(\d{8})\.log$")


def wait_until(pred, timeout=15.0, what=None, interval=0.005, max_interval=0.1):
    """Calls pred() until it returns something truthy and returns that value;
    fails the test (AssertionError) when the deadline passes."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        value = pred()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what or getattr(pred, "__name__", "condition")))
        time.sleep(min(delay, left))
        delay = min(delay * 1.5, max_interval)


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORT_RNG = random.Random(os.getpid() ^ time.monotonic_ns())


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port nothing is bound to right now on host (IPv4 or IPv6 literal).

    It is taken below the kernel's ephemeral range: a port the kernel hands
    out for bind(port 0) can be given, a moment later, to the local end of
    any outgoing connection, and a server then started on it fails with
    "Address already in use" (seen in CI).  Below the range only explicit
    binds compete."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    top = min(_ephemeral_low(), 65536) - 1
    bottom = 20000 if top > 21000 else 1024
    for _ in range(200):
        port = _PORT_RNG.randint(bottom, top)
        with socket.socket(family, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


HOLDER_COMM = "logserver-hold"


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def holder_pid(pid):
    """The connection holder among pid's children (docs/ARCHITECTURE.md), or None."""
    for k in child_pids(pid, holder=True):
        if comm(k) == HOLDER_COMM:
            return k
    return None


def held_sockets(pids, port):
    """How many accepted TCP connections on local port the processes pids
    hold (a child's socket, or one the connection holder keeps); those still
    in the listen queue are not counted."""
    est = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.read().splitlines()[1:]:
                    fl = line.split()
                    if int(fl[1].rsplit(":", 1)[1], 16) == port and fl[3] == "01":
                        est.add(fl[9])
        except OSError:
            pass
    held = set()
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if t.startswith("socket:[") and t[8:-1] in est:
                held.add(t[8:-1])
    return len(held)


def child_pids(pid, holder=False):
    """Direct children of pid (from /proc/PID/task/*/children); the
    connection holder only with holder=True."""
    if not holder:
        return [k for k in child_pids(pid, holder=True) if comm(k) != HOLDER_COMM]
    kids = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return kids
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                kids.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return kids


def kill_pid(pid, sig=signal.SIGKILL):
    """Sends sig to pid; a process already gone is not an error."""
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def proc_state(pid):
    """One-letter state of pid (R, S, Z, ...), or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2]


class Procs:
    """Processes and other resources a test started, each ended at teardown:
    processes by their pid (SIGTERM first, so a server ends its own children,
    then SIGKILL), their children that are still alive, their pipes, the
    descriptors in fds, and the callables given to on_cleanup (first)."""

    def __init__(self):
        self.popens = []
        self.fds = []
        self.closers = []

    def add(self, p):
        self.popens.append(p)
        return p

    def popen(self, argv, **kw):
        return self.add(subprocess.Popen([str(a) for a in argv], **kw))

    def on_cleanup(self, fn):
        self.closers.append(fn)
        return fn

    def cleanup(self):
        for fn in reversed(self.closers):
            try:
                fn()
            except Exception:       # noqa: BLE001 -- best effort at teardown
                pass
        for p in reversed(self.popens):
            if p.poll() is None:
                kids = child_pids(p.pid)
                kill_pid(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    kids += child_pids(p.pid)
                    kill_pid(p.pid)
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        pass
                for k in kids:
                    if proc_state(k) not in (None, "Z"):
                        kill_pid(k)
            for stream in (p.stdin, p.stdout, p.stderr):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass


try:
    import pytest
except ImportError:     # the helpers stay usable without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture
    def procs():
        """Registry of what the test starts; everything ended at teardown."""
        reg = Procs()
        yield reg
        reg.cleanup()

    SANDBOX_KILL = b"killed by its sandbox"

    @pytest.fixture(autouse=True)
    def sandbox_guard(tmp_path):
        """Every test runs with the children's sandbox on: a child that its
        sandbox killed (a system call missing from its allow-list) fails the
        test that caused it, with the record that names the call."""
        yield
        found = []
        for f in tmp_path.rglob("*.log"):
            try:
                if f.is_symlink() or not f.is_file():
                    continue
                data = f.read_bytes()
            except OSError:
                continue
            if SANDBOX_KILL in data:
                found += [ln.decode(errors="replace") for ln in data.splitlines()
                          if SANDBOX_KILL in ln]
        assert not found, "sandbox killed a child:\n" + "\n".join(found[:5])


# --------------------------------------------------------------------------
# a terminal for standard input

class OnTty:
    """Starts argv with a pseudo-terminal as standard input (an interactive
    session: isatty(0) is true); stdout and stderr are pipes. type() writes
    as a user types (the terminal delivers line by line); eof() is Ctrl-D."""

    def __init__(self, procs, argv, cwd):
        import pty
        import termios
        self.master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO           # no echo: nothing piles up unread on the master
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.proc = procs.popen(argv, cwd=str(cwd), stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        os.close(slave)
        procs.on_cleanup(self.close)

    def type(self, data):
        os.write(self.master, data)

    def eof(self):
        os.write(self.master, b"\x04")

    def wait(self, timeout):
        rc = self.proc.wait(timeout)
        return rc, self.proc.stderr.read().decode(errors="replace")

    def close(self):
        try:
            os.close(self.master)
        except OSError:
            pass
