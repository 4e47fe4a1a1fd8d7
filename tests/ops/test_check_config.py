"""logserver --check-config: validates without binding, prints each setting's origin."""
import socket
import subprocess

from ops_helpers import SERVER, free_port


def run(args, cwd):
    return subprocess.run([SERVER] + [str(a) for a in args], cwd=str(cwd), capture_output=True,
                          text=True, timeout=10, stdin=subprocess.DEVNULL)


def settings(out):
    """{key: (value, origin)} from the check-config listing."""
    res = {}
    for line in out.splitlines():
        if line.startswith("#") or " = " not in line:
            continue
        kv, origin = line.split("\t# ", 1)
        k, v = kv.split(" = ", 1)
        res[k] = (v, origin)
    return res


def test_check_config_reports_default_file_line_and_command_line_origins(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("# comment\nmax-files = 7\n\ndir = %s\n" % (tmp_path / "logs"))
    r = run(["-c", conf, "--check-config", "--format", "json"], tmp_path)
    assert r.returncode == 0, r.stderr
    s = settings(r.stdout)
    assert s["max-files"] == ("7", "%s:2" % conf)
    assert s["dir"] == ('"%s"' % (tmp_path / "logs"), "%s:4" % conf)
    assert s["format"] == ("json", "command line")
    assert s["max-size"] == ("10485760", "default")
    assert "configuration file: %s" % conf in r.stdout


def test_check_config_command_line_wins_over_the_file_and_says_so(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("max-files = 7\n")
    r = run(["-c", conf, "--max-files", "9", "--check-config"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert settings(r.stdout)["max-files"] == ("9", "command line")


def test_check_config_binds_no_port_even_when_it_is_busy(tmp_path):
    port = free_port()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
        r = run(["--bind", "127.0.0.1", "-p", port, "-d", tmp_path / "logs", "--check-config"],
                tmp_path)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "logs").exists(), "check-config created the log directory"


def test_check_config_bad_value_in_file_exits_1_with_file_and_line(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text("port = 5140\nmax-files = many\n")
    r = run(["-c", conf, "--check-config"], tmp_path)
    assert r.returncode == 1
    assert "%s:2" % conf in r.stderr and r.stdout == ""


def test_check_config_missing_certificate_exits_1(tmp_path):
    r = run(["--check-config", "--tls-cert", tmp_path / "none.pem", "-d", tmp_path], tmp_path)
    assert r.returncode == 1
    assert "none.pem" in r.stderr


def test_check_config_log_dir_whose_parent_is_missing_exits_1(tmp_path):
    r = run(["--check-config", "-d", tmp_path / "no" / "such" / "logs"], tmp_path)
    assert r.returncode == 1
    assert "--dir" in r.stderr


def test_check_config_unknown_option_stays_a_usage_error(tmp_path):
    r = run(["--check-config", "--no-such-option"], tmp_path)
    assert r.returncode == 2


def test_check_config_two_listeners_on_one_tcp_port_exit_1_naming_both(tmp_path):
    r = run(["--check-config", "-d", tmp_path, "-p", "6000", "--relp-port", "6000"], tmp_path)
    assert r.returncode == 1
    assert "--port and --relp-port are both TCP port 6000" in r.stderr
