"""Changing --format and restarting never mixes two formats in one file:
with --on-start append a newest file of another format is left as it is
and a new file is started; the same format is still appended to."""
import json
import re

import pytest

from integration_helpers import log_files, wait_until

FORMATS = ["text", "json", "raw"]


def format_of(line):
    """json: an object; text: TIME then a peer or ' - ' (events); raw: the
    message alone, events with ' \\- '."""
    if line.startswith('{"time":"'):
        return "json"
    if re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line) and line[24:28] != " \\- ":
        return "text"
    return "raw"


def lines_of(path):
    return path.read_text(encoding="utf-8").splitlines()


def run_once(start_server, logdir, fmt, msg):
    srv = start_server("--format", fmt, logdir=logdir)
    srv.send(msg.encode() + b"\n")
    wait_until(lambda: any(msg in ln for f in log_files(logdir) for ln in lines_of(f)))
    assert srv.stop() == 0
    return srv


@pytest.mark.parametrize("first,second", [(a, b) for a in FORMATS for b in FORMATS if a != b])
def test_restart_with_another_format_starts_a_new_file(start_server, tmp_path, first, second):
    logdir = tmp_path / "logs"
    run_once(start_server, logdir, first, "before the change")
    assert len(log_files(logdir)) == 1
    srv = run_once(start_server, logdir, second, "after the change")
    files = log_files(logdir)
    assert len(files) == 2, files
    for f, fmt in zip(files, (first, second)):
        got = {format_of(ln) for ln in lines_of(f)}
        assert got == {fmt}, (f, got)
    if second == "json":
        for ln in lines_of(files[1]):
            json.loads(ln)      # every line of the new file parses: jq works
    start = [ln for ln in lines_of(files[1]) if "start version=" in ln][0]
    assert "new-file=format (the newest file is %s)" % first in start, start
    assert srv is not None


def test_restart_with_the_same_format_appends(start_server, tmp_path):
    logdir = tmp_path / "logs"
    run_once(start_server, logdir, "json", "one")
    srv = run_once(start_server, logdir, "json", "two")
    files = log_files(logdir)
    assert len(files) == 1
    assert sum("start version=" in ln for ln in lines_of(files[0])) == 2
    assert srv is not None
