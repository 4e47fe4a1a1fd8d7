"""logclient: words as one message, stdin lines, quit, signals, configuration,
and errors."""
import signal
import socket
import subprocess
import time

import pytest

from integration_helpers import (CLIENT, CLIENT_PLAIN, OnTty, client_msgs, events, free_port,
                                 one_stderr_line, run_client, wait_until)


def client_records(srv, before):
    """Client messages of connections that are not in `before` (a set of peers)."""
    recs = srv.records()
    peers = [r.event.split()[1] for r in events(recs, "connect ")]
    new = [p for p in peers if p not in before]
    return {p: client_msgs(recs, p) for p in new}


def known_peers(srv):
    return {r.event.split()[1] for r in events(srv.records(), "connect ")}


def only_connection(srv, before):
    got = client_records(srv, before)
    assert len(got) == 1, got
    return next(iter(got.values()))


def test_logclient_words_sent_as_one_message(start_server, tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port, "hello,", "big", "world  x"],
                     tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stderr == b"" and res.stdout == b""
    # exit 0 means the message is already in the file: no waiting here
    assert only_connection(srv, before) == ["hello, big world  x"]


def test_logclient_newline_inside_words_stays_one_message(start_server, tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port, "two\nlines", "in\r\none"], tmp_path)
    assert res.returncode == 0, res.stderr
    msgs = only_connection(srv, before)
    assert len(msgs) == 1 and msgs[0].startswith("two") and msgs[0].endswith("one")


def test_logclient_sends_stdin_lines_until_eof(start_server, tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], tmp_path,
                     input=b"line one\nline two\r\n\ttabbed\nlast without newline")
    assert res.returncode == 0, res.stderr
    assert only_connection(srv, before) == \
        ["line one", "line two", "\\ttabbed", "last without newline"]


def plain_on_pipe(procs, tmp_path, srv):
    return procs.popen([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p", str(srv.port)],
                       cwd=str(tmp_path),
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def plain_on_tty(procs, tmp_path, srv):
    return OnTty(procs, [CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p", str(srv.port)],
                 tmp_path)


def test_logclient_quit_typed_on_a_terminal_stops_without_eof(start_server, tmp_path, procs):
    srv = start_server()
    before = known_peers(srv)
    t = plain_on_tty(procs, tmp_path, srv)
    t.type(b"kept 1\nkept 2\nquit\nnot sent\n")     # no Ctrl-D: "quit" alone ends it
    assert t.wait(15)[0] == 0
    assert only_connection(srv, before) == ["kept 1", "kept 2"]


def test_logclient_quit_on_a_terminal_is_only_a_whole_line(start_server, tmp_path, procs):
    srv = start_server()
    before = known_peers(srv)
    t = plain_on_tty(procs, tmp_path, srv)
    t.type(b"quite\nquit now\n quit\nquit\nafter\n")
    assert t.wait(15)[0] == 0
    assert only_connection(srv, before) == ["quite", "quit now", " quit"]


def test_logclient_quit_from_a_pipe_is_an_ordinary_message(start_server, tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], tmp_path, input=b"a\nquit\nb\nquit")
    assert res.returncode == 0, res.stderr
    assert only_connection(srv, before) == ["a", "quit", "b", "quit"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_logclient_signal_ends_it_after_sending_what_was_read(start_server, tmp_path, procs,
                                                              sig):
    srv = start_server()
    before = known_peers(srv)
    p = plain_on_pipe(procs, tmp_path, srv)
    p.stdin.write(b"read before the signal\n")
    p.stdin.flush()
    srv.wait_records(lambda rs: ["read before the signal"] in client_records(srv, before)
                     .values())
    p.send_signal(sig)
    # Ctrl-C's status is 130, as for any interrupted command; SIGTERM's 0.
    assert p.wait(15) == (130 if sig == signal.SIGINT else 0), p.stderr.read()
    peers = client_records(srv, before)
    assert list(peers.values()) == [["read before the signal"]]
    peer = next(iter(peers))
    # exit 0: the server has already written the disconnect
    assert [r.event for r in events(srv.records(), "disconnect %s " % peer)] == \
        ["disconnect %s messages=1 truncated=0" % peer]


def test_logclient_plain_line_after_the_server_stopped_is_reported_not_lost(start_server,
                                                                            tmp_path, procs):
    srv = start_server()
    before = known_peers(srv)
    p = plain_on_pipe(procs, tmp_path, srv)
    p.stdin.write(b"before the stop\n")
    p.stdin.flush()
    srv.wait_records(lambda rs: ["before the stop"] in client_records(srv, before).values())
    assert srv.stop() == 0
    p.stdin.write(b"after the stop\n")
    p.stdin.flush()                 # stdin stays open: the dead connection alone must end it
    assert p.wait(15) == 1
    err = p.stderr.read().decode()
    assert err.count("\n") == 1 and "the server closed the connection" in err \
        and "not sent" in err, err


def test_logclient_plain_gives_up_on_a_server_that_stops_reading(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        line = b"y" * 1023 + b"\n"
        f.write(line * (64 * 1024))         # 64 MiB: more than the socket buffers hold
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)                       # accepted by the kernel, never read
        t0 = time.monotonic()
        with open(big, "rb") as f:
            res = subprocess.run([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p",
                                  str(lst.getsockname()[1]), "--timeout", "1"], stdin=f,
                                 capture_output=True, timeout=60, cwd=str(tmp_path))
        took = time.monotonic() - t0
    assert res.returncode == 1
    line = one_stderr_line(res, "logclient")
    assert "took nothing for --timeout 1 s" in line, line
    assert took < 10, took


def test_logclient_plain_waits_for_the_servers_close_no_longer_than_its_timeout(tmp_path):
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)                       # takes the bytes, never closes
        t0 = time.monotonic()
        res = subprocess.run([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1", "-p",
                              str(lst.getsockname()[1]), "--timeout", "1", "one", "line"],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                             cwd=str(tmp_path))
        took = time.monotonic() - t0
    assert res.returncode == 1
    line = one_stderr_line(res, "logclient")
    assert "did not close the connection within --timeout 1 s" in line, line
    assert 0.9 < took < 10, took


def test_logclient_connects_over_ipv6(start_server, tmp_path):
    srv = start_server(host="::1")
    before = known_peers(srv)
    res = run_client(["-H", "::1", "-p", srv.port, "via", "ipv6"], tmp_path)
    assert res.returncode == 0, res.stderr
    got = client_records(srv, before)
    assert list(got.values()) == [["via ipv6"]]
    assert next(iter(got)).startswith("[::1]:")


def test_logclient_exits_1_with_one_stderr_line_when_nothing_listens(tmp_path):
    port = free_port()
    res = run_client(["-H", "127.0.0.1", "-p", port, "hello"], tmp_path)
    assert res.returncode == 1
    one_stderr_line(res, "logclient")
    res = run_client(["-H", "127.0.0.1", "-p", port], tmp_path, input=b"a\nb\n")
    assert res.returncode == 1
    one_stderr_line(res, "logclient")


def test_logclient_usage_error_exits_2(tmp_path):
    res = run_client(["--no-such-option"], tmp_path)
    assert res.returncode == 2
    one_stderr_line(res, "logclient")


def test_logclient_help_and_version_exit_0(tmp_path):
    res = run_client(["--help"], tmp_path)
    assert res.returncode == 0 and res.stdout.startswith(b"usage: logclient")
    res = run_client(["--version"], tmp_path)
    assert res.returncode == 0 and res.stdout.startswith(b"logclient ")


def test_logclient_reads_logclient_conf_in_cwd(start_server, tmp_path):
    srv = start_server()
    cwd = tmp_path / "client"
    cwd.mkdir()
    (cwd / "logclient.conf").write_text("# where the server is\nhost = 127.0.0.1\n"
                                        "port = %d\n" % srv.port)
    before = known_peers(srv)
    res = run_client(["from", "conf"], cwd)
    assert res.returncode == 0, res.stderr
    assert only_connection(srv, before) == ["from conf"]


def test_logclient_command_line_wins_over_config_file(start_server, tmp_path):
    srv = start_server()
    conf = tmp_path / "wrong.conf"
    conf.write_text("host = 127.0.0.1\nport = %d\n" % free_port())   # nothing listens there
    res = run_client(["-c", conf, "x"], tmp_path)
    assert res.returncode == 1, "the file's port must be used when -p is omitted"
    before = known_peers(srv)
    res = run_client(["-c", conf, "-p", srv.port, "cmdline", "wins"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert only_connection(srv, before) == ["cmdline wins"]


def test_logclient_bad_config_exits_1_with_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("host = 127.0.0.1\nport = many\n")
    res = run_client(["-c", conf, "x"], tmp_path)
    assert res.returncode == 1
    assert one_stderr_line(res, "logclient").startswith("logclient: %s:2: " % conf)


def test_logclient_many_lines_all_recorded_in_order(start_server, tmp_path):
    srv = start_server()
    before = known_peers(srv)
    lines = [b"bulk %05d %s" % (i, b"=" * (i % 100)) for i in range(20000)]
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], tmp_path,
                     input=b"\n".join(lines) + b"\n", timeout=60)
    assert res.returncode == 0, res.stderr
    assert only_connection(srv, before) == [x.decode() for x in lines]


def test_logclient_message_that_looks_like_octet_count_stays_one_record(start_server,
                                                                        tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port, "10", "<b>bold</b>", "text"],
                     tmp_path)
    assert res.returncode == 0
    assert only_connection(srv, before) == ["10 <b>bold</b> text"]


def test_logclient_stdin_line_that_looks_like_octet_count_stays_one_record(start_server,
                                                                           tmp_path):
    srv = start_server()
    before = known_peers(srv)
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], tmp_path,
                     input=b"3 <x> three\nnext\n")
    assert res.returncode == 0
    assert only_connection(srv, before) == ["3 <x> three", "next"]


def test_logclient_line_longer_than_its_buffer_is_sent_whole(start_server, tmp_path):
    srv = start_server("--max-line", "200000")
    before = known_peers(srv)
    big = b"L" * 150000
    res = run_client(["-H", "127.0.0.1", "-p", srv.port], tmp_path,
                     input=big + b"\nshort\n")
    assert res.returncode == 0
    assert only_connection(srv, before) == [big.decode(), "short"]


def test_logclient_quit_typed_without_newline_before_ctrl_d_stops(start_server, tmp_path,
                                                                  procs):
    srv = start_server()
    before = known_peers(srv)
    t = plain_on_tty(procs, tmp_path, srv)
    t.type(b"a\nquit")
    t.eof()                     # the first Ctrl-D hands over "quit", the second is EOF
    t.eof()
    assert t.wait(15)[0] == 0
    assert only_connection(srv, before) == ["a"]


def tcp_states(local_port, remote_port):
    """States (hex, as in /proc/net/tcp) of the IPv4 sockets local_port -> remote_port."""
    states = []
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16) == local_port and
                    int(fields[2].split(":")[1], 16) == remote_port):
                states.append(fields[3])
    return states


def test_logclient_fails_when_server_closed_before_messages_were_sent(tmp_path, procs):
    # A peer that closes its side at once and never reads stands for a server
    # that refused or dropped the connection without the RST reaching us.
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        lst.settimeout(15)
        p = procs.popen([CLIENT, *CLIENT_PLAIN, "-H", "127.0.0.1",
                         "-p", str(lst.getsockname()[1])],
                        cwd=str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
        conn, addr = lst.accept()
        with conn:
            conn.shutdown(socket.SHUT_WR)
            # 08 = CLOSE_WAIT: logclient's side has received the FIN
            wait_until(lambda: "08" in tcp_states(addr[1], lst.getsockname()[1]),
                       what="FIN at logclient")
            p.stdin.write(b"never confirmed\n")
            p.stdin.close()
            rc = p.wait(15)
    # exit status 1 (the connection broke), not just "not 0"; one line on stderr
    assert rc == 1, "logclient exited %s for a message nobody received" % rc
    err = p.stderr.read().decode(errors="replace")
    assert len(err.splitlines()) == 1 and err.startswith("logclient: "), err
