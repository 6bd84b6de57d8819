//! Access-key credentials and NCP's signature v2. Unlike an API key's secret, which is only ever
//! hashed, an access key's secret key must be read back to check an HMAC, so it is stored sealed
//! (AES-256-GCM) under a master key from configuration, with the access key id as associated
//! data so a sealed secret cannot be moved to another row.
//!
//! Signature v2: `base64(HMAC-SHA256(secret key, "{METHOD} {TARGET}\n{TIMESTAMP}\n{ACCESS KEY}"))`,
//! over the request target exactly as received, a timestamp (epoch milliseconds) at most five
//! minutes from the server's clock, compared in constant time.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::ValidationError;

/// How far a signed request's timestamp may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::minutes(5);
/// Prefix of access key ids, so they are recognisable in logs and configuration.
pub const ACCESS_KEY_PREFIX: &str = "KWAK";

const NONCE_BYTES: usize = 12;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// The key that seals access keys' secrets. Derived from configured bytes by SHA-256; never printed.
#[derive(Clone)]
pub struct MasterKey(Aes256Gcm);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// At least 16 bytes of configured secret material.
    pub fn new(material: &[u8]) -> Result<Self, ValidationError> {
        if material.len() < 16 {
            return Err(ValidationError::new(
                "master_key",
                "must be at least 16 bytes",
            ));
        }
        let digest = Sha256::new()
            .chain_update(b"keyward master key v1\0")
            .chain_update(material)
            .finalize();
        Ok(Self(Aes256Gcm::new(&digest)))
    }

    /// `nonce || ciphertext+tag`, bound to `context` (the access key id).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_BYTES] = rand::rng().random();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let sealed = self
            .0
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            // AES-GCM encryption fails only for messages of gigabytes.
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        out
    }

    /// The plaintext, or `None` when the bytes were not sealed by this key for this context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .ok()
    }
}

/// A new access key id: `KWAK` + 20 upper-case letters and digits.
pub fn new_access_key_id() -> String {
    format!(
        "{ACCESS_KEY_PREFIX}{}",
        random_text(20, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    )
}

/// A new secret key: 40 base62 characters (about 238 bits). Shown once, then only sealed.
pub struct SecretKey(String);

impl SecretKey {
    pub fn generate() -> Self {
        Self(random_text(40, ALPHABET))
    }

    pub fn from_plain(text: String) -> Self {
        Self(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// The string signature v2 signs.
pub fn string_to_sign(method: &str, target: &str, timestamp: &str, access_key: &str) -> String {
    format!("{method} {target}\n{timestamp}\n{access_key}")
}

/// `base64(HMAC-SHA256(secret, message))`.
pub fn sign(secret: &[u8], message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (base64) is the HMAC of `message` under `secret`; constant-time.
pub fn signature_matches(secret: &[u8], message: &str, signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Whether a timestamp in epoch milliseconds lies within `MAX_SKEW` of `now`.
pub fn timestamp_is_fresh(timestamp: &str, now: OffsetDateTime) -> bool {
    let Ok(millis) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    let now_millis = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    now_millis.abs_diff(millis) <= MAX_SKEW.whole_milliseconds() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's known-answer vector (NCP mail API, same scheme).
    #[test]
    fn signature_v2_matches_the_known_answer() {
        let message = string_to_sign("POST", "/api/v1/mails", "1789174800000", "test-access-key");
        let expected = "sUivhBVe0ZI9YKhZPcvrMaOmFgI67grJuG5OI+T9nrE=";
        assert_eq!(sign(b"test-secret-key", &message), expected);
        assert!(signature_matches(b"test-secret-key", &message, expected));
        assert!(!signature_matches(b"other", &message, expected));
        assert!(!signature_matches(
            b"test-secret-key",
            &message,
            "not base64!"
        ));
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let key = MasterKey::new(b"0123456789abcdef-master").expect("key");
        let sealed = key.seal(b"secret", b"KWAK1");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(key.open(&sealed, b"KWAK1").as_deref(), Some(&b"secret"[..]));
        assert_eq!(key.open(&sealed, b"KWAK2"), None);
        let other = MasterKey::new(b"another-master-key-material").expect("key");
        assert_eq!(other.open(&sealed, b"KWAK1"), None);
        assert!(MasterKey::new(b"short").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(***)");
    }

    #[test]
    fn timestamps_are_fresh_within_five_minutes() {
        let now = OffsetDateTime::from_unix_timestamp(1_789_174_800).expect("time");
        assert!(timestamp_is_fresh("1789174800000", now));
        assert!(timestamp_is_fresh("1789175100000", now));
        assert!(!timestamp_is_fresh("1789175100001", now));
        assert!(!timestamp_is_fresh("1789174499999", now));
        assert!(!timestamp_is_fresh("soon", now));
    }
}
