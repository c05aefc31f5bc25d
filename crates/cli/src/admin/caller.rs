//! `akless whoami`: shows the identity behind the credentials with STS GetCallerIdentity.

use clap::Args;

use super::ConnectionArgs;
use crate::client::{RpcCall, STS_VERSION};
use crate::output::{emit, render_json, render_object, OutputFormat};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "IdentityType",
    "Arn",
    "AccountId",
    "UserId",
    "RoleId",
    "PrincipalId",
];

/// Show the account or assumed role that the credentials belong to.
#[derive(Args, Debug)]
pub struct WhoamiArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Runs `akless whoami`.
pub async fn run(args: WhoamiArgs) -> anyhow::Result<()> {
    let client = args.connection.client()?;
    let body = client
        .call(&RpcCall::new("GetCallerIdentity", STS_VERSION))
        .await?;
    match args.connection.output {
        OutputFormat::Json => emit(&render_json(&body)),
        OutputFormat::Table => {
            // The identity fields sit at the top level of the body, next to RequestId.
            let mut identity = body.clone();
            if let Some(map) = identity.as_object_mut() {
                map.remove("RequestId");
            }
            emit(&render_object(&identity, FIELDS));
        }
    }
    Ok(())
}
