//! The core's vocabulary: domains, principals, keys with their secrets, operations, products
//! and subscriptions (`product.rs`), usage plans (`usage_plan.rs`).

mod access_key;
pub mod chars;
pub mod cidr;
pub mod text;

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::ValidationError;
use crate::ids::{DomainId, KeyId, OperationId, PrincipalId, ProductId};
use crate::secret::SecretHash;
use crate::usage::{Credits, Limits, UsageRules};
pub use access_key::AccessKey;
pub use cidr::AllowedCidr;
pub use text::{Description, Metadata, Name, Token, TokenSet};

/// Declares a closed set of lowercase wire names with `as_str`/`parse`, one place per enum.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every value as its wire text, in the order of [`Self::ALL`].
            pub const WORDS: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Result<Self, $crate::error::ValidationError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::ValidationError::new(
                        $field,
                        concat!("must be one of: ", $($text, " "),+).trim_end().to_owned(),
                    )),
                }
            }
        }
    };
}

pub(crate) use wire_enum;

mod product;
mod usage_plan;
pub use product::{Product, Subscription, SubscriptionStatus, SUBSCRIPTION_TRANSITIONS};
pub use usage_plan::{GatewayRef, PlanCompat, PlanQuery, StageAssociation, UsagePlan};

wire_enum!(
    /// Who a principal is.
    PrincipalKind, "kind" { User => "user", ServiceAccount => "service_account" }
);
wire_enum!(
    /// What a key is for (SpaceONE's `api_key_type`).
    KeyType, "type" { User => "user", System => "system", Delegation => "delegation", Domain => "domain" }
);
wire_enum!(
    /// Whether a key may be used at all.
    KeyState, "state" { Enabled => "enabled", Disabled => "disabled" }
);
wire_enum!(
    /// Which of a key's two live secrets.
    SecretSlot, "slot" { Primary => "primary", Secondary => "secondary" }
);

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub id: DomainId,
    pub name: Name,
    pub description: Description,
    /// The one domain created at bootstrap; only its keys may hold the root role.
    pub is_root: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Who owns keys: a user or a service account, unique by name within its domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub id: PrincipalId,
    pub domain: DomainId,
    pub kind: PrincipalKind,
    pub name: Name,
    pub description: Description,
    /// Created by an external authority; its keys cannot be managed through the API.
    pub external: bool,
    /// Rate limits and quotas shared by all of this principal's keys.
    pub limits: Limits,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One verifiable credential of a key, as stored: its hash, never its plaintext.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretInfo {
    pub slot: SecretSlot,
    pub hash: SecretHash,
    /// `kw_…abcd`: enough to tell keys apart in a list, useless to an attacker.
    pub hint: String,
    pub created_at: OffsetDateTime,
    /// Set on a secret kept alive for a grace period after rotation.
    pub expires_at: Option<OffsetDateTime>,
}

impl SecretInfo {
    pub fn is_live_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// The managed object. Its secrets are one or two `SecretInfo`s, at most one per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: KeyId,
    pub domain: DomainId,
    pub owner: PrincipalId,
    pub name: Name,
    pub description: Description,
    pub key_type: KeyType,
    pub state: KeyState,
    pub roles: TokenSet,
    pub scopes: TokenSet,
    pub allowed_cidrs: Vec<AllowedCidr>,
    pub expires_at: Option<OffsetDateTime>,
    pub metadata: Metadata,
    /// The key's own rate limits and quotas.
    pub limits: Limits,
    /// The key's credit balance, if it has one (none: unlimited).
    pub credits: Option<Credits>,
    /// Bumped whenever `credits` is set, removed or refilled with `set`: the store writes the
    /// balance through `update_key` only when this differs from what it holds, and a node's
    /// credit lease of an older epoch lapses (`usage::credits`).
    pub credits_epoch: i64,
    /// The owner's and product plans' limits, read with the key; never written through it.
    pub usage: UsageRules,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Written behind in batches by the verifier; never part of an optimistic-concurrency check.
    pub last_used_at: Option<OffsetDateTime>,
    pub last_rotated_at: Option<OffsetDateTime>,
    pub secrets: Vec<SecretInfo>,
    /// The products this key holds an `ACCEPTED` subscription to, as the store last read them
    /// (the verifier checks a product against this set). Written only through subscriptions,
    /// never by `update_key`.
    pub products: Vec<ProductId>,
    /// Incremented by every management change; the store refuses a write based on an old version.
    pub version: i64,
}

impl ApiKey {
    pub fn secret(&self, slot: SecretSlot) -> Option<&SecretInfo> {
        self.secrets.iter().find(|s| s.slot == slot)
    }

    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// keyward itself (bootstrap, maintenance).
    System,
    /// A management call authenticated by this key, owned by this principal.
    Key {
        key_id: KeyId,
        principal_id: PrincipalId,
    },
}

/// What kind of object a change was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Domain,
    Principal,
    Key,
    Product,
    AccessKey,
    UsagePlan,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Domain => "domain",
            TargetKind::Principal => "principal",
            TargetKind::Key => "key",
            TargetKind::Product => "product",
            TargetKind::AccessKey => "access_key",
            TargetKind::UsagePlan => "usage_plan",
        }
    }

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "domain" => Ok(Self::Domain),
            "principal" => Ok(Self::Principal),
            "key" => Ok(Self::Key),
            "product" => Ok(Self::Product),
            "access_key" => Ok(Self::AccessKey),
            "usage_plan" => Ok(Self::UsagePlan),
            _ => Err(ValidationError::new(
                "target_kind",
                "must be one of: domain principal key product access_key usage_plan",
            )),
        }
    }
}

/// The record of one change, written in the same transaction as the change: the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: OperationId,
    pub domain: DomainId,
    pub actor: Actor,
    /// Dotted verb, e.g. `key.create`, `key.rotate`, `principal.delete`.
    pub action: String,
    pub target_kind: TargetKind,
    pub target_id: uuid::Uuid,
    pub at: OffsetDateTime,
    /// What was asked: changed field names, grace period, and so on. Never a secret.
    pub metadata: serde_json::Value,
    /// The target's state after the change (or before it, for a delete). Never a secret.
    pub result: serde_json::Value,
}
