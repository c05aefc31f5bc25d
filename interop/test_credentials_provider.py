"""The official `alibabacloud_credentials` OIDC role provider against akless as its STS endpoint."""

import json
import os
import subprocess
import sys
from pathlib import Path

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig

from harness import sdk

INTEROP_DIR = Path(__file__).resolve().parent


def test_oidc_role_arn_config(akless, account_id, issuer, federation, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(issuer.mint(issuer.claims(tenant=federation.tenant), "ES256"))
    credential = CredentialClient(
        CredentialConfig(
            type="oidc_role_arn",
            role_arn=federation.role_arn,
            oidc_provider_arn=federation.provider_arn,
            oidc_token_file_path=str(token_file),
            role_session_name="credentials-config",
            sts_endpoint=akless.endpoint,
        )
    )

    model = credential.get_credential()
    assert model.access_key_id.startswith("STS.")
    assert model.security_token

    sts = sdk.sts_client(sdk.sdk_config(akless, credential=credential))
    identity = sts.get_caller_identity().body
    role_lower = federation.role_name.lower()
    assert identity.arn == f"acs:ram::{account_id}:assumed-role/{role_lower}/credentials-config"
    assert identity.identity_type == "AssumedRoleUser"


def test_oidc_provider_from_environment(akless, account_id, issuer, federation, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(issuer.mint(issuer.claims(tenant=federation.tenant)))
    env = dict(os.environ)
    env.update(
        {
            "ALIBABA_CLOUD_ROLE_ARN": federation.role_arn,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": federation.provider_arn,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
            "ALIBABA_CLOUD_ROLE_SESSION_NAME": "from-environment",
            "SSL_CERT_FILE": str(akless.ca_file),
        }
    )

    completed = subprocess.run(
        [sys.executable, "-m", "harness.env_provider_probe", akless.endpoint, str(akless.ca_file)],
        cwd=INTEROP_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    role_lower = federation.role_name.lower()
    assert result["AccessKeyId"].startswith("STS.")
    assert result["HasSecurityToken"] is True
    assert result["ProviderName"] == "oidc_role_arn"
    assert result["Arn"] == f"acs:ram::{account_id}:assumed-role/{role_lower}/from-environment"
    assert result["IdentityType"] == "AssumedRoleUser"
    assert result["AccountId"] == account_id


def test_token_file_with_trailing_newline(akless, issuer, federation, tmp_path):
    """The providers send the file unchanged, and `kubectl create token > FILE` ends it with a newline."""
    token_file = tmp_path / "token"
    token_file.write_text(issuer.mint(issuer.claims(tenant=federation.tenant)) + "\n")
    credential = CredentialClient(
        CredentialConfig(
            type="oidc_role_arn",
            role_arn=federation.role_arn,
            oidc_provider_arn=federation.provider_arn,
            oidc_token_file_path=str(token_file),
            role_session_name="newline-token",
            sts_endpoint=akless.endpoint,
        )
    )

    model = credential.get_credential()

    assert model.access_key_id.startswith("STS.")
    assert model.security_token
