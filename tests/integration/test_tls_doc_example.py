"""The worked TLS example of docs/TLS.md ("Setting it up"), run as written: its
openssl(1) commands make the CA and the server certificate, the sender's
certificate is made "the same way" (clientAuth, its own name), and the server
and logclient lines it shows deliver a message with the sender's certificate
name in the record. If the document's commands stop working, this fails."""
import re
import shlex
import subprocess
from pathlib import Path

from integration_helpers import free_port, run_client

DOC = Path(__file__).resolve().parents[2] / "docs" / "TLS.md"


def example_commands():
    """The indented block under "## Setting it up", as whole commands (lines
    joined at a trailing backslash), comments left out."""
    text = DOC.read_text()
    part = text.split("## Setting it up", 1)[1].split("\n## ", 1)[0]
    lines = [ln[4:] for ln in part.splitlines() if ln.startswith("    ")]
    cmds, cur = [], ""
    for ln in lines:
        if ln.lstrip().startswith("#"):
            continue
        cur += ln.rstrip("\\").strip() + " "
        if not ln.endswith("\\"):
            cmds.append(cur.strip())
            cur = ""
    return cmds


def test_the_documented_ca_server_and_sender_certificates_deliver_a_message(
        start_server, tmp_path):
    cmds = example_commands()
    pki = [c for c in cmds if c.startswith(("openssl", "printf"))]
    server_cmd = [c for c in cmds if c.startswith("logserver")]
    client_cmd = [c for c in cmds if c.startswith("logclient")]
    assert len(pki) == 6 and len(server_cmd) == 1 and len(client_cmd) == 1, cmds
    for c in pki:
        subprocess.run(["bash", "-c", c], cwd=tmp_path, check=True, timeout=60,
                       capture_output=True)
    # "each sender the same way, with extendedKeyUsage=clientAuth and
    # subjectAltName=DNS:web1.example.com"
    server_part = [c for c in pki if "server" in c]
    for c in server_part:
        c = c.replace("serverAuth", "clientAuth").replace("logs.example.com", "web1.example.com")
        c = c.replace("server.", "web1.")
        subprocess.run(["bash", "-c", c], cwd=tmp_path, check=True, timeout=60,
                       capture_output=True)
    for f in ("ca.pem", "server.pem", "server.key", "web1.pem", "web1.key"):
        assert (tmp_path / f).stat().st_size > 0, f

    # the documented server options, on test ports and the test's directory
    sargs = shlex.split(server_cmd[0])[1:]
    tport = free_port()
    srv = start_server(*sargs, "--tls-port", tport, cwd=tmp_path)
    # the documented logclient line, at 127.0.0.1 under the certificate's name
    cargs = shlex.split(client_cmd[0])[1:]
    i = cargs.index("-H")
    cargs[i + 1:i + 2] = ["127.0.0.1", "--tls-server-name", "logs.example.com",
                          "-p", tport]
    res = run_client(cargs, tmp_path, plain=False)
    assert res.returncode == 0, res.stderr
    recs = srv.wait_records(lambda rs: any(r.msg.endswith("hello over TLS") for r in rs))
    line = [r for r in recs if r.msg.endswith("hello over TLS")][0]
    assert "tls=web1.example.com" in line.line, line.line
    assert srv.stop() == 0
    assert re.search(r"CN ?= ?my log CA", subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "web1.pem"), "-noout", "-issuer"],
        capture_output=True, text=True, check=True).stdout)
