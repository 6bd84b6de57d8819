//! Secrets: how they look, how they are made, how they are hashed.
//!
//! A secret is `kw_` + 33 base62 characters from the OS CSPRNG (196 bits) + 6 base62 characters of
//! CRC32 over the body. The prefix lets secret scanners recognise keward keys; the checksum rejects
//! typos and garbage before any cache or database lookup. Only a keyed hash is ever stored:
//! HMAC-SHA-256 under the server's pepper, or plain SHA-256 when no pepper is configured. The keys
//! are high-entropy, so a slow password hash would buy nothing and cost the whole latency budget.
//!
//! Two types carry plaintext, and neither can be printed: [`SecretToken`] (a secret keyward made,
//! on its way to the one response that returns it) and [`PresentedSecret`] (what a client
//! presented, from the face that read it to the hash). "Never logged" is a property of the types.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::distr::{Alphanumeric, Distribution};
use sha2::{Digest, Sha256};

/// Every keyward secret starts with this.
pub const SECRET_PREFIX: &str = "kw_";
const BODY_LEN: usize = 33;
const CHECKSUM_LEN: usize = 6;
/// Total length of a well-formed secret.
pub const SECRET_LEN: usize = SECRET_PREFIX.len() + BODY_LEN + CHECKSUM_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A plaintext secret. It exists only between generation and the one response that returns it.
/// `Debug` prints a redacted form; there is no `Display` and no `Serialize`.
pub struct SecretToken(String);

impl SecretToken {
    /// A fresh secret from the OS CSPRNG.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let body: String = Alphanumeric
            .sample_iter(&mut rng)
            .take(BODY_LEN)
            .map(char::from)
            .collect();
        let mut text = String::with_capacity(SECRET_LEN);
        text.push_str(SECRET_PREFIX);
        text.push_str(&body);
        push_checksum(&mut text, &body);
        Self(text)
    }

    /// The plaintext, for the single response that hands it to its owner. Named to be greppable.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown later: the prefix and the last four characters.
    pub fn hint(&self) -> String {
        hint_of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// What a client presented as a secret: made by the face that reads it (a header, a body field,
/// gRPC metadata) and carried by type through the core until it is hashed. Borrowed, so the verify
/// hot path stays allocation-free. `Debug` prints a redacted form; there is no `Display`, no
/// `Serialize`, and the value can be read back only inside the core.
#[derive(Clone, Copy)]
pub struct PresentedSecret<'a>(&'a str);

impl<'a> PresentedSecret<'a> {
    /// Wraps what a client presented. Nothing is checked here: any text is a presented secret,
    /// and `is_well_formed` (or the verify path) decides what it is worth.
    pub fn new(text: &'a str) -> Self {
        Self(text)
    }

    /// True when it has keyward's shape and a correct checksum (see [`is_well_formed`]).
    pub fn is_well_formed(self) -> bool {
        is_well_formed(self.0)
    }

    /// Its stored form.
    pub fn hash(self, hasher: &SecretHasher) -> SecretHash {
        hasher.hash(self.0)
    }
}

impl fmt::Debug for PresentedSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedSecret(<redacted>)")
    }
}

fn hint_of(text: &str) -> String {
    let tail = &text[text.len().saturating_sub(4)..];
    format!("{SECRET_PREFIX}…{tail}")
}

fn push_checksum(out: &mut String, body: &str) {
    let mut crc = u64::from(crc32fast::hash(body.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(crc % 62) as usize];
        crc /= 62;
    }
    for d in digits {
        out.push(char::from(d));
    }
}

/// True when `text` has keyward's shape and a correct checksum. Allocation-free: this runs on
/// every verification before anything else.
pub fn is_well_formed(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != SECRET_LEN || !text.starts_with(SECRET_PREFIX) {
        return false;
    }
    let body = &bytes[SECRET_PREFIX.len()..SECRET_PREFIX.len() + BODY_LEN];
    let check = &bytes[SECRET_PREFIX.len() + BODY_LEN..];
    if !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut crc = u64::from(crc32fast::hash(body));
    for &c in check.iter().rev() {
        if BASE62[(crc % 62) as usize] != c {
            return false;
        }
        crc /= 62;
    }
    true
}

/// The stored form of a secret: 32 bytes of (keyed) SHA-256.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
        }
        out
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16)?;
            let lo = (chunk[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", &self.to_hex()[..8])
    }
}

/// The server-side key for secret hashing. Kept outside the database (configuration), so a stolen
/// database alone does not allow offline guessing. Changing it invalidates every stored key.
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    /// At least 16 bytes; shorter peppers are refused rather than silently weak.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, crate::error::ValidationError> {
        let bytes = bytes.into();
        if bytes.len() < 16 {
            return Err(crate::error::ValidationError::new(
                "pepper",
                "must be at least 16 bytes",
            ));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(<redacted>)")
    }
}

/// Hashes secrets for storage and lookup. The HMAC key schedule is computed once and cloned per
/// hash (a 200-byte copy), not recomputed.
#[derive(Clone)]
pub struct SecretHasher {
    keyed: Option<Hmac<Sha256>>,
}

impl SecretHasher {
    pub fn new(pepper: Option<&Pepper>) -> Self {
        let keyed = pepper.map(|p| {
            <Hmac<Sha256> as Mac>::new_from_slice(&p.0).expect("HMAC accepts keys of any length")
        });
        Self { keyed }
    }

    pub fn is_keyed(&self) -> bool {
        self.keyed.is_some()
    }

    pub fn hash(&self, secret: &str) -> SecretHash {
        match &self.keyed {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(secret.as_bytes());
                SecretHash(mac.finalize().into_bytes().into())
            }
            None => SecretHash(Sha256::digest(secret.as_bytes()).into()),
        }
    }
}

impl fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretHasher")
            .field("keyed", &self.is_keyed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_well_formed_and_distinct() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert!(is_well_formed(a.expose()));
        assert_eq!(a.expose().len(), SECRET_LEN);
        assert_ne!(a.expose(), b.expose());
        assert!(a.hint().starts_with("kw_…"));
    }

    #[test]
    fn a_single_typo_fails_the_checksum() {
        let secret = SecretToken::generate();
        let mut chars: Vec<char> = secret.expose().chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed("kw_short"));
        assert!(!is_well_formed(""));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = SecretToken::generate();
        let printed = format!("{secret:?}");
        assert!(!printed.contains(&secret.expose()[3..]));
    }

    #[test]
    fn a_presented_secret_debugs_redacted() {
        let secret = SecretToken::generate();
        let presented = PresentedSecret::new(secret.expose());
        let printed = format!("{presented:?} {:?}", Some(presented));
        assert!(!printed.contains(&secret.expose()[3..]));
        assert!(!printed.contains(&secret.expose()[..12]));
        assert!(printed.contains("PresentedSecret(<redacted>)"));
        let hasher = SecretHasher::new(None);
        assert_eq!(presented.hash(&hasher), hasher.hash(secret.expose()));
        assert!(presented.is_well_formed());
        assert!(!PresentedSecret::new("kw_nope").is_well_formed());
    }

    #[test]
    fn peppered_hashes_differ_from_plain_ones() {
        let pepper = Pepper::new(b"0123456789abcdef0123".to_vec()).expect("long enough");
        let keyed = SecretHasher::new(Some(&pepper));
        let plain = SecretHasher::new(None);
        assert_ne!(keyed.hash("kw_x"), plain.hash("kw_x"));
        assert_eq!(keyed.hash("kw_x"), keyed.hash("kw_x"));
        let hash = keyed.hash("kw_x");
        assert_eq!(SecretHash::from_hex(&hash.to_hex()), Some(hash));
    }
}
