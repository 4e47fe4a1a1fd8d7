"""Who may query and send: --query-allow, --query-token-file (raw AUTH and
logclient --token-file), and the ingest --allow list for TCP and UDP.
Linux routes all of 127.0.0.0/8 to lo, so a client socket bound to 127.0.0.2
is "another address" without leaving loopback."""
import secrets
import signal
import socket
import subprocess

import pytest

from query_helpers import (LOOP, SERVER, TIMEOUT, free_port, read_to_eof, record_lines,
                           wait_until)

OTHER = "127.0.0.2"


def refused_silently(sock, payload):
    """Sends payload (which may fail, the server closes at once) and returns
    what came back before the close."""
    try:
        sock.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return read_to_eof(sock)


def all_bytes(srv):
    return b"".join(p.read_bytes() for p in srv.own_files())


def test_query_from_an_address_outside_query_allow_is_refused_and_logged(start_server):
    srv = start_server("--query-allow", "127.0.0.1/32")     # and --query-bind 127.0.0.1
    with srv.query(source=OTHER) as q:
        peer = q.local
        assert peer.startswith(OTHER + ":")
        assert refused_silently(q.sock, b"LIST\n") == b"ERR denied not in query-allow\n", \
            "a refused client is told why, then closed"
    srv.wait_event("refused query from %s: not in query-allow" % peer)
    assert not srv.events("query %s: " % peer), "the refused client was never served"
    with srv.query() as q:                                   # 127.0.0.1 is allowed
        assert q.request("LIST").startswith("OK ")
    res = srv.client("list")
    assert res.returncode == 0, res.stderr


def test_empty_query_allow_lets_every_address_query(start_server):
    srv = start_server("--query-allow", "")
    with srv.query(source=OTHER) as q:
        assert q.request("LIST").startswith("OK ")


def token_server(start_server, tmp_path):
    token = "tok-" + secrets.token_hex(20)
    tf = tmp_path / "query.token"
    tf.write_text(token + "\n")
    return start_server("--query-token-file", tf), token


def test_query_without_auth_is_refused_with_err_auth_and_logged(start_server, tmp_path):
    srv, token = token_server(start_server, tmp_path)
    with srv.query() as q:
        reply = q.request("LIST")
        assert reply.startswith("ERR auth "), reply
        assert q.closed_by_server(), "the connection is closed after ERR auth"
        assert q.received == (reply + "\n").encode()
    srv.wait_event("query %s: refused: " % q.local)
    with srv.query() as q:                        # the same for FETCH, before any name check
        assert q.request("FETCH ../secret").startswith("ERR ")


def test_wrong_tokens_are_refused_with_err_auth_and_logged(start_server, tmp_path):
    srv, token = token_server(start_server, tmp_path)
    wrong = [token[:-1] + ("0" if token[-1] != "0" else "1"),   # differs in the last byte
             token[:-1],                                        # a prefix
             token + "x",                                       # longer
             "x" + token[1:]]                                   # differs in the first byte
    peers = []
    for w in wrong:
        with srv.query() as q:
            reply = q.request("AUTH " + w)
            assert reply.startswith("ERR auth ") and "wrong token" in reply, reply
            assert q.closed_by_server()
            peers.append(q.local)
    for peer in peers:
        srv.wait_event("query %s: refused: wrong token" % peer)
    text = all_bytes(srv)
    assert token.encode() not in text and token[:-1].encode() not in text, \
        "tokens are never written to the log"


def test_right_token_is_accepted_on_the_raw_protocol(start_server, tmp_path):
    srv, token = token_server(start_server, tmp_path)
    with srv.query() as q:
        # A syntax error before AUTH is answered but does not end the connection.
        assert q.request("HELLO").startswith("ERR badreq ")
        assert q.request("AUTH " + token) == "OK authenticated"
        head = q.request("LIST")
        assert head.startswith("OK ")
        names = [q.line().split(" ")[0] for _ in range(int(head[3:]))]
        assert names == [p.name for p in srv.own_files()]
        body_head = q.request("FETCH %s 0" % names[0])
        assert body_head.startswith("OK ")
        q.exact(int(body_head[3:]))
        assert q.request("QUIT") == "OK bye"
    assert token.encode() not in all_bytes(srv)


def test_logclient_token_file_right_is_served_and_wrong_or_missing_is_refused(
        start_server, tmp_path):
    srv, token = token_server(start_server, tmp_path)
    right = tmp_path / "right.token"
    right.write_text(token)                              # without a newline, too
    wrong = tmp_path / "wrong.token"
    wrong.write_text(token[::-1] + "\n")
    name = srv.own_files()[-1].name
    res = srv.client("--token-file", tmp_path / "query.token", "list")
    assert res.returncode == 0, res.stderr
    assert name.encode() in res.stdout
    res = srv.client("--token-file", right, "fetch", name, "-o", "-")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(b"20") and res.stdout.endswith(b"\n")
    for args in (["--token-file", wrong, "list"], ["list"], ["--token-file", wrong, "follow"]):
        res = srv.client(*args)
        assert res.returncode == 1, (args, res)
        err = res.stderr.decode()
        assert err.count("\n") == 1 and err.startswith("logclient: ") and "auth" in err, err
        assert res.stdout == b"" or b"NAME" not in res.stdout
    srv.wait_event("refused: wrong token", count=2)
    srv.wait_event("refused: this server wants AUTH", count=1)


def test_token_longer_than_512_bytes_is_refused_at_start_up(tmp_path):
    tf = tmp_path / "long.token"
    tf.write_text("k" * 513 + "\n")
    (tmp_path / "empty.conf").write_text("")
    argv = [SERVER, "-c", tmp_path / "empty.conf", "--bind", LOOP, "-p", str(free_port()),
            "--udp-port", "0", "--query-port", str(free_port()), "--query-bind", LOOP,
            "-d", tmp_path / "logs", "--query-token-file", tf]
    res = subprocess.run(argv, cwd=str(tmp_path), capture_output=True, timeout=TIMEOUT,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 1
    assert b"longer than 512 bytes" in res.stderr


def test_token_of_512_bytes_on_a_line_of_its_own_is_accepted(start_server, tmp_path):
    token = "k" * 512
    tf = tmp_path / "query.token"
    tf.write_text(token + "\n")
    srv = start_server("--query-token-file", tf)
    with srv.query() as q:
        assert q.request("AUTH " + token) == "OK authenticated"


def test_ingest_allow_refuses_tcp_from_another_address_and_logs_it(start_server):
    srv = start_server("--allow", "127.0.0.1/32")
    with socket.socket() as s:
        s.bind((OTHER, 0))
        s.settimeout(TIMEOUT)
        s.connect((LOOP, srv.port))
        peer = "%s:%d" % s.getsockname()
        assert refused_silently(s, b"refused tcp message\n") == b"logserver: refused: not in allow\n"
    srv.wait_event("refused %s: not in allow" % peer)
    srv.send_lines([b"allowed tcp message"])
    text = all_bytes(srv)
    assert b"allowed tcp message" in text
    assert b"refused tcp message" not in text


def test_ingest_allow_drops_udp_from_another_address_and_counts_it_at_shutdown(start_server):
    srv = start_server("--allow", "127.0.0.1/32", udp_port=None)
    denied = 7
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bad, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as good:
        bad.bind((OTHER, 0))
        good.bind((LOOP, 0))
        bad_peer = "%s:%d" % bad.getsockname()
        for i in range(denied):
            bad.sendto(b"denied datagram %d" % i, (LOOP, srv.uport))
        # Datagrams are read in order: once this one is written, the others were seen.
        good.sendto(b"allowed datagram", (LOOP, srv.uport))
        wait_until(lambda: b"allowed datagram" in all_bytes(srv), what="the allowed datagram")
    srv.wait_event("refused UDP from %s: not in allow" % bad_peer)
    assert srv.stop(signal.SIGTERM) == 0
    stats = [e for e in srv.events("udp stats") if "shutdown" in e]
    assert len(stats) == 1, srv.events("udp stats")
    assert " denied=%d" % denied in stats[0], stats[0]
    assert " datagrams=1 " in stats[0], stats[0]
    text = all_bytes(srv)
    assert b"denied datagram" not in text
    assert len([l for l in record_lines(text) if b"refused UDP from" in l]) == 1, \
        "one event for the refused peer; further datagrams are only counted"
