"""Official Alibaba Cloud Python SDK clients pointed at akless, and the admin calls that set up federation.

TLS trust: the generated SDK clients (tea-openapi 0.4, darabonba-core) send requests through
`requests.Session.send`, which ignores `REQUESTS_CA_BUNDLE`, so the clients here pass the akless CA
as `Config.ca`. The credential providers of `alibabacloud_credentials` accept no CA option; they
build an `ssl.create_default_context()`, which reads `SSL_CERT_FILE`, so the suite sets that.
"""

import json
import uuid
from dataclasses import dataclass

from alibabacloud_ims20190815 import models as ims_models
from alibabacloud_ims20190815.client import Client as ImsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config

from .server import AklessServer

CONNECT_TIMEOUT_MS = 5_000
READ_TIMEOUT_MS = 20_000


def unique_name(prefix: str) -> str:
    """Return `prefix` plus 8 random hex digits, so tests never share an entity name."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def sdk_config(
    server: AklessServer,
    *,
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    security_token: str | None = None,
    signature_algorithm: str | None = None,
    credential: object | None = None,
) -> Config:
    """Build a client `Config` for akless; `signature_algorithm='v2'` selects the legacy RPC V1 signer."""
    return Config(
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        security_token=security_token,
        credential=credential,
        signature_algorithm=signature_algorithm,
        endpoint=server.endpoint,
        protocol="https",
        ca=str(server.ca_file),
        region_id="cn-hangzhou",
        connect_timeout=CONNECT_TIMEOUT_MS,
        read_timeout=READ_TIMEOUT_MS,
    )


def root_config(server: AklessServer, signature_algorithm: str | None = None) -> Config:
    return sdk_config(
        server,
        access_key_id=server.root_access_key_id,
        access_key_secret=server.root_access_key_secret,
        signature_algorithm=signature_algorithm,
    )


def ims_client(config: Config) -> ImsClient:
    return ImsClient(config)


def ram_client(config: Config) -> RamClient:
    return RamClient(config)


def sts_client(config: Config) -> StsClient:
    return StsClient(config)


def anonymous_sts_client(server: AklessServer) -> StsClient:
    """Return an STS client without credentials, as workloads use for AssumeRoleWithOIDC."""
    return StsClient(sdk_config(server))


def oidc_trust_policy(
    provider_arn: str,
    issuer_url: str,
    audience: str,
    subject_pattern: str,
    action: str = "sts:AssumeRole",
) -> str:
    """Build a role trust policy for one OIDC provider, checking iss and aud exactly and sub by pattern."""
    document = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": action,
                "Principal": {"Federated": [provider_arn]},
                "Condition": {
                    "StringEquals": {"oidc:iss": [issuer_url], "oidc:aud": [audience]},
                    "StringLike": {"oidc:sub": [subject_pattern]},
                },
            }
        ],
    }
    return json.dumps(document)


CALLER_IDENTITY_POLICY = json.dumps(
    {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
)


@dataclass(frozen=True)
class Federation:
    """An OIDC provider and a role that trusts it, created through the IMS and RAM APIs."""

    tenant: str
    """Path issuer name on the test issuer; tokens for this provider use `claims(tenant=...)`."""
    issuer_url: str
    audience: str
    provider_name: str
    provider_arn: str
    role_name: str
    role_arn: str
    policy_name: str


def create_oidc_provider(
    ims: ImsClient,
    *,
    name: str,
    issuer_url: str,
    client_ids: list[str],
    fingerprints: list[str],
    issuance_limit_hours: int | None = None,
) -> ims_models.CreateOIDCProviderResponseBodyOIDCProvider:
    request = ims_models.CreateOIDCProviderRequest(
        oidcprovider_name=name,
        issuer_url=issuer_url,
        client_ids=",".join(client_ids),
        fingerprints=",".join(fingerprints),
        issuance_limit_time=issuance_limit_hours,
        description="created by the akless interop tests",
    )
    return ims.create_oidcprovider(request).body.oidcprovider


def create_role(
    ram: RamClient, *, name: str, trust_policy: str
) -> ram_models.CreateRoleResponseBodyRole:
    request = ram_models.CreateRoleRequest(
        role_name=name,
        assume_role_policy_document=trust_policy,
        description="created by the akless interop tests",
    )
    return ram.create_role(request).body.role


def create_and_attach_policy(ram: RamClient, *, role_name: str, policy_name: str, document: str) -> None:
    ram.create_policy(
        ram_models.CreatePolicyRequest(policy_name=policy_name, policy_document=document)
    )
    ram.attach_policy_to_role(
        ram_models.AttachPolicyToRoleRequest(
            policy_type="Custom", policy_name=policy_name, role_name=role_name
        )
    )


def assume_role_with_oidc(
    sts: StsClient,
    *,
    provider_arn: str,
    role_arn: str,
    token: str,
    session_name: str,
    duration_seconds: int | None = None,
    policy: str | None = None,
) -> sts_models.AssumeRoleWithOIDCResponseBody:
    request = sts_models.AssumeRoleWithOIDCRequest(
        oidcprovider_arn=provider_arn,
        role_arn=role_arn,
        oidctoken=token,
        role_session_name=session_name,
        duration_seconds=duration_seconds,
        policy=policy,
    )
    return sts.assume_role_with_oidc(request).body
