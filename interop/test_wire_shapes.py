"""AssumeRoleWithOIDC in the request shapes of the official clients that have no Python package here.

Shapes as sent by alibabacloud-go/sts-20150401 (V3 style: Action and Version only in headers,
no Authorization), credentials-go (POST with a form body) and credentials-java (POST with a
form body and no Timestamp).
"""

import re
import secrets

from harness.signing import EMPTY_SHA256, send_form, utc_timestamp

ISO8601_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def exchange_params(issuer, federation, session_name: str) -> dict[str, str]:
    return {
        "RoleArn": federation.role_arn,
        "OIDCProviderArn": federation.provider_arn,
        "OIDCToken": issuer.mint(issuer.claims(tenant=federation.tenant)),
        "RoleSessionName": session_name,
    }


def assert_credentials(response, federation, session_name: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    credentials = body["Credentials"]
    assert credentials["AccessKeyId"].startswith("STS.")
    assert credentials["AccessKeySecret"]
    assert credentials["SecurityToken"]
    assert ISO8601_SECONDS.match(credentials["Expiration"])
    assert body["AssumedRoleUser"]["Arn"].endswith(f":role/{federation.role_name.lower()}/{session_name}")


def test_go_sdk_v3_anonymous_shape(akless, issuer, federation):
    headers = {
        "x-acs-action": "AssumeRoleWithOIDC",
        "x-acs-version": "2015-04-01",
        "x-acs-date": utc_timestamp(),
        "x-acs-signature-nonce": secrets.token_hex(16),
        "x-acs-content-sha256": EMPTY_SHA256,
        "accept": "application/json",
    }

    response = send_form(
        akless,
        method="POST",
        query=exchange_params(issuer, federation, "go-sdk-shape"),
        headers=headers,
    )

    assert_credentials(response, federation, "go-sdk-shape")


def test_credentials_go_form_body_shape(akless, issuer, federation):
    query = {
        "Version": "2015-04-01",
        "Action": "AssumeRoleWithOIDC",
        "Format": "JSON",
        "Timestamp": utc_timestamp(),
    }
    form = exchange_params(issuer, federation, "credentials-go-shape")
    form["DurationSeconds"] = "3600"

    response = send_form(
        akless, method="POST", query=query, form=form, headers={"Accept-Encoding": "identity"}
    )

    assert_credentials(response, federation, "credentials-go-shape")


def test_credentials_java_form_body_without_timestamp(akless, issuer, federation):
    query = {"Action": "AssumeRoleWithOIDC", "Format": "JSON", "Version": "2015-04-01"}
    form = exchange_params(issuer, federation, "credentials-java-shape")
    form["DurationSeconds"] = "3600"

    response = send_form(akless, method="POST", query=query, form=form)

    assert_credentials(response, federation, "credentials-java-shape")


def test_python_sdk_get_with_lower_case_format(akless, issuer, federation):
    query = {
        "Action": "AssumeRoleWithOIDC",
        "Version": "2015-04-01",
        "Format": "json",
        "Timestamp": utc_timestamp(),
        "SignatureNonce": secrets.token_hex(16),
    }
    query.update(exchange_params(issuer, federation, "get-shape"))

    response = send_form(akless, method="GET", query=query)

    assert_credentials(response, federation, "get-shape")
