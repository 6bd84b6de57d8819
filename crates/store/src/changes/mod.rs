//! Cache coherence across nodes: what a key write publishes and how a node hears it.
//!
//! Every key write on PostgreSQL runs `pg_notify('keyward_keys', payload)` inside its own
//! transaction, so the notification is delivered when (and only when) the change commits. The
//! payload names the secret hashes the key had before and has after the change: those are the
//! cache entries any node may hold for it. [`listener`] turns notifications back into
//! `ChangeEvent`s on every other node; the node that made the change has already forgotten it
//! (its core does so as the write returns), and hearing it again would only cost a reload. SQLite
//! serves one node and publishes nothing.
//!
//! Payload: `<origin>:<hashes>`. The origin names the store that wrote (32 hex digits, new per
//! store); the hashes are lowercase hex, comma-separated (none: empty), or `*` for "drop
//! everything" should a list ever not fit PostgreSQL's 8000-byte payload limit. A key has at most
//! two secrets, so a payload is at most four hashes (292 bytes) in practice.

pub(crate) mod listener;

use keyward_core::secret::SecretHash;

/// The channel every node listens on.
pub(crate) const CHANNEL: &str = "keyward_keys";

/// The payload meaning "assume every key changed".
const EVERYTHING: &str = "*";

/// PostgreSQL refuses payloads of 8000 bytes or more; stay well below.
const MAX_PAYLOAD: usize = 7_900;

/// A name for one store, unique among all the nodes' stores, to tell its own notifications from
/// others'.
pub(crate) fn new_origin() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// What a notification says: which store wrote, and what changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Notice<'a> {
    pub origin: &'a str,
    pub changed: Changed,
}

/// What a notification's payload says changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Changed {
    Hashes(Vec<SecretHash>),
    /// Drop every cache entry: a list too long to send, or a payload this version cannot read.
    Everything,
}

/// The payload for a change touching `hashes` (duplicates are sent once), written by `origin`.
pub(crate) fn encode(origin: &str, hashes: &[SecretHash]) -> String {
    let mut unique: Vec<&SecretHash> = Vec::with_capacity(hashes.len());
    for hash in hashes {
        if !unique.contains(&hash) {
            unique.push(hash);
        }
    }
    // 64 hex digits and a comma per hash.
    if origin.len() + 1 + unique.len() * 65 > MAX_PAYLOAD {
        return format!("{origin}:{EVERYTHING}");
    }
    let hex: Vec<String> = unique.iter().map(|hash| hash.to_hex()).collect();
    format!("{origin}:{}", hex.join(","))
}

/// Reads a payload; `None` when it is malformed (not something `encode` writes).
pub(crate) fn decode(payload: &str) -> Option<Notice<'_>> {
    let (origin, list) = payload.split_once(':')?;
    if origin.len() != 32 || !is_lower_hex(origin) {
        return None;
    }
    let changed = match list {
        EVERYTHING => Changed::Everything,
        "" => Changed::Hashes(Vec::new()),
        _ => list
            .split(',')
            .map(|hex| {
                is_lower_hex(hex)
                    .then(|| SecretHash::from_hex(hex))
                    .flatten()
            })
            .collect::<Option<Vec<_>>>()
            .map(Changed::Hashes)?,
    };
    Some(Notice { origin, changed })
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(byte: u8) -> SecretHash {
        SecretHash([byte; 32])
    }

    fn changed(payload: &str) -> Option<Changed> {
        decode(payload).map(|notice| notice.changed)
    }

    #[test]
    fn hashes_round_trip_once_each() {
        let origin = new_origin();
        let payload = encode(&origin, &[hash(1), hash(2), hash(1)]);
        assert_eq!(payload.len(), 32 + 1 + 2 * 64 + 1);
        let notice = decode(&payload).expect("a payload encode wrote");
        assert_eq!(notice.origin, origin);
        assert_eq!(notice.changed, Changed::Hashes(vec![hash(1), hash(2)]));
        assert_eq!(
            changed(&encode(&origin, &[])),
            Some(Changed::Hashes(Vec::new()))
        );
        assert_ne!(new_origin(), origin, "every store has its own");
    }

    #[test]
    fn a_list_too_long_for_one_notification_means_everything() {
        let many: Vec<SecretHash> = (0..=200).map(hash).collect();
        let payload = encode(&new_origin(), &many);
        assert!(payload.ends_with(":*"), "{payload}");
        assert_eq!(changed(&payload), Some(Changed::Everything));
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let origin = new_origin();
        let good = hash(0xab).to_hex();
        assert!(changed(&format!("{origin}:{good}")).is_some());
        for bad in [
            "x".to_owned(),
            good.clone(),
            format!(":{good}"),
            format!("{}:{good}", &origin[1..]),
            format!("{}:{good}", origin.to_uppercase()),
            format!("{origin}:{good},"),
            format!("{origin}:,{good}"),
            format!("{origin}:{}", good.to_uppercase()),
            format!("{origin}:{}", &good[..63]),
            format!("{origin}:{good} "),
            format!("{origin}:{good}00"),
        ] {
            assert_eq!(decode(&bad), None, "{bad:?}");
        }
    }
}
