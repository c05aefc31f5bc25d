"""Certificate chain for the test OIDC issuer: root CA, intermediate CA and a loopback leaf."""

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class IssuerPki:
    """PEM files of the chain and the SHA-1 fingerprints that RAM providers register."""

    root_ca_file: Path
    """Root CA certificate alone, passed to akless as `--trust-ca-file`."""
    chain_file: Path
    """Leaf then intermediate, the chain the issuer presents."""
    key_file: Path
    """Private key of the leaf."""
    root_fingerprint: str
    intermediate_fingerprint: str
    """SHA-1 of the last certificate the issuer presents, so the value a provider must register."""
    leaf_fingerprint: str


def sha1_fingerprint(cert: x509.Certificate) -> str:
    """Return the SHA-1 of the DER certificate as 40 lower-case hex digits, the form RAM stores."""
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "akless interop tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signing_key: ec.EllipticCurvePrivateKey,
    issuer_public_key: ec.EllipticCurvePublicKey,
    path_length: int | None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False
        )
        .sign(signing_key, hashes.SHA256())
    )


def _leaf_certificate(
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signing_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(san, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
        .sign(signing_key, hashes.SHA256())
    )


def make_issuer_pki(directory: Path) -> IssuerPki:
    """Create root CA → intermediate CA → leaf (SAN localhost, 127.0.0.1) and write the PEM files."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())

    root_name = _name("akless interop root CA")
    intermediate_name = _name("akless interop intermediate CA")
    root = _ca_certificate(
        root_name, root_name, root_key.public_key(), root_key, root_key.public_key(), 1
    )
    intermediate = _ca_certificate(
        intermediate_name,
        root_name,
        intermediate_key.public_key(),
        root_key,
        root_key.public_key(),
        0,
    )
    leaf = _leaf_certificate(intermediate_name, leaf_key.public_key(), intermediate_key)

    pem = serialization.Encoding.PEM
    root_ca_file = directory / "issuer-root-ca.pem"
    root_ca_file.write_bytes(root.public_bytes(pem))
    chain_file = directory / "issuer-chain.pem"
    chain_file.write_bytes(leaf.public_bytes(pem) + intermediate.public_bytes(pem))
    key_file = directory / "issuer-leaf-key.pem"
    key_file.write_bytes(
        leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return IssuerPki(
        root_ca_file=root_ca_file,
        chain_file=chain_file,
        key_file=key_file,
        root_fingerprint=sha1_fingerprint(root),
        intermediate_fingerprint=sha1_fingerprint(intermediate),
        leaf_fingerprint=sha1_fingerprint(leaf),
    )
