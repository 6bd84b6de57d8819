//! `/v1/usage-plans`: named sets of rate limits and quotas, and where they attach: a product's
//! plan (`PATCH /v1/products/{id}`) applies to every key `ACCEPTED` for it; a subscription's
//! (`PUT /v1/keys/{id}/subscriptions/{product_id}/usage-plan`) overrides it for that key.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::error::ValidationError;
use keyward_core::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use keyward_core::model::{Description, Name, PlanCompat, PlanQuery};
use keyward_core::service::{NewUsagePlan, UsagePlanPatch};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody};
use crate::field_schemas::{description_schema, name_schema, nullable_description_schema};
use crate::views::usage::{self, QuotaBody, RateLimitBody};
use crate::views::{ProductView, SubscriptionView, UsagePlanListView, UsagePlanView};
use crate::ApiState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUsagePlanRequest {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = nullable_description_schema)]
    pub description: Option<String>,
    /// Rate limits (at most 16), e.g. `{"name": "rps", "limit": 10, "period": "1s"}`.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Quotas (at most 16): a UTC calendar window, `per` one of `day` `week` `month`.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub quotas: Option<Vec<QuotaBody>>,
    /// Default: the caller's domain.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub domain_id: Option<String>,
}

/// Each field given replaces that part of the plan (`rate_limits` and `quotas` as a whole).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUsagePlanRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    /// Replaces the rate limits (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = usage::rate_limits_schema)]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Replaces the quotas (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = usage::quotas_schema)]
    pub quotas: Option<Vec<QuotaBody>>,
}

/// Sets (a plan id) or clears (`null`) a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUsagePlanRequest {
    #[serde(deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Uuid>, required = true)]
    pub usage_plan_id: Option<Option<String>>,
}

fn plan_id(text: &str, field: &'static str) -> Result<UsagePlanId, ApiError> {
    UsagePlanId::parse(text).map_err(|_| ApiError::invalid_id(field))
}

/// Create a usage plan.
#[utoipa::path(post, path = "/v1/usage-plans", operation_id = "create_usage_plan", tag = "usage plans", security(("bearer" = [])),
    request_body = CreateUsagePlanRequest,
    responses(
        (status = 201, description = "Created", body = UsagePlanView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<CreateUsagePlanRequest>,
) -> Result<(StatusCode, Json<UsagePlanView>), ApiError> {
    let input = NewUsagePlan {
        domain: body.domain_id.as_deref().map(DomainId::parse).transpose()?,
        name: Name::parse("name", body.name)?,
        description: Description::parse("description", body.description.unwrap_or_default())?,
        limits: usage::limits(body.rate_limits, body.quotas)?,
        compat: PlanCompat::default(),
    };
    let plan = state.core.create_usage_plan(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

/// List usage plans, by id.
#[utoipa::path(get, path = "/v1/usage-plans", operation_id = "list_usage_plans", tag = "usage plans", security(("bearer" = [])),
    params(
        ("domain_id" = Option<Uuid>, Query, description = "Default: the caller's domain"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("after" = Option<Uuid>, Query, description = "`next_after` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of usage plans", body = UsagePlanListView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<UsagePlanListView>, ApiError> {
    let mut query = PlanQuery {
        domain: caller.home_domain(),
        name_contains: None,
        after: None,
        offset: 0,
        limit: 50,
    };
    for (name, value) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match &*name {
            "domain_id" => {
                query.domain = DomainId::parse(&value)
                    .map_err(|_| ApiError::invalid_query("domain_id", "must be a UUID"))?
            }
            "limit" => {
                query.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| ApiError::invalid_query("limit", "must be 1–1000"))?
            }
            "after" => {
                query.after = Some(
                    UsagePlanId::parse(&value)
                        .map_err(|_| ApiError::invalid_query("after", "must be a UUID"))?,
                )
            }
            other => {
                return Err(ApiError::invalid_query(
                    other.to_owned(),
                    "is not a parameter of this list",
                ))
            }
        }
    }
    let (items, more) = state.core.list_usage_plans(&caller, query).await?;
    let next_after = more.then(|| items.last().map(|p| p.id.as_uuid())).flatten();
    Ok(Json(UsagePlanListView {
        items: items.into_iter().map(UsagePlanView::from).collect(),
        next_after,
    }))
}

/// Get a usage plan.
#[utoipa::path(get, path = "/v1/usage-plans/{id}", operation_id = "get_usage_plan", tag = "usage plans", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Usage plan id")),
    responses(
        (status = 200, description = "The usage plan", body = UsagePlanView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<UsagePlanId>,
) -> Result<Json<UsagePlanView>, ApiError> {
    Ok(Json(state.core.get_usage_plan(&caller, id).await?.into()))
}

/// Change a usage plan; keys it applies to follow at once, on every node.
#[utoipa::path(patch, path = "/v1/usage-plans/{id}", operation_id = "update_usage_plan", tag = "usage plans", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Usage plan id")),
    request_body = UpdateUsagePlanRequest,
    responses(
        (status = 200, description = "The usage plan", body = UsagePlanView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<UsagePlanId>,
    JsonBody(body): JsonBody<UpdateUsagePlanRequest>,
) -> Result<Json<UsagePlanView>, ApiError> {
    let new_limits = if body.rate_limits.is_some() || body.quotas.is_some() {
        // The part not given stays as it is.
        let mut limits = state.core.get_usage_plan(&caller, id).await?.limits;
        if let Some(rate) = body.rate_limits {
            limits.rate_limits = usage::rate_limits(rate)?;
        }
        if let Some(quotas) = body.quotas {
            limits.quotas = usage::quotas(quotas)?;
        }
        Some(limits)
    } else {
        None
    };
    let patch = UsagePlanPatch {
        name: body.name.map(|n| Name::parse("name", n)).transpose()?,
        description: body
            .description
            .map(|d| Description::parse("description", d))
            .transpose()?,
        limits: new_limits,
        compat: None,
    };
    if patch.name.is_none() && patch.description.is_none() && patch.limits.is_none() {
        return Err(ValidationError::new("body", "names no field to change").into());
    }
    Ok(Json(
        state
            .core
            .update_usage_plan(&caller, id, patch)
            .await?
            .into(),
    ))
}

/// Delete a usage plan nothing uses (409 while a product, subscription or NCP stage has it).
#[utoipa::path(delete, path = "/v1/usage-plans/{id}", operation_id = "delete_usage_plan", tag = "usage plans", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Usage plan id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The plan is in use", body = ErrorBody),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<UsagePlanId>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_usage_plan(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn optional_plan(body: SetUsagePlanRequest) -> Result<Option<UsagePlanId>, ApiError> {
    body.usage_plan_id
        .ok_or_else(|| {
            ApiError::from(ValidationError::new(
                "usage_plan_id",
                "is required (null clears it)",
            ))
        })?
        .as_deref()
        .map(|id| plan_id(id, "usage_plan_id"))
        .transpose()
}

/// Set or clear a product's usage plan: it applies to every key `ACCEPTED` for the product.
#[utoipa::path(patch, path = "/v1/products/{id}", operation_id = "update_product", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = SetUsagePlanRequest,
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn set_product_plan(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<ProductId>,
    JsonBody(body): JsonBody<SetUsagePlanRequest>,
) -> Result<Json<ProductView>, ApiError> {
    let plan = optional_plan(body)?;
    let product = state.core.set_product_usage_plan(&caller, id, plan).await?;
    Ok(Json(product.into()))
}

/// Set or clear one key's own usage plan for a product, overriding the product's.
#[utoipa::path(put, path = "/v1/keys/{id}/subscriptions/{product_id}/usage-plan", operation_id = "set_subscription_usage_plan", tag = "products", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("product_id" = Uuid, Path, description = "Product id"),
    ),
    request_body = SetUsagePlanRequest,
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn set_subscription_plan(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    Path((key, product)): Path<(String, String)>,
    JsonBody(body): JsonBody<SetUsagePlanRequest>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let key = KeyId::parse(&key).map_err(|_| ApiError::invalid_id("id"))?;
    let product = ProductId::parse(&product).map_err(|_| ApiError::invalid_id("product_id"))?;
    let plan = optional_plan(body)?;
    let subscription = state
        .core
        .set_subscription_usage_plan(&caller, key, product, plan)
        .await?;
    Ok(Json(subscription.into()))
}
