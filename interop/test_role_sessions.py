"""What role session credentials may do: attached policies, session policies, explicit Deny, token checks."""

import json

import pytest
from alibabacloud_ram20150501 import models as ram_models

from harness import sdk
from harness.assertions import expect_sdk_error


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def allow(*actions: str) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": "*"}


def deny(*actions: str) -> dict:
    return {"Effect": "Deny", "Action": list(actions), "Resource": "*"}


def session_ram(akless, anonymous_sts, issuer, federation, policy: str | None = None):
    """Exchange a fresh token for the federation's role and return a RAM client with the session credentials."""
    credentials = sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=federation.provider_arn,
        role_arn=federation.role_arn,
        token=issuer.mint(issuer.claims(tenant=federation.tenant)),
        session_name="policy-check",
        policy=policy,
    ).credentials
    return sdk.ram_client(
        sdk.sdk_config(
            akless,
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=credentials.security_token,
        )
    )


def attach(root_ram, federation, document: str) -> None:
    sdk.create_and_attach_policy(
        root_ram,
        role_name=federation.role_name,
        policy_name=sdk.unique_name("interop-policy-"),
        document=document,
    )


def test_role_policy_allows_listed_action(akless, anonymous_sts, issuer, federation, root_ram):
    attach(root_ram, federation, policy_document(allow("ram:GetRole")))
    ram = session_ram(akless, anonymous_sts, issuer, federation)

    role = ram.get_role(ram_models.GetRoleRequest(role_name=federation.role_name)).body.role
    assert role.arn == federation.role_arn

    expect_sdk_error(
        lambda: ram.create_role(
            ram_models.CreateRoleRequest(
                role_name=sdk.unique_name("not-allowed-"),
                assume_role_policy_document=sdk.oidc_trust_policy(
                    federation.provider_arn, federation.issuer_url, federation.audience, "*"
                ),
            )
        ),
        code="NoPermission",
        status=403,
    )


def test_session_policy_narrows_role_policy(akless, anonymous_sts, issuer, federation, root_ram):
    attach(root_ram, federation, policy_document(allow("ram:GetRole", "ram:ListRoles")))
    ram = session_ram(
        akless, anonymous_sts, issuer, federation, policy=policy_document(allow("ram:ListRoles"))
    )

    listed = ram.list_roles(ram_models.ListRolesRequest()).body
    assert federation.role_name in [role.role_name for role in listed.roles.role]

    expect_sdk_error(
        lambda: ram.get_role(ram_models.GetRoleRequest(role_name=federation.role_name)),
        code="NoPermission",
        status=403,
    )


def test_explicit_deny_wins(akless, anonymous_sts, issuer, federation, root_ram):
    attach(root_ram, federation, policy_document(allow("ram:*"), deny("ram:GetRole")))
    ram = session_ram(akless, anonymous_sts, issuer, federation)

    expect_sdk_error(
        lambda: ram.get_role(ram_models.GetRoleRequest(role_name=federation.role_name)),
        code="NoPermission",
        status=403,
    )


def test_bad_session_policy_rejected(anonymous_sts, issuer, federation):
    expect_sdk_error(
        lambda: sdk.assume_role_with_oidc(
            anonymous_sts,
            provider_arn=federation.provider_arn,
            role_arn=federation.role_arn,
            token=issuer.mint(issuer.claims(tenant=federation.tenant)),
            session_name="bad-policy",
            policy='{"Version": "1", "Statement": "not a list"}',
        ),
        code="InvalidParameter.PolicyGrammar",
        status=400,
    )


@pytest.mark.parametrize("duration_seconds", [899, 3601])
def test_duration_out_of_range_rejected(anonymous_sts, issuer, federation, duration_seconds):
    """The role keeps the default MaxSessionDuration of 3600 s, and 900 s is the minimum."""
    expect_sdk_error(
        lambda: sdk.assume_role_with_oidc(
            anonymous_sts,
            provider_arn=federation.provider_arn,
            role_arn=federation.role_arn,
            token=issuer.mint(issuer.claims(tenant=federation.tenant)),
            session_name="bad-duration",
            duration_seconds=duration_seconds,
        ),
        code="InvalidParameter.DurationSeconds",
        status=400,
    )


@pytest.mark.parametrize("change", ["tampered", "other-session"])
def test_mismatched_security_token_rejected(akless, anonymous_sts, issuer, federation, change):
    def exchange(session_name: str):
        return sdk.assume_role_with_oidc(
            anonymous_sts,
            provider_arn=federation.provider_arn,
            role_arn=federation.role_arn,
            token=issuer.mint(issuer.claims(tenant=federation.tenant)),
            session_name=session_name,
        ).credentials

    credentials = exchange("first-session")
    if change == "tampered":
        token = credentials.security_token
        middle = len(token) // 2
        replacement = "A" if token[middle] != "A" else "B"
        security_token = token[:middle] + replacement + token[middle + 1 :]
    else:
        security_token = exchange("second-session").security_token
    sts = sdk.sts_client(
        sdk.sdk_config(
            akless,
            access_key_id=credentials.access_key_id,
            access_key_secret=credentials.access_key_secret,
            security_token=security_token,
        )
    )

    expect_sdk_error(sts.get_caller_identity, code="InvalidSecurityToken.MalFormed", status=400)
