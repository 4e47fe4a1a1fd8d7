"""Fixtures of the query-service suite; the helpers live in query_helpers.py."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from query_helpers import Procs, launch_server  # noqa: E402


from query_helpers import _common  # noqa: E402
procs = _common.procs
sandbox_guard = _common.sandbox_guard


@pytest.fixture
def start_server(tmp_path, procs):
    """start_server(*args, logdir=None, udp_port=0, max_files=1000) -> Server
    on loopback, cwd tmp_path, log directory tmp_path/logs unless told."""
    def start(*args, **kw):
        return launch_server(procs, tmp_path, *args, **kw)
    return start


@pytest.fixture(scope="module")
def module_procs():
    reg = Procs()
    yield reg
    reg.cleanup()
