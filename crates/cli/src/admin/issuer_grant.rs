//! `akless grant`: manages which permissions of which resource server a client may receive.

use akless_core::issuer::rules;
use clap::{Args, Subcommand};

use super::issuer_common::{check, fetch_flat_list, print_flat_list, IssuerPageArgs};
use super::{print_done, print_object, ConnectionArgs};
use crate::client::{RpcCall, ISSUER_VERSION};
use crate::output::{column, Column};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "ClientId",
    "ResourceServerName",
    "Permissions",
    "CreateDate",
    "UpdateDate",
];

const COLUMNS: &[Column] = &[
    column("CLIENT ID", "ClientId"),
    column("RESOURCE SERVER", "ResourceServerName"),
    column("PERMISSIONS", "Permissions"),
    column("UPDATED", "UpdateDate"),
];

/// Manage grants: the permissions of a resource server that a client may request (`<identifier>|<permission>`).
#[derive(Args, Debug)]
pub struct GrantArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: GrantCommand,
}

#[derive(Subcommand, Debug)]
pub enum GrantCommand {
    /// Grant a client permissions of a resource server (one grant per client and resource server).
    Create(PermissionsArgs),
    /// Show one grant.
    Get(PairArgs),
    /// List grants, optionally of one client or one resource server.
    List(ListArgs),
    /// Replace the permissions of a grant.
    Update(PermissionsArgs),
    /// Delete a grant; tokens already issued stay valid until they expire.
    Delete(PairArgs),
}

#[derive(Args, Debug)]
pub struct PairArgs {
    /// Client ID.
    #[arg(long, value_name = "ID")]
    pub client_id: String,

    /// Resource server name.
    #[arg(long, value_name = "NAME")]
    pub resource_server: String,
}

#[derive(Args, Debug)]
pub struct PermissionsArgs {
    #[command(flatten)]
    pub pair: PairArgs,

    /// Permissions to grant, comma-separated or repeated: 1 to 50, each a permission of the resource server.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub permissions: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only grants of this client.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Only grants on this resource server.
    #[arg(long, value_name = "NAME")]
    pub resource_server: Option<String>,

    #[command(flatten)]
    pub page: IssuerPageArgs,
}

fn pair_call(action: &'static str, pair: &PairArgs) -> anyhow::Result<RpcCall> {
    check("--client-id", rules::client_id(&pair.client_id))?;
    check(
        "--resource-server",
        rules::resource_server_name(&pair.resource_server),
    )?;
    Ok(RpcCall::new(action, ISSUER_VERSION)
        .param("ClientId", &pair.client_id)
        .param("ResourceServerName", &pair.resource_server))
}

fn with_permissions(action: &'static str, args: &PermissionsArgs) -> anyhow::Result<RpcCall> {
    let permissions = check(
        "--permissions",
        rules::permissions_csv("Permissions", &args.permissions.join(",")),
    )?;
    Ok(pair_call(action, &args.pair)?.param("Permissions", permissions.join(",")))
}

/// Builds the call for one subcommand after checking every flag with the server's rules. For `list`,
/// returns the first-page call without paging parameters.
pub fn build_call(command: &GrantCommand) -> anyhow::Result<RpcCall> {
    match command {
        GrantCommand::Create(args) => with_permissions("CreateGrant", args),
        GrantCommand::Get(pair) => pair_call("GetGrant", pair),
        GrantCommand::List(args) => {
            if let Some(id) = &args.client_id {
                check("--client-id", rules::client_id(id))?;
            }
            if let Some(name) = &args.resource_server {
                check("--resource-server", rules::resource_server_name(name))?;
            }
            Ok(RpcCall::new("ListGrants", ISSUER_VERSION)
                .optional_param("ClientId", args.client_id.clone())
                .optional_param("ResourceServerName", args.resource_server.clone()))
        }
        GrantCommand::Update(args) => with_permissions("UpdateGrant", args),
        GrantCommand::Delete(pair) => pair_call("DeleteGrant", pair),
    }
}

/// Runs `akless grant <command>`.
pub async fn run(args: GrantArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;
    match &args.command {
        GrantCommand::List(list) => {
            let body = fetch_flat_list(&client, request, &list.page, "Grants").await?;
            print_flat_list(format, &body, "Grants", COLUMNS);
        }
        GrantCommand::Delete(pair) => {
            let body = client.call(&request).await?;
            let message = format!(
                "Deleted the grant of client {} on {}.",
                pair.client_id, pair.resource_server
            );
            print_done(format, &body, &message);
        }
        _ => {
            let body = client.call(&request).await?;
            print_object(format, &body, "Grant", FIELDS);
        }
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
        args: GrantArgs,
    }

    fn parse(argv: &[&str]) -> GrantArgs {
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
    fn create_sends_pair_and_permissions() {
        let args = parse(&[
            "create",
            "--client-id",
            "akc1",
            "--resource-server",
            "billing",
            "--permissions",
            "read,read,write",
        ]);
        let call = build_call(&args.command).expect("valid");
        assert_eq!(call.action, "CreateGrant");
        assert_eq!(
            params(&call),
            vec![
                ("ClientId", "akc1"),
                ("ResourceServerName", "billing"),
                ("Permissions", "read,write")
            ]
        );
    }

    #[test]
    fn list_filters_optional() {
        let all = parse(&["list"]);
        assert!(build_call(&all.command).expect("valid").params.is_empty());
        let one = parse(&["list", "--resource-server", "billing"]);
        assert_eq!(
            params(&build_call(&one.command).expect("valid")),
            vec![("ResourceServerName", "billing")]
        );
    }

    #[test]
    fn bad_resource_server_rejected() {
        let args = parse(&[
            "delete",
            "--client-id",
            "akc1",
            "--resource-server",
            "bad name",
        ]);
        let error = build_call(&args.command).expect_err("invalid");
        assert!(error.to_string().contains("--resource-server"), "{error}");
    }
}
