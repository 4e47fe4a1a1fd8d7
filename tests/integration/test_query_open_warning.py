"""A query service that anyone can reach without a token is warned about at
start-up, on stderr and in the start record, naming the options that close it."""
import pytest

from integration_helpers import free_port, wait_until

OPTIONS = ("--query-token-file", "--query-allow", "--query-bind localhost")


def query_args(*extra):
    return ["--query-port", free_port()] + list(extra)


def warning_of(srv):
    return srv.wait_event("start ")[-1].event


def test_query_open_to_everyone_without_token_warns_on_stderr_and_in_start_record(
        start_server):
    srv = start_server(*query_args("--query-bind", "0.0.0.0", "--query-allow", ""))
    start = warning_of(srv)
    assert ' warning="the query service (--query-bind 0.0.0.0) is open to every address' \
        in start, start
    wait_until(lambda: "warning: the query service" in srv.stderr())
    line = [ln for ln in srv.stderr().splitlines() if "warning:" in ln][0]
    for opt in OPTIONS:
        assert opt in line and opt in start, (opt, line)
    assert srv.stop() == 0


def test_query_allow_zero_prefix_counts_as_everyone(start_server):
    srv = start_server(*query_args("--query-bind", "0.0.0.0", "--query-allow", "0.0.0.0/0"))
    assert " warning=" in warning_of(srv)
    assert srv.stop() == 0


@pytest.mark.parametrize("extra", [
    [],                                                  # defaults: localhost, loopback only
    ["--query-bind", "127.0.0.1", "--query-allow", ""],  # loopback address
    ["--query-bind", "0.0.0.0"],                         # --query-allow still loopback
    ["--query-bind", "0.0.0.0", "--query-allow", "10.0.0.0/8"],
])
def test_query_service_closed_somehow_gives_no_warning(start_server, extra):
    srv = start_server(*query_args(*extra))
    assert " warning=" not in warning_of(srv)
    assert srv.stop() == 0
    assert "warning:" not in srv.stderr()


def test_query_open_with_token_gives_no_warning(start_server, tmp_path):
    tok = tmp_path / "token"
    tok.write_text("s3cret\n")
    srv = start_server(*query_args("--query-bind", "0.0.0.0", "--query-allow", "",
                                   "--query-token-file", tok))
    assert " warning=" not in warning_of(srv)
    assert srv.stop() == 0
