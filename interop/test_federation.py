"""The AK-free chain through the official SDKs: register an IdP, create a role, exchange a token, call as the role."""

import calendar
import re
import time

import pytest
from alibabacloud_ims20190815 import models as ims_models
from alibabacloud_ram20150501 import models as ram_models

from harness import sdk
from harness.issuer import DEFAULT_SUBJECT

ISO8601_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def parse_expiration(value: str) -> int:
    """Parse an Expiration as the official Python credential providers do, strictly."""
    return calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))


def test_root_caller_identity(root_sts, account_id):
    body = root_sts.get_caller_identity().body

    assert re.fullmatch(r"\d{16}", account_id)
    assert body.arn == f"acs:ram::{account_id}:root"
    assert body.identity_type == "Account"
    assert body.request_id


def test_create_oidc_provider_response(root_ims, issuer, issuer_pki):
    name = sdk.unique_name("interop-idp-")
    issuer_url = issuer.issuer_url(sdk.unique_name("tenant-"))

    provider = sdk.create_oidc_provider(
        root_ims,
        name=name,
        issuer_url=issuer_url,
        client_ids=["client-a", "client-b"],
        fingerprints=[issuer_pki.intermediate_fingerprint.upper()],
        issuance_limit_hours=6,
    )

    assert provider.oidcprovider_name == name
    assert provider.arn.endswith(f":oidc-provider/{name}")
    assert provider.issuer_url == issuer_url
    assert provider.client_ids == "client-a,client-b"
    assert provider.fingerprints == issuer_pki.intermediate_fingerprint
    assert provider.issuance_limit_time == 6
    assert ISO8601_SECONDS.match(provider.create_date)

    fetched = root_ims.get_oidcprovider(
        ims_models.GetOIDCProviderRequest(oidcprovider_name=name)
    ).body.oidcprovider
    assert fetched.arn == provider.arn
    assert fetched.issuer_url == issuer_url


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_oidc_exchange_then_call_as_role(akless, account_id, anonymous_sts, issuer, federation, alg):
    session_name = sdk.unique_name("session-")
    token = issuer.mint(issuer.claims(tenant=federation.tenant), alg)

    body = sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=federation.provider_arn,
        role_arn=federation.role_arn,
        token=token,
        session_name=session_name,
    )

    role_lower = federation.role_name.lower()
    assert federation.role_arn == f"acs:ram::{account_id}:role/{role_lower}"
    credentials = body.credentials
    assert credentials.access_key_id.startswith("STS.")
    assert credentials.access_key_secret
    assert credentials.security_token
    assert ISO8601_SECONDS.match(credentials.expiration)
    lifetime = parse_expiration(credentials.expiration) - time.time()
    assert 3500 < lifetime <= 3600
    assert body.assumed_role_user.arn == f"acs:ram::{account_id}:role/{role_lower}/{session_name}"
    assert body.assumed_role_user.assumed_role_id.endswith(f":{session_name}")
    assert body.oidctoken_info.issuer == federation.issuer_url
    assert body.oidctoken_info.subject == DEFAULT_SUBJECT
    assert body.oidctoken_info.client_ids == federation.audience
    assert body.request_id

    role_sts = sdk.sts_client(
        sdk.sdk_config(
            akless,
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token,
        )
    )
    identity = role_sts.get_caller_identity().body
    assert identity.arn == f"acs:ram::{account_id}:assumed-role/{role_lower}/{session_name}"
    assert identity.identity_type == "AssumedRoleUser"
    assert identity.account_id == account_id


def test_exchange_fetches_issuer_discovery(anonymous_sts, issuer, federation):
    tenant = federation.tenant
    token = issuer.mint(issuer.claims(tenant=tenant))

    sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=federation.provider_arn,
        role_arn=federation.role_arn,
        token=token,
        session_name="discovery-check",
    )

    assert issuer.fetched(f"/t/{tenant}/.well-known/openid-configuration") >= 1
    assert issuer.fetched(f"/t/{tenant}/jwks") >= 1


def test_short_duration_and_action_alias(anonymous_sts, issuer, make_federation):
    federation = make_federation(trust_action="sts:AssumeRoleWithOIDC")
    token = issuer.mint(issuer.claims(tenant=federation.tenant))

    body = sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=federation.provider_arn,
        role_arn=federation.role_arn,
        token=token,
        session_name="short.session@interop",
        duration_seconds=900,
    )

    lifetime = parse_expiration(body.credentials.expiration) - time.time()
    assert 800 < lifetime <= 900


def test_v1_signing_admin_and_role_calls(akless, account_id, anonymous_sts, issuer, issuer_pki):
    """Config(signature_algorithm='v2') makes tea-openapi sign with RPC V1 (HMAC-SHA1, Signature in the query)."""
    v1_root = sdk.root_config(akless, signature_algorithm="v2")
    ims = sdk.ims_client(v1_root)
    ram = sdk.ram_client(v1_root)
    tenant = sdk.unique_name("tenant-")
    issuer_url = issuer.issuer_url(tenant)

    provider = sdk.create_oidc_provider(
        ims,
        name=sdk.unique_name("interop-v1-idp-"),
        issuer_url=issuer_url,
        client_ids=["v1-client"],
        fingerprints=[issuer_pki.intermediate_fingerprint],
    )
    listed = ims.list_oidcproviders(ims_models.ListOIDCProvidersRequest(max_items=100)).body
    assert provider.arn in [p.arn for p in listed.oidcproviders.oidcprovider]

    role = sdk.create_role(
        ram,
        name=sdk.unique_name("interop-v1-role-"),
        trust_policy=sdk.oidc_trust_policy(provider.arn, issuer_url, "v1-client", "*"),
    )
    fetched_role = ram.get_role(ram_models.GetRoleRequest(role_name=role.role_name)).body.role
    assert fetched_role.arn == role.arn
    sdk.create_and_attach_policy(
        ram,
        role_name=role.role_name,
        policy_name=sdk.unique_name("interop-v1-policy-"),
        document=sdk.CALLER_IDENTITY_POLICY,
    )

    token = issuer.mint(issuer.claims(tenant=tenant, audience="v1-client"))
    credentials = sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=provider.arn,
        role_arn=role.arn,
        token=token,
        session_name="v1-session",
    ).credentials

    v1_role_sts = sdk.sts_client(
        sdk.sdk_config(
            akless,
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token,
            signature_algorithm="v2",
        )
    )
    identity = v1_role_sts.get_caller_identity().body
    assert identity.arn == f"acs:ram::{account_id}:assumed-role/{role.role_name.lower()}/v1-session"
    assert identity.identity_type == "AssumedRoleUser"
