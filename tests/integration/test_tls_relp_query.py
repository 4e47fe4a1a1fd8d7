"""RELP over TLS (--relp-tls-port) and the query service over TLS (--query-tls on):
logclient's RELP sender over TLS, its acknowledgements and its refusals; the
certificate name in RELP records and query audit events; plain clients on those
ports. (rsyslog's omrelp tls="on" is in tests/interop/test_interop_tls.py.)"""
import json
import socket
import ssl
import sys
from pathlib import Path

import pytest

from integration_helpers import events, free_port, one_stderr_line, run_client, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import tls_certs  # noqa: E402


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_certs.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def relp_tls_server(start_server, pki):
    def start(*args):
        rport = free_port()
        srv = start_server("--tls-port", "0", "--relp-tls-port", rport,
                           "--tls-cert", pki["server"], "--tls-key", pki["server_key"],
                           "--tls-ca", pki["ca"], *args)
        srv.relp_tls_port = rport
        return srv
    return start


def relp_tls_client(srv, pki, *args, cert="good", input=None):
    argv = ["--tls", "-H", "127.0.0.1", "-p", srv.relp_tls_port, "--ca", pki["ca"],
            "--retry-for", "0"]
    if cert:
        argv += ["--cert", pki[cert], "--key", pki[cert + "_key"]]
    return run_client(argv + list(args), Path(pki["ca"]).parent, input=input, plain=False)


def test_logclient_relp_over_tls_is_acknowledged_with_the_certificate_name_in_records(
        relp_tls_server, pki):
    srv = relp_tls_server("--format", "json")
    lines = b"".join(b"<13>Dec  3 06:00:00 host1 app: tls message %d\n" % i for i in range(300))
    res = relp_tls_client(srv, pki, input=lines)
    assert res.returncode == 0, res.stderr
    recs = [json.loads(line) for f in srv.files() for line in f.read_text().splitlines()]
    got = [r for r in recs if r.get("transport") == "relp-tls"]
    # Exit 0 means every message was acknowledged, so every record is in the file.
    assert [r["msg"] for r in got] == ["tls message %d" % i for i in range(300)]
    assert {r["tls_peer"] for r in got} == {"client1.example.com"}
    assert any("relp-tls peer=client1.example.com" in (r.get("msg") or "") for r in recs)


def test_relp_over_tls_refuses_a_certificate_from_another_ca_and_logclient_says_why(
        relp_tls_server, pki):
    srv = relp_tls_server()
    res = relp_tls_client(srv, pki, "one message", cert="rogue")
    assert res.returncode == 1
    assert "unknown ca" in res.stderr.decode()
    ev = srv.wait_event("refused tls 127.0.0.1:")
    assert "certificate verify failed" in ev[0].event
    assert not [r for r in srv.records() if r.msg.endswith("one message")]


def test_logclient_relp_over_tls_checks_the_servers_name(relp_tls_server, pki):
    srv = relp_tls_server()
    res = relp_tls_client(srv, pki, "--tls-server-name", "other.example.com", "x")
    assert res.returncode == 1
    first = res.stderr.decode().splitlines()[0]
    assert "(server name other.example.com): TLS handshake failed: certificate verify " \
           "failed: hostname mismatch" in first


def plain_exchange(port, data):
    """Sends data in plain TCP and returns all the server said until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        said = b""
        while True:
            b = s.recv(4096)
            if not b:
                return said
            said += b


def test_plain_relp_on_the_relp_tls_port_is_refused_with_a_line(relp_tls_server):
    srv = relp_tls_server()
    said = plain_exchange(srv.relp_tls_port,
                          b"1 open 85 relp_version=0\nrelp_software=x\ncommands=syslog\n")
    assert said.startswith(b"logserver: refused: this is the RELP over TLS port; plain RELP")
    srv.wait_event("refused tls 127.0.0.1:")


def test_relp_tls_port_without_a_certificate_is_a_start_up_error(tmp_path):
    from integration_helpers import run_server
    res = run_server(["-p", free_port(), "--relp-tls-port", free_port(), "-d", tmp_path / "l"],
                     tmp_path)
    assert res.returncode == 1
    assert "--relp-tls-port) needs the server's certificate (--tls-cert" in one_stderr_line(res)


# ---------------------------------------------------------------- the query port over TLS

@pytest.fixture
def query_tls_server(start_server, pki):
    def start(*args):
        qport = free_port()
        srv = start_server("--tls-port", "0", "--query-port", qport, "--query-bind", "127.0.0.1",
                           "--query-tls", "on", "--tls-cert", pki["server"],
                           "--tls-key", pki["server_key"], "--tls-ca", pki["ca"], *args)
        srv.query_port = qport
        return srv
    return start


def query_over_tls(port, pki, request, cert="good"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki["ca"]))
    if cert:
        ctx.load_cert_chain(str(pki[cert]), str(pki[cert + "_key"]))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            greeting = b""
            while not greeting.endswith(b"\n"):     # a client speaks only after it
                b = s.recv(1)
                if not b:
                    break
                greeting += b
            assert greeting == b"OK logserver-query 1\n", greeting
            s.sendall(request)
            out = b""
            while not out.endswith(b"\n") or b"OK bye" not in out:
                b = s.recv(65536)
                if not b:
                    break
                out += b
    return out


def test_list_and_fetch_over_tls_answer_and_the_audit_event_names_the_certificate(
        query_tls_server, pki):
    srv = query_tls_server()
    name = srv.files()[0].name
    out = query_over_tls(srv.query_port, pki, b"LIST\nFETCH %s\nQUIT\n" % name.encode())
    assert name.encode() in out and out.endswith(b"OK bye\n")
    assert b"logserver[" in out      # the file's bytes: the start record
    wait_until(lambda: events(srv.records(), "query 127.0.0.1:"), what="a query audit event")
    ev = [e.event for e in events(srv.records(), "query 127.0.0.1:")]
    assert any(" tls peer=client1.example.com: " in e for e in ev), ev


def test_a_query_client_without_a_certificate_is_refused_when_a_ca_is_set(query_tls_server,
                                                                          pki):
    srv = query_tls_server()
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        query_over_tls(srv.query_port, pki, b"LIST\nQUIT\n", cert=None)
    ev = srv.wait_event("refused tls 127.0.0.1:")
    assert "peer did not return a certificate" in ev[0].event


def test_plain_query_on_a_tls_query_port_gets_a_line_naming_tls(query_tls_server):
    srv = query_tls_server()
    said = plain_exchange(srv.query_port, b"LIST\n")
    assert b"this query port speaks TLS (--query-tls on): use logclient --tls" in said


# ---------------------------------------------------------------- SIGHUP reload

def server_der(port, pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki["ca"]))
    ctx.load_cert_chain(str(pki["good"]), str(pki["good_key"]))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.getpeercert(binary_form=True)


def test_sighup_reloads_the_certificate_for_new_connections_keeps_old_ones_and_a_bad_one(
        start_server, pki, tmp_path):
    import shutil
    import signal
    cert, key = tmp_path / "srv.pem", tmp_path / "srv.key"
    shutil.copy(pki["server"], cert)
    shutil.copy(pki["server_key"], key)
    tport = free_port()
    srv = start_server("--tls-port", tport, "--tls-cert", cert, "--tls-key", key,
                       "--tls-ca", pki["ca"])
    first = server_der(tport, pki)
    # A sender connected before the reload, still sending after it.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki["ca"]))
    ctx.load_cert_chain(str(pki["good"]), str(pki["good_key"]))
    raw = socket.create_connection(("127.0.0.1", tport), timeout=20)
    old = ctx.wrap_socket(raw, server_hostname="localhost")
    old.sendall(b"before reload\n")
    srv.wait_records(lambda rs: any(r.msg.endswith("before reload") for r in rs))

    tls_certs.server_cert(Path(pki["ca"]).parent, "server2")
    shutil.copy(Path(pki["ca"]).parent / "server2.pem", cert)
    shutil.copy(Path(pki["ca"]).parent / "server2.key", key)
    srv.proc.send_signal(signal.SIGHUP)
    srv.wait_event("reload: SIGHUP, TLS certificate, key and CA read again")
    second = server_der(tport, pki)
    assert second != first

    cert.write_text("not a certificate\n")
    srv.proc.send_signal(signal.SIGHUP)
    ev = srv.wait_event("reload: SIGHUP, TLS not reloaded, the old certificate stays in use:")
    assert "tls-cert" in ev[0].event
    assert server_der(tport, pki) == second     # still served, with the last good one

    old.sendall(b"after reload\n")
    old.unwrap()
    old.close()
    srv.wait_records(lambda rs: any(r.msg.endswith("after reload") for r in rs))


# ---------------------------------------------------------------- --tls-check-hostname

def send_tls_lines(port, pki, data):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki["ca"]))
    ctx.load_cert_chain(str(pki["good"]), str(pki["good_key"]))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(data)
            s.unwrap()      # the server closes once it has written everything


HOSTS = (b"<13>Dec  3 06:00:00 client1.example.com app: own full name\n"
         b"<13>Dec  3 06:00:00 client1 app: own short name\n"
         b"<13>Dec  3 06:00:00 intruder.example.com app: someone else\n"
         b"no header at all\n")


@pytest.mark.parametrize("mode", ["mark", "reject"])
def test_tls_check_hostname_marks_or_drops_a_hostname_not_in_the_certificate(
        start_server, pki, mode):
    tport = free_port()
    srv = start_server("--tls-port", tport, "--tls-cert", pki["server"],
                       "--tls-key", pki["server_key"], "--tls-ca", pki["ca"],
                       "--tls-check-hostname", mode, "--format", "json")
    send_tls_lines(tport, pki, HOSTS)

    def json_records():
        return [json.loads(line) for f in srv.files() for line in f.read_text().splitlines()]
    disc = wait_until(lambda: [r["msg"] for r in json_records()
                               if r["msg"].startswith("disconnect 127.0.0.1:")],
                      what="the disconnect record")[0]
    assert "messages=%d" % (4 if mode == "mark" else 3) in disc and "host_mismatch=1" in disc
    recs = json_records()
    got = {r["msg"]: r.get("tls_host_mismatch", False) for r in recs
           if r.get("transport") == "tls"}
    want = {"own full name": False, "own short name": False, "no header at all": False}
    if mode == "mark":
        want["someone else"] = True
    assert got == want
    ev = [r["msg"] for r in recs if "tls-check-hostname:" in (r.get("msg") or "")]
    assert len(ev) == 1 and "sent HOSTNAME 'intruder.example.com'" in ev[0]
    assert ("dropped and counted" if mode == "reject" else "marked tls-host-mismatch") in ev[0]


def test_tls_check_hostname_mark_in_text_records(start_server, pki):
    tport = free_port()
    srv = start_server("--tls-port", tport, "--tls-cert", pki["server"],
                       "--tls-key", pki["server_key"], "--tls-ca", pki["ca"],
                       "--tls-check-hostname", "mark")
    send_tls_lines(tport, pki, HOSTS)
    srv.wait_event("disconnect 127.0.0.1:")
    texts = [r.msg for r in srv.records() if r.msg.startswith("tls=")]
    sent = ' sent="Dec  3 06:00:00"'    # the old timestamp is kept in the text record
    assert "tls=client1.example.com tls-host-mismatch user.notice intruder.example.com app" \
           + sent + ": someone else" in texts
    assert "tls=client1.example.com user.notice client1 app" + sent + ": own short name" \
        in texts


# ---------------------------------------------------------------- 200 stalled handshakes

def test_200_stalled_handshakes_do_not_hold_up_a_good_sender_and_are_cut_at_the_deadline(
        start_server, pki):
    tport = free_port()
    srv = start_server("--tls-port", tport, "--tls-cert", pki["server"],
                       "--tls-key", pki["server_key"], "--tls-ca", pki["ca"],
                       "--tls-handshake-timeout", "10")
    stalled = []
    for i in range(200):       # from four addresses: under --max-per-ip 64 each
        s = socket.socket()
        s.settimeout(60)
        s.bind(("127.0.0.%d" % (20 + i % 4), 0))
        s.connect(("127.0.0.1", tport))
        if i % 2:
            s.sendall(b"\x16\x03\x01")      # half of them begin a record, then nothing
        stalled.append(s)
    wait_until(lambda: len(srv.children()) >= 200, what="200 handshake children", timeout=60)
    lines = b"".join(b"<13>Dec  3 06:00:00 client1.example.com app: good %d\n" % i
                     for i in range(1000))
    send_tls_lines(tport, pki, lines)
    # Served while all 200 still wait for their deadline: none was closed yet.
    srv.wait_records(lambda rs: sum(r.msg.endswith(" good 999") for r in rs) == 1)
    open_still = 0
    for s in stalled:
        s.setblocking(False)
        try:
            open_still += s.recv(1) != b""
        except BlockingIOError:
            open_still += 1
    assert open_still == 200, "the good sender was served only after stalled ones were cut"
    got = [r.msg for r in srv.records() if "\": good " in r.msg]
    assert len(got) == 1000
    for s in stalled:
        s.setblocking(True)
        s.settimeout(60)
        assert s.recv(100) == b""            # closed by the server at the deadline
        s.close()
    wait_until(lambda: len(srv.children()) <= 1, what="the 200 children gone", timeout=60)


# ---------------------------------------------------------------- openssl s_client

def test_openssl_s_client_as_a_sender_is_served_with_its_certificate_name(start_server, pki):
    import subprocess
    tport = free_port()
    srv = start_server("--tls-port", tport, "--tls-cert", pki["server"],
                       "--tls-key", pki["server_key"], "--tls-ca", pki["ca"])
    lines = b"".join(b"<13>Dec  3 06:00:00 client1.example.com app: s_client %d\n" % i
                     for i in range(50))
    res = subprocess.run(["openssl", "s_client", "-quiet", "-no_ign_eof", "-connect", "127.0.0.1:%d" % tport,
                          "-servername", "localhost", "-verify_return_error",
                          "-CAfile", str(pki["ca"]), "-cert", str(pki["good"]),
                          "-key", str(pki["good_key"])],
                         input=lines, capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    srv.wait_records(lambda rs: sum('": s_client ' in r.msg for r in rs) == 50)
    got = [r.msg for r in srv.records() if '": s_client ' in r.msg]
    assert got == ['tls=client1.example.com user.notice client1.example.com app '
                   'sent="Dec  3 06:00:00": s_client %d' % i for i in range(50)]
