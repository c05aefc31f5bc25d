#!/usr/bin/env python3
"""Print request-signature test vectors computed by the official Alibaba Cloud Python signers.

The output is the JSON file crates/core/tests/vectors/signatures.json, which the Rust
unit tests in crates/core/src/signature/ check against.

Setup (the versions that made the committed file are printed in the output):
    python3 -m venv /tmp/vec-venv
    /tmp/vec-venv/bin/pip install alibabacloud-tea-openapi alibabacloud-openapi-util
    /tmp/vec-venv/bin/python interop/vectors/make_signature_vectors.py \
        > crates/core/tests/vectors/signatures.json

Signers used:
- V1 (RPC, HMAC-SHA1): alibabacloud_tea_openapi.utils.Utils.get_rpcsignature, cross-checked
  against alibabacloud_openapi_util.client.Client.get_rpcsignature.
- V1 with the quote_plus quirk (space becomes '+'): alibabacloud_credentials.utils.parameter_helper.
- V3 (ACS3-HMAC-SHA256): alibabacloud_tea_openapi.utils.Utils.get_authorization, cross-checked
  against alibabacloud_openapi_util.client.Client.get_authorization.
"""

import hashlib
import json
from importlib import metadata
from types import SimpleNamespace

from alibabacloud_credentials.utils import parameter_helper
from alibabacloud_openapi_util.client import Client as LegacyUtil
from alibabacloud_tea_openapi.utils import Utils

SECRET = "testSecret"
STS_SECRET = "Cvwj9mHk2TqZ8NbTCxCBRq3K16jtcWFTJAyBEv2xYz1a"


def common(action, nonce, timestamp="2024-05-01T12:00:00Z"):
    return {
        "Action": action,
        "Format": "JSON",
        "Version": "2015-04-01",
        "AccessKeyId": "testid",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
    }


def v1_cases():
    cases = []

    params = common("GetCallerIdentity", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf")
    cases.append(("plain GET", "GET", SECRET, params))

    params = common("CreateOIDCProvider", "nonce-2")
    params.update({
        "Version": "2019-08-15",
        "OIDCProviderName": "test provider",
        "Description": "spaces, star * tilde ~ plus + slash / equals = amp & percent %",
        "IssuerUrl": "https://issuer.example.com/realms/a b",
    })
    cases.append(("reserved characters", "POST", SECRET, params))

    params = common("CreateRole", "nonce-3")
    params.update({
        "Version": "2015-05-01",
        "RoleName": "unicode-role",
        "Description": "中文描述 ü é ß 🚀",
        "AssumeRolePolicyDocument": json.dumps({"Version": "1", "Statement": [{"Effect": "Allow"}]}),
    })
    cases.append(("unicode and JSON values", "POST", SECRET, params))

    params = common("ListRoles", "nonce-4")
    params.update({"Version": "2015-05-01", "Marker": "", "MaxItems": "100"})
    cases.append(("empty value", "GET", SECRET, params))

    params = common("GetCallerIdentity", "nonce-5")
    params.update({
        "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez7Q1",
        "SecurityToken": "AKLS1.0a1b2c3d.c2VhbGVkLXNlc3Npb24tdG9rZW4tZm9yLXRlc3Rz_-",
    })
    cases.append(("STS security token", "POST", STS_SECRET, params))

    params = common("CreatePolicy", "nonce-6")
    params.update({
        "Version": "2015-05-01",
        "PolicyName": "a-b",
        "Tag.1.Key": "env",
        "Tag.1.Value": "dev~test*",
        "Lower_case-key.x~y": "value",
    })
    cases.append(("key ordering and special keys", "GET", SECRET, params))

    vectors = []
    for name, method, secret, params in cases:
        sig = Utils.get_rpcsignature(params, method, secret)
        legacy = LegacyUtil.get_rpcsignature(params, method, secret)
        assert sig == legacy, (name, sig, legacy)
        vectors.append({
            "name": name,
            "method": method,
            "secret": secret,
            "params": sorted([k, v] for k, v in params.items()),
            "signature": sig,
            "space_as_plus": False,
        })

    # credentials-python signs with quote_plus, so a space is encoded '+' (then '%2B').
    params = common("AssumeRole", "nonce-7")
    params.update({"RoleSessionName": "my session", "Policy": '{"Version": "1"}'})
    string_to_sign = parameter_helper.compose_string_to_sign("GET", params)
    sig = parameter_helper.sign_string(string_to_sign, SECRET + "&")
    vectors.append({
        "name": "credentials-python quote_plus quirk",
        "method": "GET",
        "secret": SECRET,
        "params": sorted([k, v] for k, v in params.items()),
        "signature": sig,
        "space_as_plus": True,
    })
    return vectors


def v3_cases():
    empty_body = b""
    form_body = b"RoleName=test-role&Description=a%20b"
    cases = [
        (
            "RPC POST, empty body",
            "POST", "/",
            {"RoleName": "test-role", "MaxItems": "10"},
            {
                "host": "ram.aliyuncs.com",
                "x-acs-action": "GetRole",
                "x-acs-version": "2015-05-01",
                "x-acs-date": "2024-05-01T12:00:00Z",
                "x-acs-signature-nonce": "6c9c7d6b-e1f8-4b7f-9c54-bd1f4e0ff0a7",
                "accept": "application/json",
                "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.2 Core/0.4.6 TeaDSL/2",
            },
            empty_body, "testid", SECRET,
        ),
        (
            "query with reserved and unicode characters",
            "GET", "/",
            {"Description": "a b*c~d/e+f=g&h%", "Name": "中文 ü", "Empty": ""},
            {
                "host": "ims.aliyuncs.com",
                "x-acs-action": "CreateOIDCProvider",
                "x-acs-version": "2019-08-15",
                "x-acs-date": "2024-05-01T12:00:01Z",
                "x-acs-signature-nonce": "nonce-v3-2",
                "accept": "application/json",
            },
            empty_body, "testid", SECRET,
        ),
        (
            "STS credentials and form body",
            "POST", "/",
            {},
            {
                "host": "ram.aliyuncs.com",
                "x-acs-action": "CreateRole",
                "x-acs-version": "2015-05-01",
                "x-acs-date": "2024-05-01T12:00:02Z",
                "x-acs-signature-nonce": "nonce-v3-3",
                "accept": "application/json",
                "content-type": "application/x-www-form-urlencoded",
                "x-acs-accesskey-id": "STS.NUgYrLnoC37mZZCNnAbez7Q1",
                "x-acs-security-token": "AKLS1.0a1b2c3d.c2VhbGVk_-",
            },
            form_body, "STS.NUgYrLnoC37mZZCNnAbez7Q1", STS_SECRET,
        ),
        (
            "header values trimmed, same name twice",
            "GET", "/",
            {"A": "1"},
            {
                "host": "sts.aliyuncs.com",
                "x-acs-action": "GetCallerIdentity",
                "x-acs-version": "2015-04-01",
                "x-acs-date": "2024-05-01T12:00:03Z",
                "x-acs-signature-nonce": "  padded-nonce  ",
                "X-Acs-Custom": "zeta",
                "x-acs-custom": "alpha",
            },
            empty_body, "testid", SECRET,
        ),
    ]
    vectors = []
    for name, method, path, query, headers, body, ak, secret in cases:
        payload = hashlib.sha256(body).hexdigest()
        # do_request always sends the payload hash header, so every vector signs it.
        headers = dict(headers, **{"x-acs-content-sha256": payload})
        request = SimpleNamespace(method=method, pathname=path, query=query, headers=headers)
        auth = Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload, ak, secret)
        legacy = LegacyUtil.get_authorization(request, "ACS3-HMAC-SHA256", payload, ak, secret)
        assert auth == legacy, (name, auth, legacy)
        vectors.append({
            "name": name,
            "method": method,
            "path": path,
            "query": sorted([k, v] for k, v in query.items()),
            # Header names lower-cased as the server sees them; order kept as sent.
            "headers": [[k.lower(), v] for k, v in headers.items()],
            "body": body.decode("utf-8"),
            "hashed_payload": payload,
            "secret": secret,
            "authorization": auth,
        })
    return vectors


def main():
    out = {
        "generator": "interop/vectors/make_signature_vectors.py",
        "packages": {
            name: metadata.version(name)
            for name in ("alibabacloud-tea-openapi", "alibabacloud-openapi-util", "alibabacloud-credentials")
        },
        "v1": v1_cases(),
        "v3": v3_cases(),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
