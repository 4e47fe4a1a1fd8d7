"""rsyslog's omfwd with its TLS stream drivers (ossl and gtls) sending syslog
over TLS (RFC 5425) to logserver's --tls-port, both sides authenticating with
certificates of a throw-away CA, in x509/name mode:

    numbered messages, RFC 6587 octet-counted over TCP --> rsyslogd imtcp
      --> omfwd StreamDriver=ossl|gtls, StreamDriverMode=1,
          StreamDriverAuthMode=x509/name (PermittedPeers: the server's name)
      --> logserver --tls-auth name --tls-permitted-peer *.example.com

rsyslogd and its driver modules are unpacked from Debian's rsyslog,
rsyslog-openssl and rsyslog-gnutls by peers.sh and run in the foreground."""
import pytest

from .interop_helpers import (_common, assert_fields, free_port, run_peers_sh,
                              send_octet_counted, syslog5424, PEERS, Rsyslog)

import tls_certs  # tests/common, on the path through interop_helpers' _common

N = 500
P23 = "RSYSLOG_SyslogProtocol23Format"
assert _common


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return tls_certs.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def rsyslog_tls(rsyslog):
    run_peers_sh("rsyslog", "rsyslog-tls")
    r = Rsyslog(PEERS / "rsyslog")
    r.version = rsyslog.version
    missing = [m for m in ("lmnsd_ossl", "lmnsd_gtls") if not r.has_module(m)]
    if missing:
        pytest.skip("rsyslog TLS drivers unpacked but %s missing in %s" % (missing, r.moddir))
    return r


def omfwd_tls_conf(workdir, inport, target_port, driver, framing, pki):
    return f"""# rsyslog TLS sender for tests/interop (foreground, loopback only)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k"
       defaultNetstreamDriver="{driver}"
       defaultNetstreamDriverCAFile="{pki['ca']}"
       defaultNetstreamDriverCertFile="{pki['good']}"
       defaultNetstreamDriverKeyFile="{pki['good_key']}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{inport}" ruleset="fwd")
ruleset(name="fwd") {{
    action(type="omfwd" target="127.0.0.1" port="{target_port}" protocol="tcp"
           template="{P23}" TCP_Framing="{framing}"
           StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
           StreamDriverPermittedPeers="localhost"
           queue.type="LinkedList" queue.size="100000" queue.workerThreads="1"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}}
"""


@pytest.mark.parametrize("driver,framing", [
    ("ossl", "octet-counted"),
    ("gtls", "octet-counted"),
    ("ossl", "traditional"),        # omfwd's default: LF-ended frames
])
def test_rsyslog_omfwd_tls_x509_name_delivers_every_message_with_the_certificate_name(
        rsyslog_tls, logserver, procs, tmp_path, pki, driver, framing):
    tport = free_port()
    srv = logserver("--query-port", 0, "--tls-port", tport, "--tls-cert", pki["server"],
                    "--tls-key", pki["server_key"], "--tls-ca", pki["ca"], "--tls-auth", "name",
                    "--tls-permitted-peer", "*.example.com")
    work = tmp_path / "rsyslog"
    work.mkdir()
    inport = free_port()
    conf = omfwd_tls_conf(work, inport, tport, driver, framing, pki)
    ok, out = rsyslog_tls.check_conf(conf, work)
    assert ok, out
    rsyslog_tls.start(procs, work, conf, [("tcp", inport)])
    sent = ["tls %s %s #%04d quote\" end" % (driver, framing, i) for i in range(N)]
    send_octet_counted(inport, [syslog5424(m, host="client1.example.com") for m in sent])
    recs = srv.wait_messages(N, timeout=60)
    assert sorted(r["msg"] for r in recs) == sorted(sent)
    for r in recs:
        assert_fields(r, transport="tls", tls_peer="client1.example.com",
                      host="client1.example.com")
    srv.stop()


def omrelp_tls_conf(workdir, inport, target_port, tlslib, pki):
    return f"""# rsyslog RELP over TLS sender for tests/interop (foreground, loopback only)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k")
module(load="imtcp")
module(load="omrelp" tls.tlslib="{tlslib}")
input(type="imtcp" address="127.0.0.1" port="{inport}" ruleset="fwd")
ruleset(name="fwd") {{
    action(type="omrelp" target="127.0.0.1" port="{target_port}" template="{P23}"
           tls="on" tls.caCert="{pki['ca']}" tls.myCert="{pki['good']}"
           tls.myPrivKey="{pki['good_key']}" tls.authMode="name"
           tls.permittedPeer=["localhost"]
           timeout="10" conn.timeout="2"
           queue.type="LinkedList" queue.size="100000" queue.workerThreads="1"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}}
"""


@pytest.mark.parametrize("tlslib", ["openssl", "gnutls"])
def test_rsyslog_omrelp_tls_delivers_every_message_acknowledged_with_the_certificate_name(
        rsyslog_relp, logserver, procs, tmp_path, pki, tlslib):
    rport = free_port()
    srv = logserver("--query-port", 0, "--tls-port", 0, "--relp-tls-port", rport,
                    "--tls-cert", pki["server"], "--tls-key", pki["server_key"],
                    "--tls-ca", pki["ca"], "--tls-auth", "name",
                    "--tls-permitted-peer", "*.example.com")
    work = tmp_path / "rsyslog"
    work.mkdir()
    inport = free_port()
    conf = omrelp_tls_conf(work, inport, rport, tlslib, pki)
    ok, out = rsyslog_relp.check_conf(conf, work)
    if not ok and "tlslib" in out:
        pytest.skip("this librelp has no %s back end: %s" % (tlslib, out.strip()[-300:]))
    assert ok, out
    rsyslog_relp.start(procs, work, conf, [("tcp", inport)])
    sent = ["relp-tls %s #%04d quote\" end" % (tlslib, i) for i in range(N)]
    send_octet_counted(inport, [syslog5424(m, host="client1.example.com") for m in sent])
    recs = srv.wait_messages(N, timeout=60)
    assert sorted(r["msg"] for r in recs) == sorted(sent)
    for r in recs:
        assert_fields(r, transport="relp-tls", tls_peer="client1.example.com",
                      host="client1.example.com")
    srv.stop()
