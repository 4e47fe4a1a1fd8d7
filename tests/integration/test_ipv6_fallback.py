"""Without IPv6 the server listens on IPv4 and says so, instead of failing."""
import os
import subprocess
from pathlib import Path

from integration_helpers import (CLIENT, SERVER, free_port, read_records, run_client,
                                 wait_until)

HERE = Path(__file__).resolve().parent


def test_no_ipv6_falls_back_to_ipv4_with_a_note_in_the_start_record(tmp_path, procs):
    shim = tmp_path / "noipv6.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(shim), str(HERE / "noipv6.c"), "-ldl"],
                   check=True)
    env = dict(os.environ, LD_PRELOAD=str(shim),
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
    port = free_port()
    err = tmp_path / "server.stderr"
    with open(err, "wb") as ef:
        p = procs.popen([SERVER, "-c", "/dev/null", "-p", str(port), "--udp-port", "0",
                         "--query-port", "0", "-d", str(tmp_path / "logs")],
                        cwd=str(tmp_path), env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=ef)
    wait_until(lambda: p.poll() is not None or "listening on" in err.read_text(),
               what="server start-up")
    assert p.poll() is None, err.read_text()
    assert "listening on 0.0.0.0:%d" % port in err.read_text()
    res = run_client(["-H", "127.0.0.1", "-p", str(port), "over", "IPv4"], tmp_path)
    assert res.returncode == 0, res.stderr
    recs = wait_until(lambda: [r for r in read_records(tmp_path / "logs")
                               if r.msg == "over IPv4"] and read_records(tmp_path / "logs"),
                      what="the message")
    start = [r for r in recs if r.event and r.event.startswith("start ")]
    assert len(start) == 1
    assert "listen=0.0.0.0:%d" % port in start[0].event
    assert "note=IPv6 unavailable" in start[0].event
    p.terminate()
    assert p.wait(15) == 0
