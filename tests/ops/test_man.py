"""The man pages: generated from the options table, render without warnings, list every option."""
import subprocess

import pytest

from ops_helpers import CLIENT, REPO, SERVER, make, need, option_names

PAGES = ["logserver.8", "logserver.conf.5", "logclient.1"]


@pytest.fixture(scope="module")
def pages():
    r = make("man")
    assert r.returncode == 0, r.stderr
    return {p: (REPO / "build/man" / p).read_text() for p in PAGES}


def test_man_pages_pass_mandoc_lint_without_warnings(pages):
    need("mandoc")
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning"] +
                       [str(REPO / "build/man" / p) for p in PAGES],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_man_pages_render_with_groff_without_warnings(pages):
    need("groff")
    for p in PAGES:
        r = subprocess.run(["groff", "-ww", "-man", "-z", str(REPO / "build/man" / p)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stderr == "", p + ": " + r.stderr


def test_every_server_option_of_help_is_in_logserver_8(pages):
    names = option_names(SERVER)
    assert len(names) > 40
    missing = [n for n in names if "\\fB\\-\\-%s\\fR" % n.replace("-", "\\-")
               not in pages["logserver.8"]]
    assert missing == []


def test_every_configuration_key_is_in_logserver_conf_5(pages):
    actions = {"config", "check-config", "help", "version"}
    names = [n for n in option_names(SERVER) if n not in actions]
    missing = [n for n in names if "\\fB%s\\fR =" % n.replace("-", "\\-")
               not in pages["logserver.conf.5"]]
    assert missing == []


def test_every_client_option_of_help_is_in_logclient_1(pages):
    names = option_names(CLIENT)
    missing = [n for n in names if "\\fB\\-\\-%s\\fR" % n.replace("-", "\\-")
               not in pages["logclient.1"]]
    assert missing == []
