"""Signed-request checks with plain `requests` and a hand-built ACS3-HMAC-SHA256 signature."""

import datetime

from harness.assertions import expect_http_error
from harness.signing import V3Request, utc_timestamp

STS_VERSION = "2015-04-01"


def caller_identity_request(akless, **fields) -> V3Request:
    return V3Request(server=akless, action="GetCallerIdentity", version=STS_VERSION, **fields)


def test_v3_signature_accepted(akless, account_id):
    response = caller_identity_request(akless).sign(
        akless.root_access_key_id, akless.root_access_key_secret
    ).send()

    assert response.status_code == 200, response.text
    assert response.json()["Arn"] == f"acs:ram::{account_id}:root"


def test_v3_wrong_secret_rejected(akless):
    response = caller_identity_request(akless).sign(
        akless.root_access_key_id, akless.root_access_key_secret + "x"
    ).send()

    expect_http_error(response, code="SignatureDoesNotMatch", status=400)


def test_v3_header_changed_after_signing_rejected(akless):
    request = caller_identity_request(akless).sign(
        akless.root_access_key_id, akless.root_access_key_secret
    )
    request.headers["x-acs-signature-nonce"] = request.headers["x-acs-signature-nonce"] + "0"

    expect_http_error(request.send(), code="SignatureDoesNotMatch", status=400)


def test_v3_replayed_nonce_rejected(akless):
    request = caller_identity_request(akless).sign(
        akless.root_access_key_id, akless.root_access_key_secret
    )

    first = request.send()
    replay = request.send()

    assert first.status_code == 200, first.text
    expect_http_error(replay, code="SignatureNonceUsed", status=400)


def test_v3_stale_timestamp_rejected(akless):
    request = caller_identity_request(
        akless, date=utc_timestamp(datetime.timedelta(hours=-1))
    ).sign(akless.root_access_key_id, akless.root_access_key_secret)

    expect_http_error(request.send(), code="InvalidTimeStamp.Expired", status=400)


def test_v3_future_timestamp_rejected(akless):
    request = caller_identity_request(
        akless, date=utc_timestamp(datetime.timedelta(hours=1))
    ).sign(akless.root_access_key_id, akless.root_access_key_secret)

    expect_http_error(request.send(), code="InvalidTimeStamp.Expired", status=400)


def test_v3_unknown_access_key_rejected(akless):
    response = caller_identity_request(akless).sign(
        "LTAIdoesnotexist000000000", akless.root_access_key_secret
    ).send()

    expect_http_error(response, code="InvalidAccessKeyId.NotFound", status=404)

