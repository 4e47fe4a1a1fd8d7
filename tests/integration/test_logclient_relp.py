"""logclient over RELP (its default): open with a session id and logserver_seq,
numbered syslog frames within --window, exit 0 only once every message is
acknowledged, reconnect and resend after a broken connection, skip what the
server says it has, give up after --retry-for, a refusal line is final,
--plain keeps the plain lines.

These tests talk to FakeRelp (logclient_relp_helpers.py), a small RELP
server in a thread of the test that records every frame and answers as each
test tells it; test_logclient_relp_server.py talks to the real logserver's
RELP listener and to rsyslog's imrelp."""
import re
import signal
import subprocess
import time

import pytest

from integration_helpers import (CLIENT, OnTty, free_port, wait_until)
from logclient_relp_helpers import (MSG_MAX, client_version, FakeRelp, check_frames,
                                    start_client, run_relp, send_lines,
                                    first_connection_loses_acks, quiet)


def test_arguments_go_as_one_syslog_frame_after_an_open_with_session_offers(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "hello,", "big", "world  x")
    assert rc == 0 and err == ""
    assert len(srv.conns) == 1
    c = srv.conns[0]
    assert c.frames[1:] == [(2, "syslog", b"hello, big world  x"), (3, "close", b"")]
    o = c.offers
    assert list(o) == ["relp_version", "relp_software", "commands", "logserver_session",
                       "logserver_seq"]
    assert o["relp_version"] == "0" and o["commands"] == "syslog"
    name, version, url = o["relp_software"].split(",")
    assert name == "logclient" and version == client_version() and "://" in url
    assert re.fullmatch(r"[0-9a-f]{32}", o["logserver_session"])
    assert o["logserver_seq"] == "1"
    assert c.got_close
    check_frames(srv, [b"hello, big world  x"])


def test_line_breaks_inside_arguments_become_spaces(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "send", "two\nlines", "in\r\none")
    assert rc == 0, err
    assert [d for _t, _s, d in srv.conns[0].syslog] == [b"two lines in  one"]


def test_stdin_lines_are_numbered_in_order_and_closed_after_the_last_ack(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port,
                          input=b"line one\nline two\r\n\ttabbed\n\n3 <x> three\n"
                                b"last without newline")
    assert rc == 0 and err == ""
    lines = [b"line one", b"line two", b"\ttabbed", b"", b"3 <x> three",
             b"last without newline"]
    c = srv.conns[0]
    assert [f[:2] for f in c.frames] == [(1, "open")] + [(i + 2, "syslog") for i in range(6)] \
        + [(8, "close")]
    check_frames(srv, lines)


def test_quit_typed_on_a_terminal_ends_the_input(procs, tmp_path):
    srv = FakeRelp(procs)
    t = OnTty(procs, [CLIENT, "-H", "127.0.0.1", "-p", srv.port], tmp_path)
    t.type(b"kept 1\nkept 2\nquit\nnot sent\n")     # no Ctrl-D: "quit" alone ends it
    assert t.wait(15)[0] == 0
    check_frames(srv, [b"kept 1", b"kept 2"])


def test_quit_from_a_pipe_is_an_ordinary_message(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"a\nquit\nb\n")
    assert rc == 0, err
    check_frames(srv, [b"a", b"quit", b"b"])


def test_every_run_has_its_own_session_id(procs, tmp_path):
    srv = FakeRelp(procs)
    for _ in range(2):
        assert run_relp(procs, tmp_path, srv.port, "x")[0] == 0
    ids = [c.offers["logserver_session"] for c in srv.conns]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_no_input_still_opens_and_closes(procs, tmp_path):
    srv = FakeRelp(procs)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"")
    assert rc == 0 and err == ""
    assert [f[:2] for f in srv.conns[0].frames] == [(1, "open"), (2, "close")]


def test_exit_waits_until_every_message_is_acknowledged(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port)
    p.stdin.write(b"a\nb\nc\n")
    p.stdin.close()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 3, what="three frames")
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting")
    assert p.poll() is None, "logclient ended before its messages were acknowledged"
    assert not c.got_close
    srv.release()
    assert p.wait(15) == 0
    assert c.got_close
    check_frames(srv, [b"a", b"b", b"c"])


def test_window_bounds_the_unacknowledged_messages(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    lines = [b"w %02d" % i for i in range(10)]
    p = start_client(procs, tmp_path, srv.port, "--window", 4)
    p.stdin.write(b"\n".join(lines) + b"\n")
    p.stdin.close()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) >= 4, what="a window of frames")
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting for answers")
    assert len(c.syslog) == 4
    srv.release()
    assert p.wait(15) == 0
    assert c.max_outstanding == 4
    check_frames(srv, lines)


def test_long_line_is_sent_as_messages_of_64_kib(procs, tmp_path):
    srv = FakeRelp(procs)
    big = bytes(range(32, 127)) * 1600      # 152000 bytes
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=big + b"\nshort\n")
    assert rc == 0, err
    got = [d for _t, _s, d in srv.conns[0].syslog]
    assert [len(d) for d in got] == [MSG_MAX, MSG_MAX, len(big) - 2 * MSG_MAX, 5]
    assert b"".join(got[:3]) == big


# --------------------------------------------------------------------------
# broken connections

def test_resends_what_was_not_acknowledged_after_the_server_drops_the_connection(procs,
                                                                                 tmp_path):
    def drop_fourth_of_first(c, k, seq, data):
        return "drop" if c.n == 0 and k == 3 else None
    srv = FakeRelp(procs, on_syslog=drop_fourth_of_first)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"r", 10)
    assert rc == 0 and err == ""
    first, second = srv.conns[0], srv.conns[1]
    assert first.seq0 == 1 and second.seq0 == 4
    assert [d for _t, _s, d in second.syslog] == lines[3:]
    assert len(srv.conns) == 2
    check_frames(srv, lines)


def test_skips_what_the_server_says_it_has_written(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=first_connection_loses_acks(3, 7), answer_seq=True)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"s", 12)
    assert rc == 0 and err == ""
    assert srv.conns[1].seq0 == 4           # the first it had no answer for
    later = [(seq, d) for c in srv.conns[1:] for _t, seq, d in c.syslog]
    assert [seq for seq, _d in later] == list(range(8, 13)), "4..7 were sent again"
    check_frames(srv, lines)


def test_without_logserver_seq_everything_unacknowledged_is_sent_again(procs, tmp_path):
    # a RELP server that is not logserver (rsyslog's imrelp) does not answer logserver_seq
    srv = FakeRelp(procs, on_syslog=first_connection_loses_acks(2, 4))
    rc, err, lines = send_lines(procs, tmp_path, srv, b"n", 8)
    assert rc == 0, err
    assert [seq for _t, seq, _d in srv.conns[1].syslog] == list(range(3, 9))
    check_frames(srv, lines)


def test_a_500_answer_makes_it_reconnect_and_send_again(procs, tmp_path):
    def disk_full_twice(c, k, seq, data):
        return ("500", "disk full") if c.n < 2 and seq == 2 else None
    srv = FakeRelp(procs, on_syslog=disk_full_twice, answer_seq=True)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"f", 4)
    assert rc == 0
    assert err == "logclient: server did not take message 2: disk full; retrying\n"
    assert [c.seq0 for c in srv.conns] == [1, 2, 2]
    assert [d for _t, _s, d in srv.conns[2].syslog] == lines[1:]
    check_frames(srv, lines)


@pytest.mark.parametrize("how", ["serverclose", "garbage", "wrong-txnr"])
def test_serverclose_or_a_bad_answer_breaks_the_connection(procs, tmp_path, how):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: how if c.n == 0 and k == 1
                   else None)
    rc, err, lines = send_lines(procs, tmp_path, srv, b"b", 5)
    assert rc == 0 and err == ""
    assert srv.conns[1].seq0 == 2
    check_frames(srv, lines)


def test_a_silent_server_is_left_after_timeout_and_the_messages_sent_again(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "silent" if c.n == 0 else None)
    rc, err, secs = run_relp(procs, tmp_path, srv.port, "--timeout", 1, input=b"q1\nq2\n")
    assert rc == 0 and err == ""
    assert secs >= 1.0
    assert srv.conns[1].seq0 == 1
    check_frames(srv, [b"q1", b"q2"])


# --------------------------------------------------------------------------
# failures

def test_gives_up_after_retry_for_when_nothing_listens(procs, tmp_path):
    port = free_port()
    rc, err, secs = run_relp(procs, tmp_path, port, "--retry-for", 1, input=b"a\nb\nc\n")
    assert rc == 1
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "cannot connect to 127.0.0.1 port %d" % port in lines[0]
    assert "--retry-for 1 s" in lines[0]
    assert lines[1] == "logclient: 3 of 3 messages were not acknowledged by 127.0.0.1:%d" % port
    assert 1.0 <= secs < 10


def test_gives_up_when_the_server_goes_away_for_longer_than_retry_for(procs, tmp_path):
    def vanish(c, k, seq, data):
        if k == 2:
            srv.stop_listening()
            return "drop"
        return None
    srv = FakeRelp(procs, on_syslog=vanish)
    rc, err, secs = run_relp(procs, tmp_path, srv.port, "--retry-for", 1,
                             input=b"1\n2\n3\n4\n5\n")
    assert rc == 1
    assert err.splitlines()[-1] == \
        "logclient: 3 of 5 messages were not acknowledged by 127.0.0.1:%d" % srv.port
    assert secs < 10


def test_a_refusal_line_is_final(procs, tmp_path):
    srv = FakeRelp(procs, refuse=b"logserver: refused: too many clients (--max-clients 1)\n")
    rc, err, _ = run_relp(procs, tmp_path, srv.port, input=b"a\n")
    assert rc == 1
    lines = err.splitlines()
    assert lines[0] == ("logclient: the server refused the messages: logserver: refused: "
                        "too many clients (--max-clients 1)")
    # the refusal may come before logclient has read its standard input
    assert lines[1:] in ([], ["logclient: 1 of 1 messages were not acknowledged by "
                              "127.0.0.1:%d" % srv.port])
    assert len(srv.conns) == 1, "a refusal must not be retried"


def test_a_server_without_the_syslog_command_is_final(procs, tmp_path):
    srv = FakeRelp(procs, open_reply=b"relp_version=0\ncommands=eventlog")
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "x")
    assert rc == 1
    assert "commands=syslog" in err.splitlines()[0]
    assert len(srv.conns) == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_reading_but_waits_for_the_acks(procs, tmp_path, sig):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port)
    p.stdin.write(b"read before the signal\n")
    p.stdin.flush()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 1 and quiet(p, c, srv), what="the frame")
    p.send_signal(sig)
    p.stdin.write(b"written after the signal\n")
    p.stdin.flush()
    wait_until(lambda: quiet(p, c, srv), what="logclient waiting")
    assert p.poll() is None
    srv.release()
    # Every message acknowledged: 0 after SIGTERM; Ctrl-C's status is 130.
    assert p.wait(15) == (130 if sig == signal.SIGINT else 0), p.stderr.read()
    assert c.got_close
    check_frames(srv, [b"read before the signal"])


def test_after_a_signal_unacknowledged_messages_get_retry_for_seconds(procs, tmp_path):
    srv = FakeRelp(procs, on_syslog=lambda c, k, seq, data: "hold")
    p = start_client(procs, tmp_path, srv.port, "--retry-for", 1)
    p.stdin.write(b"never acknowledged\n")
    p.stdin.flush()
    c = srv.conn(0)
    wait_until(lambda: len(c.syslog) == 1, what="the frame")
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    _out, err = p.communicate(timeout=15)
    assert p.returncode == 1
    assert time.monotonic() - t0 >= 0.9
    assert err.decode().splitlines()[-1] == \
        "logclient: 1 of 1 messages were not acknowledged by 127.0.0.1:%d" % srv.port


# --------------------------------------------------------------------------
# options

def test_help_tells_the_relp_options(tmp_path):
    out = subprocess.run([CLIENT, "--help"], capture_output=True, timeout=10, cwd=str(tmp_path))
    assert out.returncode == 0
    text = out.stdout.decode()
    for word in ("--plain", "--retry-for SECONDS", "--window N", "2514", "5140", "RELP"):
        assert word in text, word


@pytest.mark.parametrize("args", [["--window", "0"], ["--window", "1025"],
                                  ["--retry-for", "-1"], ["--retry-for", "86401"]])
def test_out_of_range_relp_options_are_refused(tmp_path, args):
    res = subprocess.run([CLIENT] + args + ["x"], capture_output=True, timeout=10,
                         cwd=str(tmp_path), stdin=subprocess.DEVNULL)
    assert res.returncode in (1, 2)
    assert res.stderr.decode().startswith("logclient: ")
