//! `akless fingerprint`, `akless token` and `akless assume-role-with-oidc` against a real server.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::support::{assert_success, jwt_claims, set_up_chain, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_matches_local_ca() {
    let server = TestServer::start().await;
    let report = server
        .run_json(&["fingerprint", &server.issuer_url(), "--allow-private"])
        .await;

    let pem = std::fs::read(server.ca_file()).expect("CA file");
    let ca = akless_server::jwks::parse_pem_certificates(&pem).expect("PEM");
    let expected = akless_server::jwks::sha1_fingerprint(ca[0].as_ref());
    assert_eq!(report["Fingerprint"], expected.as_str());
    assert_eq!(report["JwksUri"], format!("{}/jwks", server.issuer_url()));
    assert_eq!(report["Chain"][0]["Subject"], "CN=akless server");
    assert_eq!(report["Chain"][1]["Fingerprint"], expected.as_str());

    // Without --allow-private the loopback issuer is rejected with the flag to use.
    let output = server.run(&["fingerprint", &server.issuer_url()]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-private"), "{stderr}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_then_exchange_all_formats() {
    let server = TestServer::start().await;
    let chain = set_up_chain(&server, "tools").await;
    let scope = format!("{}|read", chain.identifier);
    let secret_file = chain.secret_file.to_str().expect("utf8").to_owned();

    // client_secret_post with the secret from the environment; the token alone on standard output.
    let mut command = server.command(&[
        "token",
        "--issuer",
        &server.issuer_url(),
        "--client-id",
        &chain.client_id,
        "--scope",
        &scope,
        "--auth-method",
        "client_secret_post",
    ]);
    let secret = std::fs::read_to_string(&chain.secret_file).expect("secret");
    command.env("AKLESS_CLIENT_SECRET", &secret);
    let output = crate::support::run_command(command).await;
    assert_success(&output, &["token"]);
    let token = String::from_utf8(output.stdout).expect("utf8");
    let token = token.trim_end();
    assert_eq!(jwt_claims(token)["scope"], "read");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&secret));

    // A wrong secret fails with the issuer's error and no secret in the message.
    let wrong = server.work().join("wrong-secret");
    std::fs::write(&wrong, "akcs_wrong").expect("write");
    let output = server
        .run(&[
            "token",
            "--issuer",
            &server.issuer_url(),
            "--client-id",
            &chain.client_id,
            "--client-secret-file",
            wrong.to_str().expect("utf8"),
            "--scope",
            &scope,
        ])
        .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("akcs_wrong"), "{stderr}");

    // JSON output of the token response, then the exchange reading the token from standard input.
    let response = server
        .run_json(&[
            "token",
            "--issuer",
            &server.issuer_url(),
            "--client-id",
            &chain.client_id,
            "--client-secret-file",
            &secret_file,
            "--scope",
            &scope,
        ])
        .await;
    assert_eq!(response["token_type"], "Bearer");
    let token = response["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();

    let mut child = server
        .command(&[
            "assume-role-with-oidc",
            "--role-arn",
            &chain.role_arn,
            "--oidc-provider-arn",
            &chain.provider_arn,
            "--role-session-name",
            "e2e@tools",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{token}\n").as_bytes())
        .await
        .expect("write token");
    drop(stdin);
    let output = child.wait_with_output().await.expect("finishes");
    assert_success(&output, &["assume-role-with-oidc"]);
    let body: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        format!("{}/e2e@tools", chain.role_arn)
    );
    assert_eq!(body["OIDCTokenInfo"]["Subject"], chain.client_id.as_str());

    // The INI output works as a credentials file for the admin commands.
    let token_file = server.work().join("token.jwt");
    std::fs::write(&token_file, &token).expect("write token");
    let ini = server.work().join("sts.ini");
    let output = server
        .run(&[
            "assume-role-with-oidc",
            "--token-file",
            token_file.to_str().expect("utf8"),
            "--role-arn",
            &chain.role_arn,
            "--oidc-provider-arn",
            &chain.provider_arn,
            "--output",
            "ini",
            "--out",
            ini.to_str().expect("utf8"),
        ])
        .await;
    assert_success(&output, &["assume-role-with-oidc", "--output", "ini"]);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&ini).expect("ini").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let mut whoami = server.command(&["whoami", "--output", "json"]);
    whoami.env("ALIBABA_CLOUD_CREDENTIALS_FILE", &ini);
    let output = crate::support::run_command(whoami).await;
    assert_success(&output, &["whoami"]);
    let identity: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(identity["IdentityType"], "AssumedRoleUser");

    // A bad session name fails before any request, with the server's rule.
    let output = server
        .run(&[
            "assume-role-with-oidc",
            "--token-file",
            token_file.to_str().expect("utf8"),
            "--role-arn",
            &chain.role_arn,
            "--oidc-provider-arn",
            &chain.provider_arn,
            "--role-session-name",
            "no spaces",
        ])
        .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("InvalidParameter.RoleSessionName"));
    server.stop().await;
}
