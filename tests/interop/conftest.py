"""Fixtures of the interop suite: real syslog senders against logserver.

The plain helpers are in interop_helpers.py; this directory is a package
(__init__.py) so that its conftest never shadows tests/integration/conftest.py
when both suites run in one pytest session.

logserver comes from $LOGSERVER_BIN (default <repo>/bin) and runs with
--format json on loopback, with a configuration file of the test's own and its
working directory in the test's temp dir. The peers (util-linux logger,
rsyslog, rsyslog-relp, syslog-ng) are made available by peers.sh, called from
session fixtures: rsyslog (with omrelp/imrelp from rsyslog-relp) and syslog-ng
are unpacked from their .deb into .peers/ and run in the foreground with a
configuration of the test's own, never as a system service.

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
                              free_port, port_bound, relp_supported, rsyslog_imrelp_conf,
                              rsyslog_omrelp_conf, run_peers_sh, wait_until)


from .interop_helpers import _common  # noqa: E402
procs = _common.procs
sandbox_guard = _common.sandbox_guard


@pytest.fixture
def logserver(tmp_path, procs):
    """logserver(*extra_args, bind="127.0.0.1", relp=False, like=None): starts
    logserver --format json on a loopback address with a free TCP and a free
    UDP port, a configuration file and working directory of its own; returns a
    LogServer once its sockets are bound.

    RELP is off (--relp-port 0) unless relp=True, which adds --relp-port with a
    free port after that default (the last of an option given twice wins).
    like=SERVER starts it again as SERVER was (after a kill): the same TCP, UDP
    and RELP ports, log directory and extra options, a new working dir."""
    if not os.access(SERVER, os.X_OK):
        pytest.fail("no logserver binary at %s (run make, or set LOGSERVER_BIN)" % SERVER)
    counter = [0]

    def start(*extra, bind="127.0.0.1", relp=False, like=None):
        last = ""
        for _attempt in range(5):
            counter[0] += 1
            n = counter[0]
            work = tmp_path / ("logserver%d" % n)
            work.mkdir()
            conf = work / "logserver.conf"
            conf.write_text("# interop test: everything is on the command line\n")
            if like is not None:
                tport, uport, rport, logdir = like.tcp_port, like.udp_port, like.relp_port, \
                    like.logdir
                extra = like.extra
            else:
                tport = free_port(socket.SOCK_STREAM, bind)
                uport = free_port(socket.SOCK_DGRAM, bind)
                rport = free_port(socket.SOCK_STREAM, bind) if relp else None
                logdir = work / "logs"
            errpath = work / "stderr"
            argv = [SERVER, "-c", conf, "-p", tport, "--udp-port", uport,
                    "--bind", bind, "-d", logdir, "--format", "json",
                    "--relp-port", 0]
            if rport is not None:
                argv += ["--relp-port", rport]
            argv += list(extra)
            with open(errpath, "wb") as ef:
                p = procs.popen(argv, cwd=str(work), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=ef)
            wait_until(lambda: p.poll() is not None or "listening on" in
                       errpath.read_text(errors="replace"), TIMEOUT, "logserver start-up")
            if p.poll() is None:
                # the UDP receiver is a separate process: wait for its socket too
                wait_until(lambda: port_bound("udp", uport), TIMEOUT, "logserver UDP port")
                if rport is not None:
                    wait_until(lambda: port_bound("tcp", rport), TIMEOUT, "logserver RELP port")
                return LogServer(p, tport, uport, logdir, errpath, relp_port=rport,
                                 extra=extra)
            last = errpath.read_text(errors="replace")
            if "in use" not in last or like is not None:
                break                   # lost a port race: retry, else give up
        raise AssertionError("logserver did not start: %s" % last)

    return start


@pytest.fixture(scope="session")
def relp_server():
    """Skips unless this logserver has its RELP listener (--relp-port)."""
    if os.access(SERVER, os.X_OK) and not relp_supported():
        pytest.skip("%s has no --relp-port option yet (RELP listener not built)" % SERVER)


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
def rsyslog_relp(rsyslog, tmp_path_factory):
    """rsyslog with omrelp and imrelp (Debian's rsyslog-relp of the same
    version, unpacked by peers.sh into rsyslog's tree): an Rsyslog whose
    moddir holds omrelp.so and imrelp.so and whose rsyslogd accepts both."""
    run_peers_sh("rsyslog", "rsyslog-relp")
    r = Rsyslog(PEERS / "rsyslog")
    r.version = rsyslog.version
    missing = [m for m in ("omrelp", "imrelp") if not r.has_module(m)]
    if missing:
        pytest.skip("rsyslog-relp unpacked but %s missing in %s" % (missing, r.moddir))
    work = tmp_path_factory.mktemp("rsyslog-relp-check")
    for text in (rsyslog_omrelp_conf(work, 1, 2), rsyslog_imrelp_conf(work, 1, work / "x")):
        ok, out = r.check_conf(text, work)
        if not ok:      # e.g. librelp missing: the module does not load
            pytest.skip("rsyslogd cannot load its RELP modules: %s" % out.strip()[-600:])
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
