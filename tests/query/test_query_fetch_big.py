"""FETCH and SUM on a 200 MB log file: whole downloads, and downloads killed
three times at random points and resumed with --resume, are byte-identical.

The 200 MB file is written before the server starts (a few large writes of
record-like lines, each line unique) as file 00000001; the server starts with
--on-start new, so it writes to 00000002 and leaves file 1 alone. One server
and one file serve the whole module.
"""
import hashlib
import os
import random
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from query_helpers import (CLIENT, LOOP, TIMEOUT, HoldingProxy, Server, launch_server, logname,
                           sha256_file, wait_until)

BIG_NAME = logname(1)
BIG_BLOCKS = 200                # blocks of about 1 MiB
BLOCK_TARGET = 1 << 20


def write_big_file(path):
    """Writes about 200 MiB of record lines, every line different; returns
    (size, sha256 hex). Lines are built once as a 1 MiB template whose block
    number and time are stamped per block with bytes.replace."""
    pad = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_."
    lines = []
    total = 0
    i = 0
    while total < BLOCK_TARGET:
        line = (b"2026-01-01T@@TIME@@.%03dZ 10.0.%d.%d:514 bigfile block=@@BLK@@ line=%05d %s\n"
                % (i % 1000, i % 7, i % 251, i, pad[:(i * 7919) % 61]))
        lines.append(line)
        total += len(line)
        i += 1
    template = b"".join(lines)
    h = hashlib.sha256()
    size = 0
    with open(path, "wb", buffering=0) as f:
        batch = []
        for b in range(BIG_BLOCKS):
            stamp = b"%02d:%02d:%02d" % (b // 3600, b // 60 % 60, b % 60)
            block = template.replace(b"@@TIME@@", stamp).replace(b"@@BLK@@", b"%07d" % b)
            batch.append(block)
            if len(batch) == 16 or b == BIG_BLOCKS - 1:
                chunk = b"".join(batch)
                batch = []
                f.write(chunk)
                h.update(chunk)
                size += len(chunk)
    return size, h.hexdigest()


@dataclass
class Big:
    srv: Server
    name: str
    path: Path
    size: int
    digest: str
    base: Path


@pytest.fixture(scope="module")
def big(tmp_path_factory, module_procs):
    base = tmp_path_factory.mktemp("bigfetch")
    logdir = base / "logs"
    logdir.mkdir()
    path = logdir / BIG_NAME
    try:
        size, digest = write_big_file(path)
        srv = launch_server(module_procs, base, "--on-start", "new", logdir=logdir)
        srv.planted.add(BIG_NAME)
        yield Big(srv, BIG_NAME, path, size, digest, base)
    finally:
        # 200 MB files must not pile up in pytest's kept temporary directories.
        module_procs.cleanup()
        for p in [path] + sorted(base.glob("*.dl")) + sorted(base.glob("dl/*")):
            try:
                p.unlink()
            except FileNotFoundError:
                pass


def test_fetch_of_a_200mb_file_is_byte_identical(big):
    assert big.size >= 200 * 1024 * 1024
    dl = big.base / "dl"
    dl.mkdir()
    out = dl / big.name          # the default output is ./NAME
    res = big.srv.client("fetch", big.name, cwd=dl, timeout=120)
    try:
        assert res.returncode == 0, res.stderr
        err = res.stderr.decode()
        assert err.startswith("logclient: fetched ") and err.count("\n") == 1 and \
            "(%d bytes)" % big.size in err, "not on a terminal: one summary line: %r" % err
        assert out.stat().st_size == big.size
        assert sha256_file(out) == big.digest
    finally:
        out.unlink(missing_ok=True)
    assert sha256_file(big.path) == big.digest, "the server changed the planted file"
    big.srv.wait_event("FETCH %s offset=0 bytes=%d" % (big.name, big.size))


def test_sum_of_a_range_is_sha256_of_those_bytes_up_to_16_mib(big):
    with open(big.path, "rb") as f:
        f.seek(12345)
        piece = f.read(16 * 1024 * 1024)
        f.seek(big.size - 70000)
        tail = f.read()
    with big.srv.query() as q:
        assert q.request("SUM %s 12345 %d" % (big.name, len(piece))) == \
            "OK " + hashlib.sha256(piece).hexdigest()
        assert q.request("SUM %s %d 70000" % (big.name, big.size - 70000)) == \
            "OK " + hashlib.sha256(tail).hexdigest()
        assert q.request("SUM %s %d 0" % (big.name, big.size)) == \
            "OK " + hashlib.sha256(b"").hexdigest()
        assert q.request("SUM %s 0 %d" % (big.name, 16 * 1024 * 1024 + 1)).startswith(
            "ERR range ")
        assert q.request("SUM %s %d 70001" % (big.name, big.size - 70000)).startswith(
            "ERR range ")


def test_fetch_killed_three_times_at_random_points_then_resumed_is_byte_identical(big, procs):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    size = big.size
    # One kill point in each of three disjoint bands, so each resume has work to do.
    points = [rng.randrange(int(size * lo), int(size * hi))
              for lo, hi in ((0.05, 0.30), (0.35, 0.60), (0.65, 0.90))]
    out = big.base / "resumed.dl"
    why = "seed=%d kill points=%s" % (seed, points)
    sizes = []
    for i, point in enumerate(points):
        before = out.stat().st_size if out.exists() else 0
        assert before < point, why
        # The proxy passes the bytes the kill point needs (plus the short reply
        # lines) and then stalls, so the client cannot finish before it is killed.
        proxy = HoldingProxy(big.srv.qport, point - before + 128)
        procs.on_cleanup(proxy.close)
        argv = [CLIENT, "-H", LOOP, "-p", proxy.port, "fetch", big.name, "-o", out]
        if i > 0:
            argv.append("--resume")
        p = procs.popen(argv, cwd=str(big.base), stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: p.poll() is not None
                   or (out.exists() and out.stat().st_size >= point),
                   timeout=60, what="the download to pass byte %d (%s)" % (point, why))
        assert p.poll() is None, "logclient ended (rc %s) before it was killed: %r (%s)" % (
            p.returncode, p.stderr.read(), why)
        os.kill(p.pid, signal.SIGKILL)
        assert p.wait(timeout=TIMEOUT) == -signal.SIGKILL
        proxy.close()
        got = out.stat().st_size
        assert point <= got <= point + 128, why
        sizes.append(got)
        # What was kept is a prefix of the server's file (spot check of its tail).
        with open(out, "rb") as a, open(big.path, "rb") as b:
            a.seek(got - 4096)
            b.seek(got - 4096)
            assert a.read(4096) == b.read(4096), why
    res = big.srv.client("fetch", big.name, "-o", out, "--resume", cwd=big.base, timeout=120)
    try:
        assert res.returncode == 0, (res.stderr, why)
        err = res.stderr.decode()
        assert err.startswith("logclient: fetched ") and err.count("\n") == 1 and \
            "(%d bytes, resumed)" % size in err, (err, why)
        assert out.stat().st_size == size, why
        assert sha256_file(out) == big.digest, why
    finally:
        out.unlink(missing_ok=True)
    # Each resume continued where the local copy ended, instead of starting over.
    for got in sizes:
        big.srv.wait_event("FETCH %s offset=%d bytes=%d" % (big.name, got, size - got))
