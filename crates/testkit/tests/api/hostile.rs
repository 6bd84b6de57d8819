//! Hostile clients at the socket: idle floods, slowloris heads, bodies that never arrive. Each
//! test holds real connections to a server on port 0 with short limits, and checks that the
//! server lets go of the attacker and goes on serving everyone else. (Without the edge's limits
//! each of these connections is held for as long as the client likes.)

use std::net::SocketAddr;
use std::time::Duration;

use keyward::ConnectionLimits;
use keyward_testkit::app::{spawn_app_with, AppOptions, TestApp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Long enough that a server holding the connection is told apart from one closing it, with
/// room for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(15);

async fn app_with(limits: ConnectionLimits) -> TestApp {
    spawn_app_with(AppOptions {
        connections: Some(limits),
        ..AppOptions::default()
    })
    .await
}

fn short(header: u64, body: u64, idle: u64) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_secs(header),
        body_read_timeout: Duration::from_secs(body),
        idle_timeout: Duration::from_secs(idle),
        ..ConnectionLimits::default()
    }
}

/// Reads until the server closes the connection; what it sent, or `None` if it did not close
/// within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    timeout(within, read_all).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

/// One whole request on its own connection; the status line's code.
async fn status_of(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: keyward\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let answer = closed_within(&mut stream, PATIENCE)
        .await
        .expect("the server answers and closes");
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {answer:?}"))
}

#[tokio::test]
async fn connections_above_the_cap_are_closed_at_once_and_the_rest_are_served() {
    let app = app_with(ConnectionLimits {
        max_connections: 16,
        ..short(60, 30, 60)
    })
    .await;
    // Fill every slot with a connection that says nothing.
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(TcpStream::connect(app.addr).await.expect("connects"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Above the cap: accepted and closed, never left hanging.
    for _ in 0..20 {
        let mut extra = TcpStream::connect(app.addr)
            .await
            .expect("the kernel accepts");
        assert!(
            closed_within(&mut extra, PATIENCE).await.is_some(),
            "a connection above the cap was held open"
        );
    }
    // A held connection is served as usual.
    let first = held.first_mut().expect("one held");
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: keyward\r\nConnection: close\r\n\r\n")
        .await
        .expect("sends");
    let answer = closed_within(first, PATIENCE).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The attackers leave: their slots are free again.
    held.clear();
    let mut served = false;
    for _ in 0..50 {
        if status_of(app.addr, "/healthz").await == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "no client served after the idle ones left");
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_closed() {
    let app = app_with(short(1, 30, 60)).await;
    let mut silent = TcpStream::connect(app.addr).await.expect("connects");
    assert!(
        closed_within(&mut silent, PATIENCE).await.is_some(),
        "a silent connection was held past the header timeout"
    );
}

#[tokio::test]
async fn a_head_sent_byte_by_byte_is_cut_off_however_steady() {
    let app = app_with(short(1, 30, 60)).await;
    // On the gateway's own fast path, and on a routed path.
    for path in ["/v1/auth", "/v1/keys"] {
        let mut slow = TcpStream::connect(app.addr).await.expect("connects");
        let start = format!("GET {path} HTTP/1.1\r\nHost: keyward\r\n");
        slow.write_all(start.as_bytes()).await.expect("sends");
        // One header every 200 ms, forever: each write is well inside any per-read timeout.
        let trickle = async {
            for n in 0.. {
                let line = format!("X-Slow-{n}: y\r\n");
                if slow.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        assert!(
            timeout(PATIENCE, trickle).await.is_ok(),
            "{path}: a slowloris head was held for {PATIENCE:?}"
        );
    }
    // Everyone else is served meanwhile and after.
    assert_eq!(status_of(app.addr, "/healthz").await, 200);
}

#[tokio::test]
async fn a_body_that_never_arrives_is_cut_off() {
    let app = app_with(short(10, 1, 60)).await;
    // Announces 10 GB, sends 10 bytes, then nothing.
    let mut stalled = TcpStream::connect(app.addr).await.expect("connects");
    let head = format!(
        "POST /v1/keys HTTP/1.1\r\nHost: keyward\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{\"owner_id",
        app.root_token
    );
    stalled.write_all(head.as_bytes()).await.expect("sends");
    let answer = closed_within(&mut stalled, PATIENCE)
        .await
        .expect("a stalled body was waited on past the body timeout");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "a client error (or a plain close), never a 5xx: {answer}"
    );
    assert!(
        !answer.contains(&app.root_token),
        "the answer never echoes the credential"
    );

    // A body sent one byte every 200 ms: steady, but the whole body has a deadline.
    let mut trickling = TcpStream::connect(app.addr).await.expect("connects");
    let head = format!(
        "POST /v1/principals HTTP/1.1\r\nHost: keyward\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        app.root_token
    );
    trickling.write_all(head.as_bytes()).await.expect("sends");
    let trickle = async {
        loop {
            if trickling.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert!(
        timeout(PATIENCE, trickle).await.is_ok(),
        "a trickling body was held for {PATIENCE:?}"
    );
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_when_idle() {
    let app = app_with(short(10, 30, 1)).await;
    let mut kept = TcpStream::connect(app.addr).await.expect("connects");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: keyward\r\n\r\n")
        .await
        .expect("sends");
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.expect("an answer");
    assert_eq!(&first, b"HTTP/1.1 200");
    // Nothing more is asked: the server closes after the idle timeout.
    assert!(
        closed_within(&mut kept, PATIENCE).await.is_some(),
        "an idle kept-alive connection was held past the idle timeout"
    );
}

#[tokio::test]
async fn an_http2_connection_that_only_says_hello_is_closed() {
    let app = app_with(short(1, 30, 60)).await;
    let mut h2 = TcpStream::connect(app.addr).await.expect("connects");
    // The client preface and an empty SETTINGS frame, then silence.
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("sends");
    assert!(
        closed_within(&mut h2, PATIENCE).await.is_some(),
        "an HTTP/2 connection with no request was held past the header timeout"
    );
}
