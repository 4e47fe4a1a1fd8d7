"""The query greeting and logclient's deadlines: the server says
"OK logserver-query 1" first; logclient sends nothing (no token) before it
has read it, so a wrong port fails fast with a line naming --query-port and
the token never lands in the log; every wait has a deadline (--timeout)."""
import socket
import subprocess
import threading
import time

from query_helpers import CLIENT, GREETING, LOOP, TIMEOUT

SECRET = "s3cret-token-for-the-greeting-test"
SLACK = 2.0


def token_server(start_server, tmp_path):
    tf = tmp_path / "query.token"
    tf.write_text(SECRET + "\n")
    srv = start_server("--query-token-file", tf)
    srv.token_file = tf
    return srv


def run(args, cwd, timeout=30):
    t0 = time.monotonic()
    res = subprocess.run([CLIENT] + [str(a) for a in args], cwd=str(cwd), capture_output=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    return res, time.monotonic() - t0


def one_line(res):
    err = res.stderr.decode(errors="replace")
    assert err.count("\n") == 1 and err.startswith("logclient: "), err
    return err


def test_the_server_greets_before_the_client_says_anything(start_server):
    srv = start_server()
    with socket.create_connection((LOOP, srv.qport), timeout=TIMEOUT) as s:
        got = b""
        while not got.endswith(b"\n"):
            chunk = s.recv(64)
            assert chunk, got
            got += chunk
        assert got == GREETING + b"\n"


def test_logclient_conf_with_port_and_query_port_lists_from_the_query_port(start_server,
                                                                           tmp_path):
    srv = token_server(start_server, tmp_path)
    work = tmp_path / "client"
    work.mkdir()
    (work / "logclient.conf").write_text(
        "host = 127.0.0.1\nport = %d\nquery_port = %d\ntoken_file = %s\n"
        % (srv.port, srv.qport, srv.token_file))
    res, _ = run(["list"], work)
    assert res.returncode == 0, res.stderr
    assert srv.own_files()[-1].name.encode() in res.stdout


def test_list_at_the_ingest_port_fails_fast_and_never_sends_the_token(start_server,
                                                                      tmp_path):
    srv = token_server(start_server, tmp_path)
    res, took = run(["-H", LOOP, "-p", srv.port, "--token-file", srv.token_file, "list"],
                    tmp_path)
    assert res.returncode == 1
    line = one_line(res)
    assert "127.0.0.1:%d did not answer as a logserver query service" % srv.port in line
    assert "--query-port" in line, line
    assert took < 5 + SLACK, took       # not the 60 s of --timeout, and no hang
    assert srv.stop() == 0
    logged = b"".join(p.read_bytes() for p in srv.own_files())
    assert SECRET.encode() not in logged and b"AUTH" not in logged


def silent_listener(greet):
    """A loopback port that accepts, greets when told to, and then says
    nothing; returns (socket, what it received)."""
    lst = socket.socket()
    lst.bind((LOOP, 0))
    lst.listen(4)
    got = bytearray()

    def serve():
        try:
            c, _ = lst.accept()
        except OSError:
            return
        with c:
            if greet:
                c.sendall(GREETING + b"\n")
            c.settimeout(TIMEOUT)
            try:
                while True:
                    chunk = c.recv(4096)
                    if not chunk:
                        return
                    got.extend(chunk)
            except OSError:
                return
    threading.Thread(target=serve, daemon=True).start()
    return lst, got


def test_token_goes_only_after_the_greeting_and_a_silent_auth_reply_times_out(tmp_path):
    tf = tmp_path / "t"
    tf.write_text(SECRET)
    for greet in (False, True):
        lst, got = silent_listener(greet)
        with lst:
            res, took = run(["-H", LOOP, "-p", lst.getsockname()[1], "--timeout", 1,
                             "--token-file", tf, "list"], tmp_path)
        assert res.returncode == 1
        line = one_line(res)
        assert 1 <= took <= 1 + SLACK, took
        if greet:
            assert bytes(got) == b"AUTH %s\n" % SECRET.encode()
            assert "authentication: no answer within --timeout 1 s" in line, line
        else:
            assert bytes(got) == b"", "nothing before the greeting"
            assert "did not answer as a logserver query service" in line, line


def test_connect_to_a_port_that_never_accepts_gives_up_at_timeout(tmp_path):
    with socket.socket() as lst:
        lst.bind((LOOP, 0))
        lst.listen(0)
        port = lst.getsockname()[1]
        # Fill the accept queue: the next SYN is dropped, connect() would wait.
        fill = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect((LOOP, port))
            except BlockingIOError:
                pass
            fill.append(s)
        try:
            res, took = run(["-H", LOOP, "-p", port, "--timeout", 1, "list"], tmp_path)
        finally:
            for s in fill:
                s.close()
    assert res.returncode == 1
    assert "no answer within 1 s" in one_line(res)
    assert 1 <= took <= 1 + SLACK, took


def test_an_unresolvable_host_says_cannot_resolve(tmp_path):
    for args in (["list"], ["--plain", "hello"], ["--retry-for", "0", "hello"]):
        res, _ = run(["-H", "no-such-host.invalid"] + args, tmp_path)
        assert res.returncode == 1
        err = res.stderr.decode()
        assert "cannot resolve no-such-host.invalid: " in err.splitlines()[0], err
        assert "running there" not in err and "listening there" not in err, err


def test_follow_waits_without_limit_once_streaming_but_connects_under_timeout(start_server,
                                                                              tmp_path, procs):
    srv = start_server()
    p = procs.popen([CLIENT, "-H", LOOP, "-p", srv.qport, "--timeout", 1, "follow"],
                    cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    srv.wait_event("FOLLOW ")
    try:
        p.wait(1 + SLACK)           # silence past --timeout is normal while following
        raise AssertionError("follow ended: %r" % p.stderr.read())
    except subprocess.TimeoutExpired:
        pass
    p.terminate()
    assert p.wait(TIMEOUT) == 0
    lst, _ = silent_listener(False)
    with lst:
        res, took = run(["-H", LOOP, "-p", lst.getsockname()[1], "--timeout", 1, "follow"],
                        tmp_path)
    assert res.returncode == 1 and 1 <= took <= 1 + SLACK, (res, took)
