"""Every bad request gets its ERR reply, and no request reads outside the log
directory: a secret file is planted next to the log directory, with symbolic
links to it (and to a directory) inside, named like log files; then every
trick is tried, and the secret's bytes must never appear in a reply."""
import os
import re
import secrets
import socket

import pytest

from query_helpers import launch_server, logname

ERR_RE = re.compile(r"^ERR (badreq|denied|nofile|range|auth) \S.*$")
SECRET_TIME = "2031-05-05T05:05:05.555Z"

LINK_ABS = logname(0, "20250101T000000Z")       # -> /abs/path/secret.txt
LINK_REL = logname(0, "20250102T000000Z")       # -> ../secret.txt
LINK_DIR = logname(0, "20250103T000000Z")       # -> /etc
A_DIR = logname(0, "20250104T000000Z")          # a directory
STATIC = logname(0, "20250105T000000Z")         # a regular file of known size
STATIC_DATA = b"".join(b"2025-01-05T00:00:%02d.000Z 10.2.2.2:514 static %02d\n" % (i, i)
                       for i in range(40))


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory, module_procs):
    base = tmp_path_factory.mktemp("badreq")
    e = Env()
    e.marker = "TOPSECRET-" + secrets.token_hex(12)
    e.secret = base / "secret.txt"
    e.secret.write_text("".join("%s 6.6.6.6:666 %s line %d\n" % (SECRET_TIME, e.marker, i)
                                for i in range(50)))
    e.srv = launch_server(module_procs, base)
    logdir = e.srv.logdir
    # Planted after start-up, so the server never picks one as its current file.
    os.symlink(str(e.secret), logdir / LINK_ABS)
    os.symlink("../secret.txt", logdir / LINK_REL)
    os.symlink("/etc", logdir / LINK_DIR)
    (logdir / A_DIR).mkdir()
    (logdir / STATIC).write_bytes(STATIC_DATA)
    e.srv.planted.update({LINK_ABS, LINK_REL, LINK_DIR, A_DIR, STATIC})
    e.own = e.srv.own_files()[-1].name
    yield e
    module_procs.cleanup()


def expand(env, req):
    size = len(STATIC_DATA)
    return (req.replace(b"{static}", STATIC.encode())
            .replace(b"{own}", env.own.encode())
            .replace(b"{logdir}", str(env.srv.logdir).encode())
            .replace(b"{secret}", str(env.secret).encode())
            .replace(b"{size}", b"%d" % size)
            .replace(b"{size1}", b"%d" % (size + 1))
            .replace(b"{link}", LINK_ABS.encode())
            .replace(b"{rellink}", LINK_REL.encode())
            .replace(b"{dirlink}", LINK_DIR.encode())
            .replace(b"{dir}", A_DIR.encode()))


# (test id, request line without LF, expected error code, the name-check refusal event?)
CASES = [
    ("dotdot", b"FETCH ../secret.txt", "denied", True),
    ("dotdot_deep", b"FETCH ../../../../../../../../etc/passwd", "denied", True),
    ("traversal_as_long_as_a_log_name", b"FETCH ./" + b"../" * 9 + b"secret.txt", "denied", True),
    ("absolute_secret", b"FETCH {secret}", "denied", True),
    ("absolute_etc_passwd", b"FETCH /etc/passwd", "denied", True),
    ("absolute_path_of_own_file", b"FETCH {logdir}/{own}", "denied", True),
    ("dot_slash_own_file", b"FETCH ./{own}", "denied", True),
    ("sum_dotdot", b"SUM ../secret.txt 0 10", "denied", True),
    ("follow_dotdot", b"FOLLOW ../secret.txt START", "denied", True),
    ("lock_file", b"FETCH .logserver.lock", "denied", True),
    ("lock_file_sum", b"SUM .logserver.lock 0 0", "denied", True),
    ("lock_file_follow", b"FOLLOW .logserver.lock START", "denied", True),
    ("impossible_month", b"FETCH logserver-20261301T000000Z-00000001.log", "denied", True),
    ("other_extension", b"FETCH logserver-20260101T000000Z-00000001.LOG", "denied", True),
    ("symlink_absolute", b"FETCH {link}", "denied", False),
    ("symlink_relative", b"FETCH {rellink}", "denied", False),
    ("symlink_with_offset", b"FETCH {link} 10", "denied", False),
    ("symlink_sum", b"SUM {link} 0 10", "denied", False),
    ("symlink_follow", b"FOLLOW {rellink} START", "denied", False),
    ("symlink_to_directory", b"FETCH {dirlink}", "denied", False),
    ("directory", b"FETCH {dir}", "denied", False),
    ("nul_after_name", b"FETCH {static}\x00/../../secret.txt", "badreq", False),
    ("nul_inside_name", b"FETCH logserver-20250105T000000Z\x00../../secret.txt", "badreq", False),
    ("nul_only", b"\x00", "badreq", False),
    ("line_of_1025_bytes", b"LIST" + b" " * 1021, "badreq", False),
    ("sum_over_16_mib", b"SUM {static} 0 16777217", "range", False),
    ("sum_huge_length", b"SUM {static} 0 4611686018427387904", "range", False),
    ("sum_length_beyond_2_62", b"SUM {static} 0 99999999999999999999999", "badreq", False),
    ("sum_past_end", b"SUM {static} {size} 1", "range", False),
    ("sum_offset_past_end", b"SUM {static} {size1} 0", "range", False),
    ("sum_missing_length", b"SUM {static} 0", "badreq", False),
    ("fetch_offset_past_end", b"FETCH {static} {size1}", "range", False),
    ("fetch_negative_offset", b"FETCH {static} -1", "badreq", False),
    ("fetch_hex_offset", b"FETCH {static} 0x10", "badreq", False),
    ("follow_offset_past_end", b"FOLLOW {static} OFFSET {size1}", "range", False),
    ("follow_unknown_start", b"FOLLOW {static} MIDDLE", "badreq", False),
    ("missing_file", b"FETCH logserver-20260101T000000Z-00000042.log", "nofile", False),
    ("missing_file_sum", b"SUM logserver-20260101T000000Z-00000042.log 0 0", "nofile", False),
    ("missing_file_follow", b"FOLLOW logserver-20260101T000000Z-00000042.log", "nofile", False),
    ("unknown_command", b"GET /etc/passwd HTTP/1.0", "badreq", False),
    ("lowercase_command", b"list", "badreq", False),
    ("empty_line", b"", "badreq", False),
    ("tab_separator", b"FETCH\t{static}", "badreq", False),
    ("list_with_argument", b"LIST everything", "badreq", False),
    ("fetch_without_name", b"FETCH", "badreq", False),
    ("too_many_words", b"FETCH {static} 0 0 0 0", "badreq", False),
    ("quit_with_argument", b"QUIT now", "badreq", False),
]


def assert_no_secret(env, data):
    text = bytes(data)
    assert env.marker.encode() not in text, "the secret leaked: %r" % text[:300]
    assert SECRET_TIME.encode() not in text, "the secret's record time leaked"
    assert b"root:" not in text, "/etc/passwd leaked"


@pytest.mark.parametrize("req,code,logged", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_request_gets_its_error_reply_and_the_session_goes_on(env, req, code, logged):
    with env.srv.query() as q:
        reply = q.request(expand(env, req))
        assert ERR_RE.match(reply), reply
        assert reply.startswith("ERR %s " % code), reply
        # The connection stays usable after an error that is not about authentication.
        assert q.request("SUM %s 0 %d" % (STATIC, len(STATIC_DATA))).startswith("OK ")
        assert q.request("QUIT") == "OK bye"
        assert q.closed_by_server()
        assert_no_secret(env, q.received)
        if logged:
            env.srv.wait_event("query %s: refused request: " % q.local)


@pytest.mark.parametrize("req,code", [
    (b"FETCH " + b"../" * 40000 + b"secret.txt", "badreq"),
    (b"LIST" + b" " * 1022, "badreq"),
    (b"AUTH " + b"x" * 600, "auth"),
], ids=["line_of_120_kb", "line_of_1026_bytes_without_its_end_seen", "token_over_512_bytes"])
def test_request_that_ends_the_connection_gets_its_error_reply_first(env, req, code):
    with env.srv.query() as q:
        try:
            q.send(req + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass                        # the server may close before reading it all
        reply = q.line()
        assert reply.startswith("ERR %s " % code) and ERR_RE.match(reply), reply
        assert q.closed_by_server()
        assert_no_secret(env, q.received)


def test_line_of_exactly_1024_bytes_and_crlf_line_ends_are_accepted(env):
    with env.srv.query() as q:
        head = q.request(b"LIST" + b" " * 1020)
        assert head.startswith("OK "), head
        for _ in range(int(head[3:])):
            q.line()
        q.send(b"SUM %s 0 0\r\n" % STATIC.encode())
        assert q.line().startswith("OK ")
        assert q.request("  SUM   %s  0  0  " % STATIC).startswith("OK "), \
            "repeated spaces separate words"


def test_list_leaves_out_links_and_directories_and_never_shows_the_secret(env):
    with env.srv.query() as q:
        head = q.request("LIST")
        n = int(head[3:])
        lines = [q.line() for _ in range(n)]
        assert_no_secret(env, q.received)
    by_name = {l.split(" ")[0]: l for l in lines}
    # Only the server's own regular files are its log files (issue 10): a
    # symlink or directory named like one is not listed.
    for name in (LINK_ABS, LINK_REL, LINK_DIR, A_DIR):
        assert name not in by_name
    assert by_name[STATIC] == "%s %d 2025-01-05T00:00:00.000Z 2025-01-05T00:00:39.000Z" % (
        STATIC, len(STATIC_DATA))
    assert ".logserver.lock" not in " ".join(by_name)


def test_fetch_of_the_static_file_is_exact_and_the_secret_never_shows(env):
    with env.srv.query() as q:
        assert q.request("FETCH %s" % STATIC) == "OK %d" % len(STATIC_DATA)
        assert q.exact(len(STATIC_DATA)) == STATIC_DATA
        assert q.request("FETCH %s 1000" % STATIC) == "OK %d" % (len(STATIC_DATA) - 1000)
        assert q.exact(len(STATIC_DATA) - 1000) == STATIC_DATA[1000:]
        assert q.request("FETCH %s %d" % (STATIC, len(STATIC_DATA))) == "OK 0"
        assert_no_secret(env, q.received)
    assert env.srv.proc.poll() is None


def test_symlink_refusal_is_recorded_as_an_event(env):
    with env.srv.query() as q:
        assert q.request("FETCH %s" % LINK_ABS).startswith("ERR denied ")
        # A later refusal on the same connection: once its event is there, any
        # event of the first one (same process, earlier) is there too.
        assert q.request("FETCH ../after-the-link").startswith("ERR denied ")
        env.srv.wait_event("query %s: refused request: '../after-the-link'" % q.local)
        evs = env.srv.events("query %s: " % q.local)
    assert any(LINK_ABS in e for e in evs), evs


def test_fifo_named_like_a_log_file_is_refused_without_hanging(start_server, procs):
    srv = start_server()
    fifo = srv.logdir / logname(0, "20250106T000000Z")
    os.mkfifo(fifo)
    srv.planted.add(fifo.name)

    def unblock():
        # Opening the writing end releases a reader blocked in open().
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
    procs.on_cleanup(unblock)
    with srv.query(timeout=2) as q:
        try:
            reply = q.request("FETCH %s" % fifo.name)
        except socket.timeout:
            reply = "(no reply within 2 s)"
        assert reply.startswith("ERR denied "), reply
