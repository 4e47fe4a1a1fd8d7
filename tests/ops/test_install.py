"""make install / uninstall: the tree under DESTDIR, and the installed binaries run."""
import subprocess

from ops_helpers import REPO, make


def installed(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def run(prog, *args):
    return subprocess.run([str(prog)] + list(args), capture_output=True, text=True, timeout=10,
                          stdin=subprocess.DEVNULL)


def test_install_into_destdir_puts_each_file_in_its_place(tmp_path):
    root = tmp_path / "root"
    r = make("install", DESTDIR=root, PREFIX="/usr")
    assert r.returncode == 0, r.stderr
    assert installed(root) == [
        "etc/logserver/logserver.conf",
        "usr/bin/logclient",
        "usr/lib/systemd/system/logserver.service",
        "usr/sbin/logserver",
        "usr/share/man/man1/logclient.1",
        "usr/share/man/man5/logserver.conf.5",
        "usr/share/man/man8/logserver.8",
    ]
    assert (root / "etc/logserver/logserver.conf").read_text() == \
        (REPO / "dist/logserver.conf").read_text()
    unit = (root / "usr/lib/systemd/system/logserver.service").read_text()
    assert "ExecStart=/usr/sbin/logserver -c /etc/logserver/logserver.conf" in unit


def test_installed_binaries_run_and_name_the_installed_config_path(tmp_path):
    root = tmp_path / "root"
    assert make("install", DESTDIR=root, PREFIX="/usr").returncode == 0
    v = run(root / "usr/sbin/logserver", "--version")
    assert v.returncode == 0 and v.stdout.startswith("logserver ")
    h = run(root / "usr/sbin/logserver", "--help")
    assert h.returncode == 0
    assert "default: /etc/logserver/logserver.conf when it exists" in h.stdout
    c = run(root / "usr/bin/logclient", "--version")
    assert c.returncode == 0 and c.stdout.startswith("logclient ")
    # The tree's build keeps ./logserver.conf for `make run`.
    assert "default: ./logserver.conf" in run(REPO / "bin/logserver", "--help").stdout


def test_installed_server_reads_its_installed_config_by_default(tmp_path):
    prefix = tmp_path / "prefix"
    assert make("install", PREFIX=prefix).returncode == 0
    conf = prefix / "etc/logserver/logserver.conf"
    r = run(prefix / "sbin/logserver", "--check-config")
    assert r.returncode == 0, r.stderr
    assert "# configuration file: %s" % conf in r.stdout
    assert 'dir = "/var/log/logserver"\t# %s:' % conf in r.stdout


def test_install_keeps_an_existing_config_and_uninstall_leaves_a_changed_one(tmp_path):
    root = tmp_path / "root"
    conf = root / "etc/logserver/logserver.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("port = 514\n")
    r = make("install", DESTDIR=root, PREFIX="/usr")
    assert r.returncode == 0, r.stderr
    assert conf.read_text() == "port = 514\n"
    assert "keeping the existing" in r.stdout
    assert make("uninstall", DESTDIR=root, PREFIX="/usr").returncode == 0
    assert installed(root) == ["etc/logserver/logserver.conf"]


def test_uninstall_removes_everything_install_put_there(tmp_path):
    root = tmp_path / "root"
    assert make("install", DESTDIR=root, PREFIX="/usr/local").returncode == 0
    assert (root / "usr/local/etc/logserver/logserver.conf").exists()
    assert make("uninstall", DESTDIR=root, PREFIX="/usr/local").returncode == 0
    assert installed(root) == []
