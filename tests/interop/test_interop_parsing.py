"""Differential parsing test: the conformance corpus (tests/corpus) through
logserver, rsyslog and syslog-ng, field by field.

    corpus --> logserver --format json            (one TCP connection, LF frames)
           --> rsyslogd imtcp  -> omfile, a JSON template of its properties
           --> syslog-ng network() (RFC 3164) / syslog() (RFC 5424, octet-counted)
                               -> file(), $(format-json) of its macros

Compared per message: pri, timestamp (as the instant it names, month, day and
time of day in UTC: the peers add a year and reformat, logserver keeps the
sender's text), host, app, procid, msgid and msg. A field where logserver
agrees with neither peer, and a field where it disagrees with a peer that
agrees with the other, is a difference; each must match a rule of the table
of deliberate differences in docs/PARSING.md (peer, field, a regular
expression the message matches, the reason), or the test fails and names it.
Fields the peers fill in themselves when the message has none (the receive
time, the sender's address as host, PRI 13) count as absent, and so do a
host "localhost" and a procid "-" on both sides. A rule that no
difference needs any more fails the test too, so the list stays short and
true.

The peers run in the foreground with TZ=UTC and configurations of the test's
own (unpacked by peers.sh, never as services); every process is ended by its
pid."""
import datetime
import json
import os
import re
import socket
import sys
from pathlib import Path

import pytest

from .interop_helpers import REPO, free_port, start_relay, stop_proc, wait_until

sys.path.insert(0, str(REPO / "tests" / "corpus"))
import corpus  # noqa: E402

PARSING_MD = REPO / "docs" / "PARSING.md"
COMPARED = ("pri", "timestamp", "host", "app", "procid", "msgid", "msg")
IS_5424 = re.compile(r"^<\d{1,3}>1 ")
ENV = dict(os.environ, TZ="UTC")
TIMEOUT = 60


def rsyslog_conf(workdir, port, out):
    return f"""# rsyslog receiver for the differential parsing test (foreground, loopback)
global(workDirectory="{workdir}" net.enableDNS="off" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="out")
template(name="fields" type="list" option.jsonf="on") {{
    property(outname="pri" name="pri" format="jsonf")
    property(outname="ts" name="timereported" dateFormat="rfc3339" format="jsonf")
    property(outname="host" name="hostname" format="jsonf")
    property(outname="prog" name="programname" format="jsonf")
    property(outname="app" name="app-name" format="jsonf")
    property(outname="procid" name="procid" format="jsonf")
    property(outname="msgid" name="msgid" format="jsonf")
    property(outname="ver" name="protocol-version" format="jsonf")
    property(outname="msg" name="msg" format="jsonf")
}}
ruleset(name="out") {{
    action(type="omfile" file="{out}" template="fields")
}}
"""


SNG_TEMPLATE = ('$(format-json --pair pri=$PRI --pair ts=$S_ISODATE --pair host=$HOST '
                '--pair app=$PROGRAM --pair procid=$PID --pair msgid=$MSGID --pair msg=$MSG)\\n')


def syslog_ng_conf(version, port3164, port5424, out3164, out5424):
    return f"""@version: {version}
# syslog-ng receiver for the differential parsing test (foreground, loopback)
options {{
    keep-hostname(yes); chain-hostnames(no); use-dns(no); dns-cache(no);
    use-fqdn(no); stats-freq(0); time-reopen(1); log-msg-size(65536);
}};
source s_3164 {{ network(ip("127.0.0.1") port({port3164}) transport("tcp")); }};
source s_5424 {{ syslog(ip("127.0.0.1") port({port5424}) transport("tcp")); }};
destination d_3164 {{ file("{out3164}" template("{SNG_TEMPLATE}")); }};
destination d_5424 {{ file("{out5424}" template("{SNG_TEMPLATE}")); }};
log {{ source(s_3164); destination(d_3164); }};
log {{ source(s_5424); destination(d_5424); }};
"""


def send(port, raws, octet_counted=False):
    data = b""
    for r in raws:
        b = r.encode("utf-8")
        data += (b"%d %s" % (len(b), b)) if octet_counted else b + b"\n"
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(data)


def read_json_lines(path, count):
    def ready():
        try:
            lines = path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return None
        lines.pop()
        return lines if len(lines) >= count else None
    lines = wait_until(ready, TIMEOUT, "%d lines in %s" % (count, path))
    return [json.loads(x.decode("utf-8", "surrogateescape")) for x in lines]


# --------------------------------------------------------------------------
# normalisation: each receiver's fields to comparable values (None: absent)

MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
BSD_RE = re.compile(r"^(?:\d{4} )?([A-Za-z]{3}) +(\d{1,2}) (?:\d{4} )?(\d\d):(\d\d):(\d\d)")
ISO_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?"
                    r"([Zz]|[+-]\d\d:\d\d)?$")
NOW = datetime.datetime.now(datetime.timezone.utc)
RECEIVE_WINDOW = datetime.timedelta(minutes=15)


def iso_utc(m):
    """The UTC datetime of an ISO_RE match (a leap second counts as :59)."""
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    t = datetime.datetime(y, mo, d, h, mi, min(s, 59), tzinfo=datetime.timezone.utc)
    off = m.group(7)
    if off and off not in "Zz":
        sign = 1 if off[0] == "+" else -1
        t -= sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return t


def instant(text):
    """'MM-DD hh:mm:ss' in UTC of a timestamp text, None when absent."""
    if not text:
        return None
    m = ISO_RE.match(text)
    if m:
        return iso_utc(m).strftime("%m-%d %H:%M:%S")
    m = BSD_RE.match(text)
    if m:
        return "%02d-%02d %s:%s:%s" % (MONTHS[m.group(1).lower()], int(m.group(2)),
                                       *m.group(3, 4, 5))
    return "unparsed:" + text


def peer_instant(text):
    """A peer's timestamp, None when it is the receive time (the message had
    none): within RECEIVE_WINDOW of the test's start. Comparing the date alone
    would take a message's own "Dec  2 15:55:00" for the receive time when
    the test runs on December 2 (the peers give it the current year)."""
    m = ISO_RE.match(text or "")
    if m:
        if abs(iso_utc(m) - NOW) <= RECEIVE_WINDOW:
            return None
    return instant(text)


def text(v):
    return v if v not in (None, "", "-") else None


def body(v):
    """msg without the SP that separates it from the header, a BOM, or
    trailing SP (the peers disagree on all three)."""
    if v is None:
        return None
    return v.lstrip(" ").lstrip("\ufeff").rstrip(" ")


LOCAL = {"127.0.0.1", "::1", "localhost", socket.gethostname()}


def ours(f):
    # a message's own "localhost" cannot be told from a peer's own name
    host = f.get("host")
    return {"pri": f.get("pri"), "timestamp": instant(f.get("timestamp")),
            "host": None if host in LOCAL else host, "app": f.get("app"),
            "procid": text(f.get("procid")),
            "msgid": f.get("msgid"), "msg": body(f.get("msg", ""))}


def peer(r, app_key="app"):
    host = text(r.get("host"))
    return {"pri": int(r["pri"]) if r.get("pri") not in (None, "") else None,
            "timestamp": peer_instant(r.get("ts")),
            "host": None if host in LOCAL else host, "app": text(r.get(app_key)),
            "procid": text(r.get("procid")), "msgid": text(r.get("msgid")),
            "msg": body(r.get("msg", ""))}


def from_rsyslog(r):
    # 3164: programname is the TAG's name (app-name is only set by 5424)
    return peer(r, "app" if r.get("ver") == "1" else "prog")


# --------------------------------------------------------------------------
# the table of deliberate differences in docs/PARSING.md

RULE_RE = re.compile(r"^\| *(\S+) *\| *(rsyslog|syslog-ng|both) *\| *([\w, ]+?) *\| *`([^`]*)` *\|"
                     r" *(.+?) *\|$")


def rules():
    txt = PARSING_MD.read_text(encoding="utf-8")
    block = txt.split("<!-- deliberate-differences -->")[1].split(
        "<!-- /deliberate-differences -->")[0]
    out = []
    for line in block.splitlines():
        m = RULE_RE.match(line.strip())
        if m and m.group(1) != "id":
            out.append({"id": m.group(1), "peer": m.group(2),
                        "fields": [f.strip() for f in m.group(3).split(",")],
                        # a '|' in a table cell is written '\|' (GitHub tables)
                        "re": re.compile(m.group(4).replace("\\|", "|")),
                        "reason": m.group(5)})
    assert out, "no deliberate differences table in %s" % PARSING_MD
    return out


def differences(entries, mine, rs, sng):
    """(entry, field, peer name, our value, its value) for every field where
    logserver differs from a peer and does not agree with the other one
    either, or differs from both when they agree."""
    out = []
    for e, o, a, b in zip(entries, mine, rs, sng):
        for k in COMPARED:
            for name, p, other in (("rsyslog", a, b), ("syslog-ng", b, a)):
                if o[k] == p[k]:
                    continue
                # agreeing with the other peer is enough where the peers disagree
                if o[k] == other[k] and p[k] != other[k]:
                    continue
                out.append((e, k, name, o[k], p[k]))
    return out


def test_corpus_parses_like_rsyslog_and_syslog_ng_but_for_listed_differences(
        rsyslog, syslog_ng, procs, tmp_path, shortdir):
    entries = corpus.load()
    raws = [e["raw"] for e in entries]
    mine = [ours(f) for f in corpus.through_logserver(
        corpus.HERE.parents[1] / "bin" / "logserver" if "LOGSERVER_BIN" not in os.environ
        else Path(os.environ["LOGSERVER_BIN"]) / "logserver",
        raws, tmp_path, popen=procs.popen)]

    # rsyslog: every message over one connection, LF frames, output in order
    rwork = tmp_path / "rsyslog"
    rwork.mkdir()
    rport = free_port()
    rout = rwork / "out.json"
    conf = rwork / "rsyslog.conf"
    conf.write_text(rsyslog_conf(rwork, rport, rout))
    rp, rlog = start_relay(procs, rsyslog.argv(rwork, conf), rwork, [("tcp", rport)],
                           env=ENV, name="rsyslogd")
    send(rport, raws)
    rs = [from_rsyslog(r) for r in read_json_lines(rout, len(raws))]
    assert stop_proc(rp) == 0, rlog.read_text(errors="replace")

    # syslog-ng: RFC 5424 messages to syslog(), the others to network()
    swork = tmp_path / "syslog-ng"
    swork.mkdir()
    p3164, p5424 = free_port(), free_port()
    o3164, o5424 = swork / "3164.json", swork / "5424.json"
    conf = swork / "syslog-ng.conf"
    conf.write_text(syslog_ng_conf(syslog_ng.config_version, p3164, p5424, o3164, o5424))
    argv = [syslog_ng.binary, "-F", "--no-caps", "-f", conf,
            "--module-path", syslog_ng.module_path,
            "--persist-file", swork / "syslog-ng.persist",
            "--pidfile", swork / "syslog-ng.pid", "--control", shortdir / "ctl"]
    sp, slog = start_relay(procs, argv, swork, [("tcp", p3164), ("tcp", p5424)],
                           env=dict(syslog_ng.env, TZ="UTC"), name="syslog-ng")
    is5424 = [bool(IS_5424.match(r)) for r in raws]
    send(p3164, [r for r, v in zip(raws, is5424) if not v])
    send(p5424, [r for r, v in zip(raws, is5424) if v], octet_counted=True)
    got3164 = iter(read_json_lines(o3164, is5424.count(False)))
    got5424 = iter(read_json_lines(o5424, is5424.count(True)))
    sng = [peer(next(got5424) if v else next(got3164)) for v in is5424]
    assert stop_proc(sp) == 0, slog.read_text(errors="replace")

    table = rules()
    used = set()
    unlisted = []
    diffs = differences(entries, mine, rs, sng)
    (tmp_path / "differences.json").write_text(json.dumps(
        [{"line": e["line"], "field": k, "peer": name, "logserver": mv, "theirs": pv,
          "raw": e["raw"]} for e, k, name, mv, pv in diffs], indent=1))
    for e, k, name, mv, pv in diffs:
        hit = [r for r in table if k in r["fields"] and r["peer"] in (name, "both")
               and r["re"].search(e["raw"])]
        if hit:
            used.add(hit[0]["id"])
        else:
            unlisted.append("messages.jsonl:%d %s: logserver %r, %s %r\n    %r"
                            % (e["line"], k, mv, name, pv, e["raw"][:120]))
    assert not unlisted, "%d differences not in docs/PARSING.md:\n%s" % (
        len(unlisted), "\n".join(unlisted[:40]))
    stale = [r["id"] for r in table if r["id"] not in used]
    assert not stale, "rules no difference needs any more: %s" % stale
