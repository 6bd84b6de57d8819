//! `/api/v1/usage-plans...` and the routes that attach plans: a product's API stage
//! (`associate-usage-plan`, `disassociate-usage-plan`) and one key's subscription on a stage
//! (`PUT /products/{pid}/api-keys/{kid}/stages/{sid}`). keyward has no APIs or stages: their ids
//! are checked and recorded, and a plan applies per product (docs/compat-ncp.md). The field
//! mapping is `plan_wire.rs`; the rules are the core's (`service/usage_plans.rs`).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::auth::Caller;
use keyward_core::ids::UsagePlanId;
use keyward_core::model::{GatewayRef, PlanQuery, UsagePlan};
use keyward_core::service::{NewUsagePlan, StageRef, UsagePlanPatch};
use keyward_edge::ApiState;
use serde::Deserialize;

use super::auth::{Admin, NcpJson};
use super::error::NcpError;
use super::keys::{key_id, product_id};
use super::page_window;
use super::plan_wire::{
    PlanBody, PlanRef, SearchPlans, UsagePlanBody, UsagePlanEnvelope, UsagePlanList,
};

fn plan_id(text: &str) -> Result<UsagePlanId, NcpError> {
    UsagePlanId::parse(text).map_err(|_| NcpError::not_found("usage plan not found"))
}

fn required_plan(body: &PlanRef) -> Result<UsagePlanId, NcpError> {
    let text = body
        .usage_plan_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| NcpError::bad_request("usagePlanId is required"))?;
    plan_id(text)
}

/// The plans rendered, each with its number of recorded stage associations (one read).
async fn render_all(
    state: &ApiState,
    caller: &Caller,
    plans: &[UsagePlan],
) -> Result<Vec<UsagePlanBody>, NcpError> {
    let mut counts: HashMap<UsagePlanId, u64> = HashMap::new();
    for association in state.core.stage_associations(caller, plans).await? {
        *counts.entry(association.usage_plan_id).or_default() += 1;
    }
    Ok(plans
        .iter()
        .map(|plan| UsagePlanBody::render(plan, counts.get(&plan.id).copied().unwrap_or(0)))
        .collect())
}

async fn envelope(
    state: &ApiState,
    caller: &Caller,
    plan: UsagePlan,
) -> Result<Json<UsagePlanEnvelope>, NcpError> {
    let usage_plan = render_all(state, caller, std::slice::from_ref(&plan))
        .await?
        .pop()
        .ok_or_else(|| NcpError::not_found("usage plan not found"))?;
    Ok(Json(UsagePlanEnvelope { usage_plan }))
}

/// `POST /usage-plans`: 201 `{usagePlan}`.
pub async fn create(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    NcpJson(body): NcpJson<PlanBody>,
) -> Result<(StatusCode, Json<UsagePlanEnvelope>), NcpError> {
    let mapped = body.map()?;
    let input = NewUsagePlan {
        domain: None,
        name: mapped.name,
        description: mapped.description,
        limits: mapped.limits,
        compat: mapped.compat,
    };
    let plan = state.core.create_usage_plan(&caller, input).await?;
    Ok((StatusCode::CREATED, envelope(&state, &caller, plan).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    associated: Option<String>,
    #[serde(default)]
    stage_id: Option<String>,
}

fn plan_query(
    caller: &Caller,
    name: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<PlanQuery, NcpError> {
    let (offset, limit) = page_window(offset, limit)?;
    Ok(PlanQuery {
        domain: caller.home_domain(),
        name_contains: name.filter(|n| !n.is_empty()),
        after: None,
        offset,
        limit,
    })
}

/// `GET /usage-plans?offset&limit`: `{usagePlans, total}`, by id. The `associated` and
/// `stageId` filters are refused: keyward does not filter plans by stage.
pub async fn list(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<UsagePlanList>, NcpError> {
    let Query(params) = params
        .map_err(|_| NcpError::bad_request("offset and limit must be non-negative integers"))?;
    let filtered = [&params.associated, &params.stage_id]
        .iter()
        .any(|p| p.as_deref().is_some_and(|v| !v.is_empty()));
    if filtered {
        return Err(NcpError::bad_request(
            "the associated and stageId filters are not supported by keyward",
        ));
    }
    let query = plan_query(&caller, None, params.offset, params.limit)?;
    let total = state.core.count_usage_plans(&caller, &query).await?;
    let (plans, _) = state.core.list_usage_plans(&caller, query).await?;
    Ok(Json(UsagePlanList {
        usage_plans: render_all(&state, &caller, &plans).await?,
        total,
        initial_count: None,
    }))
}

/// `POST /usage-plans/search` `{usagePlanName, offset, limit}`: the plans whose name contains
/// `usagePlanName`; `{usagePlans, total, initialCount}` (`initialCount`: every plan).
pub async fn search(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    NcpJson(body): NcpJson<SearchPlans>,
) -> Result<Json<UsagePlanList>, NcpError> {
    let query = plan_query(&caller, body.usage_plan_name, body.offset, body.limit)?;
    let total = state.core.count_usage_plans(&caller, &query).await?;
    let everything = PlanQuery {
        name_contains: None,
        ..query.clone()
    };
    let initial = state.core.count_usage_plans(&caller, &everything).await?;
    let (plans, _) = state.core.list_usage_plans(&caller, query).await?;
    Ok(Json(UsagePlanList {
        usage_plans: render_all(&state, &caller, &plans).await?,
        total,
        initial_count: Some(initial),
    }))
}

/// `GET /usage-plans/{id}`: `{usagePlan}`.
pub async fn get(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Json<UsagePlanEnvelope>, NcpError> {
    let plan = state.core.get_usage_plan(&caller, plan_id(&id)?).await?;
    envelope(&state, &caller, plan).await
}

/// `PUT /usage-plans/{id}`: replaces the plan with the body (every field, as NCP does).
pub async fn update(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    NcpJson(body): NcpJson<PlanBody>,
) -> Result<Json<UsagePlanEnvelope>, NcpError> {
    let id = plan_id(&id)?;
    let mapped = body.map()?;
    let patch = UsagePlanPatch {
        name: Some(mapped.name),
        description: Some(mapped.description),
        limits: Some(mapped.limits),
        compat: Some(mapped.compat),
    };
    let plan = state.core.update_usage_plan(&caller, id, patch).await?;
    envelope(&state, &caller, plan).await
}

/// `DELETE /usage-plans/{id}`: 204; a plan still in use is refused (409).
pub async fn delete(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, NcpError> {
    state.core.delete_usage_plan(&caller, plan_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn stage(product: &str, api: &str, stage: &str) -> Result<StageRef, NcpError> {
    Ok(StageRef {
        product: product_id(product)?,
        api_id: GatewayRef::parse("api-id", api)?,
        stage_id: GatewayRef::parse("stage-id", stage)?,
    })
}

/// `POST /products/{pid}/apis/{aid}/stages/{sid}/associate-usage-plan` `{usagePlanId}`: 204.
pub async fn associate(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((product, api, stage_id)): Path<(String, String, String)>,
    NcpJson(body): NcpJson<PlanRef>,
) -> Result<StatusCode, NcpError> {
    let plan = required_plan(&body)?;
    let at = stage(&product, &api, &stage_id)?;
    state.core.associate_stage(&caller, at, plan).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /products/{pid}/apis/{aid}/stages/{sid}/disassociate-usage-plan` `{usagePlanId}`: 204.
pub async fn disassociate(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((product, api, stage_id)): Path<(String, String, String)>,
    NcpJson(body): NcpJson<PlanRef>,
) -> Result<StatusCode, NcpError> {
    let plan = required_plan(&body)?;
    let at = stage(&product, &api, &stage_id)?;
    state.core.disassociate_stage(&caller, at, plan).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /products/{pid}/api-keys/{kid}/stages/{sid}` `{usagePlanId}`: this key's own plan for
/// the product (any stage: keyward applies plans per product); `null` or `""` clears it. 204.
pub async fn set_key_plan(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((product, key, stage_id)): Path<(String, String, String)>,
    NcpJson(body): NcpJson<PlanRef>,
) -> Result<StatusCode, NcpError> {
    GatewayRef::parse("stage-id", stage_id)?;
    let plan = body
        .usage_plan_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(plan_id)
        .transpose()?;
    state
        .core
        .set_subscription_usage_plan(&caller, key_id(&key)?, product_id(&product)?, plan)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
