"""TLS of the akless listener as clients see it."""

import socket
import ssl

import pytest
import requests
from cryptography import x509

from harness.server import find_binary, start_server


def peer_certificate(server) -> dict:
    """Return the listener certificate as OpenSSL decodes it, after verifying it against the akless CA."""
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert()


def test_listener_certificate_names(akless):
    names = peer_certificate(akless)["subjectAltName"]

    assert ("DNS", "localhost") in names
    assert ("IP Address", "127.0.0.1") in names
    assert any(kind == "IP Address" and value.startswith("0:0:0:0:0:0:0:1") for kind, value in names)


def test_listener_certificate_is_strict_der(akless):
    pem = ssl.get_server_certificate(("127.0.0.1", akless.port), ca_certs=str(akless.ca_file))
    leaf = x509.load_pem_x509_certificate(pem.encode("ascii"))

    try:
        constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    assert constraints is None or constraints.ca is False


def test_listener_verifies_as_localhost(akless):
    response = requests.get(
        f"https://localhost:{akless.port}/", verify=str(akless.ca_file), timeout=10
    )

    assert response.status_code < 500


def test_two_local_cas_in_one_bundle(akless, tmp_path, issuer_pki):
    other = start_server(
        find_binary(), tmp_path / "data", issuer_pki.root_ca_file, tmp_path / "other.log"
    )
    try:
        bundle = tmp_path / "bundle.pem"
        bundle.write_bytes(akless.ca_file.read_bytes() + other.ca_file.read_bytes())

        response = requests.get(other.url, verify=str(bundle), timeout=10)
    finally:
        exit_code = other.stop()

    assert exit_code == 0
    assert response.status_code < 500
