"""fetch and the local file: an existing file is not overwritten without
--force or --resume; progress on a terminal (size, rate, ETA, rewritten in
place) and a one-line summary elsewhere; Ctrl-C ends it with status 130."""
import os
import pty
import select
import signal
import subprocess
import time

from query_helpers import CLIENT, LOOP, TIMEOUT, HoldingProxy, logname, wait_until

NAME = logname(1, "20250101T000000Z")


def planted(start_server, tmp_path, lines=20000):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    data = b"".join(b"2025-01-01T00:00:00.000Z 10.0.0.1:514 line %07d\n" % i
                    for i in range(lines))
    (logdir / NAME).write_bytes(data)
    srv = start_server("--on-start", "new")
    srv.planted.add(NAME)
    srv.data = data
    dl = tmp_path / "dl"
    dl.mkdir()
    srv.dl = dl
    return srv


def test_fetch_refuses_to_overwrite_an_existing_file_without_force_or_resume(start_server,
                                                                             tmp_path):
    srv = planted(start_server, tmp_path)
    local = srv.dl / NAME
    local.write_bytes(b"my own notes\n")
    res = srv.client("fetch", NAME, cwd=srv.dl)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1 and "exists" in err and "--force" in err \
        and "--resume" in err, err
    assert local.read_bytes() == b"my own notes\n"
    assert not srv.events("FETCH %s" % NAME), "refused before asking the server"
    res = srv.client("fetch", NAME, "--force", cwd=srv.dl)
    assert res.returncode == 0, res.stderr
    assert local.read_bytes() == srv.data
    res = srv.client("fetch", NAME, "-o", "/dev/null", cwd=srv.dl)   # a device is no file
    assert res.returncode == 0, res.stderr


def test_fetch_not_on_a_terminal_ends_with_one_summary_line(start_server, tmp_path):
    srv = planted(start_server, tmp_path)
    res = srv.client("fetch", NAME, "-o", "-", cwd=srv.dl)
    assert res.returncode == 0, res.stderr
    assert res.stdout == srv.data
    err = res.stderr.decode()
    assert err.count("\n") == 1, err
    assert err.startswith("logclient: fetched %s: " % NAME) and \
        ("(%d bytes) in " % len(srv.data)) in err and "/s" in err, err


def test_fetch_on_a_terminal_shows_a_progress_line_rewritten_in_place(start_server, tmp_path,
                                                                      procs):
    srv = planted(start_server, tmp_path)
    master, slave = pty.openpty()
    p = procs.popen(srv.client_argv("fetch", NAME), cwd=str(srv.dl), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:         # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            shown += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    assert p.wait(TIMEOUT) == 0, shown
    text = shown.decode()
    assert text.startswith("\r") and text.endswith("\n"), text
    last = text.rstrip("\r\n").split("\r")[-1]
    assert "100%" in last and "KiB /" in last and "/s" in last, text
    assert "fetched" not in text, "the summary is for logs, not for the terminal"


def test_ctrl_c_ends_a_fetch_with_130_after_saying_how_to_resume(start_server, tmp_path, procs):
    srv = planted(start_server, tmp_path)
    proxy = HoldingProxy(srv.qport, 100000)         # then holds: the download stalls
    procs.on_cleanup(proxy.close)
    out = srv.dl / "part"
    p = procs.popen([CLIENT, "-H", LOOP, "-p", proxy.port, "fetch", NAME, "-o", out],
                    cwd=str(srv.dl), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    wait_until(lambda: out.exists() and out.stat().st_size >= 90000, what="a part")
    p.send_signal(signal.SIGINT)
    assert p.wait(TIMEOUT) == 130
    err = p.stderr.read().decode()
    assert err.count("\n") == 1 and "interrupted after" in err and "--resume" in err, err
    proxy.close()
