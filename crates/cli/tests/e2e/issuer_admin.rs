//! The issuer admin subcommands against a real server: create, list, update, delete, and their limits.

use crate::support::{assert_success, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_server_and_grant_lifecycle() {
    let server = TestServer::start().await;
    server
        .run_json(&[
            "resource-server",
            "create",
            "--name",
            "billing",
            "--identifier",
            "api:billing",
            "--permissions",
            "read,write",
        ])
        .await;
    let updated = server
        .run_json(&[
            "resource-server",
            "update",
            "--name",
            "billing",
            "--permissions",
            "read,write,admin",
            "--description",
            "v2",
        ])
        .await;
    assert_eq!(
        updated["ResourceServer"]["Permissions"],
        serde_json::json!(["read", "write", "admin"])
    );
    assert_eq!(updated["ResourceServer"]["Description"], "v2");

    let client = server
        .run_json(&[
            "client",
            "create",
            "--name",
            "job",
            "--access-token-lifetime",
            "900",
        ])
        .await;
    let client_id = client["Client"]["ClientId"]
        .as_str()
        .expect("ClientId")
        .to_owned();
    assert_eq!(client["Client"]["AccessTokenLifetime"], 900);
    assert!(client["ClientSecret"]["Secret"]
        .as_str()
        .expect("secret")
        .starts_with("akcs_"));

    server
        .run_json(&[
            "grant",
            "create",
            "--client-id",
            &client_id,
            "--resource-server",
            "billing",
            "--permissions",
            "read",
        ])
        .await;
    let grants = server
        .run_json(&["grant", "list", "--resource-server", "billing", "--all"])
        .await;
    assert_eq!(grants["Grants"].as_array().expect("grants").len(), 1);
    assert_eq!(grants["Grants"][0]["ClientId"], client_id.as_str());

    // Deleting a resource server with a grant fails with the server's error code.
    let output = server
        .run(&["resource-server", "delete", "--name", "billing"])
        .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DeleteConflict"), "{stderr}");

    let output = server
        .run(&[
            "grant",
            "delete",
            "--client-id",
            &client_id,
            "--resource-server",
            "billing",
        ])
        .await;
    assert_success(&output, &["grant", "delete"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("Deleted the grant of client"));
    let output = server
        .run(&["resource-server", "delete", "--name", "billing"])
        .await;
    assert_success(&output, &["resource-server", "delete"]);

    let table = server.run(&["resource-server", "list"]).await;
    assert_success(&table, &["resource-server", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&table.stdout),
        "NAME  IDENTIFIER  PERMISSIONS  CREATED  DESCRIPTION\n"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secrets_limit_and_revoke() {
    let server = TestServer::start().await;
    let first_secret = server.work().join("first-secret");
    let client = server
        .run_json(&[
            "client",
            "create",
            "--name",
            "rotating",
            "--secret-out",
            first_secret.to_str().expect("utf8"),
        ])
        .await;
    let client_id = client["Client"]["ClientId"]
        .as_str()
        .expect("ClientId")
        .to_owned();
    let shown = client["ClientSecret"]["Secret"].as_str().expect("note");
    assert!(shown.starts_with("(written to "), "{shown}");
    assert!(std::fs::read_to_string(&first_secret)
        .expect("secret file")
        .starts_with("akcs_"));

    for _ in 0..4 {
        server
            .run_json(&["client", "add-secret", "--client-id", &client_id])
            .await;
    }
    // The sixth active secret exceeds the limit of 5.
    let output = server
        .run(&["client", "add-secret", "--client-id", &client_id])
        .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LimitExceeded"), "{stderr}");

    let secrets = server
        .run_json(&["client", "list-secrets", "--client-id", &client_id])
        .await;
    let list = secrets["ClientSecrets"].as_array().expect("secrets");
    assert_eq!(list.len(), 5);
    assert!(
        list.iter().all(|s| s.get("Secret").is_none()),
        "list-secrets must not show secret values"
    );
    let secret_id = list[0]["SecretId"].as_str().expect("SecretId").to_owned();
    let revoked = server
        .run_json(&[
            "client",
            "revoke-secret",
            "--client-id",
            &client_id,
            "--secret-id",
            &secret_id,
        ])
        .await;
    assert_eq!(revoked["ClientSecret"]["Status"], "Revoked");
    server
        .run_json(&["client", "add-secret", "--client-id", &client_id])
        .await;

    let updated = server
        .run_json(&[
            "client",
            "update",
            "--client-id",
            &client_id,
            "--auth-methods",
            "client_secret_post",
        ])
        .await;
    assert_eq!(
        updated["Client"]["AuthMethods"],
        serde_json::json!(["client_secret_post"])
    );
    let output = server
        .run(&["client", "delete", "--client-id", &client_id])
        .await;
    assert_success(&output, &["client", "delete"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_key_rotate_and_list() {
    let server = TestServer::start().await;
    let before = server.run_json(&["signing-key", "list"]).await;
    assert_eq!(before["SigningKeys"].as_array().expect("keys").len(), 1);
    let rotated = server
        .run_json(&[
            "signing-key",
            "rotate",
            "--algorithm",
            "RS256",
            "--activation-delay",
            "0",
        ])
        .await;
    assert_eq!(rotated["SigningKey"]["Algorithm"], "RS256");
    let after = server.run_json(&["signing-key", "list"]).await;
    let keys = after["SigningKeys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1]["State"], "Active");
    let issuer = server.run_json(&["issuer"]).await;
    assert_eq!(issuer["Issuer"]["IssuerUrl"], server.issuer_url().as_str());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_flags_fail_before_request() {
    // No server runs at this endpoint, so only a client-side check can produce these errors.
    let work = tempfile::tempdir().expect("temp dir");
    for (args, fragment) in [
        (
            vec![
                "resource-server",
                "create",
                "--name",
                "a|b",
                "--identifier",
                "x",
                "--permissions",
                "r",
            ],
            "invalid --name",
        ),
        (
            vec![
                "client",
                "create",
                "--name",
                "ok",
                "--access-token-lifetime",
                "60",
            ],
            "300 to 43200",
        ),
        (
            vec![
                "grant",
                "create",
                "--client-id",
                "akc1",
                "--resource-server",
                "rs",
                "--permissions",
                "a b",
            ],
            "invalid --permissions",
        ),
        (
            vec!["signing-key", "rotate", "--activation-delay", "90000"],
            "0 to 86400",
        ),
    ] {
        let mut command = crate::support::akless(work.path(), &args);
        command.env("AKLESS_ENDPOINT", "https://127.0.0.1:9");
        let output = crate::support::run_command(command).await;
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(fragment), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("request to"),
            "{args:?} reached the network: {stderr}"
        );
    }
}
