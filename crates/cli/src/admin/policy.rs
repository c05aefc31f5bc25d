//! `akless policy`: manages custom permission policies through the RAM 2015-05-01 actions.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::{
    fetch_list, print_done, print_list, read_document, ConnectionArgs, ListShape, PageArgs,
};
use crate::client::{RpcCall, RAM_VERSION};
use crate::output::{column, emit, render_json, render_object, Column, OutputFormat};

const SHAPE: ListShape = ListShape {
    container: "Policies",
    item: "Policy",
};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "PolicyName",
    "PolicyType",
    "DefaultVersion",
    "AttachmentCount",
    "Description",
    "CreateDate",
    "UpdateDate",
    "PolicyDocument",
];

const COLUMNS: &[Column] = &[
    column("NAME", "PolicyName"),
    column("TYPE", "PolicyType"),
    column("ATTACHMENTS", "AttachmentCount"),
    column("CREATED", "CreateDate"),
    column("DESCRIPTION", "Description"),
];

/// Manage custom permission policies.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Create a custom policy from a JSON document.
    Create(CreateArgs),
    /// Show one policy with its document.
    Get(NameArgs),
    /// List custom policies, ordered by name.
    List(PageArgs),
    /// Delete a policy; fails while it is attached to a role.
    Delete(NameArgs),
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Policy name (case-insensitive).
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Policy name: 1 to 128 letters, digits and '-'.
    #[arg(long)]
    pub name: String,

    /// File with the policy document (JSON, at most 6144 characters); '-' reads standard input.
    #[arg(long, value_name = "FILE")]
    pub document: PathBuf,

    /// Free-text description, at most 1024 characters.
    #[arg(long)]
    pub description: Option<String>,
}

fn call(action: &'static str, name: &str) -> RpcCall {
    RpcCall::new(action, RAM_VERSION)
        .param("PolicyName", name)
        .param("PolicyType", "Custom")
}

/// Builds the call for one subcommand, reading the document file; `None` for `list`, which pages.
pub fn build_call(command: &PolicyCommand) -> anyhow::Result<Option<RpcCall>> {
    let request = match command {
        PolicyCommand::Create(args) => RpcCall::new("CreatePolicy", RAM_VERSION)
            .param("PolicyName", &args.name)
            .param("PolicyDocument", read_document(&args.document)?)
            .optional_param("Description", args.description.clone()),
        PolicyCommand::Get(args) => call("GetPolicy", &args.name),
        PolicyCommand::List(_) => return Ok(None),
        PolicyCommand::Delete(args) => call("DeletePolicy", &args.name),
    };
    Ok(Some(request))
}

/// Runs `akless policy <command>`.
pub async fn run(args: PolicyArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;

    if let PolicyCommand::List(page) = &args.command {
        let body = fetch_list(
            &client,
            RpcCall::new("ListPolicies", RAM_VERSION),
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
        PolicyCommand::Delete(named) => {
            print_done(format, &body, &format!("Deleted policy {}.", named.name))
        }
        _ => emit(&render_policy(format, &body)),
    }
    Ok(())
}

/// Renders a CreatePolicy or GetPolicy body. GetPolicy returns the document both in `Policy` and in
/// `DefaultPolicyVersion`; the table shows it once, taken from whichever has it.
fn render_policy(format: OutputFormat, body: &Value) -> String {
    match format {
        OutputFormat::Json => render_json(body),
        OutputFormat::Table => {
            let mut policy = body["Policy"].clone();
            let version_document = &body["DefaultPolicyVersion"]["PolicyDocument"];
            if policy.get("PolicyDocument").is_none() && !version_document.is_null() {
                policy["PolicyDocument"] = version_document.clone();
            }
            render_object(&policy, FIELDS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_call_names_custom_type() {
        let command = PolicyCommand::Get(NameArgs {
            name: "read-oss".into(),
        });
        let call = build_call(&command).expect("valid").expect("single call");
        assert_eq!(call.action, "GetPolicy");
        let params: Vec<(&str, &str)> = call
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            params,
            vec![("PolicyName", "read-oss"), ("PolicyType", "Custom")]
        );
    }

    #[test]
    fn table_takes_document_from_version() {
        let body = json!({
            "RequestId": "R",
            "Policy": {"PolicyName": "p"},
            "DefaultPolicyVersion": {"PolicyDocument": "{\"Version\":\"1\"}"}
        });
        let text = render_policy(OutputFormat::Table, &body);
        assert_eq!(
            text,
            "PolicyName:     p\nPolicyDocument: {\"Version\":\"1\"}\n"
        );
    }
}
