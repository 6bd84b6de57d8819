//! The real binary, as an operator runs it: `keyward serve` on port 0 against a SQLite file in a
//! temp dir, the root key delivered in `--root-key-file`, logs at debug level.
//!
//! - No secret, created or presented, ever reaches the server's log output.
//! - A key acknowledged with 201 survives `kill -9` of the server right after the answer.
//! - A flood of idle connections beyond the open-file limit neither stops the process nor keeps
//!   other clients out for longer than the header timeout.
//!
//! `KEYWARD_PROCESS_TEST_DUMP=1 cargo test -p keyward --test process -- --nocapture` prints the
//! server's whole output, to see what the log check searched.

mod support;

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use support::{create_key, service_account, strip_ansi, Server, Site};

/// Every 16-character window of the secret's random part: a log holding any of them holds a
/// recognisable piece of the secret. (Hints show only the last four characters.)
fn fragments(secret: &str) -> Vec<&str> {
    let body = secret.strip_prefix("kw_").unwrap_or(secret);
    (0..=body.len().saturating_sub(16))
        .map(|i| &body[i..i + 16])
        .collect()
}

fn assert_not_logged(log: &str, what: &str, secret: &str) {
    assert!(!log.contains(secret), "the log contains the {what} in full");
    for fragment in fragments(secret) {
        assert!(
            !log.contains(fragment),
            "the log contains a piece of the {what}: `{fragment}`"
        );
    }
}

#[tokio::test]
async fn secrets_never_appear_in_the_log() {
    use reqwest::Method;
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let mut presented: Vec<(&str, String)> = vec![("root key", root.clone())];

    let owner = service_account(&server, &root, "svc").await;
    let (_, admin) = create_key(
        &server,
        &root,
        &owner,
        json!({"name": "admin", "roles": ["keyward:admin"]}),
    )
    .await;
    let (data_id, data) = create_key(
        &server,
        &admin,
        &owner,
        json!({"name": "data", "scopes": ["read"], "allowed_cidrs": [{"cidr": "127.0.0.0/8"}]}),
    )
    .await;
    let (gone_id, gone) = create_key(&server, &admin, &owner, json!({"name": "gone"})).await;
    presented.push(("admin key", admin.clone()));
    presented.push(("data key", data.clone()));
    presented.push(("deleted key", gone.clone()));

    // Good and bad verifications of every kind, through both doors.
    let unknown = keyward_core::secret::SecretToken::generate()
        .expose()
        .to_owned();
    let mut typo: Vec<char> = data.chars().collect();
    typo[12] = if typo[12] == 'x' { 'y' } else { 'x' };
    let typo: String = typo.into_iter().collect();
    presented.push(("unknown key", unknown.clone()));
    presented.push(("mistyped key", typo.clone()));
    for body in [
        json!({"key": data, "ip": "127.0.0.1", "scopes": ["read"]}),
        json!({"key": data, "ip": "127.0.0.1", "scopes": ["write"]}),
        json!({"key": data, "ip": "192.0.2.1"}),
        json!({"key": data}),
        json!({"key": unknown}),
        json!({"key": typo}),
    ] {
        server
            .expect(200, Method::POST, "/v1/keys/verify", None, Some(body))
            .await;
    }
    for secret in [&data, &unknown, &typo, &admin] {
        for path in [
            "/v1/auth",
            "/v1/auth/app/path?scopes=read",
            "/v1/auth?scopes=nope",
        ] {
            let by_bearer = server
                .client
                .get(server.url(path))
                .bearer_auth(secret)
                .send()
                .await
                .expect("an answer");
            assert!(by_bearer.status().as_u16() < 500);
            let by_header = server
                .client
                .post(server.url(path))
                .header("x-api-key", secret.as_str())
                .body("payload")
                .send()
                .await
                .expect("an answer");
            assert!(by_header.status().as_u16() < 500);
        }
    }

    // Failed management calls with real, unknown and mistyped keys.
    server
        .expect(403, Method::GET, "/v1/keys", Some(&data), None)
        .await;
    server
        .expect(401, Method::GET, "/v1/keys", Some(&unknown), None)
        .await;
    server
        .expect(401, Method::GET, "/v1/keys", Some(&typo), None)
        .await;
    // Bodies that carry a secret and are refused.
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/keys/verify",
            None,
            Some(json!({"key": data, "extra": true})),
        )
        .await;
    assert_eq!(status, 422);
    let malformed = server
        .client
        .post(server.url("/v1/keys/verify"))
        .header("content-type", "application/json")
        .body(format!("{{\"key\": \"{data}\""))
        .send()
        .await
        .expect("an answer");
    assert_eq!(malformed.status(), 400);

    // Rotation, disable, delete, and the old secrets used afterwards.
    let rotated = server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{data_id}/rotate"),
            Some(&admin),
            Some(json!({"grace_seconds": 60})),
        )
        .await;
    let new_data = rotated["secret"].as_str().expect("a secret").to_owned();
    presented.push(("rotated key", new_data.clone()));
    server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{data_id}/disable"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(server.verify_code(&new_data).await, "DISABLED");
    server
        .expect(
            204,
            Method::DELETE,
            &format!("/v1/keys/{gone_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(server.verify_code(&gone).await, "NOT_FOUND");

    let log = server.stop().await;
    assert!(
        log.contains("listening on http://"),
        "the output was captured: {log}"
    );
    assert!(log.lines().count() > 5, "debug logging was on:\n{log}");
    if std::env::var_os("KEYWARD_PROCESS_TEST_DUMP").is_some() {
        eprintln!("{log}");
    }
    let plain = strip_ansi(&log);
    for (what, secret) in &presented {
        assert_not_logged(&log, what, secret);
        assert_not_logged(&plain, what, secret);
    }
}

#[tokio::test]
async fn a_key_acknowledged_with_201_survives_kill_9() {
    use reqwest::Method;
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let mut keys = Vec::new();
    for i in 0..5 {
        keys.push(create_key(&server, &root, &owner, json!({"name": format!("k{i}")})).await);
    }
    let (rotated_id, old_secret) = keys[0].clone();
    let rotated = server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{rotated_id}/rotate"),
            Some(&root),
            None,
        )
        .await;
    let new_secret = rotated["secret"].as_str().expect("a secret").to_owned();
    let last = create_key(&server, &root, &owner, json!({"name": "last"})).await;
    // No pause: the process dies the instant the 201 is read.
    server.kill_9().await;

    let server = Server::start(&site).await;
    for (id, secret) in keys.iter().skip(1).chain(std::iter::once(&last)) {
        server
            .expect(
                200,
                Method::GET,
                &format!("/v1/keys/{id}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(server.verify_code(secret).await, "VALID", "key {id}");
    }
    assert_eq!(server.verify_code(&new_secret).await, "VALID");
    assert_ne!(server.verify_code(&old_secret).await, "VALID");
    let ops = server
        .expect(
            200,
            Method::GET,
            &format!("/v1/keys/{}/operations", last.0),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(ops["items"][0]["action"], json!("key.create"));
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_root_key_file_and_does_not_bootstrap_again() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    server.stop().await;
    let server = Server::start(&site).await;
    assert_eq!(site.root_secret(), root, "the file is left alone");
    let domains = server
        .expect(200, reqwest::Method::GET, "/v1/domains", Some(&root), None)
        .await;
    assert_eq!(domains["items"].as_array().map(Vec::len), Some(1));
    let log = server.stop().await;
    assert_not_logged(&log, "root key", &root);
}

#[tokio::test]
async fn a_flood_of_idle_connections_past_the_open_file_limit_is_shed() {
    // The attacker (this test) needs more descriptors than the server gets.
    let own_limit = keyward_edge::raise_fd_limit().unwrap_or(1024);
    let site = Site::new();
    let server = Server::start_limited(&site, Some(256), &["--header-read-timeout", "2s"]).await;
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let flood = usize::try_from(own_limit.saturating_sub(64))
        .unwrap_or(600)
        .min(600);
    let mut idle = Vec::with_capacity(flood);
    for _ in 0..flood {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(stream) => idle.push(stream),
            Err(error) => panic!("the listener stopped accepting during the flood: {error}"),
        }
    }
    // The attackers hold on to every socket; within a few header timeouts a client is served.
    let mut served = false;
    for _ in 0..30 {
        let answer = server
            .client
            .get(server.url("/healthz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status() == StatusCode::OK) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        served,
        "no client was served while {flood} idle connections were held"
    );
    drop(idle);
    let log = server.stop().await;
    assert!(
        log.contains("connection limit reached"),
        "the server says it shed connections"
    );
}

/// Spends `secret` with `tasks` concurrent callers until `stop` says so or the credits run out;
/// answers how many verifications were admitted. Calls that fail (the server died) count nothing.
async fn spend_credits(
    base_url: String,
    secret: String,
    tasks: usize,
    admitted: Arc<std::sync::atomic::AtomicU64>,
    stop_at: u64,
) {
    use std::sync::atomic::Ordering;
    let client = reqwest::Client::new();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, url, secret, admitted) = (
            client.clone(),
            format!("{base_url}/v1/keys/verify"),
            secret.clone(),
            Arc::clone(&admitted),
        );
        handles.push(tokio::spawn(async move {
            while admitted.load(Ordering::SeqCst) < stop_at {
                let Ok(reply) = client.post(&url).json(&json!({"key": secret})).send().await else {
                    return;
                };
                let Ok(body) = reply.json::<Value>().await else {
                    return;
                };
                match body["code"].as_str() {
                    Some("VALID") => {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    Some("USAGE_EXCEEDED") => return,
                    other => panic!("unexpected answer {other:?}: {body}"),
                }
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a spender");
    }
}

/// Credits are never over-spent across `kill -9`: a node leases credits before spending them, so
/// the process dying mid-load loses at most its unspent lease and never grants more than the
/// balance.
#[tokio::test]
async fn credits_are_never_over_spent_across_kill_9() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const BALANCE: u64 = 300;
    const LEASE: u64 = 40;
    let site = Site::new();
    let server = Server::start_limited(&site, None, &["--credit-lease", "40"]).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let (id, secret) = create_key(
        &server,
        &root,
        &owner,
        json!({"name": "metered", "credits": {"remaining": BALANCE}}),
    )
    .await;

    let before_crash = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn(spend_credits(
        server.base_url.clone(),
        secret.clone(),
        8,
        Arc::clone(&before_crash),
        u64::MAX,
    ));
    while before_crash.load(Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Mid-load: the spenders are still calling when the process dies.
    server.kill_9().await;
    load.await
        .expect("the spenders stop when the server is gone");
    let first = before_crash.load(Ordering::SeqCst);

    let server = Server::start_limited(&site, None, &["--credit-lease", "40"]).await;
    let after_restart = Arc::new(AtomicU64::new(0));
    spend_credits(
        server.base_url.clone(),
        secret.clone(),
        8,
        Arc::clone(&after_restart),
        u64::MAX,
    )
    .await;
    let second = after_restart.load(Ordering::SeqCst);
    let total = first + second;
    assert!(
        total <= BALANCE,
        "admitted {first} + {second} > {BALANCE}: over-spent"
    );
    // Lost: the unspent lease, and the answers in flight when the process died (one a spender).
    assert!(
        total >= BALANCE - LEASE - 8,
        "admitted {first} + {second}: the crash lost more than one lease of {LEASE}"
    );
    let key = server
        .expect(
            200,
            reqwest::Method::GET,
            &format!("/v1/keys/{id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(key["credits"]["remaining"], json!(0));
    eprintln!("credits across kill -9: {first} before, {second} after, {total} of {BALANCE}");
    server.stop().await;
}
