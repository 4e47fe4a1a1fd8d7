"""logclient fetch on small files: --resume continues a true prefix and
refuses, with a clear message and without touching the local file, a local
copy that is not a prefix of the server's file (edited, a prefix of another
file, longer than the remote, or the server's file replaced); -o -, --offset,
and failures."""
import os
import subprocess

import pytest

from query_helpers import CLIENT, HoldingProxy, logname

A = logname(1, "20260102T000000Z")
B = logname(2, "20260102T000100Z")


def make_file(tag, n):
    return b"".join(b"2026-01-02T00:%02d:%02d.%03dZ 10.1.1.%d:514 file=%s n=%06d %s\n"
                    % (i // 60000 % 60, i // 1000 % 60, i % 1000, i % 200, tag, i,
                       tag * (i % 23)) for i in range(n))


@pytest.fixture
def two(start_server, tmp_path):
    """A server whose log directory holds two different files A and B of
    about 300 KB (planted before it starts; it writes to file 3)."""
    logdir = tmp_path / "logs"
    logdir.mkdir()
    data = {A: make_file(b"A", 4000), B: make_file(b"B", 4100)}
    for name, content in data.items():
        (logdir / name).write_bytes(content)
    srv = start_server("--on-start", "new")
    srv.planted.update(data)
    srv.data = data
    dl = tmp_path / "dl"
    dl.mkdir()
    srv.dl = dl
    return srv


def one_line(res):
    err = res.stderr.decode(errors="replace")
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), "expected one stderr line: %r" % err
    assert lines[0].startswith("logclient: "), lines[0]
    return lines[0]


def summary_line(res, offset, size):
    """Not on a terminal, a complete fetch says so in one stderr line."""
    line = one_line(res)
    assert line.startswith("logclient: fetched ") and "(%d bytes%s)" % (
        size, ", resumed" if offset else "") in line and " s, " in line, line
    return line


def no_fetch_audit(srv, name, offset):
    return not srv.events("FETCH %s offset=%d " % (name, offset))


def test_resume_continues_a_true_prefix_from_its_end(two):
    for cut in (150001, 1000):      # longer and shorter than the 64 KiB that is compared
        local = two.dl / A
        local.write_bytes(two.data[A][:cut])
        res = two.client("fetch", A, "--resume", cwd=two.dl)
        assert res.returncode == 0, res.stderr
        assert summary_line(res, cut, len(two.data[A]))
        assert local.read_bytes() == two.data[A]
        two.wait_event("FETCH %s offset=%d bytes=%d" % (A, cut, len(two.data[A]) - cut))


def test_resume_of_a_complete_copy_fetches_nothing_and_keeps_it(two):
    local = two.dl / A
    local.write_bytes(two.data[A])
    res = two.client("fetch", A, "--resume", cwd=two.dl)
    assert res.returncode == 0, res.stderr
    assert local.read_bytes() == two.data[A]
    two.wait_event("FETCH %s offset=%d bytes=0" % (A, len(two.data[A])))


def test_resume_is_refused_when_the_local_copy_was_edited(two):
    local = two.dl / A
    edited = bytearray(two.data[A][:200000])
    edited[199900] ^= 0x20          # inside the last 64 KiB, which --resume compares
    local.write_bytes(edited)
    res = two.client("fetch", A, "--resume", cwd=two.dl)
    assert res.returncode == 1
    line = one_line(res)
    assert "not resuming" in line and "not a prefix" in line and A in line, line
    assert local.read_bytes() == bytes(edited), "a refused resume must not touch the file"
    assert no_fetch_audit(two, A, 200000)


def test_resume_is_refused_when_the_local_file_is_a_prefix_of_another_file(two):
    local = two.dl / B              # holds the beginning of A under B's name
    local.write_bytes(two.data[A][:200000])
    res = two.client("fetch", B, "--resume", cwd=two.dl)
    assert res.returncode == 1
    line = one_line(res)
    assert "not resuming" in line and "not a prefix" in line, line
    assert local.read_bytes() == two.data[A][:200000]
    assert no_fetch_audit(two, B, 200000)


def test_resume_is_refused_when_the_local_file_is_longer_than_the_remote(two):
    local = two.dl / A
    longer = two.data[A] + b"2026-01-02T01:00:00.000Z 10.1.1.1:514 one more line\n"
    local.write_bytes(longer)
    res = two.client("fetch", A, "--resume", cwd=two.dl)
    assert res.returncode == 1
    line = one_line(res)
    assert "not resuming" in line and "more than the server's" in line, line
    assert local.read_bytes() == longer


def test_resume_is_refused_after_the_servers_file_was_replaced(two):
    local = two.dl / A
    res = two.client("fetch", A, "-o", local, cwd=two.dl)     # a full, good copy ...
    assert res.returncode == 0, res.stderr
    with open(local, "r+b") as f:                               # ... cut short
        f.truncate(250000)
    replacement = make_file(b"R", 5000)                         # same name, other content
    tmp = two.logdir / "replacement.tmp"
    tmp.write_bytes(replacement)
    os.replace(tmp, two.logdir / A)
    res = two.client("fetch", A, "--resume", cwd=two.dl)
    assert res.returncode == 1
    line = one_line(res)
    assert "not resuming" in line and "not a prefix" in line, line
    assert local.read_bytes() == two.data[A][:250000]
    # With --force instead of --resume the new file is fetched whole.
    res = two.client("fetch", A, "--force", cwd=two.dl)
    assert res.returncode == 0, res.stderr
    assert local.read_bytes() == replacement


def test_broken_download_says_how_to_resume_and_resume_completes_it(two, procs):
    data = two.data[A]
    proxy = HoldingProxy(two.qport, 100000, then_close=True)
    procs.on_cleanup(proxy.close)
    local = two.dl / A
    res = subprocess.run([CLIENT, "-H", "127.0.0.1", "-p", str(proxy.port), "fetch", A],
                         cwd=str(two.dl), capture_output=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    proxy.close()
    assert res.returncode == 1
    line = one_line(res)
    got = local.stat().st_size
    assert "interrupted after %d of %d bytes" % (got, len(data)) in line, line
    assert "--resume" in line
    assert 90000 < got < 100000 and local.read_bytes() == data[:got]
    res = two.client("fetch", A, "--resume", cwd=two.dl)
    assert res.returncode == 0, res.stderr
    assert local.read_bytes() == data


def test_fetch_to_stdout_and_from_an_offset(two):
    data = two.data[B]
    res = two.client("fetch", B, "-o", "-", cwd=two.dl)
    assert res.returncode == 0 and res.stdout == data, res.stderr
    res = two.client("fetch", B, "-o", "-", "--offset", 123457, cwd=two.dl)
    assert res.returncode == 0 and res.stdout == data[123457:], res.stderr
    assert list(two.dl.iterdir()) == [], "-o - must not create a file"
    # --offset N into a file keeps the file's first N bytes.
    out = two.dl / "partial"
    out.write_bytes(b"K" * 5000 + b"dropped")
    res = two.client("fetch", B, "-o", out, "--offset", 5000, cwd=two.dl)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == b"K" * 5000 + data[5000:]
    # ... and refuses when the file is shorter than N.
    out.write_bytes(b"short")
    res = two.client("fetch", B, "-o", out, "--offset", 5000, cwd=two.dl)
    assert res.returncode == 1
    assert "--offset" in one_line(res)
    assert out.read_bytes() == b"short"


def test_resume_without_an_output_file_or_with_offset_is_refused(two):
    for extra in (["-o", "-"], ["--offset", "10"]):
        res = two.client("fetch", A, "--resume", *extra, cwd=two.dl)
        # The code treats this as a failure (1), not a usage error (2).
        assert res.returncode in (1, 2), res
        assert "--resume" in one_line(res)
        assert res.stdout == b""
    assert list(two.dl.iterdir()) == []


def test_fetch_of_a_missing_or_foreign_name_fails_with_one_line(two):
    missing = logname(77)
    res = two.client("fetch", missing, "-o", "-", cwd=two.dl)
    assert res.returncode == 1
    line = one_line(res)
    assert "nofile" in line and missing in line, line
    res = two.client("fetch", "../etc/passwd", "-o", "-", cwd=two.dl)
    assert res.returncode == 1
    assert "denied" in one_line(res)
    res = subprocess.run([CLIENT, "-H", "127.0.0.1", "-p", str(two.qport), "fetch"],
                         cwd=str(two.dl), capture_output=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 2, "fetch without NAME is a usage error"


def test_refused_fetch_leaves_an_existing_local_copy_untouched(two):
    # A copy fetched earlier, of a file that retention has since deleted.
    gone = logname(9, "20250101T000000Z")
    local = two.dl / gone
    kept = b"2025-01-01T00:00:00.000Z 10.9.9.9:514 an earlier, complete download\n"
    local.write_bytes(kept)
    res = two.client("fetch", gone, "--force", cwd=two.dl)    # even with --force
    assert res.returncode == 1
    assert "nofile" in one_line(res)
    assert local.read_bytes() == kept
