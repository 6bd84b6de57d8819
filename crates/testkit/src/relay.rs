//! A TCP relay on port 0 in front of a server (PostgreSQL, in the outage tests), which a test can
//! break in the two ways a network breaks:
//!
//! - [`Relay::cut`]: every connection, open or new, is closed (the client sees EOF or a reset at
//!   once), until [`Relay::restore`];
//! - [`Relay::freeze_open`]: the connections open now stop carrying bytes in either direction but
//!   stay open: no FIN, no RST, writes vanish into the buffers and nothing ever answers. This is a
//!   black hole, as when a firewall or NAT forgets an idle flow, and only a deadline notices it.
//!   Connections made afterwards pass normally. [`Relay::black_hole`] freezes new ones too.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the relay does to a connection; connections are numbered from 0 as they are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    /// False: close everything.
    up: bool,
    /// Connections numbered below this carry nothing any more.
    frozen_below: u64,
    /// New connections are frozen as they are accepted.
    black_hole: bool,
}

/// The relay. Dropping it closes the listener and every connection.
pub struct Relay {
    /// Where clients connect instead of the server.
    pub addr: SocketAddr,
    state: Arc<watch::Sender<State>>,
    accepted: Arc<AtomicU64>,
}

impl Relay {
    /// Listens on `127.0.0.1:0` and relays every connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a relay port");
        let addr = listener.local_addr().expect("the relay address");
        let state = Arc::new(watch::Sender::new(State {
            up: true,
            frozen_below: 0,
            black_hole: false,
        }));
        let accepted = Arc::new(AtomicU64::new(0));
        let (watching, counter) = (state.subscribe(), Arc::clone(&accepted));
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let number = counter.fetch_add(1, Ordering::SeqCst);
                let watching = watching.clone();
                if watching.has_changed().is_err() {
                    break; // the relay is gone
                }
                if !watching.borrow().up {
                    continue; // dropped at once: the client reads EOF
                }
                tokio::spawn(relay(inbound, target, number, watching));
            }
        });
        Self {
            addr,
            state,
            accepted,
        }
    }

    /// Closes every connection, open or new, until `restore`.
    pub fn cut(&self) {
        self.state.send_modify(|state| state.up = false);
    }

    /// Carries traffic again (frozen connections stay frozen).
    pub fn restore(&self) {
        self.state.send_modify(|state| {
            state.up = true;
            state.black_hole = false;
        });
    }

    /// Every connection open now goes silent without closing; new ones pass.
    pub fn freeze_open(&self) {
        let accepted = self.accepted.load(Ordering::SeqCst);
        self.state
            .send_modify(|state| state.frozen_below = state.frozen_below.max(accepted));
    }

    /// Every connection, open or new, goes silent without closing, until `restore`.
    pub fn black_hole(&self) {
        self.freeze_open();
        self.state.send_modify(|state| state.black_hole = true);
    }
}

/// One connection: carried until the relay closes or freezes it.
async fn relay(
    mut inbound: TcpStream,
    target: SocketAddr,
    number: u64,
    mut state: watch::Receiver<State>,
) {
    let frozen = |state: &State| number < state.frozen_below || state.black_hole;
    if frozen(&state.borrow()) {
        // Accepted into the black hole: hold the socket, answer nothing, until the relay goes.
        let _ = state.wait_for(|state| !state.up).await;
        return;
    }
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    let why = tokio::select! {
        _ = copy_bidirectional(&mut inbound, &mut outbound) => return,
        why = state.wait_for(|state| !state.up || frozen(state)) => why.map(|state| *state),
    };
    match why {
        // Frozen: both sockets stay open and unread until the relay closes or goes.
        Ok(now) if now.up => {
            let _ = state.wait_for(|state| !state.up).await;
        }
        _ => {}
    }
}

/// The address of the PostgreSQL server a `postgres://` URL names (port 5432 unless given).
pub async fn postgres_addr(url: &str) -> SocketAddr {
    let rest = &url[url.find("://").map_or(0, |i| i + 3)..];
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = rest.split(['/', '?']).next().expect("a host");
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    tokio::net::lookup_host(host)
        .await
        .expect("the PostgreSQL host resolves")
        .next()
        .expect("an address")
}
