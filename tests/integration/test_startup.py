"""Start-up: exit statuses and stderr of every error path, --help/--version,
configuration file and its precedence."""
import socket

import pytest

from integration_helpers import events, free_port, one_stderr_line, run_server


def start_record(srv):
    return srv.wait_event("start ")[-1].event


# --------------------------------------------------------------------------
# --help, --version, usage errors (exit 2)

def test_help_prints_usage_on_stdout_and_exits_0(tmp_path):
    res = run_server(["--help"], tmp_path)
    assert res.returncode == 0
    out = res.stdout.decode()
    assert out.startswith("usage: logserver")
    for opt in ("--port", "--dir", "--bind", "--max-size", "--max-files", "--on-start",
                "--max-clients", "--max-line", "--shutdown-timeout", "--config"):
        assert opt in out, opt
    assert res.stderr == b""
    assert not (tmp_path / "logs").exists(), "--help must not create the log directory"


def test_short_help_exits_0(tmp_path):
    res = run_server(["-h"], tmp_path)
    assert res.returncode == 0 and res.stdout.startswith(b"usage: logserver")


def test_version_prints_version_and_exits_0(tmp_path):
    res = run_server(["--version"], tmp_path)
    assert res.returncode == 0
    assert res.stdout.decode().startswith("logserver ")
    assert res.stderr == b""
    assert run_server(["-V"], tmp_path).stdout == res.stdout


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["-Z"],
    ["--port"],             # missing value
    ["-p"],                 # missing value
    ["--dir"],              # missing value
    ["stray-argument"],
    ["--version=yes"],      # an action takes no value
])
def test_command_line_usage_error_exits_2_with_one_stderr_line(tmp_path, args):
    res = run_server(args, tmp_path)
    assert res.returncode == 2, res
    one_stderr_line(res)
    assert res.stdout == b""
    assert not (tmp_path / "logs").exists()


def test_stray_argument_with_valid_options_exits_2(tmp_path):
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs",
                      "extra"], tmp_path)
    assert res.returncode == 2
    assert "extra" in one_stderr_line(res)


# --------------------------------------------------------------------------
# start-up errors (exit 1)

# Bad command-line values (exit 2) are in test_option_errors.py.


def test_bad_config_value_exits_1_with_file_and_line(tmp_path):
    cfg = tmp_path / "bad.conf"
    cfg.write_text("# a comment\nmax-files = 3\nmax-size = lots\n")
    res = run_server(["-c", cfg, "--bind", "127.0.0.1", "-p", free_port(),
                      "-d", tmp_path / "logs"], tmp_path)
    assert res.returncode == 1
    line = one_stderr_line(res)
    assert line.startswith("logserver: %s:3: " % cfg), line
    assert "max-size" in line and "lots" in line


def test_unknown_key_in_config_file_exits_1_with_file_and_line(tmp_path):
    cfg = tmp_path / "unknown.conf"
    cfg.write_text("port = %d\ncolour = blue\n" % free_port())
    res = run_server(["-c", cfg, "--bind", "127.0.0.1", "-d", tmp_path / "logs"], tmp_path)
    assert res.returncode == 1
    line = one_stderr_line(res)
    assert line.startswith("logserver: %s:2: " % cfg), line
    assert "colour" in line


def test_bad_line_in_default_config_file_exits_1_with_file_and_line(tmp_path):
    (tmp_path / "logserver.conf").write_text("\n\nthis is not a setting\n")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", tmp_path / "logs"],
                     tmp_path)
    assert res.returncode == 1
    line = one_stderr_line(res)
    assert "logserver.conf:3: " in line, line


def test_missing_config_file_exits_1(tmp_path):
    res = run_server(["-c", tmp_path / "nope.conf", "--bind", "127.0.0.1",
                      "-p", free_port(), "-d", tmp_path / "logs"], tmp_path)
    assert res.returncode == 1
    assert "nope.conf" in one_stderr_line(res)


def test_port_in_use_exits_1(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = run_server(["--bind", "127.0.0.1", "-p", port, "-d", tmp_path / "logs"],
                         tmp_path)
    assert res.returncode == 1
    assert str(port) in one_stderr_line(res)


def test_uncreatable_log_dir_under_regular_file_exits_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, not a directory\n")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", blocker / "sub"],
                     tmp_path)
    assert res.returncode == 1
    assert str(blocker / "sub") in one_stderr_line(res)
    assert blocker.read_text() == "a regular file, not a directory\n"


def test_log_dir_that_is_a_regular_file_exits_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x\n")
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", blocker], tmp_path)
    assert res.returncode == 1
    one_stderr_line(res)


def test_second_server_on_same_dir_exits_1_and_first_keeps_serving(tmp_path, start_server):
    first = start_server()
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", first.logdir],
                     tmp_path)
    assert res.returncode == 1
    line = one_stderr_line(res)
    assert str(first.logdir) in line
    # the same directory under another name is still the same directory
    alias = tmp_path / "alias"
    alias.symlink_to(first.logdir)
    res = run_server(["--bind", "127.0.0.1", "-p", free_port(), "-d", alias], tmp_path)
    assert res.returncode == 1
    one_stderr_line(res)
    peer = first.send(b"still here\n")
    recs = first.records()
    assert [r.msg for r in recs if r.peer == peer] == ["still here"]
    assert len(events(recs, "start ")) == 1, "the second server must not write"
    assert first.stop() == 0


def test_log_dir_is_created_with_parents(tmp_path, start_server):
    srv = start_server(logdir=tmp_path / "a" / "b" / "c")
    assert (tmp_path / "a" / "b" / "c").is_dir()
    assert len(srv.files()) == 1
    assert (srv.logdir / ".logserver.lock").exists()


# --------------------------------------------------------------------------
# defaults and configuration precedence

def test_defaults_dir_logs_max_size_10M_max_files_10_max_line_8192(tmp_path, start_server):
    srv = start_server(logdir=False)        # no -d: ./logs in the cwd
    assert srv.logdir == tmp_path / "logs" and srv.logdir.is_dir()
    start = start_record(srv)
    assert " dir=./logs " in start
    assert " max-size=10485760 " in start
    assert " max-files=10" in start
    peer = srv.send(b"x" * 8192 + b"\n" + b"y" * 8193 + b"\n")
    msgs = [r.msg for r in srv.records() if r.peer == peer]
    assert msgs == ["x" * 8192, "y" * 8192 + " [truncated]"]


def test_start_record_names_version_pid_listen_dir_and_file(start_server):
    srv = start_server()
    rec = srv.wait_event("start ")[0]
    assert rec.pid == srv.pid
    ev = rec.event
    assert "version=" in ev
    assert " pid=%d " % srv.pid in ev
    assert " listen=127.0.0.1:%d " % srv.port in ev
    assert " dir=%s " % srv.logdir in ev
    assert " file=%s" % srv.files()[0].name in ev
    assert rec.file == srv.files()[0].name


def test_config_file_values_used_when_options_omitted(tmp_path, start_server):
    port = free_port()
    cfg = tmp_path / "my.conf"
    cfg.write_text("# test configuration\n"
                   "port = %d\n"
                   "dir = %s\n"
                   "max-size = 2K\n"
                   "max_files = 7          # underscore works like a dash\n"
                   "max-line = \"20\"\n"
                   "   \n" % (port, tmp_path / "fromfile"))
    srv = start_server(config=cfg, port=False, logdir=False, known_port=port)
    srv.logdir = tmp_path / "fromfile"
    start = start_record(srv)
    assert " listen=127.0.0.1:%d " % port in start
    assert " max-size=2048 " in start and " max-files=7" in start
    peer = srv.send(b"0123456789012345678901234\n")
    assert [r.msg for r in srv.records() if r.peer == peer] == \
        ["01234567890123456789 [truncated]"]


def test_command_line_wins_over_config_file(tmp_path, start_server):
    cfg = tmp_path / "my.conf"
    cfg.write_text("port = %d\nmax-size = 2K\nmax-files = 7\nmax-line = 20\n"
                   "dir = %s\n" % (free_port(), tmp_path / "fromfile"))
    srv = start_server("--max-files", "9", "--max-line=25", config=cfg)
    start = start_record(srv)
    assert " listen=127.0.0.1:%d " % srv.port in start      # -p won
    assert " dir=%s " % (tmp_path / "logs") in start         # -d won
    assert " max-size=2048 " in start                         # from the file
    assert " max-files=9" in start                            # command line won
    peer = srv.send(b"0123456789012345678901234567890\n")
    assert [r.msg for r in srv.records() if r.peer == peer] == \
        ["0123456789012345678901234 [truncated]"]
    assert not (tmp_path / "fromfile").exists()


def test_command_line_accepts_underscore_and_equals_forms(start_server):
    srv = start_server("--max_files=4", "--max-size=3K", "--on_start", "new")
    start = start_record(srv)
    assert " max-size=3072 " in start and " max-files=4" in start


def test_default_config_file_in_cwd_is_read_without_c(tmp_path, start_server):
    (tmp_path / "logserver.conf").write_text("max-files = 4\nmax-size = 3K\n")
    srv = start_server()
    start = start_record(srv)
    assert " max-size=3072 " in start and " max-files=4" in start


def test_explicit_c_ignores_default_config_file_in_cwd(tmp_path, start_server):
    (tmp_path / "logserver.conf").write_text("max-files = 4\nbogus-key = 1\n")
    other = tmp_path / "other.conf"
    other.write_text("max-files = 6\n")
    srv = start_server(config=other)
    assert " max-files=6" in start_record(srv)


def test_every_long_option_is_a_config_key(tmp_path, start_server):
    port = free_port()
    cfg = tmp_path / "all.conf"
    cfg.write_text("port = %d\nbind = 127.0.0.1\ndir = %s\nmax-size = 64K\n"
                   "max-files = 5\non-start = new\nmax-clients = 3\nmax-line = 100\n"
                   "shutdown-timeout = 2\n" % (port, tmp_path / "all"))
    srv = start_server(config=cfg, port=False, host=None, logdir=False,
                       known_port=port)
    srv.logdir = tmp_path / "all"
    start = start_record(srv)
    assert " listen=127.0.0.1:%d " % port in start
    assert " max-size=65536 " in start and " max-files=5" in start
    peer = srv.send(b"z" * 150 + b"\n")
    assert [r.msg for r in srv.records() if r.peer == peer] == ["z" * 100 + " [truncated]"]
    assert srv.stop() == 0
