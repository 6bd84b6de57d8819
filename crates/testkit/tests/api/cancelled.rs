//! Clients that hang up mid-request. The server drops such a request's work wherever it is, and
//! nothing it was holding may outlive it: a database transaction begun for it must end, or the
//! connection that held it would fail every later request it serves (seen under load: lists
//! answering 500, and SQLite's WAL growing without bound behind the open snapshot).

use std::time::Duration;

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, unique};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// Sends a list request on a raw connection, waits up to 4 ms, then resets the connection.
async fn hang_up_on_a_list(addr: std::net::SocketAddr, token: &str, wait_micros: u64) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return;
    };
    let request = format!(
        "GET /v1/keys?state=enabled&limit=50 HTTP/1.1\r\nHost: keyward\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    let _ = stream.write_all(request.as_bytes()).await;
    tokio::time::sleep(Duration::from_micros(wait_micros)).await;
    // Linger zero: the close is a reset, and the server learns at once that the client is gone.
    let _ = stream.set_zero_linger();
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_abandoned_mid_flight_leave_no_transaction_behind() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    for n in 0..20 {
        app.post(
            &token,
            "/v1/keys",
            json!({"owner_id": owner, "name": format!("k{n}")}),
        )
        .await
        .expect_status(201);
    }
    let listed = app.get(&token, "/v1/keys?limit=50").await.items().len();
    // Many clients hanging up after 0–4 ms: some land while their request starts its read
    // transaction, the moment that used to leak one.
    for round in 0..25u64 {
        let abandoned =
            (0..16u64).map(|i| hang_up_on_a_list(app.addr, &token, (round * 16 + i) * 37 % 4000));
        futures_util::future::join_all(abandoned).await;
    }
    // Every connection of the pool serves again, each answer whole.
    let replies =
        futures_util::future::join_all((0..60).map(|_| app.get(&token, "/v1/keys?limit=50"))).await;
    for reply in replies {
        assert_eq!(
            reply.status, 200,
            "a list after abandoned ones: {}",
            reply.body
        );
        assert_eq!(reply.items().len(), listed);
    }
    // And writes still go through.
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "after"}),
    )
    .await
    .expect_status(201);
}
