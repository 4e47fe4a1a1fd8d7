"""logclient over RELP against real servers: logserver's RELP listener (what
it writes, the plain port's refusal, a killed session child, a restart) and
rsyslog's imrelp across its restart; --plain to the plain port."""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from integration_helpers import (CLIENT, REPO, SERVER_HELP, client_msgs, events, free_port,
                                 proc_state, wait_until)
from logclient_relp_helpers import (start_client, run_relp, tcp_queue)


def test_plain_keeps_sending_plain_lines(start_server, procs, tmp_path):
    srv = start_server()
    p = procs.popen([CLIENT, "--plain", "-H", "127.0.0.1", "-p", str(srv.port)],
                    cwd=str(tmp_path), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _out, err = p.communicate(b"plain one\nplain two\n", timeout=30)
    assert p.returncode == 0, err
    recs = srv.records()
    peers = [r.event.split()[1] for r in events(recs, "connect ")]
    assert len(peers) == 1
    assert client_msgs(recs, peers[0]) == ["plain one", "plain two"]


# --------------------------------------------------------------------------
# the real logserver

needs_relp = pytest.mark.skipif("--relp-port" not in SERVER_HELP,
                                reason="logserver has no RELP listener yet (--relp-port "
                                       "is missing from logserver --help)")


def relp_server(start_server, *args):
    rport = free_port()
    srv = start_server("--relp-port", rport, *args)
    srv.relp_port = rport
    return srv


def relp_peers(recs):
    return [r.event.split()[1] for r in events(recs, "connect ") if r.event.endswith(" relp")]


@needs_relp
def test_logserver_writes_what_logclient_sends_over_relp(start_server, procs, tmp_path):
    srv = relp_server(start_server)
    rc, err, _ = run_relp(procs, tmp_path, srv.relp_port, input=b"over relp\nsecond\r\n")
    assert rc == 0 and err == ""
    recs = srv.records()            # exit 0: already in the file
    peers = relp_peers(recs)
    assert len(peers) == 1
    assert client_msgs(recs, peers[0]) == ["over relp", "second"]


@needs_relp
def test_logserver_plain_port_refuses_relp_and_logclient_names_the_relp_port(start_server,
                                                                             procs, tmp_path):
    srv = relp_server(start_server)
    rc, err, _ = run_relp(procs, tmp_path, srv.port, "to", "the", "wrong", "port")
    assert rc == 1
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "RELP goes to port %d" % srv.relp_port in lines[0]
    assert lines[1] == "logclient: 1 of 1 messages were not acknowledged by 127.0.0.1:%d" \
        % srv.port
    assert len(events(srv.records(), "connect ")) == 1, "a refusal must not be retried"


@needs_relp
def test_session_child_killed_5_times_loses_and_duplicates_nothing(start_server, procs,
                                                                   tmp_path):
    srv = relp_server(start_server)
    n = 100000
    src = tmp_path / "lines.txt"
    src.write_bytes(b"".join(b"kill %06d\n" % i for i in range(n)))

    def sent():
        """Bytes in the log files: cheaper to watch than the records."""
        return sum(f.stat().st_size for f in srv.files())

    with open(src, "rb") as f:
        p = start_client(procs, tmp_path, srv.relp_port, stdin=f)
    killed = []
    last = 0
    for _ in range(5):
        def victim():
            if p.poll() is not None:
                raise AssertionError("logclient finished after only %d kills" % len(killed))
            now = sent()
            if now < last + 100000:         # some 2000 records more
                return None
            kids = [k for k in srv.children() if k not in killed
                    and proc_state(k) not in (None, "Z")]
            return kids[0] if len(kids) == 1 else None
        pid = wait_until(victim, timeout=60, what="a session child that wrote more")
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        last = sent()
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    recs = srv.records()
    got = [r.msg for r in recs if not r.is_event and r.msg.startswith("kill ")]
    assert len(got) == n and sorted(got) == ["kill %06d" % i for i in range(n)]
    assert got == sorted(got), "resent messages came out of order"
    assert len([e for e in events(recs, "child ") if "killed by signal 9" in e.event]) == 5


# --------------------------------------------------------------------------
# rsyslog's imrelp (another RELP server: no logserver_seq, so everything not
# acknowledged is sent again)

def _imrelp_dir():
    peers = Path(os.environ.get("INTEROP_PEERS_DIR", str(REPO / "tests/interop/.peers")))
    hits = sorted((peers / "rsyslog").rglob("imrelp.so")) if (peers / "rsyslog").is_dir() else []
    return hits[0].parent if hits else None


IMRELP = _imrelp_dir()


def start_rsyslogd(procs, tmp_path, port, n):
    conf = tmp_path / "rsyslog.conf"
    conf.write_text('global(workDirectory="%s")\n'
                    'module(load="imrelp")\n'
                    'input(type="imrelp" port="%d" address="127.0.0.1")\n'
                    'template(name="raw" type="string" string="%%rawmsg%%\\n")\n'
                    'action(type="omfile" file="%s" template="raw")\n'
                    % (tmp_path, port, tmp_path / "out.log"))
    pidfile = tmp_path / ("rsyslogd%d.pid" % n)
    rsyslogd = IMRELP.parents[2] / "sbin/rsyslogd"     # .../usr/lib/ARCH/rsyslog
    with open(tmp_path / ("rsyslogd%d.out" % n), "wb") as out:
        p = procs.popen([rsyslogd, "-n", "-f", conf, "-i", pidfile, "-M", IMRELP],
                        cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=out,
                        stderr=subprocess.STDOUT)

    def listening():
        assert p.poll() is None, "rsyslogd exited %s" % p.returncode
        return tcp_queue(port, 0, "rx") is not None
    wait_until(listening, what="rsyslogd listening on %d" % port)
    return p


@pytest.mark.skipif(IMRELP is None, reason="rsyslog's imrelp is not unpacked "
                    "(bash tests/interop/peers.sh rsyslog-relp)")
def test_rsyslog_imrelp_gets_every_line_across_its_restart(procs, tmp_path):
    port = free_port()
    rs = start_rsyslogd(procs, tmp_path, port, 1)
    n = 100000
    src = tmp_path / "lines.txt"
    src.write_bytes(b"".join(b"rs %06d\n" % i for i in range(n)))
    out = tmp_path / "out.log"
    with open(src, "rb") as f:
        p = start_client(procs, tmp_path, port, stdin=f)
    wait_until(lambda: out.exists() and out.stat().st_size > 0 or p.poll() is not None,
               what="rsyslogd writing")
    assert p.poll() is None, "logclient finished before the restart"
    rs.send_signal(signal.SIGTERM)
    assert rs.wait(15) == 0
    start_rsyslogd(procs, tmp_path, port, 2)
    _o, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    got = out.read_bytes().split(b"\n")[:-1]
    assert set(got) == {b"rs %06d" % i for i in range(n)}


@needs_relp
def test_first_line_after_the_server_restarted_is_resent_not_lost(start_server, procs,
                                                                  tmp_path):
    # The server stops while logclient waits for input; the next line goes out
    # on the dead connection, is not acknowledged, and is sent again on a new one.
    srv = relp_server(start_server)
    p = start_client(procs, tmp_path, srv.relp_port)
    p.stdin.write(b"before the restart\n")
    p.stdin.flush()
    srv.wait_records(lambda rs: any(r.msg == "before the restart" for r in rs
                                    if not r.is_event), what="the first line")
    assert srv.stop() == 0
    again = start_server("--relp-port", srv.relp_port, logdir=tmp_path / "logs2")
    _out, err = p.communicate(b"after the restart\n", timeout=60)
    assert p.returncode == 0, err
    assert [r.msg for r in again.records() if not r.is_event] == ["after the restart"]
