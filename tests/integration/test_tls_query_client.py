"""logclient list, fetch (with --resume) and follow over TLS (--tls with a
server running --query-tls on): the same answers as in plain text, and a
certificate that does not check out is one clear line and exit status 1."""
import subprocess
import time

from integration_helpers import CLIENT, events, one_stderr_line, run_client, wait_until
from test_tls_relp_query import pki, query_tls_server  # noqa: F401 -- fixtures

PLANTED = "logserver-20250101T000000Z-00000001.log"


def planted_server(query_tls_server, tmp_path):    # noqa: F811
    logdir = tmp_path / "logs"
    logdir.mkdir()
    data = b"".join(b"2025-01-01T00:00:00.000Z 10.0.0.1:514 planted line %06d\n" % i
                    for i in range(6000))
    (logdir / PLANTED).write_bytes(data)
    srv = query_tls_server("--on-start", "new")
    srv.data = data
    return srv


def wait_audit(srv, text):
    """The first query audit event that contains text."""
    def find(recs):
        return [e.event for e in events(recs, "query 127.0.0.1:") if text in e.event]
    return find(srv.wait_records(find, what="a query audit event with %r" % text))[0]


def tls_args(srv, pki, ca="ca"):                    # noqa: F811
    return ["--tls", "-H", "127.0.0.1", "--query-port", srv.query_port, "--ca", pki[ca],
            "--cert", pki["good"], "--key", pki["good_key"], "--timeout", "10"]


def test_logclient_list_over_tls_names_every_file(query_tls_server, pki, tmp_path):  # noqa: F811
    srv = planted_server(query_tls_server, tmp_path)
    res = run_client(tls_args(srv, pki) + ["list"], tmp_path, plain=False)
    assert res.returncode == 0, res.stderr
    assert PLANTED.encode() in res.stdout
    assert srv.files()[-1].name.encode() in res.stdout


def test_logclient_fetch_over_tls_and_resume_are_byte_identical(query_tls_server, pki,  # noqa: F811
                                                                 tmp_path):
    srv = planted_server(query_tls_server, tmp_path)
    out = tmp_path / "copy.log"
    res = run_client(tls_args(srv, pki) + ["fetch", PLANTED, "-o", out], tmp_path, plain=False)
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == srv.data
    with open(out, "r+b") as f:                     # an interrupted copy ...
        f.truncate(len(srv.data) // 3)
    res = run_client(tls_args(srv, pki) + ["fetch", PLANTED, "-o", out, "--resume"], tmp_path,
                     plain=False)
    assert res.returncode == 0, res.stderr
    assert "resumed" in one_stderr_line(res, "logclient")
    assert out.read_bytes() == srv.data            # ... completed, not fetched again
    audit = wait_audit(srv, "FETCH %s offset=%d " % (PLANTED, len(srv.data) // 3))
    assert "tls peer=client1.example.com" in audit


def test_logclient_follow_over_tls_prints_new_records(query_tls_server, pki, tmp_path,  # noqa: F811
                                                      procs):
    srv = query_tls_server()
    outp = tmp_path / "follow.out"
    with open(outp, "wb") as f:
        p = procs.popen([CLIENT] + [str(a) for a in tls_args(srv, pki)] + ["follow"],
                        cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=f,
                        stderr=subprocess.PIPE)
    wait_audit(srv, "FOLLOW ")
    srv.send(b"followed over tls\n")
    wait_until(lambda: b"followed over tls" in outp.read_bytes(), what="the record on stdout")
    p.terminate()
    assert p.wait(15) == 0
    assert p.stderr.read() == b""


def test_logclient_query_with_the_wrong_ca_is_one_line_and_exit_1(query_tls_server, pki,  # noqa: F811
                                                                  tmp_path):
    srv = query_tls_server()
    for op in (["list"], ["fetch", PLANTED, "-o", tmp_path / "x"], ["follow"]):
        t0 = time.monotonic()
        res = run_client(tls_args(srv, pki, ca="other_ca") + op, tmp_path, plain=False)
        assert res.returncode == 1, (op, res.stderr)
        line = one_stderr_line(res, "logclient")
        assert "TLS with 127.0.0.1:%d" % srv.query_port in line and "certificate" in line, line
        assert time.monotonic() - t0 < 10
    assert not (tmp_path / "x").exists()


def test_logclient_without_tls_against_a_tls_query_port_names_query_tls(query_tls_server,  # noqa: F811
                                                                        tmp_path):
    srv = query_tls_server()
    res = run_client(["-H", "127.0.0.1", "--query-port", srv.query_port, "list"], tmp_path,
                     plain=False)
    assert res.returncode == 1
    line = one_stderr_line(res, "logclient")
    assert "--tls" in line, line



def test_logclient_query_with_a_refused_client_certificate_names_the_alert(
        query_tls_server, pki, tmp_path):                               # noqa: F811
    srv = query_tls_server()
    base = ["--tls", "-H", "127.0.0.1", "--query-port", srv.query_port, "--ca", pki["ca"]]
    for cert, alert in ((None, "certificate required"), ("rogue", "unknown ca"),
                        ("expired", "certificate expired")):
        args = base + (["--cert", pki[cert], "--key", pki[cert + "_key"]] if cert else [])
        res = run_client(args + ["list"], tmp_path, plain=False)
        assert res.returncode == 1, (cert, res.stderr)
        line = one_stderr_line(res, "logclient")
        assert "TLS with 127.0.0.1:%d" % srv.query_port in line and alert in line, line
