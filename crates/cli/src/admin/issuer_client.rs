//! `akless client`: manages the issuer's client applications, their secrets and their registered JWKS.

use std::path::PathBuf;

use akless_core::issuer::rules;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::issuer_common::{
    check, check_description, fetch_flat_list, print_client_and_secret, print_flat_list, read_jwks,
    take_secret, IssuerPageArgs, SECRET_FIELDS,
};
use super::{print_done, ConnectionArgs};
use crate::client::{RpcCall, ISSUER_VERSION};
use crate::output::{column, emit, render_json, render_table, Column, OutputFormat};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "ClientId",
    "ClientName",
    "AuthMethods",
    "AccessTokenLifetime",
    "Description",
    "CreateDate",
    "UpdateDate",
    "Jwks",
];

const COLUMNS: &[Column] = &[
    column("CLIENT ID", "ClientId"),
    column("NAME", "ClientName"),
    column("AUTH METHODS", "AuthMethods"),
    column("TOKEN LIFETIME (S)", "AccessTokenLifetime"),
    column("CREATED", "CreateDate"),
    column("DESCRIPTION", "Description"),
];

const SECRET_COLUMNS: &[Column] = &[
    column("SECRET ID", "SecretId"),
    column("STATUS", "Status"),
    column("CREATED", "CreateDate"),
    column("REVOKED", "RevokeDate"),
];

/// Manage issuer clients: the applications that get tokens with the client credentials grant.
#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: ClientCommand,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Create a client (at most 1000 per account). The server generates the client ID and, for secret-based
    /// methods, a first secret, which is shown once.
    Create(CreateArgs),
    /// Show one client.
    Get(ClientIdArgs),
    /// List clients, ordered by client ID.
    List(IssuerPageArgs),
    /// Change the name, authentication methods, token lifetime or description of a client.
    Update(UpdateArgs),
    /// Delete a client with its secrets and grants.
    Delete(ClientIdArgs),
    /// Create another secret (at most 5 active per client); it is shown once.
    AddSecret(AddSecretArgs),
    /// List a client's secrets, active and revoked, without their values.
    ListSecrets(ClientIdArgs),
    /// Revoke a secret; tokens it already obtained stay valid until they expire.
    RevokeSecret(RevokeSecretArgs),
    /// Register the client's public keys for private_key_jwt; {"keys":[]} removes them.
    SetJwks(SetJwksArgs),
}

#[derive(Args, Debug)]
pub struct ClientIdArgs {
    /// Client ID, as CreateClient returned it.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Name for people: 1 to 64 letters, digits, '.', '_' and '-', starting and ending with a letter or digit. Need not be unique.
    #[arg(long)]
    pub name: String,

    /// Allowed authentication methods, comma-separated: client_secret_basic, client_secret_post,
    /// client_secret_jwt, private_key_jwt. Default on the server: client_secret_basic,client_secret_post.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub auth_methods: Vec<String>,

    /// Lifetime of the client's access tokens, in seconds (300 to 43200). Default on the server: 3600.
    #[arg(long, value_name = "SECS")]
    pub access_token_lifetime: Option<u32>,

    /// Free-text description, at most 256 characters.
    #[arg(long)]
    pub description: Option<String>,

    /// File with the client's JWKS for private_key_jwt ('-' reads standard input): at most 16 KiB and 10 keys,
    /// RS256 (RSA 2048 to 8192 bits) or ES256 (P-256) public keys only.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,

    /// Write the first client secret to this file (mode 0600) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub secret_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Client ID.
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// New name (1 to 64 letters, digits, '.', '_' and '-').
    #[arg(long)]
    pub name: Option<String>,

    /// New authentication methods, comma-separated; replaces the whole list.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub auth_methods: Option<Vec<String>>,

    /// New access-token lifetime, in seconds (300 to 43200).
    #[arg(long, value_name = "SECS")]
    pub access_token_lifetime: Option<u32>,

    /// New description, at most 256 characters; an empty string clears it.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct AddSecretArgs {
    /// Client ID.
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// Write the secret to this file (mode 0600) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub secret_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RevokeSecretArgs {
    /// Client ID.
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// Secret ID (cs-…), as add-secret or list-secrets shows it.
    #[arg(long, value_name = "ID")]
    pub secret_id: String,
}

#[derive(Args, Debug)]
pub struct SetJwksArgs {
    /// Client ID.
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// File with the JWKS ('-' reads standard input): at most 16 KiB and 10 keys, RS256 (RSA 2048 to 8192 bits)
    /// or ES256 (P-256) public keys only.
    #[arg(long, value_name = "FILE")]
    pub jwks: PathBuf,
}

fn call(action: &'static str, client_id: &str) -> anyhow::Result<RpcCall> {
    check("--client-id", rules::client_id(client_id))?;
    Ok(RpcCall::new(action, ISSUER_VERSION).param("ClientId", client_id))
}

fn lifetime(field: &'static str, seconds: Option<u32>) -> anyhow::Result<Option<String>> {
    match seconds {
        Some(seconds) => Ok(Some(
            check(
                "--access-token-lifetime",
                rules::access_token_lifetime(field, seconds),
            )?
            .to_string(),
        )),
        None => Ok(None),
    }
}

fn methods(field: &'static str, list: &[String]) -> anyhow::Result<String> {
    let parsed = check(
        "--auth-methods",
        rules::auth_methods_csv(field, &list.join(",")),
    )?;
    Ok(parsed
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

/// Builds the call for one subcommand after checking every flag with the server's rules; `None` for `list`.
pub fn build_call(command: &ClientCommand) -> anyhow::Result<Option<RpcCall>> {
    let request = match command {
        ClientCommand::Create(args) => {
            check("--name", rules::client_name("ClientName", &args.name))?;
            let auth_methods = if args.auth_methods.is_empty() {
                None
            } else {
                Some(methods("AuthMethods", &args.auth_methods)?)
            };
            if let Some(text) = &args.description {
                check_description("--description", "Description", text)?;
            }
            let jwks = match &args.jwks {
                Some(path) => Some(read_jwks("--jwks", path)?),
                None => None,
            };
            RpcCall::new("CreateClient", ISSUER_VERSION)
                .param("ClientName", &args.name)
                .optional_param("AuthMethods", auth_methods)
                .optional_param(
                    "AccessTokenLifetime",
                    lifetime("AccessTokenLifetime", args.access_token_lifetime)?,
                )
                .optional_param("Description", args.description.clone())
                .optional_param("Jwks", jwks)
        }
        ClientCommand::Get(args) => call("GetClient", &args.client_id)?,
        ClientCommand::List(_) => return Ok(None),
        ClientCommand::Update(args) => {
            if args.name.is_none()
                && args.auth_methods.is_none()
                && args.access_token_lifetime.is_none()
                && args.description.is_none()
            {
                anyhow::bail!("nothing to update; pass --name, --auth-methods, --access-token-lifetime or --description");
            }
            if let Some(name) = &args.name {
                check("--name", rules::client_name("NewClientName", name))?;
            }
            let auth_methods = match &args.auth_methods {
                Some(list) => Some(methods("NewAuthMethods", list)?),
                None => None,
            };
            if let Some(text) = &args.description {
                check_description("--description", "NewDescription", text)?;
            }
            call("UpdateClient", &args.client_id)?
                .optional_param("NewClientName", args.name.clone())
                .optional_param("NewAuthMethods", auth_methods)
                .optional_param(
                    "NewAccessTokenLifetime",
                    lifetime("NewAccessTokenLifetime", args.access_token_lifetime)?,
                )
                .optional_param("NewDescription", args.description.clone())
        }
        ClientCommand::Delete(args) => call("DeleteClient", &args.client_id)?,
        ClientCommand::AddSecret(args) => call("CreateClientSecret", &args.client_id)?,
        ClientCommand::ListSecrets(args) => call("ListClientSecrets", &args.client_id)?,
        ClientCommand::RevokeSecret(args) => {
            check("--secret-id", rules::secret_id(&args.secret_id))?;
            call("RevokeClientSecret", &args.client_id)?.param("SecretId", &args.secret_id)
        }
        ClientCommand::SetJwks(args) => {
            let jwks = read_jwks("--jwks", &args.jwks)?;
            call("SetClientJwks", &args.client_id)?.param("Jwks", jwks)
        }
    };
    Ok(Some(request))
}

/// Runs `akless client <command>`.
pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;

    if let ClientCommand::List(page) = &args.command {
        let call = RpcCall::new("ListClients", ISSUER_VERSION);
        let body = fetch_flat_list(&client, call, page, "Clients").await?;
        print_flat_list(format, &body, "Clients", COLUMNS);
        return Ok(());
    }
    let Some(request) = request else {
        return Ok(());
    };
    let mut body = client.call(&request).await?;
    match &args.command {
        ClientCommand::Create(create) => {
            take_secret(&mut body, create.secret_out.as_deref())?;
            print_client_and_secret(format, &body, FIELDS);
        }
        ClientCommand::AddSecret(add) => {
            take_secret(&mut body, add.secret_out.as_deref())?;
            print_client_and_secret(format, &body, FIELDS);
        }
        ClientCommand::Delete(named) => print_done(
            format,
            &body,
            &format!("Deleted client {}.", named.client_id),
        ),
        ClientCommand::ListSecrets(_) => print_secrets(format, &body),
        ClientCommand::RevokeSecret(_) => {
            super::print_object(format, &body, "ClientSecret", SECRET_FIELDS)
        }
        _ => super::print_object(format, &body, "Client", FIELDS),
    }
    Ok(())
}

fn print_secrets(format: OutputFormat, body: &Value) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => {
            let items = body["ClientSecrets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            emit(&render_table(SECRET_COLUMNS, items));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ClientArgs,
    }

    fn parse(argv: &[&str]) -> ClientArgs {
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
    fn create_checks_and_sends_fields() {
        let args = parse(&[
            "create",
            "--name",
            "billing-job",
            "--auth-methods",
            "client_secret_post,client_secret_basic",
            "--access-token-lifetime",
            "900",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "CreateClient");
        assert_eq!(
            params(&call),
            vec![
                ("ClientName", "billing-job"),
                ("AuthMethods", "client_secret_post,client_secret_basic"),
                ("AccessTokenLifetime", "900"),
            ]
        );
    }

    #[test]
    fn create_rejects_bad_values() {
        for (argv, fragment) in [
            (vec!["create", "--name", "x-"], "--name"),
            (
                vec!["create", "--name", "ok", "--auth-methods", "none"],
                "--auth-methods",
            ),
            (
                vec!["create", "--name", "ok", "--access-token-lifetime", "299"],
                "300 to 43200",
            ),
            (
                vec!["create", "--name", "ok", "--access-token-lifetime", "43201"],
                "300 to 43200",
            ),
        ] {
            let args = parse(&argv);
            let error = build_call(&args.command).expect_err("invalid");
            assert!(error.to_string().contains(fragment), "{argv:?}: {error}");
        }
    }

    #[test]
    fn set_jwks_checks_document() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, r#"{"keys":[]}"#).expect("write");
        let args = parse(&[
            "set-jwks",
            "--client-id",
            "akc1",
            "--jwks",
            empty.to_str().expect("utf8"),
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(
            params(&call),
            vec![("ClientId", "akc1"), ("Jwks", r#"{"keys":[]}"#)]
        );

        let symmetric = dir.path().join("oct.json");
        std::fs::write(&symmetric, r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).expect("write");
        let args = parse(&[
            "set-jwks",
            "--client-id",
            "akc1",
            "--jwks",
            symmetric.to_str().expect("utf8"),
        ]);
        let error = build_call(&args.command).expect_err("symmetric key");
        assert!(error.to_string().contains("invalid --jwks"), "{error}");
    }

    #[test]
    fn revoke_secret_checks_ids() {
        let args = parse(&[
            "revoke-secret",
            "--client-id",
            "akc1",
            "--secret-id",
            "cs-abc",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "RevokeClientSecret");
        assert_eq!(
            params(&call),
            vec![("ClientId", "akc1"), ("SecretId", "cs-abc")]
        );
        let bad = parse(&[
            "revoke-secret",
            "--client-id",
            "akc1",
            "--secret-id",
            "cs abc",
        ]);
        assert!(build_call(&bad.command).is_err());
    }

    #[test]
    fn update_needs_a_change() {
        let args = parse(&["update", "--client-id", "akc1"]);
        let error = build_call(&args.command).expect_err("nothing to update");
        assert!(error.to_string().contains("--auth-methods"), "{error}");
    }
}
