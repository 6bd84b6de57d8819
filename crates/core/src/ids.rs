//! Identifiers: UUIDv7 newtypes, so a key id can never be passed where a domain id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the canonical text form; anything else is a validation error naming the field.
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                Uuid::parse_str(text)
                    .map(Self)
                    .map_err(|_| ValidationError::new($what, "must be a UUID"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(
    /// A tenant. Every other object lives in exactly one domain.
    DomainId,
    "domain_id"
);
uuid_id!(
    /// A user or service account that owns keys.
    PrincipalId,
    "principal_id"
);
uuid_id!(
    /// An API key (the managed object, not its secret).
    KeyId,
    "key_id"
);
uuid_id!(
    /// One record of the change log.
    OperationId,
    "operation_id"
);
uuid_id!(
    /// An API product a key may subscribe to (NCP API Gateway's product).
    ProductId,
    "product_id"
);
uuid_id!(
    /// A usage plan: rate limits and quotas that apply to keys through a product.
    UsagePlanId,
    "usage_plan_id"
);
