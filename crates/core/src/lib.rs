//! keyward's core: the domain model and every rule about API keys, with no transport or database
//! code. Faces (REST, gRPC, vendor APIs) call into [`Keyward`]; storage adapters implement
//! [`store::Store`]. The arrows point one way: faces → core ← store.
//!
//! Map:
//! - [`ids`]: UUIDv7 newtypes for domains, principals, keys and operations.
//! - [`model`]: `Domain`, `Principal`, `ApiKey` with its `SecretInfo`s, `Operation`, `Product`,
//!   `Subscription` (its status transitions in one table), `AccessKey`; validated
//!   text newtypes (`Name`, `Description`, `TokenSet`, `Metadata`), the characters text may hold
//!   (`model::chars`: no control characters, no invisible format characters in names, NFC) and
//!   `AllowedCidr`.
//! - [`secret`]: the secret format (`kw_` + 196 random bits + CRC32 checksum), generation, the
//!   keyed hash (HMAC-SHA-256 under a pepper) that is all the database ever sees, and the two
//!   plaintext types no one can print: `SecretToken` (made here) and `PresentedSecret` (what a
//!   client presented, wrapped by the face that read it and carried by type to the hash).
//! - [`query`]: the one query model (filter tree, sort, cursor/offset window) every list uses.
//! - [`auth`]: `Caller` and the `AdminOf` capability; tenancy is decided in `Caller::admin_of`.
//! - [`service`]: the use cases as methods of [`Keyward`]: domains, principals, keys (also with
//!   two live secrets, NCP-style), products and subscriptions, access keys and signed requests,
//!   operations, sessions, bootstrap. An operation's `result` is written by the
//!   `SubjectRenderer` port (the native API's views, installed by the application): the model
//!   types themselves are not serializable, so no wire name is decided here.
//! - [`session`]: signed access tokens bound to the secret they were minted from (ZenML login);
//!   the use cases are in `service/sessions.rs`.
//! - [`gateway`]: route policies for the gateway verifier (host, methods, path glob → scopes,
//!   product, cost, or `public`), matched against the original request a gateway reports.
//! - [`verify`]: the hot path: checksum, hash, cache, checks, reason codes, write-behind last-use.
//! - [`store`]: the `Store` port.
//! - [`signing`]: access-key secrets sealed under the master key (AES-GCM) and NCP's
//!   signature v2 (HMAC-SHA256 over method, target, timestamp, access key).
//! - [`redact`]: what an error message may repeat of a request (the field, never a value shaped
//!   like a secret); every face renders its errors through it.
//! - [`clock`]: `Clock`, so tests move time instead of sleeping.
//! - [`duration`]: the one human-duration syntax (`10s`, `5m`, `1h30m`, `30d`) keyward reads.
//! - [`usage`]: usage control: rate limits, quotas and credits, the `Limiter` port and the
//!   in-memory `LocalLimiter`; usage metering (`Meter`: verifications per key per hour).
//! - [`error`]: `ValidationError`, `StoreError`, `CoreError`.

pub mod auth;
pub mod clock;
pub mod duration;
pub mod error;
pub mod gateway;
pub mod ids;
pub mod model;
pub mod query;
pub mod redact;
pub mod secret;
pub mod service;
pub mod session;
pub mod signing;
pub mod store;
pub mod usage;
pub mod verify;

pub use service::Keyward;
