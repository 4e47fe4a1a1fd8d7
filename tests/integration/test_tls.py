"""Syslog over TLS (RFC 5425) on --tls-port: each --tls-auth mode accepting and
refusing, the certificate name in the records, the handshake deadline, plain
text on the TLS port, start-up errors; logclient --plain --tls and its errors.
Certificates come from a throw-away CA made with openssl(1) (tests/common/tls_certs.py)."""
import json
import socket
import ssl
import sys
import time
from pathlib import Path

import pytest

from integration_helpers import (CLIENT, events, free_port, one_stderr_line, run_client,
                                 run_server, wait_until)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import tls_certs  # noqa: E402

SYSLOG = b"<13>Dec  3 06:00:00 host1 app[7]: "
# an old timestamp: the text record keeps it (sent="...") before the tag's ':'
SENT = ' sent="Dec  3 06:00:00"'


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_certs.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_server(start_server, pki):
    """tls_server(*args, auth=None) -> Server with .tls_port; server cert and CA set."""
    def start(*args, ca=True):
        tport = free_port()
        argv = ["--tls-port", tport, "--tls-cert", pki["server"], "--tls-key", pki["server_key"]]
        if ca:
            argv += ["--tls-ca", pki["ca"]]
        srv = start_server(*(argv + list(args)))
        srv.tls_port = tport
        return srv
    return start


def client_ctx(pki, cert=None, ca="ca"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki[ca]))
    if cert is not None:
        ctx.load_cert_chain(str(pki[cert]), str(pki[cert + "_key"]))
    return ctx


def tls_send(srv, pki, data, cert="good", timeout=30, refused=False):
    """Sends data over TLS. Then, when the server is to take it: close_notify and
    wait for the server's (it closes after writing everything); when it is to
    refuse: read what it says until it closes. Returns (peer text, what was said)."""
    raw = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=timeout)
    peer = "127.0.0.1:%d" % raw.getsockname()[1]
    said = b""
    try:
        with client_ctx(pki, cert).wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(data)
            if not refused:
                s.unwrap()
            deadline = time.monotonic() + timeout
            while refused and time.monotonic() < deadline:
                b = s.recv(4096)
                if not b:
                    break
                said += b
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        said += str(e).encode()
    finally:
        raw.close()
    return peer, said


def refusal(srv, peer):
    ev = srv.wait_event("refused tls %s:" % peer)
    return ev[0].event


def msgs_of(srv, peer):
    return [r.msg for r in srv.records() if r.peer == peer]


def frames(*msgs):
    return b"".join(b"%d %s" % (len(m), m) for m in msgs)


def test_good_client_certificate_is_accepted_and_its_name_is_in_every_record(tls_server, pki):
    srv = tls_server()
    peer, said = tls_send(srv, pki, frames(SYSLOG + b"one", SYSLOG + b"two"))
    assert said == b""
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == [
        "tls=client1.example.com user.notice host1 app[7]" + SENT + ": one",
        "tls=client1.example.com user.notice host1 app[7]" + SENT + ": two"]
    assert events(srv.records(), "connect %s tls peer=client1.example.com" % peer)
    assert "tls-auth=certvalid" in events(srv.records(), "start ")[0].event


def test_json_records_have_transport_tls_and_the_certificate_name(tls_server, pki):
    srv = tls_server("--format", "json")
    tls_send(srv, pki, frames(SYSLOG + b"json"))
    recs = wait_until(lambda: [json.loads(line) for f in srv.files()
                               for line in f.read_text().splitlines()
                               if '"transport":"tls"' in line], what="a TLS record")
    assert recs[0]["tls_peer"] == "client1.example.com" and recs[0]["msg"] == "json"


def test_lf_framed_and_octet_counted_messages_both_arrive(tls_server, pki):
    srv = tls_server()
    peer, _ = tls_send(srv, pki, SYSLOG + b"line one\n" + frames(SYSLOG + b"counted") +
                       SYSLOG + b"line two\n")
    srv.wait_event("disconnect %s" % peer)
    assert [m.split(": ", 1)[1] for m in msgs_of(srv, peer)] == ["line one", "counted",
                                                                 "line two"]


@pytest.mark.parametrize("cert,reason", [
    ("rogue", "certificate verify failed: unable to get local issuer certificate"),
    ("expired", "certificate verify failed: certificate has expired"),
    (None, "peer did not return a certificate"),
])
def test_certvalid_refuses_a_bad_or_missing_certificate_and_records_why(tls_server, pki, cert,
                                                                       reason):
    srv = tls_server()
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"must not arrive"), cert=cert, refused=True)
    assert reason in refusal(srv, peer)
    assert msgs_of(srv, peer) == []


def test_name_mode_accepts_a_permitted_wildcard_and_refuses_other_names(tls_server, pki):
    srv = tls_server("--tls-auth", "name", "--tls-permitted-peer",
                     "web.example.net, *.example.com")
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"permitted"))
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == [
        "tls=client1.example.com user.notice host1 app[7]" + SENT + ": permitted"]
    # No subjectAltName: the CN is the name (RFC 5425 5.2), and it is not permitted.
    peer, said = tls_send(srv, pki, frames(SYSLOG + b"other name"), cert="cnonly",
                          refused=True)
    assert "certificate name cn-only.example.org not in tls-permitted-peer" in refusal(srv, peer)
    assert b"logserver: refused: certificate name cn-only.example.org" in said
    assert msgs_of(srv, peer) == []


def test_name_mode_falls_back_to_the_common_name_without_subject_alt_names(tls_server, pki):
    srv = tls_server("--tls-auth", "name", "--tls-permitted-peer", "*.example.org")
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"by cn"), cert="cnonly")
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == [
        "tls=cn-only.example.org user.notice host1 app[7]" + SENT + ": by cn"]
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"x"), cert="good", refused=True)
    assert "client1.example.com not in tls-permitted-peer" in refusal(srv, peer)


def test_fingerprint_mode_takes_the_pinned_certificate_of_any_issuer_only(tls_server, pki):
    pinned = tls_certs.fingerprint(pki["rogue"])
    srv = tls_server("--tls-auth", "fingerprint", "--tls-permitted-peer", pinned)
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"pinned"), cert="rogue")
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == [
        "tls=client1.example.com user.notice host1 app[7]" + SENT + ": pinned"]
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"not pinned"), cert="good", refused=True)
    assert ("certificate fingerprint %s not in tls-permitted-peer"
            % tls_certs.fingerprint(pki["good"])) in refusal(srv, peer)
    assert msgs_of(srv, peer) == []


def test_anon_mode_warns_at_start_up_and_takes_clients_without_a_certificate(tls_server, pki):
    srv = tls_server(ca=False)
    assert "tls-auth anon: TLS clients are not authenticated" in srv.stderr()
    peer, _ = tls_send(srv, pki, frames(SYSLOG + b"anonymous"), cert=None)
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == ["user.notice host1 app[7]" + SENT + ": anonymous"]


def test_stalled_handshakes_are_cut_at_the_deadline_while_another_client_is_served(
        tls_server, pki):
    srv = tls_server("--tls-handshake-timeout", "2")
    stalled = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=30)
        stalled.append(s)
    stalled[0].sendall(b"\x16\x03\x01")      # a TLS record header, then nothing
    t0 = time.monotonic()
    peer, said = tls_send(srv, pki, frames(SYSLOG + b"served meanwhile"))
    assert said == b"" and time.monotonic() - t0 < 2, "the good client waited for the stalled"
    srv.wait_event("disconnect %s" % peer)
    assert msgs_of(srv, peer) == ["tls=client1.example.com user.notice host1 app[7]" + SENT + ": served "
                                  "meanwhile"]
    for s in stalled:
        s.settimeout(30)
        assert s.recv(100) == b""            # closed by the server
        s.close()
    assert time.monotonic() - t0 >= 1.5
    # Recorded, within flood control's budget for one source (ratelimit.h).
    ev = srv.wait_event("refused tls ", count=5, timeout=30)
    assert all("TLS handshake timeout: not finished within 2 s (tls-handshake-timeout)"
               in e.event for e in ev), [e.event for e in ev]


def test_plain_text_on_the_tls_port_is_refused_with_a_line_and_recorded(tls_server):
    srv = tls_server()
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=30) as s:
        peer = "127.0.0.1:%d" % s.getsockname()[1]
        s.sendall(b"<13>plain text to the TLS port\n")
        said = s.recv(1000)
    assert said == ("logserver: refused: this is the TLS port; plain TCP goes to port %d "
                    "(--port)\n" % srv.port).encode()
    assert "plain text on the TLS port (first byte 0x3c" in refusal(srv, peer)


@pytest.mark.parametrize("args,expect", [
    (["--tls-cert", "/nonexistent.pem"], "tls-cert /nonexistent.pem: No such file or directory"),
    (["--tls-cert", "{server}", "--tls-key", "{good_key}"],
     "tls-key {good_key} does not belong to the certificate (tls-cert)"),
    (["--tls-cert", "{server_key}"], "tls-cert {server_key}: "),
    (["--tls-cert", "{server}", "--tls-key", "{server_key}", "--tls-ca", "{server_key}"],
     "tls-ca {server_key}: "),
    (["--tls-cert", "{server}", "--tls-key", "{server_key}", "--tls-auth", "name",
      "--tls-ca", "{ca}"], "tls-auth name needs the names to accept"),
    (["--tls-cert", "{server}", "--tls-key", "{server_key}", "--tls-auth", "certvalid"],
     "tls-auth certvalid needs the CA"),
    (["--tls-cert", "{server}", "--tls-key", "{server_key}", "--tls-auth", "fingerprint",
      "--tls-permitted-peer", "sha256:12"], "tls-permitted-peer: 'sha256:12' is not sha256:"),
    (["--tls-ca", "{ca}"], "TLS needs the server's certificate (--tls-cert FILE)"),
])
def test_bad_tls_configuration_is_one_start_up_error_naming_the_option(tmp_path, pki, args,
                                                                      expect):
    names = {k: str(v) for k, v in pki.items()}
    argv = [a.format(**names) for a in args] + ["-p", free_port(), "--tls-port", free_port(),
                                                "-d", tmp_path / "logs"]
    res = run_server(argv, tmp_path)
    assert res.returncode == 1
    assert expect.format(**names) in one_stderr_line(res)


# ---------------------------------------------------------------- logclient --tls

def logclient_tls(srv, pki, *args, cert="good", ca="ca", input=None, port=None):
    argv = ["--tls", "-H", "127.0.0.1", "-p", port or srv.tls_port, "--ca", pki[ca]]
    if cert:
        argv += ["--cert", pki[cert], "--key", pki[cert + "_key"]]
    return run_client(argv + list(args), Path(pki["ca"]).parent, input=input)


def test_logclient_tls_sends_stdin_lines_as_rfc5425_frames(tls_server, pki):
    srv = tls_server()
    res = logclient_tls(srv, pki, input=b"<13>host1 app: first\nnot syslog\n<13>host1 app: "
                        b"third\n")
    assert res.returncode == 0, res.stderr
    conn = events(srv.records(), "connect ")[-1].event.split()[1]
    assert msgs_of(srv, conn) == ["tls=client1.example.com user.notice host1 app: first",
                                  "tls=client1.example.com not syslog",
                                  "tls=client1.example.com user.notice host1 app: third"]


@pytest.mark.parametrize("kind,expect", [
    ("unknown-ca", "certificate verify failed: self-signed certificate in certificate chain"),
    ("name", "(server name wrong.example.com): TLS handshake failed: certificate verify "
             "failed: hostname mismatch"),
    ("rejected", "the server ended the TLS connection before confirming the messages: "
                 "tlsv1 alert unknown ca"),
    ("expired", "sslv3 alert certificate expired"),
])
def test_logclient_tls_failure_is_one_line_and_status_1(tls_server, pki, kind, expect):
    srv = tls_server()
    args = {"unknown-ca": dict(ca="other_ca"), "rejected": dict(cert="rogue"),
            "expired": dict(cert="expired"), "name": dict()}[kind]
    extra = ["--tls-server-name", "wrong.example.com"] if kind == "name" else []
    res = logclient_tls(srv, pki, *(extra + ["<13>host app: x"]), **args)
    assert res.returncode == 1
    assert expect in one_stderr_line(res, "logclient")


def test_logclient_tls_handshake_timeout_is_one_line_and_status_1(pki, tmp_path):
    with socket.socket() as lsn:
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(1)
        port = lsn.getsockname()[1]
        argv = ["--tls", "-H", "127.0.0.1", "-p", port, "--ca", pki["ca"],
                "--tls-handshake-timeout", "1", "<13>x: y"]
        t0 = time.monotonic()
        res = run_client(argv, tmp_path)
    assert res.returncode == 1 and time.monotonic() - t0 < 20
    assert "TLS handshake timeout: not finished within 1 s" in one_stderr_line(res, "logclient")


def test_logclient_relp_over_tls_without_a_port_is_a_usage_error(tmp_path):
    res = run_client(["--tls", "x"], tmp_path, plain=False)
    assert res.returncode == 2
    assert "RELP over TLS has no standard port" in one_stderr_line(res, "logclient")
