#!/usr/bin/env python3
"""Scale: N idle TCP connections to one receiver, then its memory, all in.

    bench/scale.py [--conns N] [--bin DIR] [--send]

Starts bin/logserver on loopback ports of its own, opens N connections from
127.0.x.y source addresses (so that --max-per-ip is not what is measured)
and keeps them idle, then reports: the sum of PSS over the supervisor and
every child (/proc/PID/smaps_rollup), and the kernel's own cost from
/proc/meminfo (Slab, KernelStack, PageTables) after minus before. Every
figure is also divided by N. The receiver is stopped by its pid.

Connections that have sent nothing wait in logserver's connection holder
without a child; --send makes every connection send one line first, so
that each has its own child (a sender that spoke once and went idle)."""
import argparse
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "common"))
from lstest_common import free_port, held_sockets  # noqa: E402  (held_sockets: accepted
#                                                   connections a process tree holds)


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def pss(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cpu_s(pid):
    """User plus system CPU seconds of process pid (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--send", action="store_true",
                    help="each connection sends one line, so it has a child of its own")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "bin"))
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.conns + 1000), hard))
    work = tempfile.mkdtemp(prefix="lsscale-")
    socks = []
    port = free_port()
    before = meminfo()
    srv = subprocess.Popen([os.path.join(a.bin, "logserver"), "-p", str(port), "-u", "0",
                            "--relp-port", "0", "--query-port", "0", "--max-clients",
                            str(a.conns + 10), "-d", os.path.join(work, "logs")],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(work, "stderr"), "w"))
    try:
        deadline = time.monotonic() + 30
        while not os.path.isdir(os.path.join(work, "logs")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        t0, cpu0 = time.monotonic(), cpu_s(srv.pid)
        for i in range(a.conns):
            s = socket.socket()
            s.bind(("127.0.%d.%d" % (1 + i // 50 // 250, 1 + (i // 50) % 250), 0))
            s.connect(("127.0.0.1", port))
            if a.send:
                s.sendall(b"one line, then silence\n")
            socks.append(s)
        deadline = time.monotonic() + 300
        while (held_sockets([srv.pid] + children(srv.pid), port) < a.conns and
               time.monotonic() < deadline):
            time.sleep(0.2)
        cpu1 = cpu_s(srv.pid)
        time.sleep(2)   # let every child reach its idle wait
        kids = children(srv.pid)
        n = held_sockets([srv.pid] + kids, port)
        after = meminfo()
        total_pss = pss(srv.pid) + sum(pss(k) for k in children(srv.pid))
        kern = {k: after[k] - before[k] for k in ("Slab", "KernelStack", "PageTables")}
        all_in = total_pss + sum(kern.values())
        print("connections=%d held=%d processes=%d connect_s=%.1f" % (a.conns, n, 1 + len(kids),
                                                                      time.monotonic() - t0))
        print("pss_total_kib=%d pss_per_conn_kib=%.1f" % (total_pss, total_pss / max(n, 1)))
        for k, v in kern.items():
            print("%s_delta_kib=%d per_conn_kib=%.1f" % (k, v, v / max(n, 1)))
        print("all_in_per_conn_kib=%.1f" % (all_in / max(n, 1)))
        # The supervisor's CPU while it accepted and admitted them (with
        # --send, also forking each child); 10 ms clock ticks.
        print("supervisor_cpu_s=%.2f per_conn_us=%.1f" % (cpu1 - cpu0,
                                                         (cpu1 - cpu0) / max(n, 1) * 1e6))
        for s in socks:
            s.close()
    except OSError as e:
        print("failed after %d connections: %s" % (len(socks), e))
        print(open(os.path.join(work, "stderr")).read()[-2000:])
        os.system("tail -5 %s/logs/*.log" % work)
        raise
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(60)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
