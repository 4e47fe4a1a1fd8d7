"""Python's logging.handlers.SysLogHandler -> logserver over UDP and TCP.

SysLogHandler sends "<PRI>" + the formatted record + NUL (append_nul=True by
default): no timestamp, no host. Over TCP (socktype=SOCK_STREAM) the NUL is
the only frame delimiter, so the server must split on it."""
import logging
import logging.handlers
import os
import socket

import pytest

from .interop_helpers import assert_fields, assert_same_msgs, payloads


def settled(srv, count):
    """Waits until count client records are written, then stops logserver
    (SIGTERM by its pid, waited for, exit 0) and returns every client record
    in its files: what is counted is final, a duplicate written late included."""
    srv.wait_messages(count)
    srv.stop()
    return srv.messages()

LEVELS = [(logging.DEBUG, "debug"), (logging.INFO, "info"), (logging.WARNING, "warning"),
          (logging.ERROR, "err"), (logging.CRITICAL, "crit")]
SEV_NUM = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5,
           "info": 6, "debug": 7}
# SysLogHandler's facility names are exactly the server's (RFC 5424 table 1).
FACILITIES = sorted(logging.handlers.SysLogHandler.facility_names.items(), key=lambda x: x[1])


def _handler(port, socktype, facility, fmt="%(name)s[%(process)d]: %(message)s", **kw):
    h = logging.handlers.SysLogHandler(address=("127.0.0.1", port), facility=facility,
                                       socktype=socktype, **kw)
    h.setFormatter(logging.Formatter(fmt))
    return h


def _logger(name, handler):
    lg = logging.getLogger(name)
    lg.propagate = False
    lg.setLevel(logging.DEBUG)
    for old in list(lg.handlers):
        lg.removeHandler(old)
    lg.addHandler(handler)
    return lg


SOCKTYPES = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_python_sysloghandler(transport, logserver):
    """Every facility x every logging level: N messages -> N records with the
    right pri, facility, severity, app (logger name), procid and msg."""
    srv = logserver()
    port = srv.udp_port if transport == "udp" else srv.tcp_port
    want = {}
    texts = payloads("python " + transport, len(FACILITIES) * len(LEVELS))
    i = 0
    for fname, fnum in FACILITIES:
        h = _handler(port, SOCKTYPES[transport], fnum)
        lg = _logger("py-interop.%s" % transport, h)
        try:
            for level, sname in LEVELS:
                lg.log(level, texts[i])
                want[texts[i]] = (fname, fnum, sname)
                i += 1
        finally:
            lg.removeHandler(h)
            h.close()

    recs = settled(srv, len(want))
    assert_same_msgs(recs, list(want))
    for r in recs:
        fname, fnum, sname = want[r["msg"]]
        assert_fields(r, transport=transport, pri=fnum * 8 + SEV_NUM[sname], facility=fname,
                      severity=sname, app="py-interop.%s" % transport, procid=str(os.getpid()),
                      host=None, timestamp=None, msgid=None, sd=None)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_python_sysloghandler_ident_and_plain(transport, logserver):
    """handler.ident as the tag, and a bare "%(message)s" without any tag."""
    srv = logserver()
    port = srv.udp_port if transport == "udp" else srv.tcp_port
    h = _handler(port, SOCKTYPES[transport], "daemon", fmt="%(message)s")
    h.ident = "identapp: "
    lg = _logger("py-ident", h)
    lg.warning("with ident")
    h.ident = ""
    lg.error("just a sentence, no tag here")
    lg.removeHandler(h)
    h.close()
    recs = settled(srv, 2)
    by = {r["msg"]: r for r in recs}
    assert sorted(r["msg"] for r in recs) == ["just a sentence, no tag here", "with ident"], recs
    assert_fields(by["with ident"], facility="daemon", severity="warning", app="identapp")
    assert_fields(by["just a sentence, no tag here"], facility="daemon", severity="err",
                  app=None, procid=None)


def test_python_multiline_udp_is_one_record(logserver):
    """A datagram is one message: a traceback's newlines stay inside msg."""
    srv = logserver()
    h = _handler(srv.udp_port, socket.SOCK_DGRAM, "user", fmt="%(name)s: %(message)s")
    lg = _logger("py-multi", h)
    lg.error("first line\nsecond line\nthird line")
    lg.removeHandler(h)
    h.close()
    (r,) = settled(srv, 1)
    assert_fields(r, app="py-multi", severity="err", msg="first line\nsecond line\nthird line")


def test_python_multiline_tcp_splits_at_lf(logserver):
    """Over TCP the server frames by LF or NUL, whichever comes first (RFC 6587
    non-transparent framing), so a multi-line record arrives as one record per
    line; nothing is lost and the order is kept. (Python's SOCK_STREAM handler
    has no octet counting; see docs/INTEROP.md.)"""
    srv = logserver()
    h = _handler(srv.tcp_port, socket.SOCK_STREAM, "user", fmt="%(name)s: %(message)s")
    lg = _logger("py-multi-tcp", h)
    lg.error("first line\nsecond line\nthird line")
    lg.info("after")
    lg.removeHandler(h)
    h.close()
    recs = settled(srv, 4)
    assert [r["msg"] for r in recs] == ["first line", "second line", "third line", "after"]
    assert_fields(recs[0], app="py-multi-tcp", severity="err")
    assert_fields(recs[1], pri=None, app=None)      # continuation lines have no header
    assert_fields(recs[3], app="py-multi-tcp", severity="info")
