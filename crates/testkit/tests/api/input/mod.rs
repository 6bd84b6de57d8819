//! The input rules of README "Security notes", through every face: no control characters where
//! the stores cannot hold them (the same 4xx on SQLite and PostgreSQL), names in NFC without
//! invisible characters, the reserved `keyward:` roles, and error bodies that never echo a secret.

mod chars;
mod echo;
mod names;

use keyward_testkit::app::Reply;

/// A client error, never a 5xx, never a 2xx.
pub fn refused(reply: &Reply, what: &str) {
    let status = reply.status.as_u16();
    assert!(
        (400..500).contains(&status),
        "{what}: expected a 4xx, got {status}: {}",
        reply.text
    );
}
