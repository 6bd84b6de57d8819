//! API products and a key's subscriptions to them (NCP API Gateway's vocabulary). A key verifies
//! for a product only while its subscription is `ACCEPTED`.
//!
//! The subscription lifecycle, in one place ([`SUBSCRIPTION_TRANSITIONS`]):
//!
//! | from              | to                                          | who / why                          |
//! |-------------------|---------------------------------------------|------------------------------------|
//! | (none)            | `REQUEST`                                   | the key subscribes                 |
//! | `REQUEST`         | `ACCEPTED`, `REJECTED`, `DENY`, `BLOCKED_REQUEST` | the product's admin decides  |
//! | `ACCEPTED`        | `DENY`, `BLOCKED_REQUEST`                   | access withdrawn                   |
//! | `REJECTED`        | `REQUEST`, `ACCEPTED`                       | the key asks again; admin relents  |
//! | `DENY`            | `ACCEPTED`, `BLOCKED_REQUEST`               | access restored, or blocked        |
//! | `BLOCKED_REQUEST` | `DENY`                                      | unblocked, still without access    |
//!
//! Unsubscribing deletes the subscription, allowed from `REQUEST`, `ACCEPTED` and `REJECTED`;
//! a `DENY`ed or `BLOCKED_REQUEST` key cannot shed its status by unsubscribing and asking again.
//! Anything else is refused with a conflict naming both statuses.

use time::OffsetDateTime;

use crate::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use crate::model::{Description, Name};

wire_enum!(
    /// Where a key's subscription to a product stands.
    SubscriptionStatus, "status" {
        Request => "REQUEST",
        Accepted => "ACCEPTED",
        Rejected => "REJECTED",
        Deny => "DENY",
        BlockedRequest => "BLOCKED_REQUEST",
    }
);

use SubscriptionStatus::{Accepted, BlockedRequest, Deny, Rejected, Request};

/// Every allowed status change of an existing subscription: `(from, to)`. Creating one always
/// starts at `REQUEST`.
pub const SUBSCRIPTION_TRANSITIONS: &[(SubscriptionStatus, SubscriptionStatus)] = &[
    (Request, Accepted),
    (Request, Rejected),
    (Request, Deny),
    (Request, BlockedRequest),
    (Accepted, Deny),
    (Accepted, BlockedRequest),
    (Rejected, Request),
    (Rejected, Accepted),
    (Deny, Accepted),
    (Deny, BlockedRequest),
    (BlockedRequest, Deny),
];

impl SubscriptionStatus {
    /// Whether an existing subscription may move from `self` to `next`.
    pub fn can_become(self, next: SubscriptionStatus) -> bool {
        SUBSCRIPTION_TRANSITIONS.contains(&(self, next))
    }

    /// Whether a subscription in this status may be deleted by unsubscribing.
    pub fn can_unsubscribe(self) -> bool {
        matches!(self, Request | Accepted | Rejected)
    }
}

/// An API product keys may subscribe to, in one domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub domain: DomainId,
    pub name: Name,
    pub description: Description,
    /// The plan whose limits apply to every key `ACCEPTED` for this product (unless the key's
    /// subscription names its own).
    pub usage_plan_id: Option<UsagePlanId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One key's subscription to one product.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub key_id: KeyId,
    pub product_id: ProductId,
    pub status: SubscriptionStatus,
    /// This key's own plan for this product, overriding the product's.
    pub usage_plan_id: Option<UsagePlanId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_allows_exactly_its_pairs() {
        for &from in SubscriptionStatus::ALL {
            for &to in SubscriptionStatus::ALL {
                let listed = SUBSCRIPTION_TRANSITIONS.contains(&(from, to));
                assert_eq!(from.can_become(to), listed, "{from:?} -> {to:?}");
                assert!(from != to || !listed, "no self-transitions");
            }
        }
    }

    #[test]
    fn statuses_parse_their_wire_names() {
        for &status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Ok(status));
        }
        assert!(SubscriptionStatus::parse("accepted").is_err());
    }
}
