"""A throw-away PKI for the TLS tests, made with openssl(1) into a directory.

make_pki(dirpath) -> dict of paths:
  ca, ca_key            the test CA
  server, server_key    server certificate for DNS:localhost, IP:127.0.0.1
  good, good_key        client "client1.example.com" (SAN dNSName), signed by the CA
  cnonly, cnonly_key    client with CN "cn-only.example.org" and no subjectAltName
  expired, expired_key  client signed by the CA, validity already over
  other_ca              a second CA
  rogue, rogue_key      client "client1.example.com" signed by the other CA
"""
import subprocess
from pathlib import Path


def _run(args, cwd):
    subprocess.run(["openssl"] + args, cwd=str(cwd), check=True, capture_output=True,
                   timeout=60)


def _key(d, name):
    _run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-out", name + ".key"], d)
    return d / (name + ".key")


def _ca(d, name, cn):
    _key(d, name)
    _run(["req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=" + cn,
          "-days", "2", "-out", name + ".pem",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    return d / (name + ".pem")


def _leaf(d, name, ca, cn, san=None, usage="clientAuth", expired=False):
    _key(d, name)
    _run(["req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr"], d)
    ext = d / (name + ".ext")
    lines = ["basicConstraints=CA:FALSE", "extendedKeyUsage=" + usage]
    if san:
        lines.append("subjectAltName=" + san)
    ext.write_text("\n".join(lines) + "\n")
    args = ["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-extfile", ext.name, "-out", name + ".pem"]
    if expired:
        _backdate(d, name, ca)      # openssl x509 -req in 3.0 cannot backdate
    else:
        _run(args + ["-days", "2"], d)
    return d / (name + ".pem")


def server_cert(d, name):
    """Another certificate for the server (localhost, 127.0.0.1) from the test
    CA in d, made after make_pki(d): d/NAME.pem and d/NAME.key."""
    return _leaf(d, name, "ca", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth")


def _backdate(d, name, ca):
    """Re-signs name.csr with openssl ca and a validity entirely in the past."""
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    conf = d / "ca.cnf"
    conf.write_text(
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\n"
        "default_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n"
        "[p]\ncommonName=supplied\n[x]\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=clientAuth\nsubjectAltName=DNS:client1.example.com\n")
    _run(["ca", "-batch", "-config", conf.name, "-cert", ca + ".pem", "-keyfile", ca + ".key",
          "-in", name + ".csr", "-out", name + ".pem", "-extensions", "x",
          "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext"], d)


def make_pki(dirpath):
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    _ca(d, "ca", "logserver test CA")
    _ca(d, "other_ca", "some other CA")
    _leaf(d, "server", "ca", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth")
    _leaf(d, "good", "ca", "client1.example.com", "DNS:client1.example.com")
    _leaf(d, "cnonly", "ca", "cn-only.example.org")
    _leaf(d, "rogue", "other_ca", "client1.example.com", "DNS:client1.example.com")
    _leaf(d, "expired", "ca", "client1.example.com", expired=True)
    out = {}
    for n in ("ca", "other_ca", "server", "good", "cnonly", "rogue", "expired"):
        out[n] = d / (n + ".pem")
        out[n + "_key"] = d / (n + ".key")
    return out


def fingerprint(cert):
    """'sha256:' + lower-case hex of the certificate's DER."""
    r = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint",
                        "-sha256"], check=True, capture_output=True, text=True, timeout=30)
    return "sha256:" + r.stdout.strip().split("=", 1)[1].replace(":", "").lower()
