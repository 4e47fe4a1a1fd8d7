"""syslog-ng forwarding into logserver, syslog-ng fed by util-linux logger.

    logger --> syslog-ng source (syslog() tcp, octet-counted RFC 5424; or
               network() udp, RFC 3164) on a loopback port
           --> destination network() (RFC 3164 style, tcp or udp) or
               syslog() (RFC 5424, octet-counted over tcp; one per datagram over udp)
           --> logserver --format json

syslog-ng is unpacked from the syslog-ng-core .deb by peers.sh (never installed
as a service) and runs in the foreground (-F) with a configuration, persist
file, pid file and control socket of the test's own."""
import re

import pytest

from .interop_helpers import (assert_fields, assert_same_msgs, free_port, hostname_3164,
                             hostname_5424, payloads, run, start_relay, stop_proc)

N_TCP = 200
N_UDP = 50
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$")
BSD_TS_RE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$")

SD_ARGS = ["--sd-id", "ex@32473", "--sd-param", r'k="va\"l"', "--sd-param", r'b="a\\b\]c"']
SD_WANT = {"ex@32473": {"k": 'va"l', "b": "a\\b]c"}}

# id: (source: "syslog-tcp" | "network-udp", destination driver, transport)
CASES = {
    "syslog-tcp-in_network-tcp-out": ("syslog-tcp", "network", "tcp"),
    "syslog-tcp-in_network-udp-out": ("syslog-tcp", "network", "udp"),
    "syslog-tcp-in_syslog-tcp-out":  ("syslog-tcp", "syslog", "tcp"),
    "syslog-tcp-in_syslog-udp-out":  ("syslog-tcp", "syslog", "udp"),
    "network-udp-in_network-tcp-out": ("network-udp", "network", "tcp"),
    "network-udp-in_syslog-tcp-out":  ("network-udp", "syslog", "tcp"),
}


def settled(srv, count, relay, relay_out, timeout=20):
    """Waits until count client records are written, then stops the relay and
    logserver (SIGTERM by pid, waited for, exit 0) and returns every client
    record in the files: what is counted is final, late duplicates included."""
    srv.wait_messages(count, timeout=timeout)
    assert stop_proc(relay) == 0, relay_out.read_text(errors="replace")
    srv.stop()
    return srv.messages()


def syslog_ng_conf(version, source, inport, driver, transport, target_port):
    src_driver, src_transport = source.split("-")
    return f"""@version: {version}
# syslog-ng relay for tests/interop (foreground, loopback only)
options {{
    keep-hostname(yes); chain-hostnames(no); use-dns(no); dns-cache(no);
    use-fqdn(no); stats-freq(0); time-reopen(1);
}};
source s_in {{
    {src_driver}(ip("127.0.0.1") port({inport}) transport("{src_transport}"));
}};
destination d_logserver {{
    {driver}("127.0.0.1" port({target_port}) transport("{transport}"));
}};
log {{ source(s_in); destination(d_logserver); }};
"""


@pytest.mark.parametrize("case", list(CASES))
def test_syslog_ng_forwarding(case, syslog_ng, logger_bin, logserver, procs, tmp_path,
                              shortdir):
    source, driver, transport = CASES[case]
    srv = logserver()
    target = srv.tcp_port if transport == "tcp" else srv.udp_port
    inport = free_port()
    inproto = source.split("-")[1]
    work = tmp_path / "syslog-ng"
    work.mkdir()
    conf = work / "syslog-ng.conf"
    conf.write_text(syslog_ng_conf(syslog_ng.config_version, source, inport, driver,
                                   transport, target))
    argv = [syslog_ng.binary, "-F", "--no-caps", "-f", conf,
            "--module-path", syslog_ng.module_path,
            "--persist-file", work / "syslog-ng.persist",
            "--pidfile", work / "syslog-ng.pid",
            "--control", shortdir / "ctl"]
    sng, sng_out = start_relay(procs, argv, work, [(inproto, inport)], env=syslog_ng.env,
                               name="syslog-ng")

    in5424 = source == "syslog-tcp"
    n = N_TCP if inproto == transport == "tcp" else N_UDP
    sent = payloads("syslog-ng " + case, n)
    if in5424:
        logger_opts = ["--tcp", "--octet-count", "--rfc5424", "--msgid", "SNGMSG", *SD_ARGS]
    else:
        logger_opts = ["--udp", "--rfc3164"]
    run([logger_bin, "-n", "127.0.0.1", "-P", inport, *logger_opts,
         "-t", "sng-app", "-p", "local1.err", "--id=2727"],
        input=("\n".join(sent) + "\n").encode())

    recs = settled(srv, n, sng, sng_out)
    assert_same_msgs(recs, sent)
    host = hostname_5424() if in5424 else hostname_3164()
    for r in recs:
        assert_fields(r, transport=transport, pri=17 * 8 + 3, facility="local1",
                      severity="err", host=host, app="sng-app", procid="2727")
        if driver == "syslog":
            assert RFC3339_RE.match(r["timestamp"]), r
            if in5424:
                assert_fields(r, msgid="SNGMSG")
                sd = dict(r["sd"])
                sd.pop("timeQuality", None)    # added by logger, passed on by syslog-ng
                assert sd == SD_WANT, r
            else:
                assert_fields(r, msgid=None, sd=None)
        else:   # network(): RFC 3164 style, no MSGID, no STRUCTURED-DATA
            assert_fields(r, msgid=None, sd=None)
            assert BSD_TS_RE.match(r["timestamp"]), r
