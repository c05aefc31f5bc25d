#!/usr/bin/env python3
"""Print JWS/JWKS test vectors signed with pyca/cryptography, independent of aws-lc-rs.

The output is the JSON file crates/core/tests/vectors/jose.json, which the Rust unit
tests of the jose and token modules check against. Keys are random on every run, so
regenerate the file as a whole.

Setup: the same venv as make_signature_vectors.py (cryptography comes with the SDK), then
    /tmp/vec-venv/bin/python interop/vectors/make_jose_vectors.py \
        > crates/core/tests/vectors/jose.json
"""

import base64
import json
from importlib import metadata

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://issuer.example.com"
IAT = 1714564800  # 2024-05-01T12:00:00Z
CLAIMS = {
    "iss": ISSUER,
    "sub": "system:serviceaccount:ns:sa",
    "aud": ["sts.aliyuncs.com", "other-client"],
    "iat": IAT,
    "nbf": IAT,
    "exp": IAT + 3600,
    "jti": "jti-0001",
}
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def uint(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def rsa_jwk(key, kid, **extra):
    numbers = key.public_key().public_numbers()
    return dict({"kty": "RSA", "kid": kid, "use": "sig", "n": b64url(uint(numbers.n)), "e": b64url(uint(numbers.e))}, **extra)


def ec_jwk(key, kid, crv, size, **extra):
    numbers = key.public_key().public_numbers()
    return dict({"kty": "EC", "kid": kid, "crv": crv, "x": b64url(uint(numbers.x, size)), "y": b64url(uint(numbers.y, size))}, **extra)


def sign(alg, key, signing_input, der_ecdsa=False, pss_max_salt=False):
    family, bits = alg[:2], alg[2:]
    if family == "RS":
        return key.sign(signing_input, padding.PKCS1v15(), HASHES[bits]())
    if family == "PS":
        hash_alg = HASHES[bits]()
        salt = padding.PSS.MAX_LENGTH if pss_max_salt else hash_alg.digest_size
        return key.sign(signing_input, padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=salt), hash_alg)
    if family == "ES":
        der = key.sign(signing_input, ec.ECDSA(HASHES[bits]()))
        if der_ecdsa:
            return der
        r, s = decode_dss_signature(der)
        size = 32 if bits == "256" else 48
        return uint(r, size) + uint(s, size)
    if alg == "EdDSA":
        return key.sign(signing_input)
    raise ValueError(alg)


def token(alg, kid, key, claims=CLAIMS, header_extra=None, **sign_options):
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(header_extra or {})
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    return signing_input.decode() + "." + b64url(sign(alg, key, signing_input, **sign_options))


def main():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    weak_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_public = ed.public_key().public_bytes_raw()
    stranger = ec.generate_private_key(ec.SECP256R1())

    private_ec = ec_jwk(stranger, "has-private-part", "P-256", 32)
    private_ec["d"] = b64url(uint(stranger.private_numbers().private_value, 32))

    jwks = {"keys": [
        rsa_jwk(rsa_key, "rsa-1"),
        ec_jwk(p256, "ec-256", "P-256", 32, alg="ES256"),
        ec_jwk(p384, "ec-384", "P-384", 48),
        {"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64url(ed_public), "use": "sig"},
        rsa_jwk(weak_rsa, "weak-rsa"),
        private_ec,
        {"kty": "oct", "kid": "symmetric", "k": b64url(b"0123456789abcdef0123456789abcdef")},
        rsa_jwk(rsa_key, "rsa-enc", use="enc"),
    ]}

    tokens = []
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        tokens.append({"name": alg, "kid": "rsa-1", "token": token(alg, "rsa-1", rsa_key), "valid": True})
    tokens.append({"name": "ES256", "kid": "ec-256", "token": token("ES256", "ec-256", p256), "valid": True})
    tokens.append({"name": "ES384", "kid": "ec-384", "token": token("ES384", "ec-384", p384), "valid": True})
    tokens.append({"name": "EdDSA", "kid": "ed-1", "token": token("EdDSA", "ed-1", ed), "valid": True})
    tokens.append({"name": "float time claims", "kid": "ec-256",
                   "token": token("ES256", "ec-256", p256, claims=dict(CLAIMS, iat=IAT + 0.25, exp=IAT + 3600.75, aud="sts.aliyuncs.com")),
                   "valid": True})
    tokens.append({"name": "ignored jwk header", "kid": "ec-256",
                   "token": token("ES256", "ec-256", p256, header_extra={"jwk": ec_jwk(stranger, "x", "P-256", 32)}),
                   "valid": True})
    tokens.append({"name": "ES256 DER signature", "kid": "ec-256",
                   "token": token("ES256", "ec-256", p256, der_ecdsa=True), "valid": False})
    tokens.append({"name": "PS256 maximum salt length", "kid": "rsa-1",
                   "token": token("PS256", "rsa-1", rsa_key, pss_max_salt=True), "valid": False})
    tokens.append({"name": "signed by another key", "kid": "ec-256",
                   "token": token("ES256", "ec-256", stranger), "valid": False})
    tokens.append({"name": "RS256 with the EC key id", "kid": "ec-256",
                   "token": token("RS256", "ec-256", rsa_key), "valid": False})

    out = {
        "generator": "interop/vectors/make_jose_vectors.py",
        "packages": {"cryptography": metadata.version("cryptography")},
        "issuer": ISSUER,
        "now": IAT + 600,
        "jwks": jwks,
        "weak_rsa_token": token("RS256", "weak-rsa", weak_rsa),
        "tokens": tokens,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
