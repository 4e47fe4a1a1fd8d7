"""--udp-workers N: N UDP receiver processes, each with its own socket on the
port (SO_REUSEPORT). The kernel keeps each sender on one socket, so every
sender's datagrams stay in order; the supervisor holds every socket, so a
receiver that dies loses nothing that reached its socket."""
import signal
import socket

from integration_helpers import free_port, kill_pid, proc_state, wait_until

SENDERS = 8
N = 300


def senders():
    socks = []
    for _ in range(SENDERS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    return socks


def burst(socks, port, first, n):
    for i in range(first, first + n):
        for k, s in enumerate(socks):
            s.sendto(b"sender=%d seq=%06d" % (k, i), ("127.0.0.1", port))


def per_sender(srv, socks):
    peers = {"127.0.0.1:%d" % s.getsockname()[1]: k for k, s in enumerate(socks)}
    got = {k: [] for k in range(len(socks))}
    for r in srv.records():
        if r.peer in peers:
            got[peers[r.peer]].append(int(r.msg.rsplit("seq=", 1)[1]))
    return got


def test_several_udp_receivers_share_the_port_and_keep_every_senders_order(start_server):
    uport = free_port()
    srv = start_server("--udp-port", uport, "--udp-workers", "3")
    kids = wait_until(lambda: len(srv.children()) == 3 and srv.children(),
                      what="three UDP receivers")
    assert len(kids) == 3
    socks = senders()
    burst(socks, uport, 0, N)
    srv.wait_records(lambda rs: len([r for r in rs if "seq=" in r.msg]) == SENDERS * N,
                     timeout=60)
    for k, seqs in per_sender(srv, socks).items():
        assert seqs == list(range(N)), "sender %d out of order or incomplete" % k
    start = [r for r in srv.records() if "start version=" in r.msg][0].msg
    assert " udp-workers=3" in start
    assert srv.stop() == 0


def test_a_killed_udp_receiver_loses_nothing_that_reached_its_socket(start_server):
    uport = free_port()
    srv = start_server("--udp-port", uport, "--udp-workers", "2")
    kids = wait_until(lambda: len(srv.children()) == 2 and srv.children(),
                      what="two UDP receivers")
    socks = senders()
    burst(socks, uport, 0, 50)
    srv.wait_records(lambda rs: len([r for r in rs if "seq=" in r.msg]) == SENDERS * 50)
    kill_pid(kids[0], signal.SIGKILL)
    wait_until(lambda: proc_state(kids[0]) in (None, "Z"), what="the receiver gone")
    burst(socks, uport, 50, 50)     # some of it waits in the dead receiver's socket
    srv.wait_records(lambda rs: len([r for r in rs if "seq=" in r.msg]) == SENDERS * 100,
                     timeout=60)
    for k, seqs in per_sender(srv, socks).items():
        assert seqs == list(range(100)), "sender %d lost or reordered datagrams" % k
    assert [r for r in srv.records() if "UDP receiver %d ended unexpectedly" % kids[0] in r.msg]
    assert srv.stop() == 0


def test_udp_max_rate_drops_and_counts_a_flooding_source_and_spares_the_others(start_server):
    import re
    uport = free_port()
    srv = start_server("--udp-port", uport, "--udp-max-rate", "100")
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.0.0.30", 0))
    calm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    calm.bind(("127.0.0.31", 0))
    for i in range(2000):
        flood.sendto(b"flood %04d" % i, ("127.0.0.1", uport))
        if i % 100 == 0:
            calm.sendto(b"calm %02d" % (i // 100), ("127.0.0.1", uport))
    srv.wait_records(lambda rs: sum(r.msg.startswith("calm ") for r in rs) == 20)
    assert srv.stop() == 0
    recs = srv.records()
    flooded = [r for r in recs if r.msg.startswith("flood ")]
    assert 100 <= len(flooded) < 2000            # the burst, then the rate
    stats = [r.msg for r in recs if "udp stats (shutdown)" in r.msg][0]
    over = int(re.search(r"over_rate=(\d+)", stats).group(1))
    drops = int(re.search(r"kernel_drops=(\d+)", stats).group(1))
    assert len(flooded) + over + drops == 2000, stats
    from integration_helpers import events
    ev = events(recs, "udp-max-rate: 127.0.0.30:")
    assert len(ev) == 1 and "sends more than 100 datagrams/s" in ev[0].event
    assert not events(recs, "udp-max-rate: 127.0.0.31:")
