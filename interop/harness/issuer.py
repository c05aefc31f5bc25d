"""A test OIDC issuer over HTTPS on loopback, and tokens signed with its keys.

The issuer serves OIDC discovery and JWKS documents for its root URL
`https://127.0.0.1:PORT` and for any number of path issuers `https://127.0.0.1:PORT/t/<tenant>`.
RAM allows one provider per issuer URL, so each test registers a path issuer of its own.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import ECKey, RSAKey

from .pki import IssuerPki

RSA_KID = "interop-rsa-2048"
EC_KID = "interop-ec-p256"
DEFAULT_AUDIENCE = "akless-interop-client"
DEFAULT_SUBJECT = "system:serviceaccount:interop:runner"

_TENANT_PATH = re.compile(r"^/t/([A-Za-z0-9-]{1,64})(/.*)$")


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url, the JWS segment encoding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


class SigningKeys:
    """The issuer's RSA 2048 (RS256) and EC P-256 (ES256) key pairs."""

    def __init__(self) -> None:
        self.rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_private = ec.generate_private_key(ec.SECP256R1())
        self.rsa_jwk = RSAKey.import_key(self.rsa_private, parameters={"kid": RSA_KID})
        self.ec_jwk = ECKey.import_key(self.ec_private, parameters={"kid": EC_KID})

    def jwks(self) -> dict:
        """Return the public JWK Set that the issuer serves at its `jwks_uri`."""
        rsa_public = self.rsa_jwk.as_dict(private=False)
        rsa_public.update({"use": "sig", "alg": "RS256"})
        ec_public = self.ec_jwk.as_dict(private=False)
        ec_public.update({"use": "sig", "alg": "ES256"})
        return {"keys": [rsa_public, ec_public]}

    def rsa_public_pem(self) -> bytes:
        return self.rsa_private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class TestIssuer:
    """HTTPS OIDC issuer presenting leaf + intermediate, serving discovery and JWKS in a thread."""

    # pytest collects classes named Test*; this one is a helper, not a test.
    __test__ = False

    def __init__(self, pki: IssuerPki) -> None:
        self.pki = pki
        self.keys = SigningKeys()
        self.requests: list[str] = []
        self._lock = threading.Lock()

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(pki.chain_file), str(pki.key_file))

        handler = _make_handler(self)
        self._httpd = _QuietHttpsServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # The handshake runs on first read, in the handler thread, so one stalled client
        # cannot block the accept loop.
        self._httpd.socket = context.wrap_socket(
            self._httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._httpd.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> "TestIssuer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def issuer_url(self, tenant: str | None = None) -> str:
        """Return the root issuer URL, or the path issuer URL of `tenant`."""
        if tenant is None:
            return self.base_url
        return f"{self.base_url}/t/{tenant}"

    def record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)

    def fetched(self, path: str) -> int:
        """Return how many GET requests reached `path`."""
        with self._lock:
            return self.requests.count(path)

    def claims(
        self,
        *,
        tenant: str | None = None,
        issuer: str | None = None,
        audience: str | list[str] = DEFAULT_AUDIENCE,
        subject: str = DEFAULT_SUBJECT,
        issued_at: int | None = None,
        expires_at: int | None = None,
    ) -> dict:
        """Build a claim set; `issued_at` and `expires_at` are unix seconds (default now, now + 10 min)."""
        now = int(time.time())
        iat = now if issued_at is None else issued_at
        return {
            "iss": issuer if issuer is not None else self.issuer_url(tenant),
            "sub": subject,
            "aud": audience,
            "iat": iat,
            "nbf": iat,
            "exp": now + 600 if expires_at is None else expires_at,
            "jti": secrets.token_hex(8),
        }

    def mint(self, claims: dict, alg: str = "RS256") -> str:
        """Sign `claims`: RS256 with joserfc, ES256 with PyJWT, so two JOSE libraries are exercised."""
        if alg == "RS256":
            header = {"alg": "RS256", "kid": RSA_KID, "typ": "JWT"}
            return joserfc_jwt.encode(header, claims, self.keys.rsa_jwk, algorithms=["RS256"])
        if alg == "ES256":
            return pyjwt.encode(
                claims, self.keys.ec_private, algorithm="ES256", headers={"kid": EC_KID}
            )
        raise ValueError(f"unsupported alg {alg!r}; use RS256 or ES256")

    def mint_alg_none(self, claims: dict) -> str:
        """Build an unsigned token with `alg: none` and an empty signature segment."""
        header = {"alg": "none", "typ": "JWT", "kid": RSA_KID}
        return f"{b64url_json(header)}.{b64url_json(claims)}."

    def mint_hs256_with_public_key(self, claims: dict) -> str:
        """Build the key-confusion token: HS256 keyed with the RSA public key PEM from the JWKS."""
        header = {"alg": "HS256", "typ": "JWT", "kid": RSA_KID}
        signing_input = f"{b64url_json(header)}.{b64url_json(claims)}".encode("ascii")
        mac = hmac.new(self.keys.rsa_public_pem(), signing_input, hashlib.sha256).digest()
        return f"{signing_input.decode('ascii')}.{b64url(mac)}"


def tamper_signature(token: str) -> str:
    """Flip one bit in the middle of the signature, keeping valid base64url."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{b64url(bytes(raw))}"


class _QuietHttpsServer(ThreadingHTTPServer):
    """Threading HTTP server that ignores TLS and connection errors of single clients.

    Clients that reject the issuer's chain (the wrong-fingerprint and unknown-CA cases) abort
    the handshake on purpose, and the default handler would print a traceback for each.
    """

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError)):
            return
        super().handle_error(request, client_address)


def _make_handler(issuer: TestIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (name fixed by http.server)
            issuer.record(self.path)
            tenant_match = _TENANT_PATH.match(self.path)
            if tenant_match:
                issuer_url = issuer.issuer_url(tenant_match.group(1))
                rest = tenant_match.group(2)
            else:
                issuer_url = issuer.issuer_url()
                rest = self.path

            if rest == "/.well-known/openid-configuration":
                self._send_json(
                    {
                        "issuer": issuer_url,
                        "jwks_uri": f"{issuer_url}/jwks",
                        "response_types_supported": ["id_token"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }
                )
            elif rest == "/jwks":
                self._send_json(issuer.keys.jwks())
            else:
                self.send_error(404, "not found")

        def _send_json(self, value: dict) -> None:
            body = json.dumps(value).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature fixed)
            pass

    return Handler
