"""Option errors name the option and where its value came from (default,
command line, FILE:LINE); bad command-line values are usage errors (exit 2),
bad configuration-file values exit 1; sizes take K/M/G/T and are bounded."""
import socket

import pytest

from integration_helpers import free_port, one_stderr_line, run_server


def busy_socket(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen(1)
    return s


# Each listener: (its option, socket type, arguments that enable it besides the port).
LISTENERS = [
    ("port", socket.SOCK_STREAM, []),
    ("udp-port", socket.SOCK_DGRAM, []),
    ("relp-port", socket.SOCK_STREAM, []),
    ("query-port", socket.SOCK_STREAM, []),
]


def base_args(tmp_path, skip):
    """A server on free ports, every listener but `skip` on its own free port."""
    args = ["--bind", "127.0.0.1", "--query-bind", "127.0.0.1", "-d", tmp_path / "logs"]
    for opt, kind, _ in LISTENERS:
        if opt != skip:
            args += ["--" + opt, free_port() if kind == socket.SOCK_STREAM else "0"]
    return args


@pytest.mark.parametrize("opt,kind,extra", LISTENERS)
def test_busy_port_from_command_line_names_its_option_and_the_command_line(
        tmp_path, opt, kind, extra):
    with busy_socket(kind) as busy:
        port = busy.getsockname()[1]
        res = run_server(base_args(tmp_path, opt) + ["--" + opt, port] + extra, tmp_path,
                         extras=False)
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "--%s %d, from the command line" % (opt, port) in line, line
    assert "in use" in line and "choose another" in line, line


@pytest.mark.parametrize("opt,kind,extra", LISTENERS)
def test_busy_port_from_config_file_names_file_and_line(tmp_path, opt, kind, extra):
    with busy_socket(kind) as busy:
        port = busy.getsockname()[1]
        (tmp_path / "logserver.conf").write_text("# ports\n\n%s = %d\n" % (opt, port))
        res = run_server(base_args(tmp_path, opt) + extra, tmp_path, extras=False)
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "--%s %d, from ./logserver.conf:3" % (opt, port) in line, line


def test_busy_query_port_by_default_says_default(tmp_path):
    try:
        busy = socket.socket()
        busy.bind(("127.0.0.1", 5141))
        busy.listen(1)
    except OSError:
        pytest.skip("port 5141 is taken on this machine")
    with busy:
        args = [a for a in base_args(tmp_path, "query-port")]
        res = run_server(args, tmp_path, extras=False)
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "query service (--query-port 5141, by default)" in line, line


def test_busy_udp_port_that_follows_the_tcp_port_names_port(tmp_path):
    # Only UDP is bound here, so the UDP bind is what fails, unless another
    # socket of the machine happens to hold the same number in TCP: then
    # try another number (a few times, bounded).
    for _attempt in range(5):
        with busy_socket(socket.SOCK_DGRAM) as busy:
            port = busy.getsockname()[1]
            args = ["--bind", "127.0.0.1", "-d", tmp_path / "logs", "--relp-port", "0",
                    "--query-port", "0", "-p", port]
            res = run_server(args, tmp_path, extras=False)
        if not res.stderr.decode(errors="replace").startswith("logserver: TCP ("):
            break
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "UDP" in line and "--port %d, from the command line" % port in line, line
    assert "--udp-port 0 disables UDP" in line, line


def test_bad_query_token_file_in_config_file_names_file_and_line(tmp_path):
    (tmp_path / "logserver.conf").write_text("port = %s\nquery-token-file = %s\n"
                                            % (free_port(), tmp_path / "missing-token"))
    res = run_server(["--bind", "127.0.0.1", "-d", tmp_path / "logs"], tmp_path)
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "./logserver.conf:2" in line and "missing-token" in line, line
    assert "No such file" in line, line


@pytest.mark.parametrize("args", [
    ["-p", "abc"],
    ["--port", "0"],
    ["--port", "65536"],
    ["--max-files", "0"],
    ["--max-size", "0"],
    ["--max-size", "lots"],
    ["--max-size", "1"],
    ["--on-start", "sometimes"],
    ["--max-clients", "-3"],
    ["--max-line", "8"],
    ["--format", "xml"],
    ["--udp-rcvbuf", "2G"],
    ["--idle-timeout", "1h"],
    ["--sandbox", "maybe"],
    ["--dir", ""],
    ["--allow", "10.0.0.0/99"],
    ["--query-allow", "not-an-address"],
])
def test_bad_command_line_value_is_a_usage_error_exit_2(tmp_path, args):
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs"]
                     + args, tmp_path)
    assert res.returncode == 2, res
    line = one_stderr_line(res)
    assert args[0].lstrip("-") in line or args[0] == "-p", line
    assert not (tmp_path / "logs").exists()


def test_bad_allow_in_config_file_exits_1_and_names_file_and_line(tmp_path):
    (tmp_path / "logserver.conf").write_text("allow = 10.0.0.0/99\n")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs"],
                     tmp_path)
    assert res.returncode == 1, res
    assert "--allow 10.0.0.0/99, from ./logserver.conf:1" in one_stderr_line(res)


def test_bad_value_in_config_file_exits_1(tmp_path):
    (tmp_path / "logserver.conf").write_text("max-files = 0\n")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs"],
                     tmp_path)
    assert res.returncode == 1, res
    assert one_stderr_line(res).startswith("logserver: ./logserver.conf:1: max-files")


def test_max_size_1T_is_accepted(tmp_path, start_server):
    srv = start_server("--max-size", "1T")
    assert " max-size=1099511627776 " in srv.wait_event("start ")[-1].event
    assert srv.stop() == 0


@pytest.mark.parametrize("value", ["2T", "99999999999999999999", "9999999999T"])
def test_max_size_past_its_bound_is_refused_with_the_range(tmp_path, value):
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs",
                      "--max-size", value], tmp_path)
    assert res.returncode == 2, res
    line = one_stderr_line(res)
    assert "max-size: '%s' is out of range: a size from 1K to 1T" % value in line, line


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    import tls_certs
    return tls_certs.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("opt", ["tls-port", "relp-tls-port"])
def test_busy_tls_port_names_its_option_and_where_it_was_set(tmp_path, pki, opt):
    with busy_socket() as busy:
        port = busy.getsockname()[1]
        (tmp_path / "logserver.conf").write_text(
            "tls-cert = %s\ntls-key = %s\n%s = %d\ntls-ca = %s\n"
            % (pki["server"], pki["server_key"], opt, port, pki["ca"]))
        other = "relp-tls-port" if opt == "tls-port" else "tls-port"
        res = run_server(base_args(tmp_path, None) + ["--" + other, "0"], tmp_path,
                         extras=False)
    assert res.returncode == 1, res
    line = one_stderr_line(res)
    assert "--%s %d, from ./logserver.conf:3" % (opt, port) in line, line
    assert "in use" in line, line
