//! `akless resource-server`: manages the APIs that the token issuer issues tokens for.

use akless_core::issuer::rules;
use clap::{Args, Subcommand};

use super::issuer_common::{
    check, check_description, fetch_flat_list, print_flat_list, IssuerPageArgs,
};
use super::{print_done, print_object, ConnectionArgs};
use crate::client::{RpcCall, ISSUER_VERSION};
use crate::output::{column, Column};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "ResourceServerName",
    "Identifier",
    "Permissions",
    "Description",
    "CreateDate",
    "UpdateDate",
];

const COLUMNS: &[Column] = &[
    column("NAME", "ResourceServerName"),
    column("IDENTIFIER", "Identifier"),
    column("PERMISSIONS", "Permissions"),
    column("CREATED", "CreateDate"),
    column("DESCRIPTION", "Description"),
];

/// Manage resource servers: the APIs tokens are issued for, each with an audience identifier and permissions.
#[derive(Args, Debug)]
pub struct ResourceServerArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: ResourceServerCommand,
}

#[derive(Subcommand, Debug)]
pub enum ResourceServerCommand {
    /// Create a resource server (at most 100 per account).
    Create(CreateArgs),
    /// Show one resource server.
    Get(NameArgs),
    /// List resource servers, ordered by name.
    List(IssuerPageArgs),
    /// Replace the permissions or the description; the name and identifier cannot change.
    Update(UpdateArgs),
    /// Delete a resource server; fails while a client has a grant on it.
    Delete(NameArgs),
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Resource server name (ResourceServerName).
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Name: 1 to 64 letters, digits, '.', '_' and '-', starting and ending with a letter or digit. Unique.
    #[arg(long)]
    pub name: String,

    /// Audience identifier, the `aud` of its tokens and the client ID to register with an OIDC provider:
    /// 1 to 128 letters, digits, '.', '-', '_', ':' and '/', starting with a letter or digit. Unique; cannot change.
    #[arg(long, value_name = "ID")]
    pub identifier: String,

    /// Permissions (scope names), comma-separated or repeated: 1 to 50, each 1 to 64 letters, digits, '.', '-',
    /// '_', ':' and '/', starting with a letter or digit.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub permissions: Vec<String>,

    /// Free-text description, at most 256 characters.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Resource server name.
    #[arg(long)]
    pub name: String,

    /// New permissions, replacing the whole list (1 to 50). Fails while a grant contains a dropped permission.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub permissions: Option<Vec<String>>,

    /// New description (sent as NewDescription), at most 256 characters; an empty string clears it.
    #[arg(long)]
    pub description: Option<String>,
}

fn call(action: &'static str, name: &str) -> anyhow::Result<RpcCall> {
    check("--name", rules::resource_server_name(name))?;
    Ok(RpcCall::new(action, ISSUER_VERSION).param("ResourceServerName", name))
}

/// Builds the call for one subcommand after checking every flag with the server's rules; `None` for `list`.
pub fn build_call(command: &ResourceServerCommand) -> anyhow::Result<Option<RpcCall>> {
    let request = match command {
        ResourceServerCommand::Create(args) => {
            check("--identifier", rules::identifier(&args.identifier))?;
            let permissions = check(
                "--permissions",
                rules::permissions_csv("Permissions", &args.permissions.join(",")),
            )?;
            if let Some(text) = &args.description {
                check_description("--description", "Description", text)?;
            }
            call("CreateResourceServer", &args.name)?
                .param("Identifier", &args.identifier)
                .param("Permissions", permissions.join(","))
                .optional_param("Description", args.description.clone())
        }
        ResourceServerCommand::Get(args) => call("GetResourceServer", &args.name)?,
        ResourceServerCommand::List(_) => return Ok(None),
        ResourceServerCommand::Update(args) => {
            if args.permissions.is_none() && args.description.is_none() {
                anyhow::bail!("nothing to update; pass --permissions or --description");
            }
            let permissions = match &args.permissions {
                Some(list) => Some(check(
                    "--permissions",
                    rules::permissions_csv("NewPermissions", &list.join(",")),
                )?),
                None => None,
            };
            if let Some(text) = &args.description {
                check_description("--description", "NewDescription", text)?;
            }
            call("UpdateResourceServer", &args.name)?
                .optional_param("NewPermissions", permissions.map(|p| p.join(",")))
                .optional_param("NewDescription", args.description.clone())
        }
        ResourceServerCommand::Delete(args) => call("DeleteResourceServer", &args.name)?,
    };
    Ok(Some(request))
}

/// Runs `akless resource-server <command>`.
pub async fn run(args: ResourceServerArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;

    if let ResourceServerCommand::List(page) = &args.command {
        let call = RpcCall::new("ListResourceServers", ISSUER_VERSION);
        let body = fetch_flat_list(&client, call, page, "ResourceServers").await?;
        print_flat_list(format, &body, "ResourceServers", COLUMNS);
        return Ok(());
    }
    let Some(request) = request else {
        return Ok(());
    };
    let body = client.call(&request).await?;
    match &args.command {
        ResourceServerCommand::Delete(named) => print_done(
            format,
            &body,
            &format!("Deleted resource server {}.", named.name),
        ),
        _ => print_object(format, &body, "ResourceServer", FIELDS),
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
        args: ResourceServerArgs,
    }

    fn parse(argv: &[&str]) -> ResourceServerArgs {
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
    fn create_joins_and_deduplicates_permissions() {
        let args = parse(&[
            "create",
            "--name",
            "billing",
            "--identifier",
            "api:billing",
            "--permissions",
            "read,write",
            "--permissions",
            "read",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "CreateResourceServer");
        assert_eq!(call.version, "2026-12-01");
        assert_eq!(
            params(&call),
            vec![
                ("ResourceServerName", "billing"),
                ("Identifier", "api:billing"),
                ("Permissions", "read,write")
            ]
        );
    }

    #[test]
    fn create_rejects_bad_values_before_sending() {
        for (argv, fragment) in [
            (
                vec![
                    "create",
                    "--name",
                    "a|b",
                    "--identifier",
                    "x",
                    "--permissions",
                    "r",
                ],
                "--name",
            ),
            (
                vec![
                    "create",
                    "--name",
                    "ok",
                    "--identifier",
                    "a b",
                    "--permissions",
                    "r",
                ],
                "--identifier",
            ),
            (
                vec![
                    "create",
                    "--name",
                    "ok",
                    "--identifier",
                    "x",
                    "--permissions",
                    ".all",
                ],
                "--permissions",
            ),
        ] {
            let args = parse(&argv);
            let error = build_call(&args.command).expect_err("invalid");
            assert!(error.to_string().contains(fragment), "{argv:?}: {error}");
        }
    }

    #[test]
    fn create_rejects_51_permissions() {
        let many: Vec<String> = (0..51).map(|i| format!("p{i}")).collect();
        let joined = many.join(",");
        let args = parse(&[
            "create",
            "--name",
            "ok",
            "--identifier",
            "x",
            "--permissions",
            &joined,
        ]);
        let error = build_call(&args.command).expect_err("too many");
        assert!(error.to_string().contains("got 51"), "{error}");
    }

    #[test]
    fn update_sends_new_fields() {
        let args = parse(&[
            "update",
            "--name",
            "billing",
            "--permissions",
            "read",
            "--description",
            "v2",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(
            params(&call),
            vec![
                ("ResourceServerName", "billing"),
                ("NewPermissions", "read"),
                ("NewDescription", "v2")
            ]
        );
        let empty = parse(&["update", "--name", "billing"]);
        let error = build_call(&empty.command).expect_err("nothing to update");
        assert!(error.to_string().contains("--permissions"), "{error}");
    }

    #[test]
    fn max_items_bounded_by_clap() {
        let result = Cli::try_parse_from(["akless", "list", "--max-items", "101"]);
        assert!(result.is_err());
    }
}
