//! `akless oidc-provider`: manages OIDC identity providers through the IMS 2019-08-15 actions.

use clap::{Args, Subcommand};

use super::{
    fetch_list, print_done, print_list, print_object, ConnectionArgs, ListShape, PageArgs,
};
use crate::client::{RpcCall, IMS_VERSION};
use crate::output::{column, Column};

const SHAPE: ListShape = ListShape {
    container: "OIDCProviders",
    item: "OIDCProvider",
};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "OIDCProviderName",
    "Arn",
    "IssuerUrl",
    "ClientIds",
    "Fingerprints",
    "IssuanceLimitTime",
    "Description",
    "CreateDate",
    "UpdateDate",
];

const COLUMNS: &[Column] = &[
    column("NAME", "OIDCProviderName"),
    column("ISSUER URL", "IssuerUrl"),
    column("CLIENT IDS", "ClientIds"),
    column("LIMIT (H)", "IssuanceLimitTime"),
    column("CREATED", "CreateDate"),
    column("DESCRIPTION", "Description"),
];

/// Manage OIDC identity providers (IMS).
#[derive(Args, Debug)]
pub struct OidcProviderArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: OidcProviderCommand,
}

#[derive(Subcommand, Debug)]
pub enum OidcProviderCommand {
    /// Register an OIDC identity provider.
    Create(CreateArgs),
    /// Show one provider.
    Get(NameArgs),
    /// List providers, ordered by name.
    List(PageArgs),
    /// Change the client IDs, issuance limit or description of a provider.
    Update(UpdateArgs),
    /// Delete a provider; fails while a role's trust policy names it.
    Delete(NameArgs),
    /// Add one accepted audience (client ID).
    AddClientId(ClientIdArgs),
    /// Remove one client ID.
    RemoveClientId(ClientIdArgs),
    /// Add one certificate fingerprint.
    AddFingerprint(FingerprintArgs),
    /// Remove one certificate fingerprint.
    RemoveFingerprint(FingerprintArgs),
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Provider name (OIDCProviderName), case-sensitive.
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Provider name: letters, digits, '.', '-' and '_', starting and ending with a letter or digit.
    #[arg(long)]
    pub name: String,

    /// Issuer URL; must start with https:// and equal the `iss` claim of the tokens exactly.
    #[arg(long)]
    pub issuer_url: String,

    /// SHA-1 fingerprints of the last certificate the issuer's HTTPS server presents in its chain (40 hex digits, colons allowed), comma-separated; at most 5. `akless fingerprint ISSUER_URL` prints it.
    /// Default: the server connects to the issuer's jwks_uri host and registers the fingerprint it reads.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub fingerprints: Vec<String>,

    /// Accepted audiences (`aud` values), comma-separated; at most 50. Default: none.
    #[arg(long, value_delimiter = ',')]
    pub client_ids: Vec<String>,

    /// Maximum age of a token's `iat` claim, in hours (1 to 168). Default on the server: 12.
    #[arg(long, value_name = "HOURS")]
    pub issuance_limit_time: Option<u32>,

    /// Free-text description, at most 256 characters.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Provider name.
    #[arg(long)]
    pub name: String,

    /// New accepted audiences, comma-separated; replaces the whole list.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub client_ids: Option<Vec<String>>,

    /// New maximum age of a token's `iat` claim, in hours (1 to 168).
    #[arg(long, value_name = "HOURS")]
    pub issuance_limit_time: Option<u32>,

    /// New description (sent as NewDescription); an empty string clears it.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct ClientIdArgs {
    /// Provider name.
    #[arg(long)]
    pub name: String,

    /// Client ID (an accepted `aud` value).
    #[arg(long)]
    pub client_id: String,
}

#[derive(Args, Debug)]
pub struct FingerprintArgs {
    /// Provider name.
    #[arg(long)]
    pub name: String,

    /// SHA-1 certificate fingerprint, 40 hex digits with or without colons.
    #[arg(long)]
    pub fingerprint: String,
}

fn call(action: &'static str, name: &str) -> RpcCall {
    RpcCall::new(action, IMS_VERSION).param("OIDCProviderName", name)
}

/// Builds the call for one subcommand; `None` for `list`, which pages.
pub fn build_call(command: &OidcProviderCommand) -> anyhow::Result<Option<RpcCall>> {
    let request = match command {
        OidcProviderCommand::Create(args) => call("CreateOIDCProvider", &args.name)
            .param("IssuerUrl", &args.issuer_url)
            .optional_param(
                "Fingerprints",
                (!args.fingerprints.is_empty()).then(|| args.fingerprints.join(",")),
            )
            .optional_param(
                "ClientIds",
                (!args.client_ids.is_empty()).then(|| args.client_ids.join(",")),
            )
            .optional_param(
                "IssuanceLimitTime",
                args.issuance_limit_time.map(|h| h.to_string()),
            )
            .optional_param("Description", args.description.clone()),
        OidcProviderCommand::Get(args) => call("GetOIDCProvider", &args.name),
        OidcProviderCommand::List(_) => return Ok(None),
        OidcProviderCommand::Update(args) => {
            if args.client_ids.is_none()
                && args.issuance_limit_time.is_none()
                && args.description.is_none()
            {
                anyhow::bail!(
                    "nothing to update; pass --client-ids, --issuance-limit-time or --description"
                );
            }
            call("UpdateOIDCProvider", &args.name)
                .optional_param(
                    "ClientIds",
                    args.client_ids.as_ref().map(|ids| ids.join(",")),
                )
                .optional_param(
                    "IssuanceLimitTime",
                    args.issuance_limit_time.map(|h| h.to_string()),
                )
                .optional_param("NewDescription", args.description.clone())
        }
        OidcProviderCommand::Delete(args) => call("DeleteOIDCProvider", &args.name),
        OidcProviderCommand::AddClientId(args) => {
            call("AddClientIdToOIDCProvider", &args.name).param("ClientId", &args.client_id)
        }
        OidcProviderCommand::RemoveClientId(args) => {
            call("RemoveClientIdFromOIDCProvider", &args.name).param("ClientId", &args.client_id)
        }
        OidcProviderCommand::AddFingerprint(args) => {
            call("AddFingerprintToOIDCProvider", &args.name).param("Fingerprint", &args.fingerprint)
        }
        OidcProviderCommand::RemoveFingerprint(args) => {
            call("RemoveFingerprintFromOIDCProvider", &args.name)
                .param("Fingerprint", &args.fingerprint)
        }
    };
    Ok(Some(request))
}

/// Runs `akless oidc-provider <command>`.
pub async fn run(args: OidcProviderArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;

    if let OidcProviderCommand::List(page) = &args.command {
        let body = fetch_list(
            &client,
            RpcCall::new("ListOIDCProviders", IMS_VERSION),
            page,
            SHAPE,
        )
        .await?;
        print_list(format, &body, SHAPE, COLUMNS);
        return Ok(());
    }
    let Some(request) = request else {
        return Ok(());
    };
    let body = client.call(&request).await?;
    match &args.command {
        OidcProviderCommand::Delete(named) => print_done(
            format,
            &body,
            &format!("Deleted OIDC provider {}.", named.name),
        ),
        _ => print_object(format, &body, "OIDCProvider", FIELDS),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: OidcProviderArgs,
    }

    fn parse(argv: &[&str]) -> OidcProviderArgs {
        Cli::try_parse_from(std::iter::once("akless").chain(argv.iter().copied()))
            .expect("parses")
            .args
    }

    fn params(call: &RpcCall) -> Vec<(&str, &str)> {
        call.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn create_joins_lists() {
        let args = parse(&[
            "create",
            "--name",
            "gh",
            "--issuer-url",
            "https://token.actions.githubusercontent.com",
            "--fingerprints",
            "f1,f2",
            "--client-ids",
            "a",
            "--client-ids",
            "b",
            "--issuance-limit-time",
            "24",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "CreateOIDCProvider");
        assert_eq!(call.version, "2019-08-15");
        assert_eq!(
            params(&call),
            vec![
                ("OIDCProviderName", "gh"),
                ("IssuerUrl", "https://token.actions.githubusercontent.com"),
                ("Fingerprints", "f1,f2"),
                ("ClientIds", "a,b"),
                ("IssuanceLimitTime", "24"),
            ]
        );
    }

    #[test]
    fn create_without_fingerprints_lets_server_read_them() {
        let args = parse(&["create", "--name", "gh", "--issuer-url", "https://x"]);
        let call = build_call(&args.command).unwrap().unwrap();
        assert!(call.params.iter().all(|(name, _)| name != "Fingerprints"), "{:?}", call.params);
        let issuer = call.params.iter().find(|(name, _)| name == "IssuerUrl").map(|(_, value)| value.as_str());
        assert_eq!(issuer, Some("https://x"));
    }

    #[test]
    fn update_sends_new_description() {
        let args = parse(&["update", "--name", "gh", "--description", "CI tokens"]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(
            params(&call),
            vec![("OIDCProviderName", "gh"), ("NewDescription", "CI tokens")]
        );
    }

    #[test]
    fn update_without_changes_rejected() {
        let args = parse(&["update", "--name", "gh"]);
        let error = build_call(&args.command).expect_err("must fail");
        assert!(error.to_string().contains("--client-ids"), "{error}");
    }

    #[test]
    fn remove_fingerprint_action() {
        let args = parse(&[
            "remove-fingerprint",
            "--name",
            "gh",
            "--fingerprint",
            "AB:CD",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "RemoveFingerprintFromOIDCProvider");
        assert_eq!(
            params(&call),
            vec![("OIDCProviderName", "gh"), ("Fingerprint", "AB:CD")]
        );
    }

    #[test]
    fn connection_flags_after_subcommand() {
        let args = parse(&[
            "get",
            "--name",
            "gh",
            "--endpoint",
            "https://127.0.0.1:9000",
            "--output",
            "json",
        ]);
        assert_eq!(args.connection.endpoint, "https://127.0.0.1:9000");
        assert_eq!(args.connection.output, crate::output::OutputFormat::Json);
    }
}
