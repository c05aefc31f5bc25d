mod jwks_fetch;
mod testkit;
