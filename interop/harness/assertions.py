"""Assertions on OpenAPI error replies, as the SDK raises them and as raw HTTP returns them."""

from typing import Any, Callable

import pytest
import requests
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException


def expect_sdk_error(call: Callable[[], Any], *, code: str, status: int) -> AlibabaCloudException:
    """Run `call`, expect the SDK to raise an API error with `code` and HTTP `status`, return it."""
    with pytest.raises(AlibabaCloudException) as raised:
        call()
    error = raised.value
    assert error.code == code, f"expected Code {code}, got {error.code}: {error.message}"
    assert error.status_code == status, (
        f"expected HTTP {status} for {code}, got {error.status_code}: {error.message}"
    )
    assert error.data.get("RequestId"), f"error body has no RequestId: {error.data}"
    return error


def expect_http_error(response: requests.Response, *, code: str, status: int) -> dict:
    """Check a raw reply's status and JSON `Code`, and return the body."""
    assert response.status_code == status, (
        f"expected HTTP {status} with {code}, got {response.status_code}: {response.text}"
    )
    body = response.json()
    assert body.get("Code") == code, f"expected Code {code}, got: {body}"
    assert body.get("Message"), f"error body has no Message: {body}"
    assert body.get("RequestId"), f"error body has no RequestId: {body}"
    return body
