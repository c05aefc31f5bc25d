"""OIDC provider administration through the IMS SDK, and how changes reach AssumeRoleWithOIDC."""

import secrets

from alibabacloud_ims20190815 import models as ims_models
from alibabacloud_ram20150501 import models as ram_models

from harness import sdk
from harness.assertions import expect_sdk_error


def get_provider(ims, name: str):
    request = ims_models.GetOIDCProviderRequest(oidcprovider_name=name)
    return ims.get_oidcprovider(request).body.oidcprovider


def exchange(anonymous_sts, issuer, federation, audience=None):
    claims = issuer.claims(tenant=federation.tenant)
    if audience is not None:
        claims["aud"] = audience
    return lambda: sdk.assume_role_with_oidc(
        anonymous_sts,
        provider_arn=federation.provider_arn,
        role_arn=federation.role_arn,
        token=issuer.mint(claims),
        session_name="admin-check",
    )


def test_fingerprint_added_later_takes_effect(anonymous_sts, issuer, issuer_pki, make_federation, root_ims):
    stale_fingerprint = secrets.token_hex(20)
    federation = make_federation(fingerprints=[stale_fingerprint])
    expect_sdk_error(
        exchange(anonymous_sts, issuer, federation),
        code="AuthenticationFail.OIDCToken.HttpsUrlInvalid",
        status=401,
    )

    root_ims.add_fingerprint_to_oidcprovider(
        ims_models.AddFingerprintToOIDCProviderRequest(
            oidcprovider_name=federation.provider_name,
            fingerprint=issuer_pki.intermediate_fingerprint,
        )
    )
    root_ims.remove_fingerprint_from_oidcprovider(
        ims_models.RemoveFingerprintFromOIDCProviderRequest(
            oidcprovider_name=federation.provider_name, fingerprint=stale_fingerprint
        )
    )

    provider = get_provider(root_ims, federation.provider_name)
    assert provider.fingerprints == issuer_pki.intermediate_fingerprint
    credentials = exchange(anonymous_sts, issuer, federation)().credentials
    assert credentials.access_key_id.startswith("STS.")


def test_client_id_changes_take_effect(anonymous_sts, issuer, federation, root_ims):
    expect_sdk_error(
        exchange(anonymous_sts, issuer, federation, audience="second-client"),
        code="AuthenticationFail.OIDCToken.AudienceNotMatch",
        status=401,
    )

    root_ims.add_client_id_to_oidcprovider(
        ims_models.AddClientIdToOIDCProviderRequest(
            oidcprovider_name=federation.provider_name, client_id="second-client"
        )
    )
    assert get_provider(root_ims, federation.provider_name).client_ids == (
        f"{federation.audience},second-client"
    )
    # The trust policy still requires oidc:aud == the first client ID, so the token must carry both.
    both = [federation.audience, "second-client"]
    assert exchange(anonymous_sts, issuer, federation, audience=both)().credentials.security_token

    root_ims.remove_client_id_from_oidcprovider(
        ims_models.RemoveClientIdFromOIDCProviderRequest(
            oidcprovider_name=federation.provider_name, client_id=federation.audience
        )
    )
    assert get_provider(root_ims, federation.provider_name).client_ids == "second-client"
    expect_sdk_error(
        exchange(anonymous_sts, issuer, federation),
        code="AuthenticationFail.OIDCToken.AudienceNotMatch",
        status=401,
    )


def test_update_provider_fields(federation, root_ims):
    updated = root_ims.update_oidcprovider(
        ims_models.UpdateOIDCProviderRequest(
            oidcprovider_name=federation.provider_name,
            new_description="updated description",
            client_ids="client-x,client-y",
            issuance_limit_time=24,
        )
    ).body.oidcprovider

    assert updated.description == "updated description"
    assert updated.client_ids == "client-x,client-y"
    assert updated.issuance_limit_time == 24
    fetched = get_provider(root_ims, federation.provider_name)
    assert fetched.description == "updated description"
    assert fetched.issuance_limit_time == 24


def test_duplicate_issuer_url_rejected(federation, root_ims, issuer_pki):
    error = expect_sdk_error(
        lambda: sdk.create_oidc_provider(
            root_ims,
            name=sdk.unique_name("interop-dup-"),
            issuer_url=federation.issuer_url,
            client_ids=[federation.audience],
            fingerprints=[issuer_pki.intermediate_fingerprint],
        ),
        code="EntityAlreadyExists.OIDCProvider.IssuerUrl",
        status=409,
    )
    assert federation.issuer_url in error.data["Message"]


def test_delete_provider_in_use_then_free(federation, root_ims, root_ram):
    delete_provider = lambda: root_ims.delete_oidcprovider(  # noqa: E731
        ims_models.DeleteOIDCProviderRequest(oidcprovider_name=federation.provider_name)
    )
    expect_sdk_error(delete_provider, code="DeleteConflict.OIDCProvider.Role", status=409)

    delete_role = lambda: root_ram.delete_role(  # noqa: E731
        ram_models.DeleteRoleRequest(role_name=federation.role_name)
    )
    expect_sdk_error(delete_role, code="DeleteConflict.Role.Policy", status=409)
    root_ram.detach_policy_from_role(
        ram_models.DetachPolicyFromRoleRequest(
            policy_type="Custom", policy_name=federation.policy_name, role_name=federation.role_name
        )
    )
    delete_role()
    delete_provider()

    expect_sdk_error(
        lambda: get_provider(root_ims, federation.provider_name),
        code="EntityNotExist.OIDCProvider",
        status=404,
    )
