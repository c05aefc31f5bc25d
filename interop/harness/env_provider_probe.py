"""Fetch role credentials from environment variables alone, as a workload does, and print the caller identity.

Run as `python -m harness.env_provider_probe HOST:PORT AKLESS_CA_FILE` with ALIBABA_CLOUD_ROLE_ARN,
ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE, ALIBABA_CLOUD_ROLE_SESSION_NAME and
SSL_CERT_FILE set. It runs in its own process because alibabacloud_credentials reads those variables
once, when `alibabacloud_credentials.utils.auth_util` is first imported.

The STS endpoint is a constructor argument: the package reads no environment variable for it,
only ALIBABA_CLOUD_STS_REGION, which always yields a *.aliyuncs.com host.
"""

import json
import sys

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.provider import OIDCRoleArnCredentialsProvider
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config


def main() -> None:
    endpoint, ca_file = sys.argv[1], sys.argv[2]
    provider = OIDCRoleArnCredentialsProvider(sts_endpoint=endpoint)
    credentials = provider.get_credentials()

    sts = StsClient(
        Config(
            credential=CredentialClient(provider=provider),
            endpoint=endpoint,
            protocol="https",
            ca=ca_file,
        )
    )
    identity = sts.get_caller_identity().body
    print(
        json.dumps(
            {
                "AccessKeyId": credentials.get_access_key_id(),
                "HasSecurityToken": bool(credentials.get_security_token()),
                "ProviderName": credentials.get_provider_name(),
                "Arn": identity.arn,
                "IdentityType": identity.identity_type,
                "AccountId": identity.account_id,
            }
        )
    )


if __name__ == "__main__":
    main()
