"""rsyslog forwarding into logserver (omfwd), rsyslog fed by util-linux logger.

    logger --rfc5424 --> rsyslogd (imtcp or imudp on a loopback port)
                     --> omfwd (tcp octet-counted / tcp LF / udp; a template)
                     --> logserver --format json

rsyslogd is unpacked from its .deb by peers.sh (never installed as a service)
and runs in the foreground (-n) with a configuration of the test's own; its
inputs are bound to a ruleset that holds only the forwarding action, so
rsyslog's own status messages are not forwarded."""
import logging
import logging.handlers
import os
import re
import socket

import pytest

from .interop_helpers import (assert_fields, assert_same_msgs, free_port, hostname_3164,
                             hostname_5424, payloads, run, start_relay, stop_proc)

N_TCP = 1000
N_UDP = 50
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$")
BSD_TS_RE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$")

SD_ARGS = ["--sd-id", "ex@32473", "--sd-param", r'k="va\"l"', "--sd-param", r'b="a\\b\]c"']
SD_WANT = {"ex@32473": {"k": 'va"l', "b": "a\\b]c"}}

P23 = "RSYSLOG_SyslogProtocol23Format"
TRAD = "RSYSLOG_TraditionalForwardFormat"
FWD = "RSYSLOG_ForwardFormat"

# id: (rsyslog input, format logger sends to it, omfwd protocol, TCP_Framing or None, template)
CASES = {
    "imtcp-tcp-octet-protocol23":  ("tcp", "5424", "tcp", "octet-counted", P23),
    "imtcp-tcp-lf-protocol23":     ("tcp", "5424", "tcp", "traditional", P23),
    "imtcp-tcp-octet-traditional": ("tcp", "5424", "tcp", "octet-counted", TRAD),
    "imudp-tcp-lf-traditional":    ("udp", "5424", "tcp", "traditional", TRAD),
    "imtcp-tcp-lf-forwardformat":  ("tcp", "5424", "tcp", "traditional", FWD),
    "imudp-udp-protocol23":        ("udp", "5424", "udp", None, P23),
    "imtcp-udp-traditional":       ("tcp", "5424", "udp", None, TRAD),
    "imudp3164-tcp-octet-protocol23": ("udp", "3164", "tcp", "octet-counted", P23),
    "imudp3164-udp-traditional":   ("udp", "3164", "udp", None, TRAD),
}


def settled(srv, count, relay, relay_out, timeout=20):
    """Waits until count client records are written, then stops the relay and
    logserver (SIGTERM by pid, waited for, exit 0) and returns every client
    record in the files: what is counted is final, late duplicates included."""
    srv.wait_messages(count, timeout=timeout)
    assert stop_proc(relay) == 0, relay_out.read_text(errors="replace")
    srv.stop()
    return srv.messages()


def rsyslog_conf(workdir, inproto, inport, proto, framing, template, target_port):
    mod = {"tcp": "imtcp", "udp": "imudp"}[inproto]
    opts = 'target="127.0.0.1" port="%d" protocol="%s" template="%s"' % (
        target_port, proto, template)
    if framing:
        opts += ' TCP_Framing="%s"' % framing
    return f"""# rsyslog relay for tests/interop (foreground, loopback only)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k")
module(load="{mod}")
input(type="{mod}" address="127.0.0.1" port="{inport}" ruleset="fwd")
ruleset(name="fwd") {{
    action(type="omfwd" {opts})
}}
"""


def start_rsyslog(procs, rsyslog, workdir, conf_text, inproto, inport):
    conf = workdir / "rsyslog.conf"
    conf.write_text(conf_text)
    argv = [rsyslog.rsyslogd, "-n", "-f", conf, "-i", workdir / "rsyslogd.pid",
            "-M", rsyslog.moddir]
    return start_relay(procs, argv, workdir, [(inproto, inport)], name="rsyslogd")


@pytest.mark.parametrize("case", list(CASES))
def test_rsyslog_forwarding(case, rsyslog, logger_bin, logserver, procs, tmp_path):
    inproto, informat, proto, framing, template = CASES[case]
    srv = logserver()
    target = srv.tcp_port if proto == "tcp" else srv.udp_port
    inport = free_port()
    work = tmp_path / "rsyslog"
    work.mkdir()
    rs, rs_out = start_rsyslog(procs, rsyslog, work,
                               rsyslog_conf(work, inproto, inport, proto, framing, template,
                                            target), inproto, inport)

    n = N_TCP if inproto == proto == "tcp" else N_UDP
    sent = payloads("rsyslog " + case, n)
    logger_opts = ["--tcp", "--octet-count"] if inproto == "tcp" else ["--udp"]
    if informat == "5424":
        logger_opts += ["--rfc5424", "--msgid", "RSMSG", *SD_ARGS]
    else:
        logger_opts += ["--rfc3164"]
    run([logger_bin, "-n", "127.0.0.1", "-P", inport, *logger_opts,
         "-t", "rs-app", "-p", "local6.notice", "--id=3131"],
        input=("\n".join(sent) + "\n").encode())

    recs = settled(srv, n, rs, rs_out)
    if informat == "3164" and template == P23:
        # rsyslog's msg property of an RFC 3164 message keeps the space after
        # "tag:", and the template puts its own SP before it: MSG starts with
        # a space on the wire, and the server keeps MSG as sent.
        sent = [" " + t for t in sent]
    assert_same_msgs(recs, sent)
    host = hostname_5424() if informat == "5424" else hostname_3164()
    for r in recs:
        assert_fields(r, transport=proto, pri=22 * 8 + 5, facility="local6",
                      severity="notice", host=host, app="rs-app", procid="3131")
        if template == P23 and informat == "5424":
            assert_fields(r, msgid="RSMSG")
            sd = dict(r["sd"])
            sd.pop("timeQuality", None)        # added by logger, passed on by rsyslog
            assert sd == SD_WANT, r
        else:   # no MSGID / STRUCTURED-DATA at the source or in 3164-style templates
            assert_fields(r, msgid=None, sd=None)
        ts_re = BSD_TS_RE if template == TRAD else RFC3339_RE
        assert ts_re.match(r["timestamp"]), r


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("template", [TRAD, P23])
@pytest.mark.parametrize("addr", ["127.0.0.1", "::1"])
def test_rsyslog_fills_in_host_for_python(addr, template, rsyslog, logserver, procs, tmp_path):
    """Python's SysLogHandler sends no timestamp and no host; rsyslog (DNS
    lookups off) fills in the sender's address as HOSTNAME, so over IPv6 the
    3164 line the server parses has "::1" as its host."""
    if ":" in addr and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this machine")
    srv = logserver()
    inport = free_port(socket.SOCK_DGRAM, addr)
    work = tmp_path / "rsyslog"
    work.mkdir()
    conf = rsyslog_conf(work, "udp", inport, "tcp", "octet-counted", template, srv.tcp_port)
    conf = conf.replace('address="127.0.0.1"', 'address="%s"' % addr)
    rs, rs_out = start_rsyslog(procs, rsyslog, work, conf, "udp", inport)

    sent = payloads("python via rsyslog", 20)
    h = logging.handlers.SysLogHandler(address=(addr, inport), facility="local2")
    h.setFormatter(logging.Formatter("%(name)s[%(process)d]: %(message)s"))
    lg = logging.getLogger("py-rs")
    lg.propagate = False
    lg.addHandler(h)
    try:
        for t in sent:
            lg.warning(t)
    finally:
        lg.removeHandler(h)
        h.close()

    recs = settled(srv, len(sent), rs, rs_out)
    if template == P23:      # rsyslog's msg keeps the space after "tag:" (see above)
        sent = [" " + t for t in sent]
    assert_same_msgs(recs, sent)
    for r in recs:
        assert_fields(r, facility="local2", severity="warning", host=addr, app="py-rs",
                      procid=str(os.getpid()), msgid=None, sd=None)


def test_logserver_stops_while_rsyslog_holds_its_connection(rsyslog, logger_bin, logserver,
                                                             procs, tmp_path):
    """A relay keeps its TCP connection open: logserver must still stop on
    SIGTERM with exit 0, having written everything the relay sent."""
    srv = logserver()
    inport = free_port()
    work = tmp_path / "rsyslog"
    work.mkdir()
    rs, rs_out = start_rsyslog(procs, rsyslog, work,
                               rsyslog_conf(work, "tcp", inport, "tcp", "octet-counted", P23,
                                            srv.tcp_port), "tcp", inport)
    sent = payloads("rsyslog connected at stop", 300)
    run([logger_bin, "-n", "127.0.0.1", "-P", inport, "--tcp", "--octet-count", "--rfc5424",
         "-t", "rs-held", "-p", "user.info"], input=("\n".join(sent) + "\n").encode())
    srv.wait_messages(len(sent), timeout=20)
    assert rs.poll() is None
    srv.stop()          # asserts exit status 0
    recs = srv.messages()
    assert_same_msgs(recs, sent)
    stop_proc(rs)
