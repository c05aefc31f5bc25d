"""The M2M token issuer: admin actions through the official signer, the token, introspection and
revocation endpoints over plain HTTP, tokens checked with PyJWT, and their exchange through the
official STS SDK, including during a signing key rotation."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import jwt
import pytest
import requests
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from harness import m2m, sdk
from harness.assertions import expect_sdk_error
from harness.server import find_binary, start_server

TOKEN_RESPONSE_FIELDS = {"token_type", "access_token", "expires_in", "expires_at"}
DEFAULT_LIFETIME_SECS = 3600
CLOCK_MARGIN_SECS = 5
ROTATION_WORKERS = 2
ROTATION_EXCHANGES_PER_KEY = 4
ROTATION_TIMEOUT_SECS = 30.0


def expect_oauth_error(response: requests.Response, *, error: str, status: int) -> dict:
    """Check an RFC 6749 section 5.2 error reply and return its JSON body."""
    assert (
        response.status_code == status
    ), f"expected HTTP {status} with {error}, got {response.status_code}: {response.text}"
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    assert response.headers.get("Cache-Control") == "no-store", response.headers
    body = response.json()
    assert body.get("error") == error, f"expected error {error}, got: {body}"
    assert body.get("error_description"), f"error reply has no error_description: {body}"
    assert "access_token" not in body, body
    return body


def token_form(setup: m2m.M2mSetup, **extra: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "scope": setup.scope(), **extra}


def basic(client: m2m.M2mClient, secret: str | None = None) -> str:
    return m2m.basic_authorization(client.client_id, client.secret if secret is None else secret)


def exchange(akless, setup: m2m.M2mSetup, token: str, session_name: str):
    """Exchange an issuer token with the official STS SDK, anonymously as a workload does."""
    return sdk.assume_role_with_oidc(
        sdk.anonymous_sts_client(akless),
        provider_arn=setup.provider_arn,
        role_arn=setup.role_arn,
        token=token,
        session_name=session_name,
    )


def introspect(setup: m2m.M2mSetup, client: m2m.M2mClient, token: str) -> requests.Response:
    return m2m.post_form(
        setup.urls.introspection, setup.ca_file, {"token": token}, authorization=basic(client)
    )


def revoke(setup: m2m.M2mSetup, client: m2m.M2mClient, token: str) -> requests.Response:
    form = {"token": token, "token_type_hint": "access_token"}
    return m2m.post_form(setup.urls.revocation, setup.ca_file, form, authorization=basic(client))


# Admin actions and discovery


@pytest.mark.parametrize("signature_algorithm", [None, "v2"], ids=["acs3-hmac-sha256", "rpc-hmac-sha1"])
def test_get_issuer_with_official_signers(akless, signature_algorithm):
    api = m2m.IssuerApi(sdk.root_config(akless, signature_algorithm=signature_algorithm))

    urls = m2m.IssuerUrls.from_get_issuer(api.call("GetIssuer"))

    issuer = f"https://127.0.0.1:{akless.port}/api/v2/iauths_system/oauth2"
    assert urls.issuer == issuer
    assert urls.discovery == f"{issuer}/.well-known/openid-configuration"
    assert urls.jwks_uri == f"{issuer}/jwks"
    assert urls.token == f"{issuer}/token"
    assert urls.introspection == f"{issuer}/introspect"
    assert urls.revocation == f"{issuer}/revoke"
    assert urls.signing_algorithm == "ES256"


def test_issuer_action_with_wrong_secret_rejected(akless):
    api = m2m.IssuerApi(
        sdk.sdk_config(
            akless,
            access_key_id=akless.root_access_key_id,
            access_key_secret="not-the-root-secret",
        )
    )

    expect_sdk_error(lambda: api.call("GetIssuer"), code="SignatureDoesNotMatch", status=400)


def test_client_secret_returned_once(m2m_setup, issuer_api):
    client_id = m2m_setup.client.client_id

    fetched = issuer_api.call("GetClient", ClientId=client_id)
    secrets = issuer_api.call("ListClientSecrets", ClientId=client_id)

    assert fetched["Client"]["ClientId"] == client_id
    assert "client_secret_basic" in fetched["Client"]["AuthMethods"]
    assert "client_secret_post" in fetched["Client"]["AuthMethods"]
    assert len(secrets["ClientSecrets"]) == 1
    assert secrets["ClientSecrets"][0]["Status"] == "Active"
    assert "Secret" not in secrets["ClientSecrets"][0]
    assert m2m_setup.client.secret not in str(fetched)
    assert m2m_setup.client.secret not in str(secrets)


def test_provider_fingerprint_filled_in(akless, m2m_setup):
    """CreateOIDCProvider without Fingerprints registers the akless CA, the top of the served chain."""
    ca = x509.load_pem_x509_certificate(akless.ca_file.read_bytes())

    assert m2m_setup.provider_fingerprints == ca.fingerprint(hashes.SHA1()).hex()


def test_discovery_document(m2m_setup):
    urls = m2m_setup.urls

    document = m2m.get_json(urls.discovery, m2m_setup.ca_file)

    assert document["issuer"] == urls.issuer
    assert document["jwks_uri"] == urls.jwks_uri
    assert document["token_endpoint"] == urls.token
    assert document["introspection_endpoint"] == urls.introspection
    assert document["revocation_endpoint"] == urls.revocation
    assert document["grant_types_supported"] == ["client_credentials"]
    for method in ("client_secret_basic", "client_secret_post"):
        assert method in document["token_endpoint_auth_methods_supported"]
        assert method in document["introspection_endpoint_auth_methods_supported"]
        assert method in document["revocation_endpoint_auth_methods_supported"]


# Token endpoint


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_token_response_and_claims(m2m_setup, method):
    before = int(time.time())

    response = m2m.request_token(m2m_setup, method=method)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("Cache-Control") == "no-store"
    assert response.headers.get("Pragma") == "no-cache"
    body = response.json()
    assert TOKEN_RESPONSE_FIELDS <= set(body), body.keys()
    assert (
        "refresh_token" not in body
    ), "RFC 6749 section 4.4.3: client_credentials gets no refresh token"
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == DEFAULT_LIFETIME_SECS
    issued_at = body["expires_at"] - body["expires_in"]
    assert before <= issued_at <= int(time.time()) + CLOCK_MARGIN_SECS

    header, claims = m2m.verify_access_token(m2m_setup, body["access_token"])
    assert header["alg"] == "ES256"
    assert header["typ"] == m2m.ACCESS_TOKEN_TYPE
    assert claims["iss"] == m2m_setup.urls.issuer
    assert claims["aud"] == m2m_setup.audience
    assert claims["sub"] == m2m_setup.client.client_id
    assert claims["client_id"] == m2m_setup.client.client_id
    assert claims["scope"] == m2m.EXCHANGE_PERMISSION
    assert claims["jti"]
    assert claims["exp"] == body["expires_at"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["nbf"] <= claims["iat"]


def test_token_verified_by_joserfc(m2m_setup):
    """A second JOSE library accepts the token too, with only ES256 allowed."""
    token = m2m.access_token(m2m_setup)
    key_set = KeySet.import_key_set(m2m.fetch_jwks(m2m_setup))
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": m2m_setup.urls.issuer},
        aud={"essential": True, "value": m2m_setup.audience},
        sub={"essential": True, "value": m2m_setup.client.client_id},
        exp={"essential": True},
        jti={"essential": True},
    )

    decoded = jose_jwt.decode(token, key_set, algorithms=["ES256"])

    assert decoded.header["alg"] == "ES256"
    assert decoded.header["typ"] == m2m.ACCESS_TOKEN_TYPE
    registry.validate(decoded.claims)


def test_all_scope_selects_granted_permissions(m2m_setup):
    token = m2m.access_token(m2m_setup, scope=m2m_setup.scope(".all"))

    _, claims = m2m.verify_access_token(m2m_setup, token)

    assert set(claims["scope"].split(" ")) == {m2m.EXCHANGE_PERMISSION, m2m.READ_PERMISSION}


def test_basic_credentials_are_form_decoded(m2m_setup):
    """RFC 6749 section 2.3.1: the server form-decodes both parts, so over-encoded bytes still match."""
    client = m2m_setup.client
    authorization = m2m.basic_authorization(client.client_id, client.secret, encode_every_byte=True)

    response = m2m.post_form(
        m2m_setup.urls.token, m2m_setup.ca_file, token_form(m2m_setup), authorization=authorization
    )

    assert response.status_code == 200, response.text
    _, claims = m2m.verify_access_token(m2m_setup, response.json()["access_token"])
    assert claims["sub"] == client.client_id


def test_tokens_have_distinct_jti(m2m_setup):
    first = m2m.verify_access_token(m2m_setup, m2m.access_token(m2m_setup))[1]
    second = m2m.verify_access_token(m2m_setup, m2m.access_token(m2m_setup))[1]

    assert first["jti"] != second["jti"]


def test_token_exchanged_for_role_session(akless, account_id, m2m_setup):
    token = m2m.access_token(m2m_setup)

    body = exchange(akless, m2m_setup, token, "m2m-exchange")

    role_lower = m2m_setup.role_name.lower()
    assert body.credentials.access_key_id.startswith("STS.")
    assert body.credentials.security_token
    assert body.assumed_role_user.arn == f"acs:ram::{account_id}:role/{role_lower}/m2m-exchange"
    assert body.assumed_role_user.assumed_role_id.endswith(":m2m-exchange")
    assert body.oidctoken_info.subject == m2m_setup.client.client_id
    assert body.oidctoken_info.issuer == m2m_setup.urls.issuer
    assert body.oidctoken_info.client_ids == m2m_setup.audience

    session_sts = sdk.sts_client(
        sdk.sdk_config(
            akless,
            access_key_id=body.credentials.access_key_id,
            access_key_secret=body.credentials.access_key_secret,
            security_token=body.credentials.security_token,
        )
    )
    identity = session_sts.get_caller_identity().body
    assert identity.arn == f"acs:ram::{account_id}:assumed-role/{role_lower}/m2m-exchange"
    assert identity.identity_type == "AssumedRoleUser"
    assert identity.account_id == account_id


def test_untrusted_client_exchange_rejected(akless, m2m_setup):
    """The role trusts oidc:sub = the first client only; the second client's valid token is rejected."""
    token = m2m.access_token(m2m_setup, client=m2m_setup.other_client)

    expect_sdk_error(
        lambda: exchange(akless, m2m_setup, token, "m2m-untrusted"),
        code="AuthenticationFail.NoPermission",
        status=401,
    )


# Token endpoint errors (RFC 6749 section 5.2)


def test_wrong_secret_basic_rejected(m2m_setup):
    wrong = "akcs_" + "x" * 43

    response = m2m.post_form(
        m2m_setup.urls.token,
        m2m_setup.ca_file,
        token_form(m2m_setup),
        authorization=basic(m2m_setup.client, wrong),
    )

    expect_oauth_error(response, error="invalid_client", status=401)
    assert response.headers["WWW-Authenticate"].lower().startswith("basic"), response.headers
    assert wrong not in response.text


def test_wrong_secret_post_rejected(m2m_setup):
    form = token_form(m2m_setup, client_id=m2m_setup.client.client_id, client_secret="akcs_wrong")

    response = m2m.post_form(m2m_setup.urls.token, m2m_setup.ca_file, form)

    expect_oauth_error(response, error="invalid_client", status=401)
    assert "akcs_wrong" not in response.text


def test_unknown_client_looks_like_wrong_secret(m2m_setup):
    """An unknown client_id gets the reply of a wrong secret, so client IDs cannot be probed."""
    unknown = m2m.M2mClient(client_id="akc" + "0" * 21, secret=m2m_setup.client.secret)
    form = token_form(m2m_setup)

    unknown_reply = m2m.post_form(
        m2m_setup.urls.token, m2m_setup.ca_file, form, authorization=basic(unknown)
    )
    wrong_reply = m2m.post_form(
        m2m_setup.urls.token,
        m2m_setup.ca_file,
        form,
        authorization=basic(m2m_setup.client, "akcs_wrong"),
    )

    unknown_body = expect_oauth_error(unknown_reply, error="invalid_client", status=401)
    wrong_body = expect_oauth_error(wrong_reply, error="invalid_client", status=401)
    assert unknown_body["error_description"] == wrong_body["error_description"]


def test_unsupported_grant_type(m2m_setup):
    form = token_form(m2m_setup, grant_type="password")

    response = m2m.post_form(
        m2m_setup.urls.token, m2m_setup.ca_file, form, authorization=basic(m2m_setup.client)
    )

    body = expect_oauth_error(response, error="unsupported_grant_type", status=400)
    assert "grant_type" in body["error_description"]


def test_missing_grant_type(m2m_setup):
    form = {"scope": m2m_setup.scope()}

    response = m2m.post_form(
        m2m_setup.urls.token, m2m_setup.ca_file, form, authorization=basic(m2m_setup.client)
    )

    body = expect_oauth_error(response, error="invalid_request", status=400)
    assert "grant_type" in body["error_description"]


def test_ungranted_permission_invalid_scope(m2m_setup):
    scope = m2m_setup.scope(m2m.UNGRANTED_PERMISSION)

    response = m2m.request_token(m2m_setup, scope=scope)

    body = expect_oauth_error(response, error="invalid_scope", status=400)
    assert scope in body["error_description"]


def test_malformed_scope_invalid_scope(m2m_setup):
    response = m2m.request_token(m2m_setup, scope=m2m_setup.audience)

    body = expect_oauth_error(response, error="invalid_scope", status=400)
    assert "scope" in body["error_description"]


def test_unknown_audience_rejected(m2m_setup):
    response = m2m.request_token(m2m_setup, scope="interop.m2m.test/no-such-server|read")

    body = expect_oauth_error(response, error="invalid_grant", status=400)
    assert "scope" in body["error_description"]


def test_missing_client_id_with_post_secret(m2m_setup):
    form = token_form(m2m_setup, client_secret=m2m_setup.client.secret)

    response = m2m.post_form(m2m_setup.urls.token, m2m_setup.ca_file, form)

    body = expect_oauth_error(response, error="invalid_request", status=400)
    assert "client_id" in body["error_description"]


def test_no_client_authentication(m2m_setup):
    response = m2m.post_form(m2m_setup.urls.token, m2m_setup.ca_file, token_form(m2m_setup))

    body = expect_oauth_error(response, error="invalid_client", status=401)
    assert "client_id" in body["error_description"]
    assert "WWW-Authenticate" in response.headers


def test_credentials_in_query_string_ignored(m2m_setup):
    client = m2m_setup.client
    query = urlencode({"client_id": client.client_id, "client_secret": client.secret})

    response = m2m.post_form(f"{m2m_setup.urls.token}?{query}", m2m_setup.ca_file, token_form(m2m_setup))

    expect_oauth_error(response, error="invalid_client", status=401)


def test_repeated_parameter_rejected(m2m_setup):
    """RFC 6749 section 3.2: request parameters must not be included more than once."""
    form = [
        ("grant_type", "client_credentials"),
        ("scope", m2m_setup.scope()),
        ("scope", m2m_setup.scope(m2m.READ_PERMISSION)),
    ]

    response = requests.post(
        m2m_setup.urls.token,
        data=form,
        headers={"Authorization": basic(m2m_setup.client)},
        verify=str(m2m_setup.ca_file),
        timeout=m2m.HTTP_TIMEOUT_SECS,
    )

    body = expect_oauth_error(response, error="invalid_request", status=400)
    assert "scope" in body["error_description"]


def test_json_body_rejected(m2m_setup):
    response = requests.post(
        m2m_setup.urls.token,
        json=token_form(m2m_setup),
        headers={"Authorization": basic(m2m_setup.client)},
        verify=str(m2m_setup.ca_file),
        timeout=m2m.HTTP_TIMEOUT_SECS,
    )

    body = expect_oauth_error(response, error="invalid_request", status=400)
    assert "Content-Type" in body["error_description"]


# Introspection (RFC 7662) and revocation (RFC 7009)


def test_introspect_active_token(m2m_setup):
    token = m2m.access_token(m2m_setup)
    _, claims = m2m.verify_access_token(m2m_setup, token)

    response = introspect(m2m_setup, m2m_setup.client, token)

    assert response.status_code == 200, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == m2m_setup.client.client_id
    assert body["sub"] == m2m_setup.client.client_id
    assert body["aud"] == m2m_setup.audience
    assert body["iss"] == m2m_setup.urls.issuer
    assert body["scope"] == m2m.EXCHANGE_PERMISSION
    assert body["token_type"] == "Bearer"
    assert body["jti"] == claims["jti"]
    assert body["exp"] == claims["exp"]
    assert body["iat"] == claims["iat"]


def test_introspect_other_clients_token_inactive(m2m_setup):
    token = m2m.access_token(m2m_setup)

    response = introspect(m2m_setup, m2m_setup.other_client, token)

    assert response.status_code == 200, response.text
    assert response.json() == {"active": False}


def test_introspect_malformed_token_inactive(m2m_setup):
    response = introspect(m2m_setup, m2m_setup.client, "not.a-token.at-all")

    assert response.status_code == 200, response.text
    assert response.json() == {"active": False}


def test_introspect_needs_client_authentication(m2m_setup):
    token = m2m.access_token(m2m_setup)

    response = m2m.post_form(m2m_setup.urls.introspection, m2m_setup.ca_file, {"token": token})

    expect_oauth_error(response, error="invalid_client", status=401)


def test_introspect_missing_token_parameter(m2m_setup):
    form = {"token_type_hint": "access_token"}

    response = m2m.post_form(
        m2m_setup.urls.introspection, m2m_setup.ca_file, form, authorization=basic(m2m_setup.client)
    )

    body = expect_oauth_error(response, error="invalid_request", status=400)
    assert "token" in body["error_description"]


def test_revoked_token_inactive(m2m_setup):
    revoked = m2m.access_token(m2m_setup)
    other_token = m2m.access_token(m2m_setup)

    response = revoke(m2m_setup, m2m_setup.client, revoked)

    assert response.status_code == 200, response.text
    assert response.headers.get("Cache-Control") == "no-store"
    assert introspect(m2m_setup, m2m_setup.client, revoked).json() == {"active": False}
    assert introspect(m2m_setup, m2m_setup.client, other_token).json()["active"] is True


def test_revoke_malformed_token_succeeds(m2m_setup):
    """RFC 7009 section 2.2: an invalid token needs no revocation, so the reply is still 200."""
    response = revoke(m2m_setup, m2m_setup.client, "not.a-token.at-all")

    assert response.status_code == 200, response.text


def test_revoke_other_clients_token_rejected(m2m_setup):
    token = m2m.access_token(m2m_setup)

    response = revoke(m2m_setup, m2m_setup.other_client, token)

    expect_oauth_error(response, error="unauthorized_client", status=400)
    assert introspect(m2m_setup, m2m_setup.client, token).json()["active"] is True


def test_revoke_needs_client_authentication(m2m_setup):
    token = m2m.access_token(m2m_setup)

    response = m2m.post_form(m2m_setup.urls.revocation, m2m_setup.ca_file, {"token": token})

    expect_oauth_error(response, error="invalid_client", status=401)
    assert introspect(m2m_setup, m2m_setup.client, token).json()["active"] is True


# Signing key rotation


class ExchangeFailedDuringRotation(Exception):
    """An exchange of a freshly issued token failed while the signing key changed."""


def test_rotation_while_exchanging(tmp_path, issuer_pki):
    """Tokens keep passing AssumeRoleWithOIDC while the issuer switches to a key published 1 s earlier.

    The test runs its own server, so the session server keeps its signing key. On this server, the first
    exchange below is the one that makes the STS fetch the issuer's JWKS.
    """
    server = start_server(
        find_binary(), tmp_path / "data", issuer_pki.root_ca_file, tmp_path / "akless.log"
    )
    try:
        api = m2m.IssuerApi(sdk.root_config(server))
        setup = m2m.create_m2m_setup(
            api,
            sdk.ims_client(sdk.root_config(server)),
            sdk.ram_client(sdk.root_config(server)),
            server.ca_file,
        )
        run_rotation_while_exchanging(server, setup, api)
    finally:
        exit_code = server.stop()
    assert exit_code == 0, server.log_tail()


def run_rotation_while_exchanging(server, setup: m2m.M2mSetup, api: m2m.IssuerApi) -> None:
    old_kid = jwt.get_unverified_header(m2m.access_token(setup))["kid"]
    issued_kids: list[str] = []
    exchanged_kids: list[str] = []
    # (kid, error code, message) of each failed token request or exchange.
    failures: list[tuple[str | None, str | None, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def exchange_until_stopped(worker: int) -> None:
        sts = sdk.anonymous_sts_client(server)
        count = 0
        while not stop.is_set():
            count += 1
            kid = None
            try:
                token = m2m.access_token(setup)
                kid = jwt.get_unverified_header(token)["kid"]
                with lock:
                    issued_kids.append(kid)
                sdk.assume_role_with_oidc(
                    sts,
                    provider_arn=setup.provider_arn,
                    role_arn=setup.role_arn,
                    token=token,
                    session_name=f"rotation-{worker}-{count}",
                )
            except (AssertionError, AlibabaCloudException, requests.RequestException) as error:
                detail = f"worker {worker}, exchange {count}: {getattr(error, 'data', None) or error!r}"
                with lock:
                    failures.append((kid, getattr(error, "code", None), detail))
                continue
            with lock:
                exchanged_kids.append(kid)

    def wait_for(condition, description: str) -> None:
        """Wait until `condition()` is true or an exchange failed; fail the test on timeout."""
        deadline = time.monotonic() + ROTATION_TIMEOUT_SECS
        while not condition() and not failures:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"timed out waiting for {description}; kids seen: {sorted(set(issued_kids))}"
                )
            time.sleep(0.02)

    with ThreadPoolExecutor(max_workers=ROTATION_WORKERS) as pool:
        workers = [pool.submit(exchange_until_stopped, worker) for worker in range(ROTATION_WORKERS)]
        try:
            wait_for(
                lambda: len(exchanged_kids) >= ROTATION_EXCHANGES_PER_KEY,
                "exchanges before the rotation",
            )
            if failures:
                pytest.fail(f"exchanges failed before the rotation: {failures}")
            rotated = api.call("RotateSigningKey", ActivationDelay=1)["SigningKey"]
            new_kid = rotated["Kid"]
            wait_for(
                lambda: exchanged_kids.count(new_kid) >= ROTATION_EXCHANGES_PER_KEY,
                f"exchanges of tokens signed by the new key {new_kid}",
            )
        finally:
            stop.set()
            for future in workers:
                future.result()

    assert new_kid != old_kid
    assert rotated["State"] == "Pending"
    assert rotated["Algorithm"] == "ES256"
    assert new_kid in issued_kids, "the issuer never signed with the new key"
    keys = {key["Kid"]: key for key in api.call("ListSigningKeys")["SigningKeys"]}
    assert keys[new_kid]["State"] == "Active"
    assert keys[old_kid]["State"] == "Retiring"
    assert "RemoveDate" in keys[old_kid]
    published = {key["kid"] for key in m2m.fetch_jwks(setup)["keys"]}
    assert {old_kid, new_kid} <= published

    unexpected = [
        failure
        for failure in failures
        if failure[:2] != (new_kid, "AuthenticationFail.OIDCToken.InvalidSignature")
    ]
    assert unexpected == []
    if failures:
        raise ExchangeFailedDuringRotation(f"{len(failures)} failed exchanges, first: {failures[0]}")
    assert exchanged_kids.count(old_kid) >= ROTATION_EXCHANGES_PER_KEY
    assert set(exchanged_kids) == {old_kid, new_kid}
