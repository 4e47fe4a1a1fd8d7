"""util-linux logger (Debian bsdutils) -> logserver, every field checked.

One logger run per case sends N lines (logger sends each line of its standard
input as one message; over TCP, all on one connection)."""
import json
import re
import socket

import pytest

from .interop_helpers import (assert_fields, assert_same_msgs, hostname_3164, hostname_5424,
                             payloads, run)


def settled(srv, count):
    """Waits until count client records are written, then stops logserver
    (SIGTERM by its pid, waited for, exit 0) and returns every client record
    in its files: what is counted is final, a duplicate written late included."""
    srv.wait_messages(count)
    srv.stop()
    return srv.messages()

N = 5
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d:\d\d|Z)$")
BSD_TS_RE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$")

# logger --sd-param takes the value in quotes with RFC 5424 escapes (\" \\ \]);
# the JSON record must carry it decoded.
SD_ARGS = ["--sd-id", "ex@32473", "--sd-param", r'k="va\"l"', "--sd-param", r'b="a\\b\]c"',
           "--sd-id", "two@32473", "--sd-param", 'x="1"']
SD_WANT = {"ex@32473": {"k": 'va"l', "b": "a\\b]c"}, "two@32473": {"x": "1"}}

# id: (transport, logger options)
CASES = {
    "tcp-octet-rfc5424": ("tcp", ["--tcp", "--octet-count", "--rfc5424"]),
    "tcp-lf-rfc5424":    ("tcp", ["--tcp", "--rfc5424"]),
    "udp-rfc5424-notq":  ("udp", ["--udp", "--rfc5424=notq"]),
    "tcp-octet-rfc3164": ("tcp", ["--tcp", "--octet-count", "--rfc3164"]),
    "tcp-lf-rfc3164":    ("tcp", ["--tcp", "--rfc3164"]),
    "udp-rfc3164":       ("udp", ["--udp", "--rfc3164"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_logger_fields(case, logger_bin, logserver):
    transport, opts = CASES[case]
    srv = logserver()
    port = srv.tcp_port if transport == "tcp" else srv.udp_port
    rfc5424 = any(o.startswith("--rfc5424") for o in opts)
    sent = payloads("logger " + case, N)
    argv = [logger_bin, "-n", "127.0.0.1", "-P", port] + opts + [
        "-t", "interop-app", "-p", "local3.warning", "--id=4242"]
    if rfc5424:
        argv += ["--msgid", "MSG-7"] + SD_ARGS
    run(argv, input=("\n".join(sent) + "\n").encode())

    recs = settled(srv, N)
    assert_same_msgs(recs, sent)
    for r in recs:
        assert_fields(r, transport=transport, pri=19 * 8 + 4, facility="local3",
                      severity="warning", app="interop-app", procid="4242")
        assert re.match(r"^127\.0\.0\.1:\d+$", r["peer"]), r
        if rfc5424:
            assert_fields(r, host=hostname_5424(), msgid="MSG-7")
            assert RFC3339_RE.match(r["timestamp"]), r
            sd = dict(r["sd"])
            tq = sd.pop("timeQuality", None)
            if "notq" in opts[-1]:
                assert tq is None, r
            else:       # logger adds its own timeQuality element
                assert tq is not None and tq.get("tzKnown") in ("0", "1"), r
            assert sd == SD_WANT, r
        else:
            assert_fields(r, host=hostname_3164(), msgid=None, sd=None)
            assert BSD_TS_RE.match(r["timestamp"]), r


def test_logger_rfc5424_nil_values(logger_bin, logserver):
    """--rfc5424=notq,nohost,notime sends "-" for TIMESTAMP and HOSTNAME (and no
    timeQuality): the record has no timestamp, host or sd field."""
    srv = logserver()
    run([logger_bin, "-n", "127.0.0.1", "-P", srv.tcp_port, "--tcp", "--octet-count",
         "--rfc5424=notq,nohost,notime", "-t", "nil", "-p", "uucp.alert", "nil fields"])
    (r,) = settled(srv, 1)
    assert_fields(r, facility="uucp", severity="alert", app="nil", msg="nil fields",
                  timestamp=None, host=None, procid=None, msgid=None, sd=None)


def test_logger_without_id_has_no_procid(logger_bin, logserver):
    """Without --id, logger sends no PROCID: 5424 NILVALUE "-" and 3164 a bare tag."""
    srv = logserver()
    run([logger_bin, "-n", "127.0.0.1", "-P", srv.tcp_port, "--tcp", "--octet-count",
         "--rfc5424", "-t", "noid", "-p", "mail.info", "five"])
    run([logger_bin, "-n", "127.0.0.1", "-P", srv.udp_port, "--udp", "--rfc3164",
         "-t", "noid", "-p", "mail.info", "three"])
    recs = settled(srv, 2)
    assert sorted(r["msg"] for r in recs) == ["five", "three"]
    for r in recs:
        assert_fields(r, facility="mail", severity="info", app="noid", procid=None, msgid=None)


# logger's -p names and what the server must call them. logger has no name for
# facilities 12-15 and sends "kern" as user (a process may not log as kern).
FACILITIES = {"kern": "user", "user": "user", "mail": "mail", "daemon": "daemon",
              "auth": "auth", "security": "auth", "syslog": "syslog", "lpr": "lpr",
              "news": "news", "uucp": "uucp", "cron": "cron", "authpriv": "authpriv",
              "ftp": "ftp", **{"local%d" % i: "local%d" % i for i in range(8)}}
SEVERITIES = {"emerg": "emerg", "panic": "emerg", "alert": "alert", "crit": "crit",
              "err": "err", "error": "err", "warning": "warning", "warn": "warning",
              "notice": "notice", "info": "info", "debug": "debug"}
FAC_NUM = {"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
           "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
           **{"local%d" % i: 16 + i for i in range(8)}}
SEV_NUM = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5,
           "info": 6, "debug": 7}


def test_logger_priority_names(logger_bin, logserver):
    """Every facility and severity name logger knows maps to the right pri and names."""
    srv = logserver()
    want = {}
    for fac, fname in FACILITIES.items():
        for sev, sname in (("notice", "notice"),) if fac != "local4" else SEVERITIES.items():
            text = "prio %s.%s" % (fac, sev)
            run([logger_bin, "-n", "127.0.0.1", "-P", srv.tcp_port, "--tcp", "--octet-count",
                 "--rfc5424", "-t", "prio", "-p", "%s.%s" % (fac, sev), text])
            want[text] = (fname, sname)
    recs = settled(srv, len(want))
    assert sorted(r["msg"] for r in recs) == sorted(want)
    for r in recs:
        fname, sname = want[r["msg"]]
        assert_fields(r, facility=fname, severity=sname,
                      pri=FAC_NUM[fname] * 8 + SEV_NUM[sname])


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_logger_ipv6_loopback(transport, logger_bin, logserver):
    srv = logserver(bind="::1")
    port = srv.tcp_port if transport == "tcp" else srv.udp_port
    run([logger_bin, "-n", "::1", "-P", port, "--" + transport, "--rfc5424",
         "-t", "six", "-p", "daemon.err", "--id=66", "over ipv6"])
    (r,) = settled(srv, 1)
    assert re.match(r"^\[::1\]:\d+$", r["peer"]), r
    assert_fields(r, transport=transport, facility="daemon", severity="err", app="six",
                  procid="66", host=hostname_5424(), msg="over ipv6")


@pytest.mark.parametrize("case", ["tcp-octet-rfc5424", "tcp-lf-rfc5424", "udp-rfc3164"])
def test_logger_long_messages(case, logger_bin, logserver):
    """logger -S raises its 1 KiB default: a message under the server's
    max-line (8192) arrives whole; a longer one is kept truncated and marked,
    and the message after it is framed and parsed normally."""
    transport, opts = CASES[case]
    srv = logserver()
    port = srv.tcp_port if transport == "tcp" else srv.udp_port
    fits = "f" * 7000
    big = "".join(chr(ord("a") + i % 26) for i in range(12000))
    run([logger_bin, "-n", "127.0.0.1", "-P", port, *opts, "-S", "20000", "-t", "long",
         "-p", "news.crit"], input=("%s\n%s\nafter\n" % (fits, big)).encode())
    recs = settled(srv, 3)
    assert len(recs) == 3
    whole = next(r for r in recs if r["msg"] == fits)
    after = next(r for r in recs if r["msg"] == "after")
    (cut,) = [r for r in recs if r is not whole and r is not after]
    assert whole["msg"] == fits and "truncated" not in whole, whole["msg"][:80]
    assert cut.get("truncated") is True, cut["msg"][:80]
    assert big.startswith(cut["msg"]) and 7000 < len(cut["msg"]) < 8192
    for r in recs:
        assert_fields(r, facility="news", severity="crit", app="long")
    assert_fields(after, msg="after", truncated=None)


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, "duplicate JSON object keys %s: a JSON parser keeps only the last" % dup
    return dict(pairs)


def test_logger_repeated_sd_param_survives_json(logger_bin, logserver):
    srv = logserver()
    run([logger_bin, "-n", "127.0.0.1", "-P", srv.tcp_port, "--tcp", "--octet-count",
         "--rfc5424=notq", "-t", "multihome", "--sd-id", "origin",
         "--sd-param", 'ip="192.0.2.1"', "--sd-param", 'ip="2001:db8::1"',
         "--sd-param", 'software="interop"', "two addresses"])
    (r,) = srv.wait_messages(1)
    srv.stop()
    (line,) = [ln for f in sorted(srv.logdir.iterdir()) for ln in f.read_text().splitlines()
               if '"multihome"' in ln]
    rec = json.loads(line, object_pairs_hook=_no_duplicate_keys)
    # A repeated name becomes an array of its values, in order.
    assert rec["sd"]["origin"]["ip"] == ["192.0.2.1", "2001:db8::1"], rec["sd"]
    assert rec["sd"]["origin"]["software"] == "interop"
