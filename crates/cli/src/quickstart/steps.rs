//! The steps of the quickstart chain, each one call (or a few) against the target server.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{json, Value};

use super::report::Report;
use super::Target;
use crate::client::{
    http_client, Client, ClientError, RpcCall, IMS_VERSION, ISSUER_VERSION, RAM_VERSION,
    STS_VERSION,
};
use crate::credentials::Credentials;
use crate::oauth::{self, AuthMethod, ClientCredentials};
use crate::secret::Secret;
use crate::secure_file;
use crate::sts::{assume_role_with_oidc, AssumeRoleRequest, StsCredentials};
use crate::tools::fingerprint;

/// Permission that the quickstart resource server defines and grants.
const PERMISSION: &str = "read";
/// RoleSessionName of the exchange.
pub const SESSION_NAME: &str = "quickstart";
/// Largest number of OIDC provider pages searched for an existing provider of the issuer URL.
const MAX_PROVIDER_PAGES: usize = 100;

/// Every value the chain created or obtained.
#[derive(Debug, Clone)]
pub struct Summary {
    pub account_id: String,
    pub issuer_url: String,
    pub resource_server: String,
    pub identifier: String,
    pub client_id: String,
    pub secret_file: PathBuf,
    pub scope: String,
    pub fingerprints: Vec<String>,
    pub provider_arn: String,
    pub role_arn: String,
    pub policy_name: String,
    pub token_file: PathBuf,
    pub token_expires_in: u64,
    pub credentials: StsCredentials,
    pub caller_arn: String,
}

/// Runs the chain against `target` and reports each step.
pub async fn run_chain(target: &Target, report: &mut Report) -> anyhow::Result<Summary> {
    let root = target.client(target.root.clone())?;
    let suffix = akless_core::random::random_alnum(6).to_ascii_lowercase();
    let name = format!("quickstart-{suffix}");

    let identity = root
        .call(&RpcCall::new("GetCallerIdentity", STS_VERSION))
        .await
        .context("cannot call the server with the root credentials")?;
    let account_id = text(&identity, &["AccountId"])?;
    let issuer = root
        .call(&RpcCall::new("GetIssuer", ISSUER_VERSION))
        .await
        .context("GetIssuer failed")?;
    let issuer_url = text(&issuer, &["Issuer", "IssuerUrl"])?;
    report.issuer(&account_id, &issuer_url);

    // The identifier becomes the token's `aud` and the client ID registered with the OIDC provider.
    let identifier = name.clone();
    root.call(
        &RpcCall::new("CreateResourceServer", ISSUER_VERSION)
            .param("ResourceServerName", &name)
            .param("Identifier", &identifier)
            .param("Permissions", PERMISSION)
            .param("Description", "Created by akless quickstart"),
    )
    .await
    .context("CreateResourceServer failed")?;
    report.step(&format!(
        "Created resource server {name} (audience {identifier}, permission {PERMISSION})"
    ));

    let created = root
        .call(
            &RpcCall::new("CreateClient", ISSUER_VERSION)
                .param("ClientName", &name)
                .param("AuthMethods", "client_secret_basic")
                .param("Description", "Created by akless quickstart"),
        )
        .await
        .context("CreateClient failed")?;
    let client_id = text(&created, &["Client", "ClientId"])?;
    let client_secret = Secret::new(text(&created, &["ClientSecret", "Secret"])?);
    let secret_file = target.out_dir.join("client-secret");
    secure_file::write_private_atomic(&secret_file, client_secret.expose().as_bytes())?;
    root.call(
        &RpcCall::new("CreateGrant", ISSUER_VERSION)
            .param("ClientId", &client_id)
            .param("ResourceServerName", &name)
            .param("Permissions", PERMISSION),
    )
    .await
    .context("CreateGrant failed")?;
    report.step(&format!(
        "Created client {client_id}, granted it {identifier}|{PERMISSION}, and wrote its secret to {} (mode 0600)",
        secret_file.display()
    ));

    let chains = fingerprint::inspect(&issuer_url, target.ca_file.as_deref(), true, target.timeout)
        .await
        .context("cannot read the issuer's certificate chain")?;
    let fingerprints = fingerprint::Report::new(&issuer_url, &chains)?.fingerprints_to_register();
    report.step(&format!(
        "Read the SHA-1 fingerprint of the last certificate the issuer presents: {}",
        fingerprints.join(", ")
    ));

    let provider_arn =
        register_provider(&root, &name, &issuer_url, &fingerprints, &identifier).await?;
    report.step(&format!(
        "Registered the issuer as OIDC provider {provider_arn} with client ID {identifier}"
    ));

    let role_arn = create_role(&root, &name, &provider_arn, &client_id, &identifier).await?;
    report.step(&format!(
        "Created role {role_arn}, trusting tokens with oidc:sub = {client_id} and oidc:aud = {identifier}, with policy {name} attached"
    ));

    let scope = format!("{identifier}|.all");
    let http = http_client(target.ca_file.as_deref(), target.timeout)?;
    let token_endpoint = oauth::discover(&http, &issuer_url)
        .await
        .context("issuer discovery failed")?
        .token_endpoint;
    let token = oauth::request_token(
        &http,
        &token_endpoint,
        &ClientCredentials {
            client_id: client_id.clone(),
            client_secret,
            auth_method: AuthMethod::ClientSecretBasic,
            scopes: vec![scope.clone()],
        },
    )
    .await
    .context("the token request failed")?;
    let token_file = target.out_dir.join("token.jwt");
    secure_file::write_private_atomic(&token_file, token.access_token.expose().as_bytes())?;
    report.step(&format!(
        "Got an access token (client_credentials, scope {scope}, expires in {} s) and wrote it to {}",
        token.expires_in,
        token_file.display()
    ));

    let request = AssumeRoleRequest {
        role_arn: role_arn.clone(),
        oidc_provider_arn: provider_arn.clone(),
        role_session_name: SESSION_NAME.to_owned(),
        duration_seconds: None,
        policy: None,
    };
    let exchanged = assume_role_with_oidc(
        &http,
        &target.endpoint,
        &request,
        token.access_token.expose(),
        target.timeout,
    )
    .await
    .map_err(explain_exchange_error)?;
    let credentials = exchanged.credentials;
    report.step(&format!(
        "AssumeRoleWithOIDC returned temporary credentials {} (expire {})",
        credentials.access_key_id,
        credentials.expiration_text()
    ));

    let session = target.client(Credentials::new(
        credentials.access_key_id.clone(),
        credentials.access_key_secret.clone(),
        Some(credentials.security_token.clone()),
    )?)?;
    let caller = session
        .call(&RpcCall::new("GetCallerIdentity", STS_VERSION))
        .await
        .context("GetCallerIdentity with the temporary credentials failed")?;
    let caller_arn = text(&caller, &["Arn"])?;
    report.step(&format!(
        "GetCallerIdentity with the temporary credentials: {caller_arn}"
    ));

    Ok(Summary {
        account_id,
        issuer_url,
        resource_server: name.clone(),
        identifier,
        client_id,
        secret_file,
        scope,
        fingerprints,
        provider_arn,
        role_arn,
        policy_name: name,
        token_file,
        token_expires_in: token.expires_in,
        credentials,
        caller_arn,
    })
}

/// Creates the OIDC provider, or, when one already has this issuer URL (the URL is unique per account),
/// adds the client ID and the fingerprints to it. Returns the provider's ARN.
async fn register_provider(
    root: &Client,
    name: &str,
    issuer_url: &str,
    fingerprints: &[String],
    client_id: &str,
) -> anyhow::Result<String> {
    let created = root
        .call(
            &RpcCall::new("CreateOIDCProvider", IMS_VERSION)
                .param("OIDCProviderName", name)
                .param("IssuerUrl", issuer_url)
                .param("Fingerprints", fingerprints.join(","))
                .param("ClientIds", client_id)
                .param(
                    "Description",
                    "akless token issuer, registered by akless quickstart",
                ),
        )
        .await;
    match created {
        Ok(body) => text(&body, &["OIDCProvider", "Arn"]),
        Err(ClientError::Api { code, .. })
            if code == "EntityAlreadyExists.OIDCProvider.IssuerUrl" =>
        {
            let existing = find_provider(root, issuer_url).await?;
            let provider_name = text(&existing, &["OIDCProviderName"])?;
            add_to_provider(
                root,
                &provider_name,
                "AddClientIdToOIDCProvider",
                "ClientId",
                client_id,
            )
            .await?;
            for fingerprint in fingerprints {
                add_to_provider(
                    root,
                    &provider_name,
                    "AddFingerprintToOIDCProvider",
                    "Fingerprint",
                    fingerprint,
                )
                .await?;
            }
            text(&existing, &["Arn"])
        }
        Err(error) => Err(anyhow::Error::new(error).context("CreateOIDCProvider failed")),
    }
}

/// Adds one value to a provider; a value it already has is fine.
async fn add_to_provider(
    root: &Client,
    provider: &str,
    action: &'static str,
    field: &str,
    value: &str,
) -> anyhow::Result<()> {
    let call = RpcCall::new(action, IMS_VERSION)
        .param("OIDCProviderName", provider)
        .param(field, value);
    match root.call(&call).await {
        Ok(_) => Ok(()),
        Err(ClientError::Api { code, .. }) if code.starts_with("EntityAlreadyExists.") => Ok(()),
        Err(error) => Err(anyhow::Error::new(error).context(format!("{action} failed"))),
    }
}

/// Returns the provider whose IssuerUrl is `issuer_url`.
async fn find_provider(root: &Client, issuer_url: &str) -> anyhow::Result<Value> {
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PROVIDER_PAGES {
        let call =
            RpcCall::new("ListOIDCProviders", IMS_VERSION).optional_param("Marker", marker.clone());
        let body = root.call(&call).await.context("ListOIDCProviders failed")?;
        let items = body["OIDCProviders"]["OIDCProvider"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(found) = items.into_iter().find(|p| p["IssuerUrl"] == issuer_url) {
            return Ok(found);
        }
        match body["Marker"]
            .as_str()
            .filter(|m| !m.is_empty() && body["IsTruncated"] == true)
        {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    anyhow::bail!("CreateOIDCProvider reported that a provider for {issuer_url} exists, but ListOIDCProviders does not show it")
}

/// Creates the role, a permission policy and the attachment. Returns the role's ARN.
async fn create_role(
    root: &Client,
    name: &str,
    provider_arn: &str,
    client_id: &str,
    audience: &str,
) -> anyhow::Result<String> {
    let trust = json!({
        "Version": "1",
        "Statement": [{
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Federated": [provider_arn]},
            "Condition": {"StringEquals": {"oidc:sub": client_id, "oidc:aud": audience}},
        }],
    });
    let role = root
        .call(
            &RpcCall::new("CreateRole", RAM_VERSION)
                .param("RoleName", name)
                .param("AssumeRolePolicyDocument", trust.to_string())
                .param("Description", "Created by akless quickstart"),
        )
        .await
        .context("CreateRole failed")?;
    let permissions = json!({
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "oss:GetObject", "Resource": format!("acs:oss:*:*:{name}/*")}],
    });
    root.call(
        &RpcCall::new("CreatePolicy", RAM_VERSION)
            .param("PolicyName", name)
            .param("PolicyDocument", permissions.to_string())
            .param("Description", "Created by akless quickstart"),
    )
    .await
    .context("CreatePolicy failed")?;
    root.call(
        &RpcCall::new("AttachPolicyToRole", RAM_VERSION)
            .param("PolicyType", "Custom")
            .param("PolicyName", name)
            .param("RoleName", name),
    )
    .await
    .context("AttachPolicyToRole failed")?;
    text(&role, &["Role", "Arn"])
}

/// Adds the likely fix to an exchange failure caused by the server's outbound address policy.
fn explain_exchange_error(error: ClientError) -> anyhow::Error {
    let hint = match &error {
        ClientError::Api { code, message, .. }
            if code == "AuthenticationFail.OIDCToken.HttpsUrlInvalid" && message.contains("--allow-private-issuers") =>
        {
            Some("the server blocks its own loopback issuer URL; restart it with --allow-private-issuers")
        }
        _ => None,
    };
    let error = anyhow::Error::new(error).context("AssumeRoleWithOIDC failed");
    match hint {
        Some(hint) => error.context(hint),
        None => error,
    }
}

/// Returns the string at `path` in `body`, or an error naming the path.
fn text(body: &Value, path: &[&str]) -> anyhow::Result<String> {
    let mut value = body;
    for key in path {
        value = &value[*key];
    }
    value
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .with_context(|| format!("the response has no {}", path.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_nested_field() {
        let body = json!({"Issuer": {"IssuerUrl": "https://h/api"}});
        assert_eq!(
            text(&body, &["Issuer", "IssuerUrl"]).expect("present"),
            "https://h/api"
        );
        let error = text(&body, &["Issuer", "JwksUri"]).expect_err("absent");
        assert!(error.to_string().contains("Issuer.JwksUri"), "{error}");
    }

    #[test]
    fn loopback_exchange_failure_names_flag() {
        let error = ClientError::Api {
            status: 401,
            code: "AuthenticationFail.OIDCToken.HttpsUrlInvalid".into(),
            message: "host 127.0.0.1 resolves to the non-public address 127.0.0.1, and requests ... start the server with --allow-private-issuers".into(),
            request_id: "R".into(),
        };
        let text = format!("{:#}", explain_exchange_error(error));
        assert!(
            text.starts_with("the server blocks its own loopback issuer URL"),
            "{text}"
        );
    }
}
