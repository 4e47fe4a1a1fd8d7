"""Faults from below: the disk fills up while clients send."""
import subprocess
import threading

import pytest

from integration_helpers import wait_until


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs, so the log directory can really run out of space."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mnt)],
                         capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % res.stderr.decode().strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill_leaving(mnt, kb):
    """Fills the tmpfs at mnt up to about kb KiB free; returns the filler file."""
    filler = mnt / "filler"
    free_kb = int(subprocess.run(["df", "-k", "--output=avail", str(mnt)],
                                 capture_output=True, text=True).stdout.split()[-1])
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, (free_kb - kb) * 1024))
    return filler


def test_disk_full_keeps_records_whole_and_writes_them_when_space_returns(start_server,
                                                                          small_disk):
    srv = start_server("--max-size", "10M", logdir=small_disk / "logs")
    # leave about 64 KiB free, then send about 300 KiB of records
    filler = fill_leaving(small_disk, 64)
    lines = [b"disk full test line %05d %s" % (i, b"y" * 60) for i in range(3000)]
    sender = threading.Thread(target=srv.send, args=(b"\n".join(lines) + b"\n", 60))
    sender.start()
    wait_until(lambda: "cannot write records" in srv.stderr(), what="the write failure")
    # records so far are whole lines: no torn record at the end of the file
    for f in srv.files():
        data = f.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f.name
    filler.unlink()
    sender.join(60)
    assert not sender.is_alive()
    got = [r.msg for r in srv.records() if r.msg.startswith("disk full test line")]
    assert got == [x.decode() for x in lines]
    assert "works again" in srv.stderr()
    assert srv.stop() == 0


def test_rotation_that_cannot_create_a_file_keeps_writing_says_so_and_recovers(tmp_path, start_server):
    # A tmpfs with room for data but not for one more file (inode limit):
    # rotation fails, records continue in the current file, the failure is
    # recorded once.
    mnt = tmp_path / "noinodes"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M,nr_inodes=4", "tmpfs",
                          str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % res.stderr.decode().strip())
    try:
        srv = start_server("--max-size", "16K", logdir=mnt / "logs")
        lines = [b"rotation fault line %05d %s" % (i, b"r" * 60) for i in range(1000)]
        srv.send(b"\n".join(lines[:500]) + b"\n")
        assert len(srv.files()) == 1
        # room for more files again: the next batch rotates as usual
        subprocess.run(["mount", "-o", "remount,nr_inodes=64", str(mnt)], check=True)
        srv.send(b"\n".join(lines[500:]) + b"\n")
        assert srv.stop() == 0
        files = srv.files()
        assert len(files) > 1, [f.name for f in files]
        recs = srv.records()
        assert [r.msg for r in recs if r.msg.startswith("rotation fault line")] == \
            [x.decode() for x in lines]
        failed = [r.event for r in recs if r.event and r.event.startswith("rotate failed")]
        assert len(failed) == 1, failed
        assert "writing on past max-size" in failed[0]
        assert files[0].stat().st_size > 16 * 1024       # the one that could not rotate
        assert all(f.stat().st_size <= 16 * 1024 for f in files[1:]), [(f.name, f.stat().st_size) for f in files]
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
