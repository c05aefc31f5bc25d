"""The akless M2M token issuer from outside: its admin API through the official OpenAPI client, its
OAuth 2.0 endpoints over plain `requests`, and its tokens checked with PyJWT.

The admin actions of Version 2026-12-01 have no generated SDK, so `IssuerApi` calls them the way a
generated client does, with `call_api` and the client's own signer. In alibabacloud-tea-openapi 0.4.6
that signer is ACS3-HMAC-SHA256 by default and RPC HMAC-SHA1 with `signature_algorithm='v2'`.
"""

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import jwt
import requests
from alibabacloud_ims20190815 import models as ims_models
from alibabacloud_ims20190815.client import Client as ImsClient
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from . import sdk

ISSUER_API_VERSION = "2026-12-01"
HTTP_TIMEOUT_SECS = 20
ACCESS_TOKEN_TYPE = "at+jwt"

# Permissions of the session's resource server. The clients are granted the first two, so the third
# is a valid permission name that token requests must still reject.
EXCHANGE_PERMISSION = "token:exchange"
READ_PERMISSION = "report:read"
UNGRANTED_PERMISSION = "admin:write"


class IssuerApi:
    """Client of the issuer admin actions, signed by the official `alibabacloud_tea_openapi` client."""

    def __init__(self, config: Config) -> None:
        self._client = OpenApiClient(config)

    def call(self, action: str, **params: str | int) -> dict:
        """Call `action` with `params` as a signed form body and return the JSON body.

        Raises `AlibabaCloudException` for an error reply, as generated SDK clients do.
        """
        api_params = open_api_models.Params(
            action=action,
            version=ISSUER_API_VERSION,
            protocol="HTTPS",
            pathname="/",
            method="POST",
            auth_type="AK",
            style="RPC",
            req_body_type="formData",
            body_type="json",
        )
        request = open_api_models.OpenApiRequest(
            body={name: str(value) for name, value in params.items()}
        )
        return self._client.call_api(api_params, request, RuntimeOptions())["body"]


@dataclass(frozen=True)
class IssuerUrls:
    """The issuer URL and its endpoints, as GetIssuer returns them."""

    issuer: str
    discovery: str
    jwks_uri: str
    token: str
    introspection: str
    revocation: str
    signing_algorithm: str

    @classmethod
    def from_get_issuer(cls, body: dict) -> "IssuerUrls":
        issuer = body["Issuer"]
        return cls(
            issuer=issuer["IssuerUrl"],
            discovery=issuer["DiscoveryUrl"],
            jwks_uri=issuer["JwksUri"],
            token=issuer["TokenEndpoint"],
            introspection=issuer["IntrospectionEndpoint"],
            revocation=issuer["RevocationEndpoint"],
            signing_algorithm=issuer["SigningAlgorithm"],
        )


@dataclass(frozen=True)
class M2mClient:
    """An issuer client and the secret that CreateClient returned once."""

    client_id: str
    secret: str


@dataclass(frozen=True)
class M2mSetup:
    """A resource server, two granted clients, and akless's own issuer registered as an OIDC provider
    with a role whose trust policy admits only `client`."""

    urls: IssuerUrls
    ca_file: Path
    resource_server_name: str
    audience: str
    """The resource server Identifier: the tokens' `aud` and the OIDC provider's ClientId."""
    client: M2mClient
    other_client: M2mClient
    """Client with the same grant as `client`, which the role's trust policy does not name."""
    provider_arn: str
    provider_fingerprints: str
    role_name: str
    role_arn: str

    def scope(self, permission: str = EXCHANGE_PERMISSION) -> str:
        return f"{self.audience}|{permission}"


def create_m2m_setup(api: IssuerApi, ims: ImsClient, ram: RamClient, ca_file: Path) -> M2mSetup:
    """Create the resource server, clients and grants, then the OIDC provider, role and policy."""
    urls = IssuerUrls.from_get_issuer(api.call("GetIssuer"))
    resource_server_name = sdk.unique_name("interop-rs-")
    audience = f"interop.m2m.test/{resource_server_name}"
    api.call(
        "CreateResourceServer",
        ResourceServerName=resource_server_name,
        Identifier=audience,
        Permissions=f"{EXCHANGE_PERMISSION},{READ_PERMISSION},{UNGRANTED_PERMISSION}",
        Description="created by the akless interop tests",
    )

    clients = []
    for name in ("interop-m2m-client", "interop-m2m-other"):
        created = api.call("CreateClient", ClientName=name)
        client = M2mClient(created["Client"]["ClientId"], created["ClientSecret"]["Secret"])
        api.call(
            "CreateGrant",
            ClientId=client.client_id,
            ResourceServerName=resource_server_name,
            Permissions=f"{EXCHANGE_PERMISSION},{READ_PERMISSION}",
        )
        clients.append(client)
    client, other_client = clients

    # Without Fingerprints, akless reads the certificate chain its own listener presents.
    provider = ims.create_oidcprovider(
        ims_models.CreateOIDCProviderRequest(
            oidcprovider_name=sdk.unique_name("akless-issuer-"),
            issuer_url=urls.issuer,
            client_ids=audience,
            description="akless's own M2M issuer, registered by the interop tests",
        )
    ).body.oidcprovider

    # Client IDs contain only letters and digits, so the StringLike pattern matches exactly one client.
    role = sdk.create_role(
        ram,
        name=sdk.unique_name("M2m-Role-"),
        trust_policy=sdk.oidc_trust_policy(provider.arn, urls.issuer, audience, client.client_id),
    )
    sdk.create_and_attach_policy(
        ram,
        role_name=role.role_name,
        policy_name=sdk.unique_name("m2m-policy-"),
        document=sdk.CALLER_IDENTITY_POLICY,
    )
    return M2mSetup(
        urls=urls,
        ca_file=ca_file,
        resource_server_name=resource_server_name,
        audience=audience,
        client=client,
        other_client=other_client,
        provider_arn=provider.arn,
        provider_fingerprints=provider.fingerprints,
        role_name=role.role_name,
        role_arn=role.arn,
    )


def basic_authorization(client_id: str, secret: str, *, encode_every_byte: bool = False) -> str:
    """Build `Authorization: Basic` for client_secret_basic, with both parts form-encoded first.

    RFC 6749 section 2.3.1 form-encodes the client ID and secret before joining them with ':'.
    `encode_every_byte` percent-encodes even unreserved characters, which a form decoder must accept.
    """
    if encode_every_byte:
        encoded_id = "".join(f"%{byte:02X}" for byte in client_id.encode())
        encoded_secret = "".join(f"%{byte:02X}" for byte in secret.encode())
    else:
        encoded_id, encoded_secret = quote_plus(client_id), quote_plus(secret)
    pair = f"{encoded_id}:{encoded_secret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def post_form(
    url: str,
    ca_file: Path,
    form: dict[str, str],
    *,
    authorization: str | None = None,
) -> requests.Response:
    """POST `form` as application/x-www-form-urlencoded, trusting only the akless CA."""
    headers = {"Authorization": authorization} if authorization else {}
    return requests.post(url, data=form, headers=headers, verify=str(ca_file), timeout=HTTP_TIMEOUT_SECS)


def request_token(
    setup: M2mSetup,
    client: M2mClient | None = None,
    *,
    method: str = "client_secret_basic",
    scope: str | None = None,
) -> requests.Response:
    """Request a client_credentials token with client_secret_basic or client_secret_post."""
    client = client or setup.client
    form = {"grant_type": "client_credentials", "scope": scope or setup.scope()}
    if method == "client_secret_basic":
        authorization = basic_authorization(client.client_id, client.secret)
        return post_form(setup.urls.token, setup.ca_file, form, authorization=authorization)
    if method == "client_secret_post":
        form.update({"client_id": client.client_id, "client_secret": client.secret})
        return post_form(setup.urls.token, setup.ca_file, form)
    raise ValueError(f"unknown client authentication method {method!r}")


def access_token(setup: M2mSetup, client: M2mClient | None = None, scope: str | None = None) -> str:
    """Return a new access token for `client`, failing with the reply when the issuer rejects it."""
    response = request_token(setup, client, scope=scope)
    assert response.status_code == 200, f"token request failed: {response.status_code} {response.text}"
    return response.json()["access_token"]


def get_json(url: str, ca_file: Path) -> dict:
    """GET `url`, trusting only the akless CA, and return the JSON body of a 200 reply."""
    response = requests.get(url, verify=str(ca_file), timeout=HTTP_TIMEOUT_SECS)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text}"
    return response.json()


def fetch_jwks(setup: M2mSetup) -> dict:
    """Read the JWKS that the discovery document points to, checking the document's issuer first."""
    document = get_json(setup.urls.discovery, setup.ca_file)
    assert document["issuer"] == setup.urls.issuer, document
    return get_json(document["jwks_uri"], setup.ca_file)


def verify_access_token(setup: M2mSetup, token: str) -> tuple[dict, dict]:
    """Verify `token` with PyJWT against the published JWKS and return its header and claims.

    Only ES256 is allowed, and `iss`, `aud`, `exp`, `iat`, `nbf`, `sub` and `jti` must be present.
    """
    header = jwt.get_unverified_header(token)
    keys = {key["kid"]: key for key in fetch_jwks(setup)["keys"]}
    assert header.get("kid") in keys, f"kid {header.get('kid')!r} is not in the JWKS: {sorted(keys)}"
    public_key = jwt.PyJWK.from_json(json.dumps(keys[header["kid"]]))
    claims = jwt.decode(
        token,
        key=public_key,
        algorithms=["ES256"],
        audience=setup.audience,
        issuer=setup.urls.issuer,
        options={"require": ["iss", "aud", "exp", "iat", "nbf", "sub", "jti"]},
    )
    return header, claims
