//! Output of the quickstart: numbered progress lines, then the values to use with an official SDK.
//!
//! With `--output json` the progress goes to standard error and standard output gets one JSON object.

use std::path::Path;

use serde_json::json;

use super::steps::{Summary, SESSION_NAME};
use super::Target;
use crate::output::{emit, OutputFormat};
use crate::sts::shell_quote;

/// Progress printer of one quickstart run.
pub struct Report {
    format: OutputFormat,
    steps: usize,
}

impl Report {
    pub fn new(format: OutputFormat) -> Self {
        Self { format, steps: 0 }
    }

    /// Prints a progress line: to standard output for text, to standard error for JSON output.
    fn line(&self, text: &str) {
        match self.format {
            OutputFormat::Table => emit(&format!("{text}\n")),
            OutputFormat::Json => eprintln!("{text}"),
        }
    }

    /// Reports the server; `embedded` is the data directory and whether it is removed at exit.
    pub fn server(&mut self, target: &Target, embedded: Option<(&Path, bool)>) {
        match embedded {
            Some((dir, removed)) => {
                let fate = if removed { " (removed at exit)" } else { "" };
                self.step(&format!(
                    "Started an embedded akless server at {} with data directory {}{fate}",
                    target.endpoint,
                    dir.display()
                ));
            }
            None => self.step(&format!("Using the akless server at {}", target.endpoint)),
        }
    }

    pub fn issuer(&mut self, account_id: &str, issuer_url: &str) {
        self.step(&format!(
            "Account {account_id}; its token issuer is {issuer_url}"
        ));
    }

    /// Prints the next numbered step.
    pub fn step(&mut self, text: &str) {
        self.steps += 1;
        self.line(&format!("{:>2}. {text}", self.steps));
    }

    /// Prints the values to use with the official SDKs, or the JSON summary.
    pub fn finish(&self, target: &Target, summary: &Summary) {
        match self.format {
            OutputFormat::Json => emit(&crate::output::render_json(&summary_json(target, summary))),
            OutputFormat::Table => emit(&usage_text(target, summary)),
        }
    }

    pub fn keep_running(&self) {
        self.line("\nThe embedded server keeps running; stop it with Ctrl-C.");
    }

    pub fn stopping(&self, temporary: bool) {
        let removal = if temporary {
            " and its temporary data directory is removed"
        } else {
            ""
        };
        self.line(&format!(
            "\nThe embedded server stops now{removal}. Rerun with --keep-running to try these values against it."
        ));
    }
}

/// Renders every value of the run as one JSON object. It contains the temporary credentials.
pub fn summary_json(target: &Target, summary: &Summary) -> serde_json::Value {
    json!({
        "Endpoint": target.endpoint.to_string(),
        "CaFile": target.ca_file.as_ref().map(|p| p.display().to_string()),
        "AccountId": summary.account_id,
        "IssuerUrl": summary.issuer_url,
        "ResourceServerName": summary.resource_server,
        "Identifier": summary.identifier,
        "ClientId": summary.client_id,
        "ClientSecretFile": summary.secret_file.display().to_string(),
        "Scope": summary.scope,
        "Fingerprints": summary.fingerprints,
        "OIDCProviderArn": summary.provider_arn,
        "RoleArn": summary.role_arn,
        "PolicyName": summary.policy_name,
        "RoleSessionName": SESSION_NAME,
        "TokenFile": summary.token_file.display().to_string(),
        "TokenExpiresIn": summary.token_expires_in,
        "Credentials": summary.credentials.to_json(),
        "CallerArn": summary.caller_arn,
    })
}

/// Renders the closing text: environment variables for the OIDC credential provider, the temporary
/// credentials, and an `akless agent` command for ALIBABA_CLOUD_CREDENTIALS_URI.
pub fn usage_text(target: &Target, summary: &Summary) -> String {
    let sts_host = target.endpoint.host_header();
    let ca = target.ca_file.as_ref().map(|p| p.display().to_string());
    let mut out = String::new();
    out.push_str(&format!(
        "\nDone: client {} got a token from the akless issuer and exchanged it for credentials of {}.\n",
        summary.client_id, summary.role_arn
    ));

    out.push_str("\nOfficial SDK OIDC credential provider (alibabacloud-credentials and the Go and Java SDKs):\n");
    for (name, value) in [
        ("ALIBABA_CLOUD_ROLE_ARN", summary.role_arn.clone()),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            summary.provider_arn.clone(),
        ),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            summary.token_file.display().to_string(),
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", SESSION_NAME.to_owned()),
    ] {
        out.push_str(&format!("  export {name}={}\n", shell_quote(&value)));
    }
    if let Some(ca) = &ca {
        out.push_str(&format!(
            "  export SSL_CERT_FILE={q}\n",
            q = shell_quote(ca)
        ));
    }
    out.push_str(&format!(
        "  # STS endpoint: {sts_host} (pass it as sts_endpoint; the credential providers always use HTTPS)\n"
    ));

    out.push_str("\nTemporary credentials (AccessKeyId, AccessKeySecret, SecurityToken):\n");
    for line in summary.credentials.to_shell_exports().lines() {
        out.push_str(&format!("  {line}\n"));
    }

    out.push_str(
        "\nOr keep a token and credentials fresh with the agent (ALIBABA_CLOUD_CREDENTIALS_URI):\n",
    );
    let mut agent = format!(
        "  akless agent --issuer {} --client-id {} --client-secret-file {} \\\n      --scope {} --token-file {} \\\n      --credentials-listen 127.0.0.1:0 --role-arn {} --oidc-provider-arn {} \\\n      --sts-endpoint {}",
        shell_quote(&summary.issuer_url),
        summary.client_id,
        shell_quote(&summary.secret_file.display().to_string()),
        shell_quote(&summary.scope),
        shell_quote(&summary.token_file.display().to_string()),
        summary.role_arn,
        summary.provider_arn,
        target.endpoint,
    );
    if let Some(ca) = &ca {
        agent.push_str(&format!(" --ca-file {}", shell_quote(ca)));
    }
    out.push_str(&agent);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Endpoint;
    use crate::credentials::Credentials;
    use crate::sts::StsCredentials;
    use std::path::PathBuf;
    use std::time::Duration;
    use time::macros::datetime;

    fn target() -> Target {
        Target {
            endpoint: Endpoint::parse("https://127.0.0.1:9443").expect("endpoint"),
            ca_file: Some(PathBuf::from("/data/tls/ca.pem")),
            root: Credentials::new("LTAIroot".into(), "root-secret".into(), None)
                .expect("credentials"),
            timeout: Duration::from_secs(5),
            out_dir: PathBuf::from("/data"),
        }
    }

    fn summary() -> Summary {
        Summary {
            account_id: "1234567890123456".into(),
            issuer_url: "https://127.0.0.1:9443/api/v2/iauths_system/oauth2".into(),
            resource_server: "quickstart-abc".into(),
            identifier: "quickstart-abc".into(),
            client_id: "akcClient".into(),
            secret_file: PathBuf::from("/data/client-secret"),
            scope: "quickstart-abc|.all".into(),
            fingerprints: vec!["ab".repeat(20)],
            provider_arn: "acs:ram::1234567890123456:oidc-provider/quickstart-abc".into(),
            role_arn: "acs:ram::1234567890123456:role/quickstart-abc".into(),
            policy_name: "quickstart-abc".into(),
            token_file: PathBuf::from("/data/token.jwt"),
            token_expires_in: 3600,
            credentials: StsCredentials {
                access_key_id: "STS.id".into(),
                access_key_secret: "sts-secret".into(),
                security_token: "AKLS1.token".into(),
                expiration: datetime!(2030-01-01 00:00:00 UTC),
            },
            caller_arn: "acs:ram::1234567890123456:assumed-role/quickstart-abc/quickstart".into(),
        }
    }

    #[test]
    fn usage_lists_sdk_variables() {
        let text = usage_text(&target(), &summary());
        assert!(
            text.contains(
                "export ALIBABA_CLOUD_ROLE_ARN='acs:ram::1234567890123456:role/quickstart-abc'\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("export ALIBABA_CLOUD_OIDC_TOKEN_FILE='/data/token.jwt'\n"),
            "{text}"
        );
        assert!(
            text.contains("export ALIBABA_CLOUD_SECURITY_TOKEN='AKLS1.token'\n"),
            "{text}"
        );
        assert!(text.contains("STS endpoint: 127.0.0.1:9443"), "{text}");
        assert!(text.contains("--credentials-listen 127.0.0.1:0"), "{text}");
        assert!(text.contains("--ca-file '/data/tls/ca.pem'"), "{text}");
        assert!(!text.contains("root-secret"), "{text}");
    }

    #[test]
    fn json_summary_has_chain_values() {
        let value = summary_json(&target(), &summary());
        assert_eq!(
            value["RoleArn"],
            "acs:ram::1234567890123456:role/quickstart-abc"
        );
        assert_eq!(value["Credentials"]["Expiration"], "2030-01-01T00:00:00Z");
        assert_eq!(
            value["CallerArn"],
            "acs:ram::1234567890123456:assumed-role/quickstart-abc/quickstart"
        );
        assert_eq!(value["TokenFile"], "/data/token.jwt");
        assert!(!value.to_string().contains("root-secret"));
    }
}
