//! What one key is subscribed to, NCP-style: `GET /api-keys/{id}/products` (its products and
//! their subscription status) and `GET /api-keys/{id}/subscription-detail?productId=` (the
//! recorded stages of one of them, the plan that applies and the key's calls today and this
//! month). Read-only views over the core's subscriptions, usage plans and usage metering.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use keyward_core::auth::Caller;
use keyward_core::ids::UsagePlanId;
use keyward_core::model::{ApiKey, GatewayRef, Product, StageAssociation, Subscription};
use keyward_core::service::{Granularity, UsageRange};
use keyward_core::Keyward;
use keyward_edge::ApiState;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, Time};

use super::auth::Admin;
use super::error::NcpError;
use super::keys::{key_id, product_id};
use super::page_window;
use super::wire::{ncp_time, DOMAIN_CODE};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageParams {
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
}

/// One product a key is subscribed to (`apiKeyRelateProductDtos`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyProductBody {
    pub product_id: String,
    pub product_name: String,
    pub product_description: String,
    /// The product's tenant (keyward domain).
    pub publisher_id: String,
    pub status: &'static str,
    pub reg_time: String,
    pub mod_time: String,
    pub is_self_product: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyProducts {
    pub api_key_relate_product_dtos: Vec<KeyProductBody>,
    pub total: u64,
}

fn bad_query(_: QueryRejection) -> NcpError {
    NcpError::bad_request("offset and limit must be non-negative integers")
}

/// `offset`/`limit` applied to a list already in memory.
fn window<T>(items: Vec<T>, offset: u64, limit: u32) -> Vec<T> {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    items.into_iter().skip(skip).take(limit as usize).collect()
}

/// `GET /api-keys/{id}/products?offset&limit`: the key's subscriptions, oldest first.
pub async fn products(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<KeyProducts>, NcpError> {
    let Query(params) = params.map_err(bad_query)?;
    let (offset, limit) = page_window(params.offset, params.limit)?;
    let key = state.core.get_key(&caller, key_id(&id)?).await?;
    let mut subscriptions = state.core.key_subscriptions(&caller, key.id).await?;
    subscriptions.sort_by_key(|s| (s.created_at, s.product_id.as_uuid()));
    let total = subscriptions.len() as u64;
    let mut rows = Vec::new();
    for subscription in window(subscriptions, offset, limit) {
        let product = state
            .core
            .get_product(&caller, subscription.product_id)
            .await?;
        rows.push(KeyProductBody {
            product_id: product.id.to_string(),
            product_name: product.name.as_str().to_owned(),
            product_description: product.description.as_str().to_owned(),
            publisher_id: product.domain.to_string(),
            status: subscription.status.as_str(),
            reg_time: ncp_time(subscription.created_at),
            mod_time: ncp_time(subscription.updated_at),
            is_self_product: product.domain == key.domain,
        });
    }
    Ok(Json(KeyProducts {
        api_key_relate_product_dtos: rows,
        total,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailParams {
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    api_id: Option<String>,
    #[serde(default)]
    stage_id: Option<String>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
}

/// One stage of the product the key may call (`apiKeyRelations.content`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationBody {
    pub api_id: String,
    /// keyward keeps no API or stage names: the id again.
    pub api_name: String,
    pub stage_id: String,
    pub stage_name: String,
    pub api_key_id: String,
    pub api_key_name: String,
    pub usage_plan_id: Option<String>,
    pub usage_plan_name: Option<String>,
    pub reg_time: String,
    pub mod_time: String,
    /// The key's admitted verifications this UTC day / month, whatever the product or stage.
    pub day_call_count: u64,
    pub month_call_count: u64,
    pub domain_code: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Relations {
    pub total: u64,
    pub content: Vec<RelationBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDetail {
    pub api_key_relations: Relations,
}

/// An optional `apiId`/`stageId` filter, checked like the ids of the stage routes.
fn gateway_filter(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<GatewayRef>, NcpError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| GatewayRef::parse(field, v))
        .transpose()
        .map_err(NcpError::from)
}

/// The key's admitted verifications from `start` until now.
async fn calls_since(
    core: &Keyward,
    caller: &Caller,
    key: &ApiKey,
    start: OffsetDateTime,
    granularity: Granularity,
) -> Result<u64, NcpError> {
    let now = core.now();
    if start >= now {
        return Ok(0);
    }
    let range = UsageRange {
        from: Some(start),
        to: Some(now),
        granularity,
    };
    let buckets = core.key_usage(caller, key.id, range).await?;
    Ok(buckets.iter().map(|b| b.valid).sum())
}

/// The stages recorded for `product` under its plan, and the plan that applies to `key`'s
/// subscription (its own, else the product's) with its name.
async fn stages_and_plan(
    core: &Keyward,
    caller: &Caller,
    product: &Product,
    subscription: &Subscription,
) -> Result<(Vec<StageAssociation>, Option<(UsagePlanId, String)>), NcpError> {
    let mut stages = Vec::new();
    if let Some(plan_id) = product.usage_plan_id {
        let plan = core.get_usage_plan(caller, plan_id).await?;
        stages = core.stage_associations(caller, &[plan]).await?;
        stages.retain(|s| s.product_id == product.id);
    }
    let plan = match subscription.usage_plan_id.or(product.usage_plan_id) {
        Some(id) => {
            let plan = core.get_usage_plan(caller, id).await?;
            Some((plan.id, plan.name.as_str().to_owned()))
        }
        None => None,
    };
    Ok((stages, plan))
}

/// `GET /api-keys/{id}/subscription-detail?productId=&apiId=&stageId=&offset=&limit=`.
pub async fn subscription_detail(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    params: Result<Query<DetailParams>, QueryRejection>,
) -> Result<Json<SubscriptionDetail>, NcpError> {
    let Query(params) = params.map_err(bad_query)?;
    let (offset, limit) = page_window(params.offset, params.limit)?;
    let product = params
        .product_id
        .filter(|p| !p.is_empty())
        .ok_or_else(|| NcpError::bad_request("productId is required"))?;
    let api = gateway_filter("apiId", params.api_id)?;
    let stage = gateway_filter("stageId", params.stage_id)?;
    let core = &state.core;
    let key = core.get_key(&caller, key_id(&id)?).await?;
    let product = core.get_product(&caller, product_id(&product)?).await?;
    let subscription = core.subscription(&caller, key.id, product.id).await?;
    let (mut stages, plan) = stages_and_plan(core, &caller, &product, &subscription).await?;
    stages.retain(|s| {
        api.as_ref().is_none_or(|a| *a == s.api_id)
            && stage.as_ref().is_none_or(|t| *t == s.stage_id)
    });
    stages.sort_by(|a, b| {
        (a.api_id.as_str(), a.stage_id.as_str()).cmp(&(b.api_id.as_str(), b.stage_id.as_str()))
    });
    let total = stages.len() as u64;
    let now = core.now();
    let today = now.replace_time(Time::MIDNIGHT);
    let month = today.replace_day(1).unwrap_or(today);
    let day_calls = calls_since(core, &caller, &key, today, Granularity::Hour).await?;
    let month_calls = calls_since(core, &caller, &key, month, Granularity::Day).await?;
    let content = window(stages, offset, limit)
        .into_iter()
        .map(|s| RelationBody {
            api_id: s.api_id.as_str().to_owned(),
            api_name: s.api_id.as_str().to_owned(),
            stage_id: s.stage_id.as_str().to_owned(),
            stage_name: s.stage_id.as_str().to_owned(),
            api_key_id: key.id.to_string(),
            api_key_name: key.name.as_str().to_owned(),
            usage_plan_id: plan.as_ref().map(|(id, _)| id.to_string()),
            usage_plan_name: plan.as_ref().map(|(_, name)| name.clone()),
            reg_time: ncp_time(subscription.created_at),
            mod_time: ncp_time(subscription.updated_at),
            day_call_count: day_calls,
            month_call_count: month_calls,
            domain_code: DOMAIN_CODE,
        })
        .collect();
    Ok(Json(SubscriptionDetail {
        api_key_relations: Relations { total, content },
    }))
}
