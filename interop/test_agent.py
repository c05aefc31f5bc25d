"""`akless agent` as a sidecar: its token file feeds the official OIDC credentials provider, and its
loopback endpoint feeds the official credentials_uri provider."""

import calendar
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig

from harness import m2m, sdk
from harness.agent import start_agent
from harness.server import find_binary

INTEROP_DIR = Path(__file__).resolve().parent
URI_SESSION_NAME = "agent-credentials-uri"


@pytest.fixture(scope="module")
def agent(akless, m2m_setup, tmp_path_factory):
    """Run one agent with a token file and a credentials endpoint; teardown expects exit code 0."""
    work = tmp_path_factory.mktemp("agent")
    running = start_agent(
        find_binary(), akless, m2m_setup, work, token_file=work / "token", session_name=URI_SESSION_NAME
    )
    yield running
    exit_code = running.stop()
    assert exit_code == 0, f"akless agent exited with {exit_code} after SIGTERM:\n{running.log_text()}"


def assumed_role_arn(account_id: str, setup: m2m.M2mSetup, session_name: str) -> str:
    return f"acs:ram::{account_id}:assumed-role/{setup.role_name.lower()}/{session_name}"


# NOTE: renewal of the token file is not covered. The shortest AccessTokenLifetime is 300 s and the
# agent renews after two thirds of it, which is too slow for this suite.
def test_token_file_holds_issuer_token(agent, m2m_setup):
    text = agent.token_file.read_text()

    assert (
        text == text.strip()
    ), "the token file must hold the bare token, without surrounding whitespace"
    _, claims = m2m.verify_access_token(m2m_setup, text)
    assert claims["sub"] == m2m_setup.client.client_id
    assert claims["aud"] == m2m_setup.audience
    assert claims["exp"] > time.time()
    assert stat.S_IMODE(agent.token_file.stat().st_mode) == 0o600


def test_oidc_provider_reads_agent_token_file(akless, account_id, agent, m2m_setup):
    credential = CredentialClient(
        CredentialConfig(
            type="oidc_role_arn",
            role_arn=m2m_setup.role_arn,
            oidc_provider_arn=m2m_setup.provider_arn,
            oidc_token_file_path=str(agent.token_file),
            role_session_name="agent-token-file",
            sts_endpoint=akless.endpoint,
        )
    )

    model = credential.get_credential()

    assert model.access_key_id.startswith("STS.")
    assert model.security_token
    sts = sdk.sts_client(sdk.sdk_config(akless, credential=credential))
    identity = sts.get_caller_identity().body
    assert identity.arn == assumed_role_arn(account_id, m2m_setup, "agent-token-file")
    assert identity.identity_type == "AssumedRoleUser"


def test_credentials_endpoint_response(agent):
    """The JSON shape that the official providers parse: Code, the three secrets and a UTC Expiration."""
    response = requests.get(agent.credentials_uri, timeout=m2m.HTTP_TIMEOUT_SECS)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Code"] == "Success"
    assert body["AccessKeyId"].startswith("STS.")
    assert body["AccessKeySecret"]
    assert body["SecurityToken"]
    expiration = calendar.timegm(time.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert expiration > time.time()


def test_credentials_uri_config(akless, account_id, agent, m2m_setup):
    credential = CredentialClient(
        CredentialConfig(type="credentials_uri", credentials_uri=agent.credentials_uri)
    )

    model = credential.get_credential()

    assert model.access_key_id.startswith("STS.")
    assert model.security_token
    assert model.type == "credentials_uri"
    sts = sdk.sts_client(sdk.sdk_config(akless, credential=credential))
    identity = sts.get_caller_identity().body
    assert identity.arn == assumed_role_arn(account_id, m2m_setup, URI_SESSION_NAME)
    assert identity.identity_type == "AssumedRoleUser"


def test_credentials_uri_from_environment(akless, account_id, agent, m2m_setup, tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("ALIBABA_CLOUD_")}
    env.update(
        {
            "ALIBABA_CLOUD_CREDENTIALS_URI": agent.credentials_uri,
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
            "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
            "HOME": str(tmp_path),
            "SSL_CERT_FILE": str(akless.ca_file),
        }
    )

    completed = subprocess.run(
        [sys.executable, "-m", "harness.credentials_uri_probe", akless.endpoint, str(akless.ca_file)],
        cwd=INTEROP_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["AccessKeyId"].startswith("STS.")
    assert result["HasSecurityToken"] is True
    assert result["ProviderName"] == "default/credential_uri"
    assert result["Arn"] == assumed_role_arn(account_id, m2m_setup, URI_SESSION_NAME)
    assert result["IdentityType"] == "AssumedRoleUser"
    assert result["AccountId"] == account_id


def test_agent_stops_on_sigterm(akless, m2m_setup, tmp_path):
    running = start_agent(find_binary(), akless, m2m_setup, tmp_path, token_file=tmp_path / "token")
    token = running.token_file.read_text()

    exit_code = running.stop()

    log = running.log_text()
    assert exit_code == 0, log
    assert "agent stopped" in log
    assert m2m_setup.client.secret not in log
    assert token not in log
    assert stat.S_IMODE(running.token_file.stat().st_mode) == 0o600
    assert running.token_file.read_text() == token
