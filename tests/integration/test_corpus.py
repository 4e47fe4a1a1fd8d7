"""The conformance corpus (tests/corpus/messages.jsonl, see corpus.py there):
every message, sent over TCP as one line, gives a record with exactly the
expected fields.

The corpus holds real messages from public sources (the RFCs' examples,
rsyslog's and syslog-ng's test suites, vendors' sample logs); the rules the
expectations follow are in docs/PARSING.md, and tests/interop/
test_interop_parsing.py compares them with rsyslog and syslog-ng."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpus"))
import corpus  # noqa: E402

from integration_helpers import SERVER  # noqa: E402

MIN_MESSAGES = 300


def test_corpus_has_enough_real_messages_with_their_source():
    entries = corpus.load()
    assert len(entries) >= MIN_MESSAGES, len(entries)
    assert all(e["source"] for e in entries)
    sources = {e["source"].split(" (")[0] for e in entries}
    assert len(sources) >= 10, sources


def test_every_corpus_message_gives_its_expected_fields(tmp_path, procs):
    entries = corpus.load()
    got = corpus.through_logserver(SERVER, [e["raw"] for e in entries], tmp_path,
                                   popen=procs.popen)
    assert len(got) == len(entries), "records for %d of %d messages" % (len(got), len(entries))
    bad = ["messages.jsonl:%d %r (%s)\n  want %s\n  got  %s"
           % (e["line"], e["raw"][:80], e["source"], e["expect"], g)
           for e, g in zip(entries, got) if g != e["expect"]]
    assert not bad, "%d of %d differ:\n%s" % (len(bad), len(entries), "\n".join(bad[:20]))
