//! Usage plans: a named set of limits in one domain. A plan applies through a product to every
//! key whose subscription to it is `ACCEPTED`; a plan set on one subscription overrides the
//! product's for that key. NCP's "associate a plan with a product's API stage" is recorded as a
//! [`StageAssociation`] and sets the product's plan (keyward has no APIs or stages of its own).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::ValidationError;
use crate::ids::{DomainId, ProductId, UsagePlanId};
use crate::model::{Description, Name};
use crate::usage::Limits;

/// A named set of rate limits and quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlan {
    pub id: UsagePlanId,
    pub domain: DomainId,
    /// Unique in its domain.
    pub name: Name,
    pub description: Description,
    pub limits: Limits,
    pub compat: PlanCompat,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The one place for what a vendor face must round-trip but keyward's limits do not express.
/// Stored as JSON beside the limits, shown back by the face that set it, never enforced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCompat {
    /// NCP `quotaCondition` (`2xx` `3xx` `4xx` `5xx` `others`): which upstream responses NCP
    /// counts against a quota. keyward counts every admitted verification before the upstream
    /// answers, so it records the value and shows it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_condition: Option<String>,
}

impl PlanCompat {
    /// Reads what the store wrote; unreadable JSON (never written by keyward) reads as empty.
    pub fn from_stored(value: serde_json::Value) -> Self {
        serde_json::from_value(value).unwrap_or_default()
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The most characters of an API or stage id an NCP client may send.
const GATEWAY_REF_MAX: usize = 64;

/// An id of an NCP API or stage: keyward has neither, so it only keeps the text. 1 to 64 of
/// `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct GatewayRef(String);

impl GatewayRef {
    pub fn parse(field: &'static str, value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= GATEWAY_REF_MAX
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if ok {
            Ok(Self(value))
        } else {
            Err(ValidationError::new(
                field,
                "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
            ))
        }
    }

    /// An id as the store holds it.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// NCP's association of a plan with one stage of one API of a product, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StageAssociation {
    pub product_id: ProductId,
    pub api_id: GatewayRef,
    pub stage_id: GatewayRef,
    pub usage_plan_id: UsagePlanId,
    pub created_at: OffsetDateTime,
}

/// Which plans to list: a domain's, optionally those whose name contains `name`, by id.
#[derive(Debug, Clone)]
pub struct PlanQuery {
    pub domain: DomainId,
    pub name_contains: Option<String>,
    /// Continue after this id (cursor paging) ...
    pub after: Option<UsagePlanId>,
    /// ... or skip this many (offset paging, NCP).
    pub offset: u64,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_refs_are_short_plain_ids() {
        assert!(GatewayRef::parse("stageId", "a1b2-c_3").is_ok());
        for bad in ["", "a b", "a/b", &"x".repeat(65)] {
            assert!(GatewayRef::parse("stageId", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn compat_fields_round_trip_and_tolerate_junk() {
        let compat = PlanCompat {
            quota_condition: Some("2xx".into()),
        };
        assert_eq!(PlanCompat::from_stored(compat.to_value()), compat);
        assert_eq!(
            PlanCompat::from_stored(serde_json::json!(7)),
            PlanCompat::default()
        );
    }
}
