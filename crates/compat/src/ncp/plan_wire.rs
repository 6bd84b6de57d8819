//! NCP's usage-plan bodies and the one mapping between NCP's fields and keyward's limits:
//! `rateRps` is the rate limit `{name: "rps", limit: rateRps, period: 1s}`, `dayQuotaRequest` the
//! quota `{name: "day", per: day}`, `monthQuotaRequest` the quota `{name: "month", per: month}`.
//! `quotaCondition` is kept in the plan's `compat` fields and shown back, never enforced.

use std::time::Duration;

use keyward_core::model::{Description, Name, PlanCompat, UsagePlan};
use keyward_core::usage::{Calendar, Limits, Quota, RateLimit};
use serde::{Deserialize, Serialize};

use super::error::NcpError;
use super::wire::DOMAIN_CODE;

/// The rate limit and quotas NCP's fields stand for, by name.
pub const RPS: &str = "rps";
pub const DAY: &str = "day";
pub const MONTH: &str = "month";
/// NCP's bounds (its API reference): a name of at most 45 characters, a description of at most
/// 50, `rateRps` 1 to 2^31-1.
const NAME_MAX: usize = 45;
const DESCRIPTION_MAX: usize = 50;
const RATE_RPS_MAX: u64 = 2_147_483_647;
/// `quotaCondition`'s values: which upstream responses NCP counts against a quota.
pub const QUOTA_CONDITIONS: &[&str] = &["2xx", "3xx", "4xx", "5xx", "others"];
/// What NCP shows in `permission` and `actionName` for a plan its owner may change.
const PERMISSION: &str = "ReadWrite";
const ACTION_NAME: &str = "UsagePlan";

/// `POST /usage-plans` and `PUT /usage-plans/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanBody {
    #[serde(default)]
    pub usage_plan_name: Option<String>,
    #[serde(default)]
    pub usage_plan_description: Option<String>,
    #[serde(default)]
    pub rate_rps: Option<u64>,
    #[serde(default)]
    pub quota_condition: Option<String>,
    #[serde(default)]
    pub day_quota_request: Option<u64>,
    #[serde(default)]
    pub month_quota_request: Option<u64>,
}

/// A plan body, checked by NCP's rules and mapped to keyward's values.
pub struct MappedPlan {
    pub name: Name,
    pub description: Description,
    pub limits: Limits,
    pub compat: PlanCompat,
}

impl PlanBody {
    pub fn map(self) -> Result<MappedPlan, NcpError> {
        let name = self
            .usage_plan_name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| NcpError::bad_request("usagePlanName is required"))?;
        if name.chars().count() > NAME_MAX {
            return Err(NcpError::bad_request(
                "usagePlanName: at most 45 characters",
            ));
        }
        let description = self.usage_plan_description.unwrap_or_default();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(NcpError::bad_request(
                "usagePlanDescription: at most 50 characters",
            ));
        }
        if let Some(condition) = &self.quota_condition {
            if !QUOTA_CONDITIONS.contains(&condition.as_str()) {
                return Err(NcpError::bad_request(
                    "quotaCondition: must be one of 2xx 3xx 4xx 5xx others",
                ));
            }
        }
        let mut limits = Limits::default();
        if let Some(rps) = self.rate_rps {
            if !(1..=RATE_RPS_MAX).contains(&rps) {
                return Err(NcpError::bad_request(
                    "rateRps: must be between 1 and 2147483647",
                ));
            }
            limits.rate_limits.push(RateLimit {
                name: RPS.into(),
                limit: rps,
                period: Duration::from_secs(1),
                burst: rps,
                mode: None,
            });
        }
        match (self.day_quota_request, self.month_quota_request) {
            (None, None) => {}
            (Some(day), Some(month)) => {
                for (field, limit) in [("dayQuotaRequest", day), ("monthQuotaRequest", month)] {
                    if limit == 0 || limit > keyward_core::usage::limits::AMOUNT_MAX {
                        return Err(NcpError::bad_request(format!(
                            "{field}: must be between 1 and {}",
                            keyward_core::usage::limits::AMOUNT_MAX
                        )));
                    }
                }
                limits.quotas.push(quota(DAY, day, Calendar::Day));
                limits.quotas.push(quota(MONTH, month, Calendar::Month));
            }
            _ => {
                return Err(NcpError::bad_request(
                    "dayQuotaRequest and monthQuotaRequest are given together",
                ))
            }
        }
        Ok(MappedPlan {
            name: Name::parse("usagePlanName", name)?,
            description: Description::parse("usagePlanDescription", description)?,
            limits,
            compat: PlanCompat {
                quota_condition: self.quota_condition,
            },
        })
    }
}

fn quota(name: &str, limit: u64, per: Calendar) -> Quota {
    Quota {
        name: name.into(),
        limit,
        per,
        mode: None,
    }
}

/// NCP's usage-plan object. Fields keyward's limits do not hold (a plan made through the
/// native API with other limits) read as `null`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlanBody {
    pub usage_plan_id: String,
    pub usage_plan_name: String,
    pub usage_plan_description: String,
    pub tenant_id: String,
    pub rate_rps: Option<u64>,
    pub quota_condition: Option<String>,
    pub permission: &'static str,
    pub day_quota_request: Option<u64>,
    pub month_quota_request: Option<u64>,
    /// keyward keeps who changed what in its operation log, not on the plan: always `null`.
    pub modifier: Option<String>,
    pub domain_code: &'static str,
    pub disabled: bool,
    pub associated_stages_count: u64,
    pub action_name: &'static str,
}

impl UsagePlanBody {
    pub fn render(plan: &UsagePlan, associated_stages: u64) -> Self {
        let rps = plan
            .limits
            .rate_limits
            .iter()
            .find(|r| r.name == RPS && r.period == Duration::from_secs(1))
            .map(|r| r.limit);
        let quota = |name: &str, per: Calendar| {
            plan.limits
                .quotas
                .iter()
                .find(|q| q.name == name && q.per == per)
                .map(|q| q.limit)
        };
        Self {
            usage_plan_id: plan.id.to_string(),
            usage_plan_name: plan.name.as_str().to_owned(),
            usage_plan_description: plan.description.as_str().to_owned(),
            tenant_id: plan.domain.to_string(),
            rate_rps: rps,
            quota_condition: plan.compat.quota_condition.clone(),
            permission: PERMISSION,
            day_quota_request: quota(DAY, Calendar::Day),
            month_quota_request: quota(MONTH, Calendar::Month),
            modifier: None,
            domain_code: DOMAIN_CODE,
            disabled: false,
            associated_stages_count: associated_stages,
            action_name: ACTION_NAME,
        }
    }
}

/// `{"usagePlan": {...}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlanEnvelope {
    pub usage_plan: UsagePlanBody,
}

/// `GET /usage-plans` (`{usagePlans, total}`) and `POST /usage-plans/search` (with `initialCount`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlanList {
    pub usage_plans: Vec<UsagePlanBody>,
    pub total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_count: Option<u64>,
}

/// `POST /usage-plans/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPlans {
    #[serde(default)]
    pub usage_plan_name: Option<String>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// `{usagePlanId}`: associate, disassociate, a key's plan on a stage (`null` or `""` clears it there).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRef {
    #[serde(default)]
    pub usage_plan_id: Option<String>,
}
