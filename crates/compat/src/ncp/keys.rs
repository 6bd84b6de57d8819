//! `/api/v1/api-keys...`: create, list, get, update, regenerate, delete, search. NCP keys are
//! created with two live secrets (primary and secondary) and owned by the caller's principal.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::{DomainId, KeyId, ProductId};
use keyward_core::model::{ApiKey, Description, KeyState, Name, SecretSlot};
use keyward_core::query::{
    Condition, Filter, KeyField, Op, Query as KeyQuery, Sort, Value, Window,
};
use keyward_core::service::{KeyPatch, NewKey};
use keyward_edge::ApiState;
use serde::Deserialize;

use super::auth::{Admin, NcpJson};
use super::error::NcpError;
use super::wire::{
    ApiKeyBody, ApiKeyEnvelope, ApiKeyList, CreateApiKey, Regenerate, SearchApiKeys, Shown,
    UpdateApiKey,
};
use super::{page_window, parse_statuses};

/// NCP's longest `apiKeyName`, in characters: a key made here must be re-creatable on NCP.
pub const NAME_MAX: usize = 20;
/// NCP's longest `apiKeyDescription`, in characters.
pub const DESCRIPTION_MAX: usize = 50;

/// `apiKeyName`: 1 to [`NAME_MAX`] characters, then the core's rules for any name.
fn key_name(text: String) -> Result<Name, NcpError> {
    let length = text.chars().count();
    if length == 0 || length > NAME_MAX {
        return Err(NcpError::bad_request(format!(
            "apiKeyName must be 1 to {NAME_MAX} characters (it has {length})"
        )));
    }
    Ok(Name::parse("apiKeyName", text)?)
}

/// `apiKeyDescription`: at most [`DESCRIPTION_MAX`] characters, then the core's rules.
fn key_description(text: String) -> Result<Description, NcpError> {
    let length = text.chars().count();
    if length > DESCRIPTION_MAX {
        return Err(NcpError::bad_request(format!(
            "apiKeyDescription must be at most {DESCRIPTION_MAX} characters (it has {length})"
        )));
    }
    Ok(Description::parse("apiKeyDescription", text)?)
}

pub(super) fn key_id(text: &str) -> Result<KeyId, NcpError> {
    KeyId::parse(text).map_err(|_| NcpError::not_found("API key not found"))
}

pub(super) fn product_id(text: &str) -> Result<ProductId, NcpError> {
    ProductId::parse(text).map_err(|_| NcpError::not_found("product not found"))
}

fn envelope(key: &ApiKey, shown: &Shown<'_>) -> Json<ApiKeyEnvelope> {
    Json(ApiKeyEnvelope {
        api_key: ApiKeyBody::render(key, shown),
    })
}

/// `POST /api-keys`: both secrets are shown in this answer, and never again.
pub async fn create(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    NcpJson(body): NcpJson<CreateApiKey>,
) -> Result<(StatusCode, Json<ApiKeyEnvelope>), NcpError> {
    let mut input = NewKey::named(caller.principal(), key_name(body.api_key_name)?);
    input.description = key_description(body.api_key_description.unwrap_or_default())?;
    let created = state.core.create_dual_key(&caller, input).await?;
    let shown = Shown {
        primary: Some(created.primary.expose()),
        secondary: Some(created.secondary.expose()),
    };
    Ok((StatusCode::CREATED, envelope(&created.key, &shown)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    api_key_name: Option<String>,
}

/// The keys of `domain` whose name contains `name` (all when it is empty), newest first.
pub(crate) fn name_query(
    domain: DomainId,
    name: Option<&str>,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<KeyQuery<KeyField>, NcpError> {
    let (offset, limit) = page_window(offset, limit)?;
    let filter = match name.filter(|n| !n.is_empty()) {
        Some(name) => Filter::Cond(Condition::new(
            KeyField::Name,
            Op::Contains,
            Value::Text(name.to_owned()),
        )?),
        None => Filter::default(),
    };
    Ok(KeyQuery {
        domain,
        filter,
        sort: Sort {
            field: KeyField::CreatedAt,
            descending: true,
        },
        window: Window::Offset(offset),
        limit,
    })
}

/// `GET /api-keys?offset&limit&apiKeyName`.
pub async fn list(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ApiKeyList>, NcpError> {
    let Query(params) = params
        .map_err(|_| NcpError::bad_request("offset and limit must be non-negative integers"))?;
    let query = name_query(
        caller.home_domain(),
        params.api_key_name.as_deref(),
        params.offset,
        params.limit,
    )?;
    let total = state.core.count_keys(&caller, &query).await?;
    let everything = KeyQuery {
        filter: Filter::default(),
        ..query.clone()
    };
    let initial = state.core.count_keys(&caller, &everything).await?;
    let page = state.core.list_keys(&caller, query).await?;
    Ok(Json(ApiKeyList {
        initial_count: Some(initial),
        total,
        api_keys: page
            .items
            .iter()
            .map(|k| ApiKeyBody::render(k, &Shown::default()))
            .collect(),
    }))
}

/// `GET /api-keys/{id}`: the key object at the top level.
pub async fn get(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyBody>, NcpError> {
    let key = state.core.get_key(&caller, key_id(&id)?).await?;
    Ok(Json(ApiKeyBody::render(&key, &Shown::default())))
}

/// `PUT /api-keys/{id}`: name, description, and `isEnabled` as the key's state.
pub async fn update(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    NcpJson(body): NcpJson<UpdateApiKey>,
) -> Result<Json<ApiKeyEnvelope>, NcpError> {
    let id = key_id(&id)?;
    let patch = KeyPatch {
        name: body.api_key_name.map(key_name).transpose()?,
        description: body.api_key_description.map(key_description).transpose()?,
        state: body.is_enabled.map(|enabled| {
            if enabled {
                KeyState::Enabled
            } else {
                KeyState::Disabled
            }
        }),
        ..KeyPatch::default()
    };
    let key = if patch.is_empty() {
        state.core.get_key(&caller, id).await?
    } else {
        state.core.update_key(&caller, id, patch).await?
    };
    Ok(envelope(&key, &Shown::default()))
}

/// `PATCH /api-keys/{id}` `{keyType: PRIMARY|SECONDARY}`: replaces that secret only; the new
/// one is shown in this answer.
pub async fn regenerate(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    NcpJson(body): NcpJson<Regenerate>,
) -> Result<Json<ApiKeyEnvelope>, NcpError> {
    let slot = match body.key_type.as_str() {
        "PRIMARY" => SecretSlot::Primary,
        "SECONDARY" => SecretSlot::Secondary,
        _ => {
            return Err(NcpError::bad_request(
                "keyType must be PRIMARY or SECONDARY",
            ))
        }
    };
    let created = state
        .core
        .regenerate_secret(&caller, key_id(&id)?, slot)
        .await?;
    let secret = Some(created.secret.expose());
    let shown = match slot {
        SecretSlot::Primary => Shown {
            primary: secret,
            secondary: None,
        },
        SecretSlot::Secondary => Shown {
            primary: None,
            secondary: secret,
        },
    };
    Ok(envelope(&created.key, &shown))
}

/// `DELETE /api-keys/{id}`: 204.
pub async fn delete(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, NcpError> {
    state.core.delete_key(&caller, key_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api-keys/search`: by name; with `productId`, only keys subscribed to that product
/// (in `statusSet`, when given).
pub async fn search(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    NcpJson(body): NcpJson<SearchApiKeys>,
) -> Result<Json<ApiKeyList>, NcpError> {
    // Checked before anything else: an unknown status is a 400 with or without `productId`.
    let statuses = parse_statuses(&body.status_set)?;
    let mut query = name_query(
        caller.home_domain(),
        body.api_key_name.as_deref(),
        body.offset,
        body.limit,
    )?;
    if let Some(product) = body.product_id.as_deref() {
        // The product's domain is where its subscribers are (and the core's 404 if the caller
        // may not see it); the subscription is one more condition of the same store query.
        let product = state
            .core
            .get_product(&caller, product_id(product)?)
            .await?;
        query.domain = product.domain;
        query.filter = Filter::All(vec![
            Filter::subscribed(product.id, &statuses),
            query.filter,
        ]);
    }
    let total = state.core.count_keys(&caller, &query).await?;
    let page = state.core.list_keys(&caller, query).await?;
    Ok(Json(ApiKeyList {
        initial_count: None,
        total,
        api_keys: page
            .items
            .iter()
            .map(|k| ApiKeyBody::render(k, &Shown::default()))
            .collect(),
    }))
}
