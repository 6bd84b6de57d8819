//! Subscriptions, NCP-style: `POST /api-keys/{id}/subscribe|unsubscribe`, a product's key search
//! (`POST /products/{product-id}/api-keys/search`, the seed) and the status decision
//! (`PATCH /products/{product-id}/api-keys/{id}`). The allowed transitions are the core's.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::KeyId;
use keyward_core::model::{Subscription, SubscriptionStatus};
use keyward_core::query::{Condition, Filter, KeyField, Op, Query, Sort, Value, Window};
use keyward_core::secret::PresentedSecret;
use keyward_edge::ApiState;

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
        .map(|id| KeyId::parse(id).ok());
    // The product's subscribers, narrowed and paged by the store in one query; a value or an id
    // that names no key matches nothing.
    let mut conditions = vec![Filter::subscribed(product.id, &statuses)];
    for wanted in [by_value, by_id].into_iter().flatten() {
        conditions.push(match wanted {
            Some(id) => Filter::Cond(Condition::new(
                KeyField::Id,
                Op::Eq,
                Value::Text(id.to_string()),
            )?),
            None => Filter::Any(Vec::new()),
        });
    }
    let query = Query {
        domain: product.domain,
        filter: Filter::All(conditions),
        sort: Sort {
            field: KeyField::CreatedAt,
            descending: true,
        },
        window: Window::Offset(offset),
        limit,
    };
    let total = state.core.count_keys(&caller, &query).await?;
    let keys = state.core.list_keys(&caller, query).await?.items;
    // Each listed key's subscription, from one read of the product's subscriptions.
    let subscriptions: HashMap<KeyId, Subscription> = state
        .core
        .product_subscriptions(&caller, product.id, &statuses)
        .await?
        .into_iter()
        .map(|subscription| (subscription.key_id, subscription))
        .collect();
    let content = keys
        .iter()
        .filter_map(|key| {
            let subscription = subscriptions.get(&key.id)?;
            Some(ProductKeyBody::render(key, subscription))
        })
        .collect();
    Ok(Json(ProductKeySearch {
        api_key_page: ProductKeyPage { total, content },
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
