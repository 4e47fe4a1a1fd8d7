"""Fixtures of the logserver integration suite; helpers are in integration_helpers.py.

procs: registry of started processes, each ended by its pid at teardown.
start_server: starts logserver on 127.0.0.1 and a free port, waits until it listens.
"""
import socket
import subprocess
from pathlib import Path

import os

import pytest

from integration_helpers import (CLIENT, DEFAULT_TIMEOUT, SERVER, Server, free_port,
                                 server_argv, wait_until)


def pytest_sessionstart(session):
    for prog in (SERVER, CLIENT):
        if not os.access(prog, os.X_OK):
            pytest.exit("%s is missing: run make, or set LOGSERVER_BIN to the directory of "
                        "logserver and logclient" % prog, returncode=4)


from integration_helpers import _common  # noqa: E402
procs = _common.procs
sandbox_guard = _common.sandbox_guard


@pytest.fixture
def start_server(tmp_path, procs):
    """start_server(*args, logdir=..., port=..., cwd=..., stdin=...) -> Server.

    Runs in cwd (default: tmp_path, so no stray ./logserver.conf applies), on
    127.0.0.1 and a free port, with log directory tmp_path/logs unless told.
    port=False omits -p (for configuration tests; then pass known_port);
    logdir=False omits -d. Waits until the server says it is listening."""
    counter = [0]

    def start(*args, logdir=None, port=None, host="127.0.0.1", cwd=None, stdin=None,
              config=None, known_port=None, timeout=DEFAULT_TIMEOUT, preexec_fn=None):
        cwd = Path(cwd or tmp_path)
        ld = tmp_path / "logs" if logdir is None else logdir
        last_err = ""
        for _attempt in range(3):
            counter[0] += 1
            n = counter[0]
            if port is None:
                fam = socket.AF_INET6 if host and ":" in host else socket.AF_INET
                p = free_port(fam, host or "127.0.0.1")
            elif port is False:
                p = None
            else:
                p = port
            errpath = tmp_path / ("server%d.stderr" % n)
            outpath = tmp_path / ("server%d.stdout" % n)
            argv = server_argv(p, ld if ld is not False else None, *args, host=host,
                               config=config)
            with open(errpath, "wb") as ef, open(outpath, "wb") as of:
                proc = procs.popen(argv, cwd=str(cwd),
                                   stdin=subprocess.DEVNULL if stdin is None else stdin,
                                   stdout=of, stderr=ef, preexec_fn=preexec_fn)
            wait_until(lambda: proc.poll() is not None
                       or "listening on" in errpath.read_text(errors="replace"),
                       timeout, what="server start-up")
            if proc.poll() is None:
                srv_logdir = ld if ld is not False else cwd / "logs"
                if not Path(srv_logdir).is_absolute():
                    srv_logdir = cwd / srv_logdir
                return Server(proc, p if p is not None else known_port, host or "127.0.0.1",
                              srv_logdir, cwd, errpath, outpath)
            last_err = errpath.read_text(errors="replace")
            if port is None and "in use" in last_err and "port" in last_err:
                continue        # lost the race for the free port: pick another
            break
        raise AssertionError("logserver did not start (%s): %s" % (argv, last_err))

    return start
