"""AssumeRoleWithOIDC rejections as the official STS SDK reports them: HTTP status and Code."""

import secrets
import time

import pytest

from harness import sdk
from harness.assertions import expect_sdk_error
from harness.issuer import tamper_signature


def exchange(sts, federation, token, session_name="interop-session", role_arn=None, provider_arn=None):
    return lambda: sdk.assume_role_with_oidc(
        sts,
        provider_arn=provider_arn or federation.provider_arn,
        role_arn=role_arn or federation.role_arn,
        token=token,
        session_name=session_name,
    )


def test_wrong_audience_rejected(anonymous_sts, issuer, federation):
    token = issuer.mint(issuer.claims(tenant=federation.tenant, audience="someone-else"))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token),
        code="AuthenticationFail.OIDCToken.AudienceNotMatch",
        status=401,
    )


def test_expired_token_rejected(anonymous_sts, issuer, federation):
    now = int(time.time())
    # Ten minutes past exp is beyond the server's default 60 s leeway.
    claims = issuer.claims(tenant=federation.tenant, issued_at=now - 1800, expires_at=now - 600)

    expect_sdk_error(
        exchange(anonymous_sts, federation, issuer.mint(claims)),
        code="AuthenticationFail.OIDCToken.Expired",
        status=401,
    )


def test_iat_older_than_issuance_limit_rejected(anonymous_sts, issuer, make_federation):
    federation = make_federation(issuance_limit_hours=1)
    now = int(time.time())
    claims = issuer.claims(tenant=federation.tenant, issued_at=now - 7200, expires_at=now + 600)

    expect_sdk_error(
        exchange(anonymous_sts, federation, issuer.mint(claims)),
        code="AuthenticationFail.OIDCToken.Expired",
        status=401,
    )


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_tampered_signature_rejected(anonymous_sts, issuer, federation, alg):
    token = tamper_signature(issuer.mint(issuer.claims(tenant=federation.tenant), alg))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token),
        code="AuthenticationFail.OIDCToken.InvalidSignature",
        status=401,
    )


@pytest.mark.parametrize("which", ["leaf", "random"])
def test_wrong_fingerprint_rejected(anonymous_sts, issuer, issuer_pki, make_federation, which):
    """Only the fingerprint of the last presented certificate (the intermediate) is accepted."""
    fingerprint = issuer_pki.leaf_fingerprint if which == "leaf" else secrets.token_hex(20)
    federation = make_federation(fingerprints=[fingerprint])
    token = issuer.mint(issuer.claims(tenant=federation.tenant))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token),
        code="AuthenticationFail.OIDCToken.HttpsUrlInvalid",
        status=401,
    )


def test_alg_none_rejected(anonymous_sts, issuer, federation):
    token = issuer.mint_alg_none(issuer.claims(tenant=federation.tenant))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token),
        code="AuthenticationFail.OIDCToken.Invalid",
        status=401,
    )


def test_hs256_keyed_with_public_key_rejected(anonymous_sts, issuer, federation):
    token = issuer.mint_hs256_with_public_key(issuer.claims(tenant=federation.tenant))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token),
        code="AuthenticationFail.OIDCToken.Invalid",
        status=401,
    )


def test_unknown_role_rejected(anonymous_sts, issuer, federation, account_id):
    token = issuer.mint(issuer.claims(tenant=federation.tenant))
    missing_role_arn = f"acs:ram::{account_id}:role/{sdk.unique_name('no-such-role-')}"

    expect_sdk_error(
        exchange(anonymous_sts, federation, token, role_arn=missing_role_arn),
        code="EntityNotExist.Role",
        status=404,
    )


@pytest.mark.parametrize("session_name", ["a", "bad name!", "x" * 65])
def test_bad_session_name_rejected(anonymous_sts, issuer, federation, session_name):
    token = issuer.mint(issuer.claims(tenant=federation.tenant))

    expect_sdk_error(
        exchange(anonymous_sts, federation, token, session_name=session_name),
        code="InvalidParameter.RoleSessionName",
        status=400,
    )


def test_subject_condition_not_met_rejected(anonymous_sts, issuer, federation):
    # The trust policy allows StringLike oidc:sub "system:serviceaccount:interop:*".
    claims = issuer.claims(tenant=federation.tenant, subject="system:serviceaccount:other:runner")

    expect_sdk_error(
        exchange(anonymous_sts, federation, issuer.mint(claims)),
        code="AuthenticationFail.NoPermission",
        status=401,
    )


def test_unknown_provider_rejected(anonymous_sts, issuer, federation, account_id):
    token = issuer.mint(issuer.claims(tenant=federation.tenant))
    missing_provider_arn = f"acs:ram::{account_id}:oidc-provider/{sdk.unique_name('no-such-idp-')}"

    error = expect_sdk_error(
        exchange(anonymous_sts, federation, token, provider_arn=missing_provider_arn),
        code="AuthenticationFail.NoPermission",
        status=401,
    )
    assert error.data["Message"] == "No such OIDC Provider registered."


def test_wrong_issuer_rejected(anonymous_sts, issuer, federation):
    claims = issuer.claims(tenant=federation.tenant, issuer=issuer.issuer_url("another-tenant"))

    expect_sdk_error(
        exchange(anonymous_sts, federation, issuer.mint(claims)),
        code="AuthenticationFail.OIDCToken.IssuerNotMatch",
        status=401,
    )


def test_role_trusting_other_provider_rejected(anonymous_sts, issuer, make_federation):
    """A valid token of provider A cannot assume a role whose trust policy names only provider B."""
    provider_a = make_federation()
    provider_b = make_federation()
    token = issuer.mint(issuer.claims(tenant=provider_a.tenant))

    expect_sdk_error(
        exchange(anonymous_sts, provider_a, token, role_arn=provider_b.role_arn),
        code="AuthenticationFail.NoPermission",
        status=401,
    )
