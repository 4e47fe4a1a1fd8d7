"""Helpers every pytest suite of logserver shares: polling with a deadline,
free loopback ports, and the children of a process (by pid, from /proc).

Each suite's own helper module imports these (tests/*/..._helpers.py) and
keeps only what is particular to it."""

import os
import re
import signal
import socket
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


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port nothing is bound to right now on host (IPv4 or IPv6 literal)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def child_pids(pid):
    """Direct children of pid (from /proc/PID/task/*/children)."""
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
