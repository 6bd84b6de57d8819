//! The real binary's log as a log shipper reads it: `--log-format json` writes one JSON object
//! per line; a management request ends with an access line at INFO (method, route pattern,
//! status, duration, request id, W3C trace id, domain, actor key id); verifications are logged
//! only as `--log-verifications` asks; no secret appears anywhere. `--log json` (a format given
//! as a filter) is a startup error.

mod support;

use serde_json::{json, Value};

use support::{create_key, service_account, Server, Site};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn json_lines_carry_the_access_fields_and_no_secret() {
    let site = Site::new();
    let server = Server::start_with(
        &site,
        None,
        &["--log-format", "json", "--log-verifications", "refusals"],
        &[("KEYWARD_LOG", "info")],
        true,
    )
    .await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let (_, secret) = create_key(&server, &root, &owner, json!({"name": "data"})).await;

    let listed = server
        .client
        .get(server.url("/v1/keys"))
        .bearer_auth(&root)
        .header("x-request-id", "req-logs-1")
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(listed.status(), 200);
    let mut typo: Vec<char> = secret.chars().collect();
    typo[12] = if typo[12] == 'x' { 'y' } else { 'x' };
    let typo: String = typo.into_iter().collect();
    assert_eq!(server.verify_code(&typo).await, "MALFORMED");
    assert_eq!(server.verify_code(&secret).await, "VALID");
    let gateway = server
        .client
        .get(server.url("/v1/auth"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("an answer");
    assert_eq!(gateway.status(), 200);

    let output = server.stop().await;
    let lines: Vec<Value> = output
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let access = lines
        .iter()
        .find(|line| {
            line["message"] == "request"
                && line["span"]["route"] == "/v1/keys"
                && line["span"]["method"] == "GET"
        })
        .unwrap_or_else(|| panic!("an access line for GET /v1/keys in:\n{output}"));
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["status"], 200);
    assert!(access["duration_ms"].as_f64().is_some(), "{access}");
    assert_eq!(access["span"]["request_id"], "req-logs-1");
    assert_eq!(access["span"]["trace_id"], TRACE_ID);
    for field in ["domain", "actor_key_id"] {
        let id = access["span"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {access}"));
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{field}: {id}");
    }
    let created = lines
        .iter()
        .find(|line| {
            line["message"] == "request"
                && line["span"]["route"] == "/v1/keys"
                && line["span"]["method"] == "POST"
        })
        .expect("an access line for POST /v1/keys");
    assert_eq!(created["status"], 201);

    // Refusals are logged, valid verifications are not; neither at the verify route's access
    // level (that is DEBUG, below this run's INFO).
    let verifications: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "verification")
        .collect();
    assert_eq!(verifications.len(), 1, "{verifications:?}");
    assert_eq!(verifications[0]["face"], "native_verify");
    assert_eq!(verifications[0]["reason"], "MALFORMED");
    // The refusal's line names its request; the verify route has no access line at INFO.
    assert_eq!(verifications[0]["span"]["route"], "/v1/keys/verify");
    assert!(!lines
        .iter()
        .any(|line| line["message"] == "request" && line["span"]["route"] == "/v1/keys/verify"));

    for (what, secret) in [
        ("root key", &root),
        ("data key", &secret),
        ("mistyped key", &typo),
    ] {
        let body = secret.strip_prefix("kw_").unwrap_or(secret);
        for i in 0..=body.len().saturating_sub(16) {
            assert!(
                !output.contains(&body[i..i + 16]),
                "the log holds a piece of the {what}"
            );
        }
    }
}

#[test]
fn a_format_given_as_the_filter_is_a_startup_error() {
    let site = Site::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--log", "json", "--listen", "127.0.0.1:0"])
        .args(["--database", &site.database_url])
        .env_remove("KEYWARD_LOG")
        .env_remove("RUST_LOG")
        .env_remove("KEYWARD_CONFIG")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid log filter `json`"), "{stderr}");
    assert!(stderr.contains("--log-format"), "{stderr}");
}

#[tokio::test]
async fn the_database_url_comes_from_its_file() {
    let site = Site::new();
    let url_file = site.dir.path().join("database.url");
    std::fs::write(&url_file, format!("{}\n", site.database_url)).expect("write the URL");
    let url_file = url_file.display().to_string();
    let server = Server::start_with(
        &site,
        None,
        &[],
        &[("KEYWARD_DATABASE_URL_FILE", &url_file)],
        false,
    )
    .await;
    let root = site.root_secret();
    service_account(&server, &root, "svc").await;
    server.stop().await;
    assert!(
        site.dir.path().join("keyward.db").exists(),
        "the server opened the database the file names"
    );
}
