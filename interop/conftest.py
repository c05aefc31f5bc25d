"""Session fixtures: one test OIDC issuer, one `akless serve` process and root SDK clients.

The suite builds nothing: CI runs `cargo build -p akless` first. Locally, build
`target/debug/akless` or point `AKLESS_BIN` at a binary before running `pytest interop`.
"""

import os
from typing import Callable

import pytest

from harness import sdk
from harness.issuer import DEFAULT_AUDIENCE, TestIssuer
from harness.m2m import IssuerApi, M2mSetup, create_m2m_setup
from harness.pki import IssuerPki, make_issuer_pki
from harness.server import REPO_ROOT, AklessServer, find_binary, start_server

_server_key = pytest.StashKey[AklessServer]()


@pytest.fixture(scope="session")
def issuer_pki(tmp_path_factory: pytest.TempPathFactory) -> IssuerPki:
    return make_issuer_pki(tmp_path_factory.mktemp("issuer-pki"))


@pytest.fixture(scope="session")
def issuer(issuer_pki: IssuerPki):
    test_issuer = TestIssuer(issuer_pki).start()
    yield test_issuer
    test_issuer.stop()


@pytest.fixture(scope="session")
def akless(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, issuer_pki: IssuerPki):
    """Run `akless serve` for the whole session; teardown sends SIGTERM and expects exit code 0."""
    binary = find_binary(REPO_ROOT)
    work = tmp_path_factory.mktemp("akless")
    server = start_server(
        binary,
        data_dir=work / "data",
        trust_ca_file=issuer_pki.root_ca_file,
        log_file=work / "akless.log",
    )
    request.config.stash[_server_key] = server
    # The credential providers of alibabacloud_credentials take no CA option and trust what
    # ssl.create_default_context() loads, which includes SSL_CERT_FILE.
    previous_cert_file = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(server.ca_file)
    yield server
    if previous_cert_file is None:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = previous_cert_file
    exit_code = server.stop()
    assert exit_code == 0, f"akless serve exited with {exit_code} after SIGTERM:\n{server.log_tail()}"


@pytest.fixture(scope="session")
def root_ims(akless: AklessServer):
    return sdk.ims_client(sdk.root_config(akless))


@pytest.fixture(scope="session")
def root_ram(akless: AklessServer):
    return sdk.ram_client(sdk.root_config(akless))


@pytest.fixture(scope="session")
def root_sts(akless: AklessServer):
    return sdk.sts_client(sdk.root_config(akless))


@pytest.fixture(scope="session")
def account_id(root_sts) -> str:
    account = root_sts.get_caller_identity().body.account_id
    assert account, "GetCallerIdentity with the root AccessKey returned no AccountId"
    return account


@pytest.fixture(scope="session")
def issuer_api(akless: AklessServer) -> IssuerApi:
    return IssuerApi(sdk.root_config(akless))


@pytest.fixture(scope="session")
def m2m_setup(akless: AklessServer, issuer_api: IssuerApi, root_ims, root_ram) -> M2mSetup:
    """akless's own token issuer set up once: resource server, clients, grants, OIDC provider and role."""
    return create_m2m_setup(issuer_api, root_ims, root_ram, akless.ca_file)


@pytest.fixture
def anonymous_sts(akless: AklessServer):
    return sdk.anonymous_sts_client(akless)


FederationFactory = Callable[..., sdk.Federation]


@pytest.fixture
def make_federation(issuer: TestIssuer, issuer_pki: IssuerPki, root_ims, root_ram) -> FederationFactory:
    """Create a fresh provider (its own path issuer), a role trusting it and an attached policy.

    Keyword overrides: `fingerprints`, `issuance_limit_hours`, `subject_pattern`,
    `role_name`, `trust_action`.
    """

    def create(
        *,
        fingerprints: list[str] | None = None,
        issuance_limit_hours: int | None = None,
        subject_pattern: str = "system:serviceaccount:interop:*",
        role_name: str | None = None,
        trust_action: str = "sts:AssumeRole",
    ) -> sdk.Federation:
        tenant = sdk.unique_name("tenant-")
        issuer_url = issuer.issuer_url(tenant)
        provider = sdk.create_oidc_provider(
            root_ims,
            name=sdk.unique_name("interop-idp-"),
            issuer_url=issuer_url,
            client_ids=[DEFAULT_AUDIENCE],
            fingerprints=fingerprints if fingerprints is not None else [issuer_pki.intermediate_fingerprint],
            issuance_limit_hours=issuance_limit_hours,
        )
        role = sdk.create_role(
            root_ram,
            name=role_name or sdk.unique_name("Interop-Role-"),
            trust_policy=sdk.oidc_trust_policy(
                provider.arn, issuer_url, DEFAULT_AUDIENCE, subject_pattern, trust_action
            ),
        )
        policy_name = sdk.unique_name("interop-policy-")
        sdk.create_and_attach_policy(
            root_ram,
            role_name=role.role_name,
            policy_name=policy_name,
            document=sdk.CALLER_IDENTITY_POLICY,
        )
        return sdk.Federation(
            tenant=tenant,
            issuer_url=issuer_url,
            audience=DEFAULT_AUDIENCE,
            provider_name=provider.oidcprovider_name,
            provider_arn=provider.arn,
            role_name=role.role_name,
            role_arn=role.arn,
            policy_name=policy_name,
        )

    return create


@pytest.fixture
def federation(make_federation: FederationFactory) -> sdk.Federation:
    return make_federation()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the end of the akless log when a test failed, so CI output shows the server side."""
    server = config.stash.get(_server_key, None)
    if server is None or exitstatus == 0:
        return
    terminalreporter.section("akless serve log (last lines)")
    terminalreporter.write_line(server.log_tail())
