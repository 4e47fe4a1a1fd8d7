"""Helpers of the operations suite: the shared ones (tests/common) and the tree's paths."""
import shutil
import subprocess
import sys as _sys
from pathlib import Path

_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import lstest_common as _common  # noqa: E402

REPO, SERVER, CLIENT = _common.REPO, _common.SERVER, _common.CLIENT
free_port, wait_until = _common.free_port, _common.wait_until


def make(*targets, timeout=300, **variables):
    """Runs make in the tree; returns the CompletedProcess (output captured)."""
    argv = ["make", "-s", "-C", str(REPO)] + ["%s=%s" % kv for kv in variables.items()]
    return subprocess.run(argv + list(targets), capture_output=True, text=True,
                          timeout=timeout)


def need(tool):
    """Skips the test when tool is not installed (tests/install-deps.sh installs it)."""
    import pytest
    if shutil.which(tool) is None:
        pytest.skip("%s is not installed (run tests/install-deps.sh)" % tool)


def option_names(prog):
    """The long options --help lists, in order."""
    import re
    out = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=10).stdout
    return re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", out, re.M)


def server_argv(logdir, *args, port=None):
    """logserver on 127.0.0.1 (a free port unless given), every other listener off."""
    return [SERVER, "--bind", "127.0.0.1", "-p", str(port or free_port()), "--udp-port", "0",
            "--relp-port", "0", "--query-port", "0", "-d", str(logdir)] + [str(a) for a in args]


def run_server(argv, timeout=10):
    """Runs a server expected to exit by itself (start-up errors)."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
