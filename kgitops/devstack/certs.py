"""TLS material of the secured local stack, made with openssl: a private CA, one server
certificate (brokers and nginx; also the brokers' client certificate between themselves)
and one client certificate for mutual TLS.

Everything lives in the stack's state directory, never in the repository. A missing file
regenerates the whole set: a new CA invalidates every certificate signed by the old one.
Keys are unencrypted PKCS#8 PEM, which both librdkafka and Kafka's PEM key stores read.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kgitops.errors import KgitopsError

VALID_DAYS = 825
SERVER_CN = "kgitops-broker"  # the brokers' principal between themselves (a super user)
CLIENT_CN = "kgitops-mtls"  # the mutual-TLS client's principal: User:kgitops-mtls


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def server_keystore(self) -> Path:
        """Key and certificate in one PEM file: Kafka's `ssl.keystore.type=PEM` wants that."""
        return self.directory / "server-keystore.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client.key"

    def all_files(self) -> tuple[Path, ...]:
        return (self.ca_cert, self.ca_key, self.server_cert, self.server_key, self.server_keystore,
                self.client_cert, self.client_key)


def _openssl(*args: str, stdin: str | None = None) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise KgitopsError("openssl is needed to make the secured stack's certificates and was not found on PATH; "
                           "install it (for example `apt-get install openssl`).")
    out = subprocess.run([openssl, *args], input=stdin, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise KgitopsError(f"openssl {args[0]} failed while making the secured stack's certificates:\n{out.stderr}")


def make_ca(directory: Path, name: str = "kgitops dev CA") -> tuple[Path, Path]:
    """A self-signed CA in `directory`: (certificate, key). Also used by tests that need a
    CA the stack does not trust."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca.pem", directory / "ca.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", str(VALID_DAYS), "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    key.chmod(0o600)
    return cert, key


def _signed_certificate(ca_cert: Path, ca_key: Path, cert: Path, key: Path, common_name: str, usage: str) -> None:
    csr = cert.with_suffix(".csr")
    extensions = cert.with_suffix(".ext")
    extensions.write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage={usage}\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
             "-subj", f"/CN={common_name}")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
             "-out", str(cert), "-days", str(VALID_DAYS), "-extfile", str(extensions))
    key.chmod(0o600)
    csr.unlink()
    extensions.unlink()


def ensure_tls_files(directory: Path) -> TlsFiles:
    """The stack's CA, server and client certificates, made when any file is missing."""
    files = TlsFiles(directory)
    if all(path.exists() for path in files.all_files()):
        return files
    for path in files.all_files():
        path.unlink(missing_ok=True)
    make_ca(directory)
    _signed_certificate(files.ca_cert, files.ca_key, files.server_cert, files.server_key, SERVER_CN,
                        "serverAuth,clientAuth")
    _signed_certificate(files.ca_cert, files.ca_key, files.client_cert, files.client_key, CLIENT_CN, "clientAuth")
    files.server_keystore.write_text(files.server_key.read_text() + files.server_cert.read_text())
    files.server_keystore.chmod(0o600)
    return files
