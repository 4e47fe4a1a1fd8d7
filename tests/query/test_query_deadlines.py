"""Waits with deadlines on both sides of the query port.

logclient runs with --timeout 1: it must give up after that second of
silence, not before, and well before 1 + SLACK seconds (start-up of the
process and a loaded machine included). Checked against a planted bug: the
socket timeout set to 14 times --timeout, which the former bound (< 15 s)
let pass; both tests fail with it."""
import socket
import subprocess
import threading
import time

from query_helpers import CLIENT, GREETING, LOOP, logname

NAME = logname(1)
DEADLINE = 1.0
SLACK = 2.0


def stalling_server(lst, reply):
    """Accepts one client, greets it as the query service does, answers its
    first request with reply, then says nothing more until the client goes away."""
    conn, _ = lst.accept()
    with conn:
        conn.settimeout(30)
        conn.sendall(GREETING + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buf += chunk
        conn.sendall(reply)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass


def run_against_stall(tmp_path, reply, *args):
    with socket.socket() as lst:
        lst.bind((LOOP, 0))
        lst.listen(1)
        t = threading.Thread(target=stalling_server, args=(lst, reply), daemon=True)
        t.start()
        start = time.monotonic()
        res = subprocess.run([CLIENT, "-H", LOOP, "-p", str(lst.getsockname()[1]),
                              "--timeout", "%g" % DEADLINE, *args], cwd=str(tmp_path),
                             capture_output=True, timeout=30)
        t.join(30)
        return res, time.monotonic() - start


def test_fetch_from_a_server_that_stalls_mid_file_gives_up_and_says_resume(tmp_path):
    res, took = run_against_stall(tmp_path, b"OK 1000\n" + b"x" * 10,
                                  "fetch", NAME, "-o", "part")
    assert res.returncode == 1
    assert b"--resume" in res.stderr
    assert (tmp_path / "part").read_bytes() == b"x" * 10    # the part that came is kept
    assert DEADLINE <= took <= DEADLINE + SLACK, took


def test_list_from_a_server_that_never_answers_gives_up(tmp_path):
    res, took = run_against_stall(tmp_path, b"", "list")
    assert res.returncode == 1
    assert res.stderr.count(b"\n") == 1, res.stderr
    assert DEADLINE <= took <= DEADLINE + SLACK, took
