"""Test harness for the akless interop suite: a test OIDC issuer, the akless process and SDK clients."""
