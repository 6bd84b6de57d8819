//! Access tokens, for faces whose clients exchange a key for a bearer token once and then send
//! the token (ZenML's `POST /api/v1/login`). Stateless and signed, and bound to the very secret
//! they were minted from, so they die with it.
//!
//! A token is `base64url(payload).base64url(HMAC-SHA-256(signing key, payload))`, where the
//! payload is a version byte, the key id, the first [`HASH_PREFIX_LEN`] bytes of the secret's
//! stored hash and the issue time. Nothing is stored per token. `service/sessions.rs` accepts a
//! token while its signature checks, it is younger than [`SESSION_TTL`], and its key is enabled,
//! unexpired and still has a *live* secret with that hash prefix: rotating the secret past its
//! grace, disabling, expiring or deleting the key ends every token minted from it.
//!
//! The signing key is HMAC(pepper, [`SIGNING_LABEL`]), so every node sharing the pepper accepts
//! every node's tokens and a restart keeps them valid. Without a pepper that value would be a
//! public constant, so a random per-process key is used instead (tokens end with the process).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::ids::KeyId;
use crate::secret::{SecretHash, SecretHasher};

/// How long a token is accepted after it was issued (clients log in again, as ZenML's do on 401
/// or when `expires_in` has passed). Bounds the life of a token leaked while its key lives on.
pub const SESSION_TTL: Duration = Duration::hours(1);
/// How many bytes of the secret's stored hash a token carries: enough to tell a key's two
/// secrets apart; the signature, not the prefix, is what makes a token unforgeable.
pub const HASH_PREFIX_LEN: usize = 8;
/// What the signing key is derived from, under the pepper. Changing it ends every token.
pub const SIGNING_LABEL: &str = "keyward session v1";
/// Tolerated clock difference between nodes for a token's issue time.
const FUTURE_SKEW: Duration = Duration::minutes(1);

const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 16 + HASH_PREFIX_LEN + 8;
/// Longest text that can be a token (payload and signature in base64url, and the dot).
const TOKEN_MAX_LEN: usize = 128;

/// What a token says: which key, which of its secrets, and when it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub key_id: KeyId,
    pub hash_prefix: [u8; HASH_PREFIX_LEN],
    pub issued_at: OffsetDateTime,
}

impl Claims {
    /// Claims for a secret with this stored hash.
    pub fn new(key_id: KeyId, hash: &SecretHash, issued_at: OffsetDateTime) -> Self {
        let mut hash_prefix = [0u8; HASH_PREFIX_LEN];
        hash_prefix.copy_from_slice(&hash.0[..HASH_PREFIX_LEN]);
        Self {
            key_id,
            hash_prefix,
            issued_at,
        }
    }

    /// Whether `hash` is the hash of the secret these claims were minted from.
    pub fn matches(&self, hash: &SecretHash) -> bool {
        hash.0[..HASH_PREFIX_LEN] == self.hash_prefix
    }

    /// Inside the token's lifetime at `now` (and not issued in the future beyond clock skew).
    pub fn is_current_at(&self, now: OffsetDateTime) -> bool {
        now < self.issued_at + SESSION_TTL && self.issued_at <= now + FUTURE_SKEW
    }

    fn encode(&self) -> [u8; PAYLOAD_LEN] {
        let mut out = [0u8; PAYLOAD_LEN];
        out[0] = VERSION;
        out[1..17].copy_from_slice(self.key_id.as_uuid().as_bytes());
        out[17..17 + HASH_PREFIX_LEN].copy_from_slice(&self.hash_prefix);
        let micros = (self.issued_at.unix_timestamp_nanos() / 1_000) as i64;
        out[17 + HASH_PREFIX_LEN..].copy_from_slice(&micros.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != PAYLOAD_LEN || bytes[0] != VERSION {
            return None;
        }
        let key_id = KeyId::from_uuid(Uuid::from_slice(&bytes[1..17]).ok()?);
        let mut hash_prefix = [0u8; HASH_PREFIX_LEN];
        hash_prefix.copy_from_slice(&bytes[17..17 + HASH_PREFIX_LEN]);
        let micros = i64::from_be_bytes(bytes[17 + HASH_PREFIX_LEN..].try_into().ok()?);
        let issued_at =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).ok()?;
        Some(Self {
            key_id,
            hash_prefix,
            issued_at,
        })
    }
}

/// A minted token. It is a credential: `Debug` is redacted and there is no `Display`.
pub struct SessionToken(String);

impl SessionToken {
    /// The token text, for the one response that hands it out. Named to be greppable.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// A token as a client presented it, from the face that read it to [`SessionKey::open`]. Like
/// `PresentedSecret`, it prints redacted and has no `Display`: "never logged" is a property of
/// the type.
#[derive(Clone, Copy)]
pub struct PresentedToken<'a>(&'a str);

impl<'a> PresentedToken<'a> {
    pub fn new(text: &'a str) -> Self {
        Self(text)
    }
}

impl fmt::Debug for PresentedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedToken(<redacted>)")
    }
}

/// Signs and checks tokens. One per node, made once at startup.
#[derive(Clone)]
pub struct SessionKey {
    mac: Hmac<Sha256>,
    /// Derived from the pepper (stable across nodes and restarts) rather than random.
    derived: bool,
}

impl SessionKey {
    /// HMAC(pepper, label) when the hasher is keyed; otherwise a random key, with a warning.
    pub fn derive(hasher: &SecretHasher) -> Self {
        if hasher.is_keyed() {
            // The hasher is HMAC(pepper, ·): its hash of the label is exactly HMAC(pepper, label).
            // The label is not in keyward's secret format, so no stored hash can equal it.
            Self::from_bytes(&hasher.hash(SIGNING_LABEL).0, true)
        } else {
            tracing::warn!(
                "no pepper configured: access tokens (ZenML login) are signed with a random \
                 per-process key; they stop working when this process restarts and are not \
                 accepted by other nodes"
            );
            Self::random()
        }
    }

    /// A fresh random key (tests, or no pepper).
    pub fn random() -> Self {
        Self::from_bytes(&rand::random::<[u8; 32]>(), false)
    }

    fn from_bytes(bytes: &[u8], derived: bool) -> Self {
        let mac =
            <Hmac<Sha256> as Mac>::new_from_slice(bytes).expect("HMAC accepts keys of any length");
        Self { mac, derived }
    }

    pub fn is_derived(&self) -> bool {
        self.derived
    }

    /// The token for `claims`.
    pub fn mint(&self, claims: &Claims) -> SessionToken {
        let payload = claims.encode();
        let mut mac = self.mac.clone();
        mac.update(&payload);
        let signature = mac.finalize().into_bytes();
        SessionToken(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The claims of a token this key signed; `None` for anything else. The signature is checked
    /// in constant time before the payload is read.
    pub fn open(&self, token: PresentedToken<'_>) -> Option<Claims> {
        let token = token.0;
        if token.len() > TOKEN_MAX_LEN {
            return None;
        }
        let (payload, signature) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac.clone();
        mac.update(&payload);
        mac.verify_slice(&signature).ok()?;
        Claims::decode(&payload)
    }

    /// A stable identifier of this deployment (every node sharing the pepper has the same one),
    /// for vendor APIs that report a server id. Reveals nothing about the key.
    pub fn deployment_id(&self) -> Uuid {
        let mut mac = self.mac.clone();
        mac.update(b"deployment id");
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("derived", &self.derived)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Pepper;

    fn claims(at: OffsetDateTime) -> Claims {
        Claims::new(KeyId::new(), &SecretHash([7u8; 32]), at)
    }

    fn keyed() -> SessionKey {
        let pepper = Pepper::new(b"0123456789abcdef0123".to_vec()).expect("long enough");
        SessionKey::derive(&SecretHasher::new(Some(&pepper)))
    }

    #[test]
    fn tokens_round_trip_and_carry_their_claims() {
        let key = keyed();
        let at = crate::clock::to_micros_precision(OffsetDateTime::now_utc());
        let claims = claims(at);
        let token = key.mint(&claims);
        assert_eq!(key.open(PresentedToken::new(token.expose())), Some(claims));
        assert!(claims.matches(&SecretHash([7u8; 32])));
        assert!(!claims.matches(&SecretHash([8u8; 32])));
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn the_same_pepper_gives_the_same_key_and_no_pepper_a_random_one() {
        let at = OffsetDateTime::now_utc();
        let token = keyed().mint(&claims(at));
        assert!(
            keyed().open(PresentedToken::new(token.expose())).is_some(),
            "another node"
        );
        assert_eq!(keyed().deployment_id(), keyed().deployment_id());
        let unkeyed = SessionKey::derive(&SecretHasher::new(None));
        assert!(!unkeyed.is_derived());
        assert!(unkeyed.open(PresentedToken::new(token.expose())).is_none());
        assert!(SessionKey::random()
            .open(PresentedToken::new(token.expose()))
            .is_none());
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let key = keyed();
        let token = key.mint(&claims(OffsetDateTime::now_utc()));
        let text = token.expose();
        let (payload, signature) = text.split_once('.').expect("two parts");
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64");
        bytes[5] ^= 1;
        let forged = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(bytes));
        for bad in [
            forged.as_str(),
            "",
            ".",
            "kw_abc",
            &text[..text.len() - 2],
            &format!("{text}x"),
        ] {
            assert!(key.open(PresentedToken::new(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn tokens_expire_after_the_ttl() {
        let at = OffsetDateTime::now_utc();
        let claims = claims(at);
        assert!(claims.is_current_at(at));
        assert!(claims.is_current_at(at + SESSION_TTL - Duration::microseconds(1)));
        assert!(!claims.is_current_at(at + SESSION_TTL));
        assert!(
            !claims.is_current_at(at - Duration::minutes(2)),
            "from the future"
        );
    }
}
