"""Fixtures of the interop suite: real syslog senders against logserver.

The plain helpers are in interop_helpers.py; this directory is a package
(__init__.py) so that its conftest never shadows tests/integration/conftest.py
when both suites run in one pytest session.

logserver comes from $LOGSERVER_BIN (default <repo>/bin) and runs with
--format json on loopback, with a configuration file of the test's own and its
working directory in the test's temp dir. The peers (util-linux logger,
rsyslog, syslog-ng) are made available by peers.sh, called from session
fixtures: rsyslog and syslog-ng are unpacked from their .deb into .peers/ and
run in the foreground with a configuration of the test's own, never as a
system service.

Every process a test starts is registered with `procs` and ended by its pid in
the finalizer. No fixed sleeps: every wait polls with a deadline.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from .interop_helpers import (PEERS, SERVER, TIMEOUT, LogServer, Rsyslog, SyslogNg,
                              free_port, port_bound, run_peers_sh, wait_until)


from .interop_helpers import _common  # noqa: E402
procs = _common.procs


@pytest.fixture
def logserver(tmp_path, procs):
    """logserver(*extra_args, bind="127.0.0.1"): starts logserver --format json
    on a loopback address with a free TCP and a free UDP port, a configuration
    file and working directory of its own; returns a LogServer once both
    sockets are bound."""
    if not os.access(SERVER, os.X_OK):
        pytest.fail("no logserver binary at %s (run make, or set LOGSERVER_BIN)" % SERVER)
    counter = [0]

    def start(*extra, bind="127.0.0.1"):
        last = ""
        for _attempt in range(5):
            counter[0] += 1
            n = counter[0]
            work = tmp_path / ("logserver%d" % n)
            work.mkdir()
            conf = work / "logserver.conf"
            conf.write_text("# interop test: everything is on the command line\n")
            tport = free_port(socket.SOCK_STREAM, bind)
            uport = free_port(socket.SOCK_DGRAM, bind)
            errpath = work / "stderr"
            argv = [SERVER, "-c", conf, "-p", tport, "--udp-port", uport,
                    "--bind", bind, "-d", work / "logs", "--format", "json",
                    "--relp-port", 0] + list(extra)
            with open(errpath, "wb") as ef:
                p = procs.popen(argv, cwd=str(work), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=ef)
            wait_until(lambda: p.poll() is not None or "listening on" in
                       errpath.read_text(errors="replace"), TIMEOUT, "logserver start-up")
            if p.poll() is None:
                # the UDP receiver is a separate process: wait for its socket too
                wait_until(lambda: port_bound("udp", uport), TIMEOUT, "logserver UDP port")
                return LogServer(p, tport, uport, work / "logs", errpath)
            last = errpath.read_text(errors="replace")
            if "in use" not in last:
                break                   # lost a port race: retry, else give up
        raise AssertionError("logserver did not start: %s" % last)

    return start


@pytest.fixture(scope="session")
def logger_bin():
    """util-linux logger with --sd-id/--octet-count (installed when missing)."""
    def usable():
        path = shutil.which("logger")
        if not path:
            return None
        res = subprocess.run([path, "--help"], capture_output=True)
        return path if b"--sd-id" in res.stdout and b"--octet-count" in res.stdout else None
    if not usable():
        run_peers_sh("logger")
    path = usable()
    if not path:
        pytest.skip("util-linux logger with RFC 5424 options is not available")
    return path


@pytest.fixture(scope="session")
def rsyslog():
    run_peers_sh("rsyslog")
    r = Rsyslog(PEERS / "rsyslog")
    res = subprocess.run([r.rsyslogd, "-v"], capture_output=True)
    if res.returncode != 0:
        pytest.skip("unpacked rsyslogd does not run: %s" % res.stderr.decode(errors="replace"))
    r.version = res.stdout.decode(errors="replace").splitlines()[0]
    return r


@pytest.fixture(scope="session")
def syslog_ng():
    run_peers_sh("syslog-ng")
    s = SyslogNg(PEERS / "syslog-ng")
    res = subprocess.run([s.binary, "--version"], capture_output=True, env=s.env)
    out = res.stdout.decode(errors="replace")
    m = re.search(r"^Config version: (\d+\.\d+)", out, re.M)
    if res.returncode != 0 or not m:
        pytest.skip("unpacked syslog-ng does not run: %s"
                    % (out + res.stderr.decode(errors="replace")))
    s.config_version = m.group(1)
    s.version = out.splitlines()[0]
    return s


@pytest.fixture
def shortdir():
    """A short temp dir (UNIX socket paths must stay under 108 bytes)."""
    d = tempfile.mkdtemp(prefix="ls-interop-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)
