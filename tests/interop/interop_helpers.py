"""Plain helpers of the interop suite (its fixtures are in conftest.py)."""
import json
import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import sys as _sys
_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import lstest_common as _common  # noqa: E402

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN = Path(os.environ.get("LOGSERVER_BIN", str(REPO / "bin"))).resolve()
SERVER = BIN / "logserver"
PEERS = Path(os.environ.get("INTEROP_PEERS_DIR", str(HERE / ".peers"))).resolve()
PEERS_SH = HERE / "peers.sh"
LOGNAME_RE = re.compile(r"^logserver-.*\.log$")

TIMEOUT = 15.0


# --------------------------------------------------------------------------
# polling and ports

def wait_until(pred, timeout=TIMEOUT, what="condition"):
    return _common.wait_until(pred, timeout, what)


free_port = _common.free_port


def _proc_net_ports(proto):
    """Local ports bound in /proc/net/PROTO{,6}: TCP ones in LISTEN state."""
    ports = set()
    for name in (proto, proto + "6"):
        try:
            lines = Path("/proc/net", name).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 4:
                continue
            if proto == "tcp" and f[3] != "0A":      # 0A: LISTEN
                continue
            ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def port_bound(proto, port):
    return port in _proc_net_ports(proto)


# --------------------------------------------------------------------------
# processes

_children = _common.child_pids
_kill = _common.kill_pid
Procs = _common.Procs


def stop_proc(p, timeout=TIMEOUT, sig=signal.SIGTERM):
    """Ends p by its pid and returns its exit status."""
    if p.poll() is None:
        os.kill(p.pid, sig)
    return p.wait(timeout=timeout)


def run(argv, input=None, timeout=30, **kw):
    """Runs a sender to completion; fails the test on a non-zero exit."""
    res = subprocess.run([str(a) for a in argv], input=input, capture_output=True,
                         timeout=timeout, **kw)
    assert res.returncode == 0, "%s exited %d: %s" % (
        argv, res.returncode, res.stderr.decode(errors="replace"))
    return res


# --------------------------------------------------------------------------
# logserver

class LogServer:
    def __init__(self, proc, tcp_port, udp_port, logdir, errpath):
        self.proc = proc
        self.tcp_port = tcp_port
        self.udp_port = udp_port
        self.logdir = Path(logdir)
        self.errpath = Path(errpath)

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        return self.errpath.read_text(errors="replace")

    def records(self):
        """Every complete JSON line of the server's log files, as dicts."""
        out = []
        try:
            names = sorted(os.listdir(self.logdir))
        except FileNotFoundError:
            return out
        for n in names:
            if not LOGNAME_RE.match(n):
                continue
            data = (self.logdir / n).read_bytes()
            lines = data.split(b"\n")
            lines.pop()                 # incomplete last line (or b"")
            for raw in lines:
                out.append(json.loads(raw.decode("utf-8")))
        return out

    def messages(self):
        """Client records only (server events have peer "-")."""
        return [r for r in self.records() if r.get("peer") != "-"]

    def wait_messages(self, count, timeout=TIMEOUT, pred=None):
        """Polls until at least count client records (matching pred) are
        written; returns them. On timeout the failure says how many came."""
        box = {}

        def check():
            recs = [r for r in self.messages() if pred is None or pred(r)]
            box["recs"] = recs
            return len(recs) >= count
        try:
            wait_until(check, timeout, "%d records" % count)
        except AssertionError as e:
            got = box.get("recs", [])
            raise AssertionError("%s; got %d: %s" % (e, len(got), got[:3])) from None
        return box["recs"]

    def stop(self, timeout=TIMEOUT):
        rc = stop_proc(self.proc, timeout)
        assert rc == 0, "logserver exited %d: %s" % (rc, self.stderr())
        return rc


# --------------------------------------------------------------------------
# peers

def run_peers_sh(*names):
    """Runs peers.sh for names; skips the test when installing is impossible."""
    try:
        res = subprocess.run(["bash", str(PEERS_SH)] + list(names), capture_output=True,
                             timeout=600, env=dict(os.environ, INTEROP_PEERS_DIR=str(PEERS)))
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.skip("cannot install %s: %s" % (" ".join(names), e))
    if res.returncode != 0:
        err = (res.stderr + res.stdout).decode(errors="replace").strip()
        pytest.skip("cannot install %s (peers.sh exited %d): %s"
                    % (" ".join(names), res.returncode, err[-600:]))


def _find(root, pattern):
    hits = sorted(Path(root).rglob(pattern))
    return hits[0] if hits else None


class Rsyslog:
    def __init__(self, root):
        self.root = Path(root)
        self.rsyslogd = self.root / "usr/sbin/rsyslogd"
        imtcp = _find(self.root, "imtcp.so")
        assert imtcp, "imtcp.so not found under %s" % root
        self.moddir = imtcp.parent


class SyslogNg:
    def __init__(self, root):
        self.root = Path(root)
        self.binary = self.root / "usr/sbin/syslog-ng"
        mod = _find(self.root, "libafsocket.so")
        lib = _find(self.root, "libsyslog-ng-*.so*")
        assert mod and lib, "syslog-ng modules not found under %s" % root
        self.module_path = mod.parent
        self.env = dict(os.environ, LD_LIBRARY_PATH=str(lib.parent))


def start_relay(procs, argv, workdir, listen, env=None, name="relay"):
    """Starts a relay daemon in the foreground and waits until every
    (proto, port) in listen is bound on loopback. Returns (Popen, outpath)."""
    out = Path(workdir) / (name + ".out")
    with open(out, "wb") as of:
        p = procs.popen(argv, cwd=str(workdir), stdin=subprocess.DEVNULL, stdout=of,
                        stderr=subprocess.STDOUT, env=env)
    for proto, port in listen:
        wait_until(lambda: p.poll() is not None or port_bound(proto, port), TIMEOUT,
                   "%s to listen on %s/%d" % (name, proto, port))
        assert p.poll() is None, "%s exited %s: %s" % (
            name, p.returncode, out.read_text(errors="replace"))
    return p, out


# --------------------------------------------------------------------------
# expected values

def hostname_5424():
    return socket.gethostname()


def hostname_3164():
    """logger --rfc3164 cuts the host name at its first dot."""
    return socket.gethostname().split(".")[0]


def payloads(tag, n):
    """n distinct message texts with characters that need JSON escaping."""
    return ['%s #%04d quote" backslash\\ utf8 \u00e9 end' % (tag, i) for i in range(n)]


TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PEER_RE = re.compile(r"^(127\.0\.0\.1|\[::1\]):\d+$")


def assert_same_msgs(recs, sent):
    """The records carry exactly the sent texts (any order, no duplicates),
    each with a receive time and a loopback peer."""
    for r in recs:
        assert TIME_RE.match(r.get("time", "")), r
        assert PEER_RE.match(r.get("peer", "")), r
        assert r.get("transport") in ("tcp", "udp"), r
    got = [r.get("msg") for r in recs]
    assert sorted(got) == sorted(sent), "messages differ: missing %s, unexpected %s" % (
        sorted(set(sent) - set(got))[:3], sorted(set(got) - set(sent))[:3])
    assert len(got) == len(set(got)), "duplicated records"


def assert_fields(rec, **want):
    """Each wanted field equals the record's; a value of None means absent."""
    for k, v in want.items():
        if v is None:
            assert k not in rec, "field %r should be absent: %s" % (k, rec)
        else:
            assert rec.get(k) == v, "field %r: want %r, got %r in %s" % (k, v, rec.get(k), rec)
