//! `akless role`: manages RAM roles and their policy attachments through the RAM 2015-05-01 actions.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{
    fetch_list, print_done, print_list, print_object, read_document, ConnectionArgs, ListShape,
    PageArgs,
};
use crate::client::{RpcCall, RAM_VERSION};
use crate::output::{column, Column};

const SHAPE: ListShape = ListShape {
    container: "Roles",
    item: "Role",
};
const POLICIES_SHAPE: ListShape = ListShape {
    container: "Policies",
    item: "Policy",
};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "RoleName",
    "RoleId",
    "Arn",
    "MaxSessionDuration",
    "Description",
    "CreateDate",
    "UpdateDate",
    "AssumeRolePolicyDocument",
];

const COLUMNS: &[Column] = &[
    column("NAME", "RoleName"),
    column("ARN", "Arn"),
    column("MAX SESSION (S)", "MaxSessionDuration"),
    column("CREATED", "CreateDate"),
    column("DESCRIPTION", "Description"),
];

const POLICY_COLUMNS: &[Column] = &[
    column("POLICY", "PolicyName"),
    column("TYPE", "PolicyType"),
    column("ATTACHED", "AttachDate"),
    column("DESCRIPTION", "Description"),
];

/// Manage RAM roles and their attached policies.
#[derive(Args, Debug)]
pub struct RoleArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: RoleCommand,
}

#[derive(Subcommand, Debug)]
pub enum RoleCommand {
    /// Create a role with a trust policy.
    Create(CreateArgs),
    /// Show one role, with its trust policy.
    Get(NameArgs),
    /// List roles, ordered by name.
    List(PageArgs),
    /// Change the trust policy, maximum session duration or description of a role.
    Update(UpdateArgs),
    /// Delete a role; fails while policies are attached.
    Delete(NameArgs),
    /// Attach a custom policy to a role.
    AttachPolicy(AttachmentArgs),
    /// Detach a policy from a role.
    DetachPolicy(AttachmentArgs),
    /// List the policies attached to a role.
    ListPolicies(NameArgs),
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// Role name (case-insensitive).
    #[arg(long)]
    pub name: String,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Role name: 1 to 64 letters, digits, '.' and '-'.
    #[arg(long)]
    pub name: String,

    /// File with the trust policy (JSON) that names who may assume the role; '-' reads standard input.
    #[arg(long, value_name = "FILE")]
    pub trust_policy: PathBuf,

    /// Free-text description, at most 1024 characters.
    #[arg(long)]
    pub description: Option<String>,

    /// Maximum session duration of the role, in seconds (3600 to 43200). Default on the server: 3600.
    #[arg(long, value_name = "SECS")]
    pub max_session_duration: Option<u32>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Role name.
    #[arg(long)]
    pub name: String,

    /// File with the new trust policy (JSON); '-' reads standard input.
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,

    /// New maximum session duration, in seconds (3600 to 43200).
    #[arg(long, value_name = "SECS")]
    pub max_session_duration: Option<u32>,

    /// New description; an empty string clears it.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Args, Debug)]
pub struct AttachmentArgs {
    /// Role name.
    #[arg(long)]
    pub name: String,

    /// Name of the custom policy.
    #[arg(long)]
    pub policy_name: String,
}

fn call(action: &'static str, name: &str) -> RpcCall {
    RpcCall::new(action, RAM_VERSION).param("RoleName", name)
}

/// Builds the call for one subcommand, reading policy files; `None` for `list`, which pages.
pub fn build_call(command: &RoleCommand) -> anyhow::Result<Option<RpcCall>> {
    let request = match command {
        RoleCommand::Create(args) => call("CreateRole", &args.name)
            .param(
                "AssumeRolePolicyDocument",
                read_document(&args.trust_policy)?,
            )
            .optional_param("Description", args.description.clone())
            .optional_param(
                "MaxSessionDuration",
                args.max_session_duration.map(|s| s.to_string()),
            ),
        RoleCommand::Get(args) => call("GetRole", &args.name),
        RoleCommand::List(_) => return Ok(None),
        RoleCommand::Update(args) => {
            if args.trust_policy.is_none()
                && args.max_session_duration.is_none()
                && args.description.is_none()
            {
                anyhow::bail!("nothing to update; pass --trust-policy, --max-session-duration or --description");
            }
            let document = args
                .trust_policy
                .as_deref()
                .map(read_document)
                .transpose()?;
            call("UpdateRole", &args.name)
                .optional_param("NewAssumeRolePolicyDocument", document)
                .optional_param(
                    "NewMaxSessionDuration",
                    args.max_session_duration.map(|s| s.to_string()),
                )
                .optional_param("NewDescription", args.description.clone())
        }
        RoleCommand::Delete(args) => call("DeleteRole", &args.name),
        RoleCommand::AttachPolicy(args) => call("AttachPolicyToRole", &args.name)
            .param("PolicyName", &args.policy_name)
            .param("PolicyType", "Custom"),
        RoleCommand::DetachPolicy(args) => call("DetachPolicyFromRole", &args.name)
            .param("PolicyName", &args.policy_name)
            .param("PolicyType", "Custom"),
        RoleCommand::ListPolicies(args) => call("ListPoliciesForRole", &args.name),
    };
    Ok(Some(request))
}

/// Runs `akless role <command>`.
pub async fn run(args: RoleArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let client = args.connection.client()?;

    if let RoleCommand::List(page) = &args.command {
        let body = fetch_list(&client, RpcCall::new("ListRoles", RAM_VERSION), page, SHAPE).await?;
        print_list(format, &body, SHAPE, COLUMNS);
        return Ok(());
    }
    let Some(request) = request else {
        return Ok(());
    };
    let body = client.call(&request).await?;
    match &args.command {
        RoleCommand::Delete(named) => {
            print_done(format, &body, &format!("Deleted role {}.", named.name))
        }
        RoleCommand::AttachPolicy(a) => print_done(
            format,
            &body,
            &format!("Attached policy {} to role {}.", a.policy_name, a.name),
        ),
        RoleCommand::DetachPolicy(a) => print_done(
            format,
            &body,
            &format!("Detached policy {} from role {}.", a.policy_name, a.name),
        ),
        RoleCommand::ListPolicies(_) => print_list(format, &body, POLICIES_SHAPE, POLICY_COLUMNS),
        _ => print_object(format, &body, "Role", FIELDS),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::io::Write;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RoleArgs,
    }

    fn parse(argv: &[&str]) -> RoleArgs {
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
    fn create_reads_trust_policy_file() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(br#"{"Version":"1","Statement":[]}"#)
            .expect("write");
        let path = file.path().to_str().expect("utf-8 path");
        let args = parse(&[
            "create",
            "--name",
            "ci",
            "--trust-policy",
            path,
            "--max-session-duration",
            "7200",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "CreateRole");
        assert_eq!(call.version, "2015-05-01");
        assert_eq!(
            params(&call),
            vec![
                ("RoleName", "ci"),
                (
                    "AssumeRolePolicyDocument",
                    r#"{"Version":"1","Statement":[]}"#
                ),
                ("MaxSessionDuration", "7200"),
            ]
        );
    }

    #[test]
    fn create_missing_file_names_path() {
        let args = parse(&[
            "create",
            "--name",
            "ci",
            "--trust-policy",
            "/nonexistent/trust.json",
        ]);
        let error = build_call(&args.command).expect_err("must fail");
        assert!(
            format!("{error:#}").contains("/nonexistent/trust.json"),
            "{error:#}"
        );
    }

    #[test]
    fn update_uses_new_parameter_names() {
        let args = parse(&[
            "update",
            "--name",
            "ci",
            "--max-session-duration",
            "3600",
            "--description",
            "",
        ]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "UpdateRole");
        assert_eq!(
            params(&call),
            vec![
                ("RoleName", "ci"),
                ("NewMaxSessionDuration", "3600"),
                ("NewDescription", "")
            ]
        );
    }

    #[test]
    fn attach_policy_sends_custom_type() {
        let args = parse(&["attach-policy", "--name", "ci", "--policy-name", "read-oss"]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "AttachPolicyToRole");
        assert_eq!(
            params(&call),
            vec![
                ("RoleName", "ci"),
                ("PolicyName", "read-oss"),
                ("PolicyType", "Custom")
            ]
        );
    }

    #[test]
    fn list_policies_action() {
        let args = parse(&["list-policies", "--name", "ci"]);
        let call = build_call(&args.command)
            .expect("valid")
            .expect("single call");
        assert_eq!(call.action, "ListPoliciesForRole");
    }
}
