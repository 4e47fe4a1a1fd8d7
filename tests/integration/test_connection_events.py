"""--events connections|none: per-connection connect/disconnect records can be
left out; the connections are still counted, faults still recorded."""
from integration_helpers import events, free_port, wait_until
from relp_helpers import RelpConn


def connection_records(recs):
    return [r.event for r in events(recs) if r.event.startswith(("connect ", "disconnect "))]


def send_tcp_and_relp(srv, rport):
    peer = srv.send(b"plain line\n")
    c = RelpConn(rport)
    c.open()
    t = c.command("syslog", b"relp line")
    assert c.rsp()[:2] == (t, 200)
    t = c.command("close")
    assert c.rsp()[:2] == (t, 200)
    c.close()
    return peer


def test_events_none_leaves_out_connect_and_disconnect_records_and_still_counts(
        start_server):
    rport = free_port()
    srv = start_server("--relp-port", rport, "--events", "none")
    assert " events=none" in srv.wait_event("start ")[-1].event
    send_tcp_and_relp(srv, rport)
    srv.wait_records(lambda rs: {r.msg for r in rs} >= {"plain line", "relp line"})
    assert srv.stop() == 0
    recs = srv.records()
    assert connection_records(recs) == [], connection_records(recs)
    stop = events(recs, "stop")[-1].event
    assert "clients served=2 " in stop, stop


def test_events_default_keeps_connect_and_disconnect_records(start_server):
    rport = free_port()
    srv = start_server("--relp-port", rport)
    peer = send_tcp_and_relp(srv, rport)
    wait_until(lambda: len(connection_records(srv.records())) == 4)
    got = connection_records(srv.records())
    assert "connect %s" % peer in got
    assert any(e.startswith("connect ") and e.endswith(" relp") for e in got)
    assert srv.stop() == 0


def test_events_none_still_records_a_truncation(start_server):
    srv = start_server("--events", "none", "--max-line", "16")
    srv.send(b"x" * 40 + b"\n")
    srv.wait_records(lambda rs: any(r.event.startswith("truncated message")
                                    for r in events(rs)))
    assert srv.stop() == 0
    assert connection_records(srv.records()) == []
