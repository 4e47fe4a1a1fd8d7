"""Protocol mechanics: pipelined requests, FETCH of a growing file, AUTH without
a configured token, query-max-clients and freed slots, followers at server
stop, and logclient finding the query port in logclient.conf."""
import hashlib
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from query_helpers import (CLIENT, LOOP, TIMEOUT, StreamReader, child_pids, read_to_eof,
                           wait_until)


def test_pipelined_requests_are_answered_in_order(start_server):
    srv = start_server()
    name = srv.own_files()[-1].name
    with srv.query() as q:
        q.send("LIST\nSUM %s 0 0\nFETCH %s 0\nBOGUS\nQUIT\nLIST\n" % (name, name))
        head = q.line()
        assert re.match(r"^OK 1$", head), head
        assert q.line().startswith(name + " ")
        assert q.line() == "OK " + hashlib.sha256(b"").hexdigest()
        n = int(q.line()[3:])
        body = q.exact(n)
        assert body.startswith(b"20") and body.endswith(b"\n")
        assert q.line().startswith("ERR badreq ")
        assert q.line() == "OK bye"
        assert q.closed_by_server(), "nothing is answered after QUIT"
        assert q.buf == b""


def test_fetch_of_the_growing_current_file_sends_exactly_its_size_at_request_time(
        start_server):
    srv = start_server()
    cur = srv.own_files()[-1]
    bodies = []
    with socket.create_connection((LOOP, srv.port), timeout=TIMEOUT) as w, srv.query() as q:
        for k in range(30):
            # Records arrive while the file is fetched: a batch is sent, not waited for.
            w.sendall(b"".join(b"growing %05d %s\n" % (k * 100 + j, b"g" * (j % 60))
                               for j in range(100)))
            if k == 29:
                wait_until(lambda: cur.stat().st_size > len(bodies[0]), what="growth")
            head = q.request("FETCH %s" % cur.name)
            assert re.match(r"^OK \d+$", head), head
            body = q.exact(int(head[3:]))
            # The next reply must start right after the announced length.
            assert q.request("SUM %s 0 %d" % (cur.name, len(body))) == \
                "OK " + hashlib.sha256(body).hexdigest()
            bodies.append(body)
        w.shutdown(socket.SHUT_WR)
        read_to_eof(w)
    final = cur.read_bytes()
    for body in bodies:
        assert final.startswith(body)
    assert len(bodies[-1]) > len(bodies[0]), "the file grew while it was fetched"
    assert b"growing 02999 " in final


def test_auth_is_accepted_when_no_token_is_configured(start_server):
    srv = start_server()
    with srv.query() as q:
        assert q.request("AUTH anything") == "OK authenticated"
        assert q.request("LIST").startswith("OK ")


def test_query_max_clients_refuses_one_more_and_a_closed_follower_frees_its_slot(
        start_server, procs):
    srv = start_server("--query-max-clients", "2")
    followers = [srv.query(), srv.query()]
    for f in followers:
        procs.on_cleanup(f.close)
        assert f.request("FOLLOW - END").startswith("OK ")
    srv.wait_event("FOLLOW ", count=2)
    with srv.query() as q:
        peer = q.local
        assert read_to_eof(q.sock) == b"ERR denied query-max-clients (2) reached\n"
    srv.wait_event("refused query from %s: query-max-clients (2) reached" % peer)
    followers[0].close()

    def served():
        try:
            with srv.query(timeout=5) as q:
                return q.request("LIST").startswith("OK ")
        except (EOFError, OSError, AssertionError):     # refused: no greeting yet
            return False
    wait_until(served, what="the closed follower's slot to be free again")



def test_followers_end_promptly_when_the_server_stops(start_server, procs, tmp_path):
    srv = start_server("--shutdown-timeout", "30")
    q = srv.query()
    procs.on_cleanup(q.close)
    assert q.request("FOLLOW - START").startswith("OK ")
    raw = StreamReader(q.sock, q.buf)
    procs.on_cleanup(raw.close)
    p = procs.popen(srv.client_argv("follow"), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    srv.wait_event("FOLLOW ", count=2)
    os.kill(srv.pid, signal.SIGTERM)
    try:
        rc = srv.proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        rc = "still running 3 s after SIGTERM"
    assert rc == 0
    raw.thread.join(timeout=TIMEOUT)
    assert not raw.thread.is_alive(), "the raw FOLLOW stream did not end"
    assert b"start version=" in raw.snapshot()
    p.wait(timeout=TIMEOUT)
    assert b"closed the connection" in p.stderr.read()
    assert not srv.events("did not finish")


def test_an_idle_follower_does_not_burn_cpu(start_server):
    srv = start_server()
    before = set(child_pids(srv.pid))
    with srv.query() as q:
        assert q.request("FOLLOW - END").startswith("OK ")
        srv.wait_event("query %s: FOLLOW " % q.local)
        kids = [k for k in child_pids(srv.pid) if k not in before]
        assert len(kids) == 1, kids
        start, t0 = cpu_ticks(kids[0]), time.monotonic()
        # Nothing is written, so a waiting child is asleep (state S) in ppoll();
        # a spinning one is never seen asleep, however loaded the machine is.
        try:
            wait_until(lambda: proc_state(kids[0]) == "S", timeout=2)
            asleep = True
        except AssertionError:
            asleep = False
        assert asleep, "the idle FOLLOW child never slept; it used %d ticks of CPU in %.1f s" % (
            cpu_ticks(kids[0]) - start, time.monotonic() - t0)


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime + stime


def test_logclient_takes_the_query_port_from_logclient_conf_or_query_port(start_server,
                                                                          tmp_path):
    srv = start_server()
    name = srv.own_files()[-1].name
    work = tmp_path / "client"
    work.mkdir()
    (work / "logclient.conf").write_text("# query settings\nhost = 127.0.0.1\nquery_port = %d\n"
                                         % srv.qport)
    res = subprocess.run([CLIENT, "list"], cwd=str(work), capture_output=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    assert name.encode() in res.stdout
    res = subprocess.run([CLIENT, "-c", "/dev/null", "-H", LOOP, "--query-port", str(srv.qport),
                          "list"], cwd=str(tmp_path), capture_output=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    assert name.encode() in res.stdout
