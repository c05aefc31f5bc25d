"""Raw OpenAPI requests built by hand, for wire cases the SDKs never send (bad signatures, replays).

The V3 signer follows ACS3-HMAC-SHA256 as alibabacloud_tea_openapi 0.4 implements it in
`utils.Utils.get_authorization`. A positive test checks that akless accepts its signatures,
so each negative test fails only on the one field it breaks.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from .server import AklessServer

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REQUEST_TIMEOUT_SECS = 20


def percent_encode(value: str) -> str:
    """Encode with RFC 3986 rules: only A-Z a-z 0-9 - _ . ~ stay literal."""
    return quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )


def utc_timestamp(offset: datetime.timedelta = datetime.timedelta(0)) -> str:
    """Return now plus `offset` as `YYYY-MM-DDTHH:MM:SSZ`."""
    moment = datetime.datetime.now(datetime.timezone.utc) + offset
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class V3Request:
    """One ACS3-HMAC-SHA256 request; `sign` fills the Authorization header from the other fields."""

    server: AklessServer
    action: str
    version: str
    query: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    nonce: str = field(default_factory=lambda: secrets.token_hex(16))
    date: str = field(default_factory=utc_timestamp)
    headers: dict[str, str] = field(default_factory=dict)

    def base_headers(self) -> dict[str, str]:
        return {
            "host": self.server.endpoint,
            "x-acs-action": self.action,
            "x-acs-version": self.version,
            "x-acs-date": self.date,
            "x-acs-signature-nonce": self.nonce,
            "x-acs-content-sha256": EMPTY_SHA256,
            "accept": "application/json",
        }

    def sign(
        self, access_key_id: str, secret: str, security_token: str | None = None
    ) -> "V3Request":
        headers = self.base_headers()
        if security_token is not None:
            headers["x-acs-accesskey-id"] = access_key_id
            headers["x-acs-security-token"] = security_token
        signed_names = sorted(headers)
        canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_names)
        signed_headers = ";".join(signed_names)
        canonical_request = "\n".join(
            [
                self.method,
                "/",
                canonical_query(self.query),
                canonical_headers,
                signed_headers,
                EMPTY_SHA256,
            ]
        )
        string_to_sign = (
            "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        )
        signature = hmac.new(
            secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        headers["authorization"] = (
            f"ACS3-HMAC-SHA256 Credential={access_key_id},"
            f"SignedHeaders={signed_headers},Signature={signature}"
        )
        self.headers = headers
        return self

    def send(self) -> requests.Response:
        url = self.server.url
        if self.query:
            url += "?" + canonical_query(self.query)
        return requests.request(
            self.method,
            url,
            headers=self.headers or self.base_headers(),
            verify=str(self.server.ca_file),
            timeout=REQUEST_TIMEOUT_SECS,
        )


def send_form(
    server: AklessServer,
    *,
    method: str,
    query: dict[str, str],
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """Send an unsigned request with `query` in the URL and `form` as an urlencoded body."""
    return requests.request(
        method,
        server.url,
        params=query,
        data=form,
        headers=headers,
        verify=str(server.ca_file),
        timeout=REQUEST_TIMEOUT_SECS,
    )
