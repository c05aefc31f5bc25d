"""Get credentials through the default provider chain from ALIBABA_CLOUD_CREDENTIALS_URI alone, as a
workload does, and print the caller identity.

Run as `python -m harness.credentials_uri_probe HOST:PORT AKLESS_CA_FILE` with
ALIBABA_CLOUD_CREDENTIALS_URI set. It runs in its own process because alibabacloud_credentials reads that variable once, when
`alibabacloud_credentials.utils.auth_util` is first imported. The caller also sets
ALIBABA_CLOUD_ECS_METADATA_DISABLED=true, so the chain never reaches for the ECS metadata address,
and an empty HOME, so no profile file comes first.
"""

import json
import sys

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.models import Config


def main() -> None:
    endpoint, ca_file = sys.argv[1], sys.argv[2]
    credential = CredentialClient()
    model = credential.get_credential()

    sts = StsClient(Config(credential=credential, endpoint=endpoint, protocol="https", ca=ca_file))
    identity = sts.get_caller_identity().body
    print(
        json.dumps(
            {
                "AccessKeyId": model.access_key_id,
                "HasSecurityToken": bool(model.security_token),
                "ProviderName": model.provider_name,
                "Arn": identity.arn,
                "IdentityType": identity.identity_type,
                "AccountId": identity.account_id,
            }
        )
    )


if __name__ == "__main__":
    main()
