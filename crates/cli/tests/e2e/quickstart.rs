//! `akless quickstart`, embedded and against a running server.

use std::path::Path;

use serde_json::Value;

use crate::support::{akless, assert_success, run_command, TestServer};

fn check_summary(summary: &Value) {
    let account = summary["AccountId"].as_str().expect("AccountId");
    let role = summary["RoleArn"].as_str().expect("RoleArn");
    let role_name = role.rsplit('/').next().expect("role name");
    assert!(role_name.starts_with("quickstart-"), "{role}");
    assert_eq!(
        summary["CallerArn"],
        format!("acs:ram::{account}:assumed-role/{role_name}/quickstart")
    );
    assert_eq!(
        summary["OIDCProviderArn"]
            .as_str()
            .expect("provider")
            .split(':')
            .nth(3),
        Some(account)
    );
    assert!(summary["Credentials"]["AccessKeyId"]
        .as_str()
        .expect("AccessKeyId")
        .starts_with("STS."));
    assert_eq!(
        summary["Fingerprints"]
            .as_array()
            .expect("fingerprints")
            .len(),
        1
    );
    assert_eq!(
        summary["Fingerprints"][0]
            .as_str()
            .expect("fingerprint")
            .len(),
        40
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_embedded_runs_chain() {
    let work = tempfile::tempdir().expect("temp dir");
    let output = run_command(akless(work.path(), &["quickstart", "--output", "json"])).await;
    assert_success(&output, &["quickstart"]);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    check_summary(&summary);

    // The temporary data directory, with the secret and the token, is gone after the run.
    let secret_file = summary["ClientSecretFile"].as_str().expect("secret file");
    assert!(
        !Path::new(secret_file).exists(),
        "{secret_file} still exists"
    );
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(
        progress.contains("10. GetCallerIdentity with the temporary credentials"),
        "{progress}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_text_prints_sdk_values() {
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("kept");
    let output = run_command(akless(
        work.path(),
        &["quickstart", "--data-dir", data.to_str().expect("utf8")],
    ))
    .await;
    assert_success(&output, &["quickstart"]);
    let text = String::from_utf8(output.stdout).expect("utf8");
    for expected in [
        " 1. Started an embedded akless server at https://127.0.0.1:",
        "export ALIBABA_CLOUD_ROLE_ARN='acs:ram::",
        "export ALIBABA_CLOUD_OIDC_PROVIDER_ARN='acs:ram::",
        &format!(
            "export ALIBABA_CLOUD_OIDC_TOKEN_FILE='{}/token.jwt'",
            data.display()
        ),
        "export ALIBABA_CLOUD_SECURITY_TOKEN='AKLS1.",
        "akless agent --issuer 'https://127.0.0.1:",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // --data-dir keeps the folder, with the secret and token at mode 0600.
    for name in ["client-secret", "token.jwt"] {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(data.join(name))
                .expect(name)
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_against_running_server_twice() {
    let server = TestServer::start().await;
    let credentials = server.dir.path().join("data/root-credentials");
    let out = server.work().join("out");
    std::fs::create_dir(&out).expect("out dir");
    let ca_file = server.ca_file();
    let args = [
        "quickstart",
        "--endpoint",
        &server.url(),
        "--credentials-file",
        credentials.to_str().expect("utf8"),
        "--ca-file",
        ca_file.to_str().expect("utf8"),
        "--out-dir",
        out.to_str().expect("utf8"),
        "--output",
        "json",
    ];
    let first = crate::support::run_command(crate::support::akless(server.work(), &args)).await;
    assert_success(&first, &args);
    let first: Value = serde_json::from_slice(&first.stdout).expect("JSON");
    check_summary(&first);

    // The second run finds the provider of the same issuer URL and adds its audience to it.
    let second = crate::support::run_command(crate::support::akless(server.work(), &args)).await;
    assert_success(&second, &args);
    let second: Value = serde_json::from_slice(&second.stdout).expect("JSON");
    check_summary(&second);
    assert_eq!(first["OIDCProviderArn"], second["OIDCProviderArn"]);
    assert_ne!(first["RoleArn"], second["RoleArn"]);
    assert_eq!(first["AccountId"].as_str(), Some(server.account().as_str()));
    server.stop().await;
}
