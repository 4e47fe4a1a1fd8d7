"""Fixtures of the operations suite (tests/ops): install, man pages, --check-config,
--pid-file, the service manager's notify protocol, the systemd unit, the Debian package.

procs: every process a test starts, ended by its pid at teardown.
start_server(*args, cwd=None, env=None): logserver on 127.0.0.1 with every listener on
a free port (or off), waits until it says it is listening; returns (Popen, stderr path).
"""
import os
import subprocess

import pytest

from ops_helpers import SERVER, CLIENT, _common, server_argv, wait_until


def pytest_sessionstart(session):
    for prog in (SERVER, CLIENT):
        if not os.access(prog, os.X_OK):
            pytest.exit("%s is missing: run make" % prog, returncode=4)


procs = _common.procs
sandbox_guard = _common.sandbox_guard


@pytest.fixture
def start_server(tmp_path, procs):
    counter = [0]

    def start(*args, cwd=None, env=None, wait=True):
        counter[0] += 1
        errpath = tmp_path / ("server%d.stderr" % counter[0])
        argv = server_argv(tmp_path / "logs", *args)
        with open(errpath, "wb") as ef:
            proc = procs.popen(argv, cwd=str(cwd or tmp_path), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=ef, env=env)
        if wait:
            wait_until(lambda: proc.poll() is not None
                       or "listening on" in errpath.read_text(errors="replace"),
                       15, what="server start-up")
            assert proc.poll() is None, errpath.read_text(errors="replace")
        return proc, errpath

    return start
