//! Subscriptions, NCP-style: `POST /api-keys/{id}/subscribe|unsubscribe`, a product's key search
//! (`POST /products/{product-id}/api-keys/search`, the seed) and the status decision
//! (`PATCH /products/{product-id}/api-keys/{id}`). The allowed transitions are the core's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_api::ApiState;
use keyward_core::model::SubscriptionStatus;
use keyward_core::secret::PresentedSecret;

use super::auth::{Admin, NcpJson};
use super::error::NcpError;
use super::keys::{key_id, product_id};
use super::wire::{
    ProductKeyBody, ProductKeyPage, ProductKeySearch, ProductRef, SearchProductKeys, StatusChange,
    SubscriptionBody,
};
use super::{page_window, parse_statuses};

/// `POST /api-keys/{id}/subscribe` `{productId}`: the subscription, now `REQUEST`.
pub async fn subscribe(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    NcpJson(body): NcpJson<ProductRef>,
) -> Result<Json<SubscriptionBody>, NcpError> {
    let subscription = state
        .core
        .subscribe(&caller, key_id(&id)?, product_id(&body.product_id)?)
        .await?;
    Ok(Json(SubscriptionBody::from(&subscription)))
}

/// `POST /api-keys/{id}/unsubscribe` `{productId}`: 204.
pub async fn unsubscribe(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    NcpJson(body): NcpJson<ProductRef>,
) -> Result<StatusCode, NcpError> {
    state
        .core
        .unsubscribe(&caller, key_id(&id)?, product_id(&body.product_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /products/{product-id}/api-keys/search`: the product's subscribed keys, by `apiKeyId`,
/// by `apiKeyValue` (either secret, found by its hash), by `statusSet`, paged by offset/limit.
pub async fn search(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(product): Path<String>,
    NcpJson(body): NcpJson<SearchProductKeys>,
) -> Result<Json<ProductKeySearch>, NcpError> {
    let product = state
        .core
        .get_product(&caller, product_id(&product)?)
        .await?;
    let statuses = parse_statuses(&body.status_set)?;
    let (offset, limit) = page_window(body.offset, body.limit)?;
    let by_value = match body.api_key_value.as_deref().filter(|v| !v.is_empty()) {
        Some(value) => Some(
            state
                .core
                .find_key_by_secret(&caller, product.domain, PresentedSecret::new(value))
                .await?
                .map(|k| k.id),
        ),
        None => None,
    };
    let by_id = body
        .api_key_id
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|id| keyward_core::ids::KeyId::parse(id).ok());
    let subscriptions = state
        .core
        .product_subscriptions(&caller, product.id, &statuses)
        .await?;
    let matching: Vec<_> = subscriptions
        .iter()
        .filter(|s| by_value.is_none_or(|want| want == Some(s.key_id)))
        .filter(|s| by_id.is_none_or(|want| want == Some(s.key_id)))
        .collect();
    let mut content = Vec::new();
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    for subscription in matching.iter().skip(skip).take(limit as usize) {
        let key = state.core.get_key(&caller, subscription.key_id).await?;
        content.push(ProductKeyBody::render(&key, subscription));
    }
    Ok(Json(ProductKeySearch {
        api_key_page: ProductKeyPage {
            total: matching.len() as u64,
            content,
        },
    }))
}

/// `PATCH /products/{product-id}/api-keys/{id}` `{status}`: moves the subscription, if the
/// core's transition table allows (409 otherwise).
pub async fn change_status(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((product, id)): Path<(String, String)>,
    NcpJson(body): NcpJson<StatusChange>,
) -> Result<Json<ProductKeyBody>, NcpError> {
    let status = SubscriptionStatus::parse(&body.status)?;
    let (key, product) = (key_id(&id)?, product_id(&product)?);
    let subscription = state
        .core
        .set_subscription_status(&caller, key, product, status)
        .await?;
    let key = state.core.get_key(&caller, key).await?;
    Ok(Json(ProductKeyBody::render(&key, &subscription)))
}
