//! `akless signing-key` and `akless issuer`: the token issuer's signing keys and its URLs.

use akless_core::issuer::rules;
use clap::{Args, Subcommand, ValueEnum};

use super::issuer_common::check;
use super::{print_object, ConnectionArgs};
use crate::client::{RpcCall, ISSUER_VERSION};
use crate::output::{column, emit, render_json, render_table, Column, OutputFormat};

/// Field order of `Key: Value` output.
const FIELDS: &[&str] = &[
    "Kid",
    "Algorithm",
    "State",
    "CreateDate",
    "ActivateDate",
    "RetireDate",
    "RemoveDate",
];

const COLUMNS: &[Column] = &[
    column("KID", "Kid"),
    column("ALG", "Algorithm"),
    column("STATE", "State"),
    column("ACTIVATES", "ActivateDate"),
    column("RETIRES", "RetireDate"),
    column("REMOVED", "RemoveDate"),
];

/// Field order of the issuer's URLs.
const ISSUER_FIELDS: &[&str] = &[
    "IssuerUrl",
    "DiscoveryUrl",
    "JwksUri",
    "TokenEndpoint",
    "IntrospectionEndpoint",
    "RevocationEndpoint",
    "SigningAlgorithm",
];

/// Manage the issuer's token signing keys.
#[derive(Args, Debug)]
pub struct SigningKeyArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: SigningKeyCommand,
}

#[derive(Subcommand, Debug)]
pub enum SigningKeyCommand {
    /// Create a new signing key: published in the JWKS at once, signing after the activation delay. The
    /// previous key stays published for the longest token lifetime plus 5 minutes.
    Rotate(RotateArgs),
    /// List the signing keys with their state (Pending, Active, Retiring, Removed).
    List,
}

/// Signature algorithm of a new signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyAlgorithm {
    #[value(name = "ES256")]
    Es256,
    #[value(name = "RS256")]
    Rs256,
}

#[derive(Args, Debug)]
pub struct RotateArgs {
    /// Algorithm of the new key. Default on the server: that of the newest key.
    #[arg(long, value_enum)]
    pub algorithm: Option<KeyAlgorithm>,

    /// Seconds until the new key signs (0 to 86400). Default on the server: 60, enough for every node
    /// sharing the database to publish the key first.
    #[arg(long, value_name = "SECS")]
    pub activation_delay: Option<u32>,
}

/// Builds the call of one subcommand after checking its flags with the server's rules.
pub fn build_call(command: &SigningKeyCommand) -> anyhow::Result<RpcCall> {
    match command {
        SigningKeyCommand::Rotate(args) => {
            if let Some(delay) = args.activation_delay {
                check("--activation-delay", rules::activation_delay(delay))?;
            }
            let algorithm = args.algorithm.map(|a| match a {
                KeyAlgorithm::Es256 => "ES256",
                KeyAlgorithm::Rs256 => "RS256",
            });
            Ok(RpcCall::new("RotateSigningKey", ISSUER_VERSION)
                .optional_param("Algorithm", algorithm)
                .optional_param(
                    "ActivationDelay",
                    args.activation_delay.map(|d| d.to_string()),
                ))
        }
        SigningKeyCommand::List => Ok(RpcCall::new("ListSigningKeys", ISSUER_VERSION)),
    }
}

/// Runs `akless signing-key <command>`.
pub async fn run(args: SigningKeyArgs) -> anyhow::Result<()> {
    let format = args.connection.output;
    let request = build_call(&args.command)?;
    let body = args.connection.client()?.call(&request).await?;
    match args.command {
        SigningKeyCommand::Rotate(_) => print_object(format, &body, "SigningKey", FIELDS),
        SigningKeyCommand::List => match format {
            OutputFormat::Json => emit(&render_json(&body)),
            OutputFormat::Table => {
                let items = body["SigningKeys"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                emit(&render_table(COLUMNS, items));
            }
        },
    }
    Ok(())
}

/// Show the token issuer's URLs: the issuer (the tokens' `iss`), discovery, JWKS and token endpoint.
#[derive(Args, Debug)]
pub struct IssuerArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Runs `akless issuer`.
pub async fn run_issuer(args: IssuerArgs) -> anyhow::Result<()> {
    let body = args
        .connection
        .client()?
        .call(&RpcCall::new("GetIssuer", ISSUER_VERSION))
        .await?;
    print_object(args.connection.output, &body, "Issuer", ISSUER_FIELDS);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SigningKeyArgs,
    }

    #[test]
    fn rotate_sends_algorithm_and_delay() {
        let cli = Cli::try_parse_from([
            "akless",
            "rotate",
            "--algorithm",
            "RS256",
            "--activation-delay",
            "0",
        ])
        .expect("parses");
        let call = build_call(&cli.args.command).expect("valid");
        assert_eq!(call.action, "RotateSigningKey");
        assert_eq!(
            call.params,
            vec![
                ("Algorithm".to_owned(), "RS256".to_owned()),
                ("ActivationDelay".to_owned(), "0".to_owned())
            ]
        );
    }

    #[test]
    fn rotate_rejects_long_delay_and_unknown_algorithm() {
        let cli = Cli::try_parse_from(["akless", "rotate", "--activation-delay", "86401"])
            .expect("parses");
        let error = build_call(&cli.args.command).expect_err("too long");
        assert!(error.to_string().contains("0 to 86400"), "{error}");
        assert!(Cli::try_parse_from(["akless", "rotate", "--algorithm", "HS256"]).is_err());
    }
}
