//! `akless agent` against a real server: the token file, the credentials URI, retries and SIGTERM.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{assert_success, jwt_claims, set_up_chain, terminate, LogReader, TestServer};

/// Builds a plain HTTP client for the loopback credentials endpoint.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_keeps_token_and_serves_credentials() {
    let server = TestServer::start().await;
    let chain = set_up_chain(&server, "agent-e2e").await;
    let token_file = server.work().join("run").join("token");
    std::fs::create_dir(server.work().join("run")).expect("token folder");
    let scope = format!("{}|.all", chain.identifier);

    let mut child = server
        .command(&[
            "agent",
            "--issuer",
            &server.issuer_url(),
            "--client-id",
            &chain.client_id,
            "--client-secret-file",
            chain.secret_file.to_str().expect("utf8"),
            "--scope",
            &scope,
            "--token-file",
            token_file.to_str().expect("utf8"),
            "--credentials-listen",
            "127.0.0.1:0",
            "--role-arn",
            &chain.role_arn,
            "--oidc-provider-arn",
            &chain.provider_arn,
            "--sts-endpoint",
            &server.url(),
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("agent starts");
    let mut log = LogReader::new(&mut child);
    let path = log.wait_for("token file: ", Duration::from_secs(30)).await;
    let uri = log
        .wait_for("credentials URI: ", Duration::from_secs(30))
        .await;

    // The token file: the path the log names, mode 0600, a JWT for this client without a trailing newline.
    assert_eq!(path, token_file.display().to_string());
    let mode = std::fs::metadata(&token_file)
        .expect("token file exists")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let token = std::fs::read_to_string(&token_file).expect("token text");
    assert!(!token.ends_with('\n'), "the token file ends with a newline");
    let claims = jwt_claims(&token);
    assert_eq!(claims["sub"], chain.client_id.as_str());
    assert_eq!(claims["aud"], chain.identifier.as_str());
    assert_eq!(claims["iss"], server.issuer_url().as_str());

    // The credentials URI: loopback, HTTP 200, the exact fields the official SDKs read.
    assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
    let response = http().get(&uri).send().await.expect("GET credentials");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "AccessKeyId",
            "AccessKeySecret",
            "Code",
            "Expiration",
            "SecurityToken"
        ]
    );
    assert_eq!(body["Code"], "Success");
    let expiration = body["Expiration"].as_str().expect("Expiration");
    let parsed = time::PrimitiveDateTime::parse(
        expiration,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
    .expect("Expiration is YYYY-MM-DDTHH:MM:SSZ")
    .assume_utc();
    assert!(
        parsed - time::OffsetDateTime::now_utc() > time::Duration::minutes(15),
        "{expiration}"
    );
    let access_key_id = body["AccessKeyId"].as_str().expect("AccessKeyId");
    assert!(access_key_id.starts_with("STS."), "{access_key_id}");

    // The served credentials work for a signed call.
    let mut whoami = server.command(&["whoami", "--output", "json"]);
    whoami
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", access_key_id)
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            body["AccessKeySecret"].as_str().expect("secret"),
        )
        .env(
            "ALIBABA_CLOUD_SECURITY_TOKEN",
            body["SecurityToken"].as_str().expect("token"),
        );
    let output = crate::support::run_command(whoami).await;
    assert_success(&output, &["whoami"]);
    let identity: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(identity["IdentityType"], "AssumedRoleUser");
    let arn = identity["Arn"].as_str().expect("Arn");
    assert!(
        arn.starts_with(&format!(
            "acs:ram::{}:assumed-role/agent-e2e/akless-",
            server.account()
        )),
        "{arn}"
    );

    // The token file also works with assume-role-with-oidc, as an SDK reading ALIBABA_CLOUD_OIDC_TOKEN_FILE would use it.
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
            "env",
        ])
        .await;
    assert_success(&output, &["assume-role-with-oidc"]);
    let exports = String::from_utf8(output.stdout).expect("utf8");
    assert!(
        exports.starts_with("export ALIBABA_CLOUD_ACCESS_KEY_ID='STS."),
        "{exports}"
    );

    // SIGTERM stops the agent cleanly.
    terminate(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops")
        .expect("status");
    log.drain().await;
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        log.seen.join("\n")
    );
    assert!(
        log.seen.iter().any(|l| l.contains("agent stopped")),
        "{}",
        log.seen.join("\n")
    );
    let secret = std::fs::read_to_string(&chain.secret_file).expect("secret");
    assert!(
        !log.seen.iter().any(|l| l.contains(&secret)),
        "the client secret appeared in the log"
    );
    assert!(
        !log.seen.iter().any(|l| l.contains(&token)),
        "the token appeared in the log"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_retries_until_token_file_appears() {
    let server = TestServer::start().await;
    let chain = set_up_chain(&server, "agent-retry").await;
    let token_file = server.work().join("external-token");

    let mut child = server
        .command(&[
            "agent",
            "--token-file",
            token_file.to_str().expect("utf8"),
            "--credentials-listen",
            "127.0.0.1:0",
            "--role-arn",
            &chain.role_arn,
            "--oidc-provider-arn",
            &chain.provider_arn,
            "--sts-endpoint",
            &server.url(),
            "--max-retry-delay",
            "1",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("agent starts");
    let mut log = LogReader::new(&mut child);
    let address = log
        .wait_for(
            "credentials endpoint listening address=",
            Duration::from_secs(30),
        )
        .await;

    // Without a token the endpoint returns 503 and the agent logs one line per retry.
    let unavailable = http()
        .get(format!("http://{address}/v1/credentials"))
        .send()
        .await
        .expect("GET");
    assert_eq!(unavailable.status(), 503);
    log.wait_for("attempt=1 ", Duration::from_secs(30)).await;
    log.wait_for("attempt=2 ", Duration::from_secs(30)).await;
    let retries: Vec<&String> = log
        .seen
        .iter()
        .filter(|l| l.contains("getting temporary credentials failed; retrying"))
        .collect();
    assert!(retries.len() >= 2, "{}", log.seen.join("\n"));
    assert!(
        retries[0].contains("external-token"),
        "the retry line names the file: {}",
        retries[0]
    );

    // Once a token appears in the file, the next retry succeeds.
    let scope = format!("{}|.all", chain.identifier);
    let output = server
        .run(&[
            "token",
            "--issuer",
            &server.issuer_url(),
            "--client-id",
            &chain.client_id,
            "--client-secret-file",
            chain.secret_file.to_str().expect("utf8"),
            "--scope",
            &scope,
            "--out",
            token_file.to_str().expect("utf8"),
        ])
        .await;
    assert_success(&output, &["token"]);
    let uri = log
        .wait_for("credentials URI: ", Duration::from_secs(30))
        .await;
    assert_eq!(uri, format!("http://{address}/v1/credentials"));
    let served: Value = http()
        .get(&uri)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(served["Code"], "Success");

    terminate(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops")
        .expect("status");
    assert!(status.success(), "exit status {status:?}");
    server.stop().await;
}
