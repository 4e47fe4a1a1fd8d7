"""logclient over RELP against a server that dies or whose disk fills: it
exits 0 only when every line is in the file, and resends what was not
acknowledged."""
import os
import signal
import subprocess
from collections import Counter

import pytest

from integration_helpers import CLIENT, events, free_port, read_records, wait_until


def start_relp(start_server, logdir, port=None, rport=None, *args):
    rport = rport or free_port()
    srv = start_server("--relp-port", rport, *args, logdir=logdir, port=port)
    srv.relp_port = rport
    return srv


def log_bytes(logdir):
    try:
        return sum(p.stat().st_size for p in logdir.iterdir() if p.name.endswith(".log"))
    except FileNotFoundError:
        return 0


def test_logclient_gets_every_line_in_while_the_server_is_killed_three_times(
        start_server, procs, tmp_path):
    logdir = tmp_path / "logs"
    # --fsync batch and a window of 16 keep the run long enough to kill it thrice
    srv = start_relp(start_server, logdir, None, None, "--fsync", "batch")
    port, rport = srv.port, srv.relp_port
    n = 100000
    src = tmp_path / "lines.txt"
    src.write_bytes(b"".join(b"srvkill %06d\n" % i for i in range(n)))
    with open(src, "rb") as f:
        p = procs.popen([CLIENT, "-H", "127.0.0.1", "-p", rport, "--retry-for", "60",
                         "--window", "16"], cwd=str(tmp_path), stdin=f, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
    for k in range(3):
        grown = log_bytes(logdir) + 300000          # some 5,000 records more
        wait_until(lambda: p.poll() is not None or log_bytes(logdir) >= grown, 60,
                   what="logclient's lines arriving")
        assert p.poll() is None, "logclient finished after %d kills" % k
        srv.kill(signal.SIGKILL)
        srv.proc.wait(timeout=10)
        srv = start_relp(start_server, logdir, port, rport, "--fsync", "batch")
    _out, err = p.communicate(timeout=180)
    assert p.returncode == 0, err
    assert srv.stop() == 0
    got = Counter(r.msg for r in read_records(logdir) if r.msg.startswith("srvkill "))
    missing = [i for i in range(n) if got["srvkill %06d" % i] == 0]
    assert not missing, "%d lines missing, first %r" % (len(missing), missing[:5])
    dups = sum(c - 1 for c in got.values())
    print("duplicates after 3 server kills: %d" % dups)
    # only a message written but not answered when the server died can repeat:
    # at most one window (16) per kill
    assert dups <= 3 * 16


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mnt)],
                         capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % res.stderr.decode().strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_logclient_completes_exactly_once_after_the_disk_was_full(start_server, procs,
                                                                  tmp_path, small_disk):
    logdir = small_disk / "logs"
    srv = start_relp(start_server, logdir, None, None, "--max-size", "10M")
    free_kb = int(subprocess.run(["df", "-k", "--output=avail", str(small_disk)],
                                 capture_output=True, text=True).stdout.split()[-1])
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, (free_kb - 64) * 1024))
    lines = [b"full disk %05d %s" % (i, b"q" * 80) for i in range(3000)]
    src = tmp_path / "lines.txt"
    src.write_bytes(b"\n".join(lines) + b"\n")
    with open(src, "rb") as f:
        p = procs.popen([CLIENT, "-H", "127.0.0.1", "-p", srv.relp_port, "--retry-for", "60"],
                        cwd=str(tmp_path), stdin=f, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
    # the server answers 500 when the disk is full; logclient says so and retries
    wait_until(lambda: "cannot write to the log" in srv.stderr(), 30, what="the 500 answers")
    assert p.poll() is None
    os.unlink(filler)
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert b"did not take message" in err and b"No space left on device" in err
    assert srv.stop() == 0
    got = [r.msg.encode() for r in read_records(logdir) if r.msg.startswith("full disk ")]
    assert got == lines, "every line exactly once, in order"
    assert events(read_records(logdir), "disconnect ")
