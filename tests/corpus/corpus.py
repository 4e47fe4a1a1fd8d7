"""The conformance corpus (tests/corpus/messages.jsonl) and how it goes
through logserver.

messages.jsonl: one JSON object a line, {"source": WHERE, "raw": MESSAGE,
"expect": FIELDS}; lines starting with '#' are comments. WHERE names the
public file the message was taken from (repository and path, or the RFC
section). FIELDS are logserver's JSON record fields for the message, a field
that is missing is absent: pri (null for a message without PRI), seq,
timestamp, host, app, procid, msgid, sd, msg. A plain line has only msg.

Used by tests/integration/test_corpus.py (logserver gives every expected
field), tests/interop/test_interop_parsing.py (the same messages through
rsyslog and syslog-ng) and bench/parsebench.sh. Run as a script,

    python3 tests/corpus/corpus.py --update      # expect := what bin/logserver gives
    python3 tests/corpus/corpus.py --add FILE    # append FILE's messages, then --update

it rewrites the expectations with the fields logserver gives today, so that
a change of the parser shows up as a diff of messages.jsonl, to be reviewed
line by line (and checked against the peers by the differential test). FILE
holds '@ SOURCE' lines, each followed by the messages of that source one a
line ('\\t' and '\\xHH' written as escapes)."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "common"))
import lstest_common  # noqa: E402
CORPUS = HERE / "messages.jsonl"
FIELDS = ("pri", "seq", "timestamp", "host", "app", "procid", "msgid", "sd", "msg")


def load(path=CORPUS):
    """The corpus entries, in file order."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        e = json.loads(line)
        assert set(e) == {"source", "raw", "expect"}, "%s:%d: %s" % (path, n, sorted(e))
        assert "\n" not in e["raw"] and "\r" not in e["raw"], "%s:%d: LF in raw" % (path, n)
        e["line"] = n
        out.append(e)
    return out


def fields(rec):
    """The parsed fields of one logserver JSON record, as in FIELDS."""
    out = {k: rec[k] for k in FIELDS if k in rec}
    if "msg" in out and "pri" not in rec and "timestamp" not in rec:
        return {"msg": out["msg"]}          # a plain line
    out["pri"] = rec.get("pri")
    return out


def send_lines(port, raws, timeout=60):
    """Sends every message as one LF-terminated line over one TCP connection."""
    data = b"".join(r.encode("utf-8", "surrogateescape") + b"\n" for r in raws)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(0.05)


def client_records(logdir):
    out = []
    for n in sorted(os.listdir(logdir)):
        if n.startswith("logserver-") and n.endswith(".log"):
            lines = (Path(logdir) / n).read_bytes().split(b"\n")
            lines.pop()
            out += [json.loads(x) for x in lines]
    return [r for r in out if r.get("peer") != "-"]


def through_logserver(server, raws, workdir, popen=subprocess.Popen, timeout=60):
    """Starts SERVER --format json in workdir, sends raws, returns their
    records' fields in order; ends the server by its pid."""
    workdir = Path(workdir)
    (workdir / "logserver.conf").write_text("# corpus run: options on the command line\n")
    port = lstest_common.free_port()
    err = workdir / "logserver.stderr"
    with open(err, "wb") as ef:
        p = popen([str(server), "-c", str(workdir / "logserver.conf"), "-p", str(port),
                   "--udp-port", "0", "--relp-port", "0", "--query-port", "0",
                   "--bind", "127.0.0.1", "-d", str(workdir / "logs"), "--format", "json"],
                  cwd=str(workdir), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                  stderr=ef)
    try:
        wait_for(lambda: p.poll() is not None or "listening on" in err.read_text(),
                 timeout, "logserver to listen")
        assert p.poll() is None, "logserver exited: %s" % err.read_text()
        send_lines(port, raws)
        recs = wait_for(lambda: (lambda r: r if len(r) >= len(raws) else None)(
            client_records(workdir / "logs")), timeout, "%d records" % len(raws))
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
        p.wait(timeout=timeout)
    return [fields(r) for r in recs]


def _unescape(line):
    """A collection line to the message: '\\t' is TAB, '\\xHH' the byte HH
    (the result must be UTF-8, as a JSON string is)."""
    raw = re.sub(rb"\\(t|x[0-9A-Fa-f]{2})",
                 lambda m: b"\t" if m.group(1) == b"t" else bytes([int(m.group(1)[1:], 16)]),
                 line.encode("utf-8"))
    return raw.decode("utf-8")


def read_collection(path):
    """[{source, raw}] from a collection file (see the module comment)."""
    entries, source = [], None
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        if line.startswith("@ "):
            source = line[2:].strip()
        elif line:
            assert source, "%s: a message before the first '@ SOURCE' line" % path
            entries.append({"source": source, "raw": _unescape(line)})
    return entries


def write(entries, server):
    """messages.jsonl from entries, each expectation from server."""
    with tempfile.TemporaryDirectory() as work:
        got = through_logserver(server, [e["raw"] for e in entries], work)
    with open(CORPUS, "w", encoding="utf-8") as out:
        out.write("# Conformance corpus: real messages from public sources, see corpus.py "
                  "and docs/PARSING.md.\n")
        for e, g in zip(entries, got):
            out.write(json.dumps({"source": e["source"], "raw": e["raw"], "expect": g},
                                 ensure_ascii=True) + "\n")
    return len(entries)


if __name__ == "__main__":
    server = Path(os.environ.get("LOGSERVER_BIN", str(HERE.parents[1] / "bin"))) / "logserver"
    if sys.argv[1:] == ["--update"]:
        todo = load() if CORPUS.exists() else []
    elif len(sys.argv) == 3 and sys.argv[1] == "--add":
        todo = (load() if CORPUS.exists() else []) + read_collection(sys.argv[2])
    else:
        sys.exit("usage: corpus.py --update | --add FILE")
    print("%d messages written to %s" % (write(todo, server), CORPUS))
