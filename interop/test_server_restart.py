"""A restarted `akless serve` keeps its account, entities and keys, so issued sessions stay valid."""

from alibabacloud_ims20190815 import models as ims_models

from harness import sdk
from harness.issuer import DEFAULT_AUDIENCE
from harness.server import find_binary, start_server


def test_restart_keeps_state(tmp_path, monkeypatch, issuer, issuer_pki):
    # The session fixture puts the main server's CA in SSL_CERT_FILE. Both local CAs are named
    # "CN=akless local CA" and the leaf carries no Authority Key Identifier, so OpenSSL may pick the
    # wrong one (test_listener_tls.py). Trusting only this server's CA keeps the test on restarts.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    binary = find_binary()
    data_dir = tmp_path / "data"
    first = start_server(binary, data_dir, issuer_pki.root_ca_file, tmp_path / "first.log")
    try:
        root_ims = sdk.ims_client(sdk.root_config(first))
        root_ram = sdk.ram_client(sdk.root_config(first))
        account_id = sdk.sts_client(sdk.root_config(first)).get_caller_identity().body.account_id
        tenant = sdk.unique_name("tenant-")
        provider = sdk.create_oidc_provider(
            root_ims,
            name=sdk.unique_name("interop-restart-"),
            issuer_url=issuer.issuer_url(tenant),
            client_ids=[DEFAULT_AUDIENCE],
            fingerprints=[issuer_pki.intermediate_fingerprint],
        )
        role = sdk.create_role(
            root_ram,
            name=sdk.unique_name("restart-role-"),
            trust_policy=sdk.oidc_trust_policy(
                provider.arn, issuer.issuer_url(tenant), DEFAULT_AUDIENCE, "*"
            ),
        )
        credentials = sdk.assume_role_with_oidc(
            sdk.anonymous_sts_client(first),
            provider_arn=provider.arn,
            role_arn=role.arn,
            token=issuer.mint(issuer.claims(tenant=tenant)),
            session_name="before-restart",
        ).credentials
        ca_before = first.ca_file.read_bytes()
    finally:
        first_exit = first.stop()
    assert first_exit == 0, first.log_tail()

    second = start_server(binary, data_dir, issuer_pki.root_ca_file, tmp_path / "second.log")
    try:
        assert second.root_access_key_id == first.root_access_key_id
        assert second.ca_file.read_bytes() == ca_before
        root_sts = sdk.sts_client(sdk.root_config(second))
        assert root_sts.get_caller_identity().body.account_id == account_id

        fetched = sdk.ims_client(sdk.root_config(second)).get_oidcprovider(
            ims_models.GetOIDCProviderRequest(oidcprovider_name=provider.oidcprovider_name)
        ).body.oidcprovider
        assert fetched.arn == provider.arn

        session_sts = sdk.sts_client(
            sdk.sdk_config(
                second,
                access_key_id=credentials.access_key_id,
                access_key_secret=credentials.access_key_secret,
                security_token=credentials.security_token,
            )
        )
        identity = session_sts.get_caller_identity().body
        assert identity.arn == (
            f"acs:ram::{account_id}:assumed-role/{role.role_name.lower()}/before-restart"
        )
    finally:
        second_exit = second.stop()
    assert second_exit == 0, second.log_tail()
