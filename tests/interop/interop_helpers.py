"""Plain helpers of the interop suite (its fixtures are in conftest.py)."""
import json
import os
import re
import signal
import socket
import subprocess
import time
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


def descendants(pid):
    """Every live descendant of pid (children, their children, ...), from /proc."""
    out, todo = [], [pid]
    for _ in range(10000):              # bounded: a process tree is finite
        if not todo:
            break
        kids = _children(todo.pop())
        out.extend(kids)
        todo.extend(kids)
    return out


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
    def __init__(self, proc, tcp_port, udp_port, logdir, errpath, relp_port=None, extra=()):
        self.proc = proc
        self.tcp_port = tcp_port
        self.udp_port = udp_port
        self.relp_port = relp_port      # None: RELP disabled (--relp-port 0)
        self.logdir = Path(logdir)
        self.errpath = Path(errpath)
        self.extra = tuple(extra)       # the test's own options, for a restart

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

    def kill(self, timeout=TIMEOUT):
        """SIGKILL to the supervisor, by its pid, as a crash. Its children
        (session writers, the UDP receiver) must die with it (PR_SET_PDEATHSIG):
        polls for that with a deadline; any still alive then is killed by its
        pid and the list of them returned (empty: all died with the server)."""
        kids = descendants(self.pid)
        _kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=timeout)
        alive = lambda: [k for k in kids if _common.proc_state(k) not in (None, "Z")]
        try:
            wait_until(lambda: not alive(), 3.0, "children of the killed logserver to die")
        except AssertionError:
            pass
        left = alive()
        for k in left:
            _kill(k)
        return left

    def log_lines(self):
        """Every line of the server's log files, as (file name, line number,
        bytes), the last one included even without its LF (a torn tail)."""
        out = []
        for n in sorted(os.listdir(self.logdir)):
            if LOGNAME_RE.match(n):
                for i, raw in enumerate((self.logdir / n).read_bytes().split(b"\n")):
                    out.append((n, i + 1, raw))
                if out and out[-1][2] == b"":
                    out.pop()           # the file ended with its LF
        return out

    def strict_records(self):
        """Every line of every log file as a dict: fails on a line that is not
        one well-formed JSON object (torn, glued or garbage) or a file that does
        not end with LF, naming file and line."""
        recs = []
        for name, no, raw in self.log_lines():
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise AssertionError("%s:%d is not one JSON record (%s): %r"
                                     % (name, no, e, raw[:300])) from None
            assert isinstance(rec, dict) and "time" in rec and "peer" in rec, (
                "%s:%d: not a record: %r" % (name, no, raw[:300]))
            recs.append(rec)
        for n in sorted(os.listdir(self.logdir)):
            if LOGNAME_RE.match(n):
                data = (self.logdir / n).read_bytes()
                assert data == b"" or data.endswith(b"\n"), "%s does not end with LF: %r" % (
                    n, data[-200:])
        return recs


class FileCounter:
    """Counts occurrences of a byte pattern in a directory's log files without
    reading them all again on every poll: each file is read on from where the
    last look ended (from its start again when it shrank, as after a repair)."""

    def __init__(self, logdir, pattern):
        self.logdir = Path(logdir)
        self.pattern = pattern
        self.seen = {}                  # name -> (offset, count, leftover)

    def count(self):
        total = 0
        try:
            names = [n for n in os.listdir(self.logdir) if LOGNAME_RE.match(n)]
        except FileNotFoundError:
            return 0
        for n in names:
            off, cnt, tail = self.seen.get(n, (0, 0, b""))
            try:
                with open(self.logdir / n, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    if size < off:
                        off, cnt, tail = 0, 0, b""
                    f.seek(off)
                    data = f.read(size - off)
            except FileNotFoundError:
                continue
            buf = tail + data
            cut = buf.rfind(b"\n") + 1          # count only complete lines
            cnt += buf[:cut].count(self.pattern)
            self.seen[n] = (off + len(data), cnt, buf[cut:])
            total += cnt
        return total


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

    def has_module(self, name):
        return (self.moddir / (name + ".so")).is_file()

    def argv(self, workdir, conf):
        """rsyslogd in the foreground with the test's configuration and pid file."""
        return [self.rsyslogd, "-n", "-f", conf, "-i", Path(workdir) / "rsyslogd.pid",
                "-M", self.moddir]

    def check_conf(self, text, workdir):
        """rsyslogd -N1 on text: (ok, output)."""
        conf = Path(workdir) / "check.conf"
        conf.write_text(text)
        res = subprocess.run([str(self.rsyslogd), "-N1", "-f", str(conf), "-M",
                              str(self.moddir)], capture_output=True, timeout=30)
        return res.returncode == 0, (res.stdout + res.stderr).decode(errors="replace")

    def start(self, procs, workdir, conf_text, listen, name="rsyslogd"):
        """Writes conf_text to WORKDIR/NAME.conf, starts rsyslogd in the foreground
        and waits until each (proto, port) of listen is bound."""
        conf = Path(workdir) / (name + ".conf")
        conf.write_text(conf_text)
        argv = self.argv(workdir, conf)
        argv[argv.index("-i") + 1] = Path(workdir) / (name + ".pid")
        return start_relay(procs, argv, workdir, listen, name=name)


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


# --------------------------------------------------------------------------
# RELP: rsyslog's omrelp as the sender, imrelp as a reference receiver

P23 = "RSYSLOG_SyslogProtocol23Format"


def omrelp_action(port, template=P23, window=128, host="127.0.0.1"):
    """An omrelp action that never gives a message up: the action has its own
    in-memory queue (LinkedList, room for far more than a test sends, so an
    enqueue never waits out queue.timeoutEnqueue and drops), one worker (one RELP session, in
    order), and while the receiver is away it is retried forever
    (resumeRetryCount -1) every second (resumeInterval 1, capped at 1 s by
    resumeIntervalMax as rsyslog otherwise lengthens it after every 10 failed
    tries). librelp resends the unacknowledged window on the new session.
    timeout: a session whose answers stop for 10 s is broken and rebuilt
    (default 90 s; a killed receiver's socket is closed at once anyway);
    conn.timeout: 2 s for a connect. discardSeverity 8: the queue never
    discards for being nearly full (no severity is 8 or above)."""
    return ('action(type="omrelp" name="to_relp" target="%s" port="%d" template="%s"\n'
            '       windowSize="%d" timeout="10" conn.timeout="2"\n'
            '       queue.type="LinkedList" queue.size="500000" queue.workerThreads="1"\n'
            '       queue.discardSeverity="8"\n'
            '       action.resumeRetryCount="-1" action.resumeInterval="1"\n'
            '       action.resumeIntervalMax="1")'
            % (host, port, template, window))


def rsyslog_omrelp_conf(workdir, inport, target_port, window=128, template=P23):
    """rsyslog B: imtcp on loopback (octet-counted or LF frames) -> omrelp."""
    return f"""# rsyslog RELP sender for tests/interop (foreground, loopback only)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k")
module(load="imtcp")
module(load="omrelp")
input(type="imtcp" address="127.0.0.1" port="{inport}" ruleset="fwd")
ruleset(name="fwd") {{
    {omrelp_action(target_port, template, window)}
}}
"""


def rsyslog_imrelp_conf(workdir, port, outfile):
    """rsyslog A: imrelp on loopback -> one file, the message text per line."""
    return f"""# rsyslog RELP receiver for tests/interop (foreground, loopback only)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k")
module(load="imrelp")
input(type="imrelp" address="127.0.0.1" port="{port}" ruleset="out")
template(name="msgline" type="string" string="%msg%\\n")
ruleset(name="out") {{
    action(type="omfile" file="{outfile}" template="msgline")
}}
"""


def syslog5424(msg, host="relp-host", app="relp-app", procid="4242", msgid="RELPMSG",
               sd="-", pri=22 * 8 + 5):
    """One RFC 5424 message (bytes) with a fixed timestamp."""
    return ("<%d>1 2026-01-02T03:04:05.678Z %s %s %s %s %s %s"
            % (pri, host, app, procid, msgid, sd, msg)).encode("utf-8")


def send_octet_counted(port, messages, host="127.0.0.1", timeout=60):
    """Sends messages (bytes each) to an rsyslog imtcp input with RFC 6587
    octet counting, over one connection, and closes it once all are sent."""
    data = b"".join(b"%d %s" % (len(m), m) for m in messages)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        # imtcp closes its end once it has read everything up to our FIN
        s.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not s.recv(4096):
                break


def relp_supported(server=SERVER):
    """Whether this logserver has a RELP listener (--relp-port in --help)."""
    try:
        res = subprocess.run([str(server), "--help"], capture_output=True, timeout=10)
    except OSError:
        return False
    return b"--relp-port" in res.stdout + res.stderr
