//! The limits a verification of one key is charged against, beyond the key's own: its owner's
//! (shared by all the owner's keys) and the usage plans of the products it is accepted for.

use super::limits::Limits;
use crate::ids::{ProductId, UsagePlanId};

/// Read with the key by the store (`key_by_secret_hash` and every key read); never written
/// through the key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageRules {
    /// The owning principal's limits.
    pub owner: Limits,
    /// The plan in force for each accepted product that has one: the subscription's own plan,
    /// else the product's.
    pub plans: Vec<PlanLimits>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLimits {
    pub product: ProductId,
    pub plan: UsagePlanId,
    pub limits: Limits,
}
