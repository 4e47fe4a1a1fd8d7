"""The text format keeps the sender's TIMESTAMP (when more than a second from
the receive time) and MSGID, between the tag and its ':'; JSON and raw keep
their fields as before."""
import json
import time

from integration_helpers import client_msgs, wait_until


def rfc3339_utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_text_record_keeps_an_old_sender_timestamp_and_the_msgid(start_server):
    srv = start_server()
    old = rfc3339_utc(time.time() - 3600)
    peer = srv.send(b"<14>1 %s relay1 app 42 ORDER7 - queued an hour\n" % old.encode())
    recs = srv.wait_records(lambda rs: client_msgs(rs, peer))
    assert client_msgs(recs, peer) == [
        'user.info relay1 app[42] sent="%s" msgid=ORDER7: queued an hour' % old]
    assert srv.stop() == 0


def test_text_record_of_a_current_timestamp_is_unchanged(start_server):
    srv = start_server()
    for _ in range(3):      # a second boundary between stamping and receiving: retry
        now = rfc3339_utc(time.time())
        peer = srv.send(b"<14>1 %s h app - - - live\n" % now.encode())
        recs = srv.wait_records(lambda rs: client_msgs(rs, peer))
        if client_msgs(recs, peer) == ["user.info h app: live"]:
            break
    assert client_msgs(recs, peer) == ["user.info h app: live"]
    assert srv.stop() == 0


def test_json_record_has_timestamp_and_msgid_fields(start_server):
    srv = start_server("--format", "json")
    srv.send(b"<14>1 2020-01-02T03:04:05Z h app - ID9 - json one\n")

    def mine():
        return [r for f in srv.files() for r in map(json.loads, open(f, encoding="utf-8"))
                if r.get("msg") == "json one"]
    wait_until(mine)
    assert mine()[0]["timestamp"] == "2020-01-02T03:04:05Z" and mine()[0]["msgid"] == "ID9"
    assert srv.stop() == 0
