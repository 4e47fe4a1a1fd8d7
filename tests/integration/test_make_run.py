"""`make run ARGS="..."` hands the options to logserver."""
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_run(args, timeout=120):
    """Runs `make run ARGS=args` in its own process group; a server that did
    not take the options (and so keeps running) is ended with the group."""
    p = subprocess.Popen(["make", "-s", "--no-print-directory", "-C", str(REPO), "run",
                          "ARGS=" + args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        p.communicate(timeout=30)
        raise AssertionError("make run did not pass ARGS: the server kept running")
    return p.returncode, out.decode(), err.decode()


def test_make_run_passes_ARGS_to_logserver():
    rc, out, _ = make_run("--version", timeout=60)
    assert rc == 0
    assert out.splitlines()[-1].startswith("logserver 0.")


def test_make_run_passes_several_ARGS_and_their_errors():
    rc, _, err = make_run("--bind 127.0.0.1 -p abc", timeout=60)
    assert rc != 0
    assert "logserver: port: 'abc' is not a whole number" in err, err
