//! `/v1/products` and `/v1/keys/{id}/subscriptions`: API products and keys' subscriptions to
//! them. The allowed status changes are the core's (`model::SUBSCRIPTION_TRANSITIONS`); a
//! refused one is a 409.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use keyward_core::model::{Description, Name, SubscriptionStatus};
use keyward_core::service::NewProduct;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody};
use crate::field_schemas::{name_schema, nullable_description_schema, subscription_status_schema};
use crate::views::{ProductListView, ProductView, SubscriptionListView, SubscriptionView};
use crate::ApiState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = nullable_description_schema)]
    pub description: Option<String>,
    /// A usage plan of the same domain, applied to every key `ACCEPTED` for the product.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub usage_plan_id: Option<String>,
    /// Default: the caller's domain.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub domain_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSubscriptionRequest {
    /// The status to move to; `REQUEST` subscribes.
    #[schema(schema_with = subscription_status_schema)]
    pub status: String,
}

/// Create a product.
#[utoipa::path(post, path = "/v1/products", operation_id = "create_product", tag = "products", security(("bearer" = [])),
    request_body = CreateProductRequest,
    responses(
        (status = 201, description = "Created", body = ProductView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<CreateProductRequest>,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    let input = NewProduct {
        domain: body.domain_id.as_deref().map(DomainId::parse).transpose()?,
        name: Name::parse("name", body.name)?,
        description: Description::parse("description", body.description.unwrap_or_default())?,
        usage_plan: body
            .usage_plan_id
            .as_deref()
            .map(|id| UsagePlanId::parse(id).map_err(|_| ApiError::invalid_id("usage_plan_id")))
            .transpose()?,
    };
    let product = state.core.create_product(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(product.into())))
}

/// List products, by id.
#[utoipa::path(get, path = "/v1/products", operation_id = "list_products", tag = "products", security(("bearer" = [])),
    params(
        ("domain_id" = Option<Uuid>, Query, description = "Default: the caller's domain"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("after" = Option<Uuid>, Query, description = "`next_after` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of products", body = ProductListView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<ProductListView>, ApiError> {
    let (mut domain, mut limit, mut after) = (caller.home_domain(), 50, None);
    for (name, value) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match &*name {
            "domain_id" => {
                domain = DomainId::parse(&value)
                    .map_err(|_| ApiError::invalid_query("domain_id", "must be a UUID"))?
            }
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| ApiError::invalid_query("limit", "must be 1–1000"))?
            }
            "after" => {
                after = Some(
                    ProductId::parse(&value)
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
    let (items, next) = state
        .core
        .list_products(&caller, domain, after, limit)
        .await?;
    Ok(Json(ProductListView {
        items: items.into_iter().map(ProductView::from).collect(),
        next_after: next.map(|id| id.as_uuid()),
    }))
}

/// Get a product.
#[utoipa::path(get, path = "/v1/products/{id}", operation_id = "get_product", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<ProductId>,
) -> Result<Json<ProductView>, ApiError> {
    Ok(Json(state.core.get_product(&caller, id).await?.into()))
}

/// Delete a product no key subscribes to (409 otherwise).
#[utoipa::path(delete, path = "/v1/products/{id}", operation_id = "delete_product", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<ProductId>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_product(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A key's subscriptions.
#[utoipa::path(get, path = "/v1/keys/{id}/subscriptions", operation_id = "list_subscriptions", tag = "products", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key's subscriptions", body = SubscriptionListView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list_subscriptions(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<Json<SubscriptionListView>, ApiError> {
    let items = state.core.key_subscriptions(&caller, id).await?;
    Ok(Json(SubscriptionListView {
        items: items.into_iter().map(SubscriptionView::from).collect(),
    }))
}

fn ids(key: &str, product: &str) -> Result<(KeyId, ProductId), ApiError> {
    let key = KeyId::parse(key).map_err(|_| ApiError::invalid_id("id"))?;
    let product = ProductId::parse(product).map_err(|_| ApiError::invalid_id("product_id"))?;
    Ok((key, product))
}

/// Subscribe a key (`REQUEST`) or move its subscription to another status.
#[utoipa::path(put, path = "/v1/keys/{id}/subscriptions/{product_id}", operation_id = "put_subscription", tag = "products", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("product_id" = Uuid, Path, description = "Product id"),
    ),
    request_body = PutSubscriptionRequest,
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = 409, description = "The transition is not allowed", body = ErrorBody),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn put_subscription(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    Path((key, product)): Path<(String, String)>,
    JsonBody(body): JsonBody<PutSubscriptionRequest>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let (key, product) = ids(&key, &product)?;
    let status = SubscriptionStatus::parse(&body.status)?;
    let subscription = state
        .core
        .set_subscription_status(&caller, key, product, status)
        .await?;
    Ok(Json(subscription.into()))
}

/// Unsubscribe a key (from `REQUEST`, `ACCEPTED` or `REJECTED`; 409 otherwise).
#[utoipa::path(delete, path = "/v1/keys/{id}/subscriptions/{product_id}", operation_id = "delete_subscription", tag = "products", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("product_id" = Uuid, Path, description = "Product id"),
    ),
    responses(
        (status = 204, description = "Unsubscribed"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete_subscription(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    Path((key, product)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (key, product) = ids(&key, &product)?;
    state.core.unsubscribe(&caller, key, product).await?;
    Ok(StatusCode::NO_CONTENT)
}
