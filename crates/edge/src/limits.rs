//! How long a client may take and how many may be connected at once.

use std::time::Duration;

/// The limits [`serve`](crate::serve) applies to every connection. Defaults follow what nginx and
/// Vault ship with, tightened where keyward's requests are small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once; a connection accepted above it is closed at once. Also
    /// kept below the process's file-descriptor limit (see [`serve`](crate::serve)).
    pub max_connections: usize,
    /// How long a client may take to send a whole request head, from the connection's start or
    /// from its first byte after a finished request (Vault: 10 s; nginx: 60 s).
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive whole, from the moment its head was read
    /// (Vault's whole-request read timeout: 30 s). A body that never ends is cut off here.
    pub body_read_timeout: Duration,
    /// How long a connection may sit with no request in progress and no byte moving either way
    /// before it is closed (nginx's `keepalive_timeout`: 75 s). Kept above the usual proxy
    /// keep-alive pools (nginx upstream `keepalive_timeout` is 60 s) so the proxy closes first.
    pub idle_timeout: Duration,
    /// At shutdown, how long open connections may take to finish before they are dropped.
    pub drain_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

impl ConnectionLimits {
    /// What the types cannot say: every limit above zero.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        for (name, value) in [
            ("header_read_timeout", self.header_read_timeout),
            ("body_read_timeout", self.body_read_timeout),
            ("idle_timeout", self.idle_timeout),
        ] {
            if value.is_zero() {
                return Err(format!("{name} must be greater than zero"));
            }
        }
        Ok(())
    }
}
