"""make deb: a package with the programs, the unit, the man pages and a conffile; lintian
finds no error."""
import subprocess

import pytest

from ops_helpers import REPO, make, need


@pytest.fixture(scope="module")
def deb():
    for tool in ("dpkg-buildpackage", "dh", "dpkg-deb"):
        need(tool)
    r = make("deb", timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    debs = [p for p in (REPO / "build/deb").glob("logserver_*.deb")]
    assert len(debs) == 1
    return debs[0]


def test_deb_contains_programs_unit_man_pages_and_config(deb):
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                         timeout=30).stdout
    files = {line.split()[-1] for line in out.splitlines()}
    for f in ["./usr/sbin/logserver", "./usr/bin/logclient", "./etc/logserver/logserver.conf",
              "./lib/systemd/system/logserver.service", "./usr/share/man/man8/logserver.8.gz",
              "./usr/share/man/man5/logserver.conf.5.gz", "./usr/share/man/man1/logclient.1.gz",
              "./usr/share/doc/logserver/copyright"]:
        assert f in files, f


def test_deb_marks_the_config_as_conffile_and_creates_the_user(deb, tmp_path):
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "ctl")], check=True, timeout=30)
    assert (tmp_path / "ctl/conffiles").read_text().split() == ["/etc/logserver/logserver.conf"]
    postinst = (tmp_path / "ctl/postinst").read_text()
    assert "adduser --system" in postinst and "deb-systemd-helper" in postinst


def test_deb_packaged_server_uses_etc_logserver(deb, tmp_path):
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "x")], check=True, timeout=30)
    h = subprocess.run([str(tmp_path / "x/usr/sbin/logserver"), "--help"], capture_output=True,
                       text=True, timeout=10)
    assert "default: /etc/logserver/logserver.conf" in h.stdout


def test_lintian_reports_no_errors(deb):
    need("lintian")
    r = subprocess.run(["lintian", "--no-tag-display-limit", str(deb)], capture_output=True,
                       text=True, timeout=120)
    errors = [ln for ln in r.stdout.splitlines() if ln.startswith("E:")]
    assert errors == [], r.stdout


def test_deb_build_leaves_the_tree_clean(deb):
    r = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--ignored",
                        "debian"], capture_output=True, text=True, timeout=30)
    assert r.stdout == ""
