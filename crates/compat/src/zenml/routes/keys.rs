//! `/api/v1/service_accounts/{service_account_id}/api_keys[/{name_or_id}[/rotate]]`: the keys of
//! one service account. Everything a key goes through (creation, state, rotation with its
//! grace, deletion, the refusal for external accounts) is the core's; this file translates.
//! Keys made here hold `keyward:self`, so a service account logged in with one manages its own
//! keys (and no one else's: the core's `Caller::keys_of`).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use keyward_core::auth::{Caller, SELF_ROLE};
use keyward_core::error::CoreError;
use keyward_core::ids::KeyId;
use keyward_core::model::{ApiKey, KeyState, Principal, TokenSet};
use keyward_core::query::{Condition, Filter, KeyField, Op, Query, Sort, Value, Window};
use keyward_core::service::{KeyPatch, NewKey, MAX_ROTATION_GRACE};
use keyward_core::Keyward;
use keyward_edge::ApiState;
use time::Duration;
use uuid::Uuid;

use super::super::auth::Admin;
use super::super::error::ZenmlError;
use super::super::query::{ListRequest, API_KEYS};
use super::super::requests::{
    description, name, ApiKeyRequest, ApiKeyUpdate, RotateRequest, ZenJson,
};
use super::super::wire::{self, ApiKeyView, Page};
use super::{account_by_id, hydrate, uuid_path};

fn key_not_found(name_or_id: &str, owner: &Principal) -> ZenmlError {
    let shown: String = name_or_id.chars().take(255).collect();
    ZenmlError::key_error(&format!(
        "An API key with ID or name '{shown}' is not configured for service account with ID \
         '{}'.",
        owner.id
    ))
}

/// The account of the path, which FastAPI declares as a UUID.
async fn owner(core: &Keyward, caller: &Caller, segment: &str) -> Result<Principal, ZenmlError> {
    let id = uuid_path("service_account_id", segment)?;
    account_by_id(core, caller, id).await
}

/// The key of `owner` with this id or name.
async fn resolve(
    core: &Keyward,
    caller: &Caller,
    owner: &Principal,
    name_or_id: &str,
) -> Result<ApiKey, ZenmlError> {
    let not_found = || key_not_found(name_or_id, owner);
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return match core.get_key(caller, KeyId::from_uuid(id)).await {
            Ok(key) if key.owner == owner.id => Ok(key),
            Ok(_) | Err(CoreError::NotFound(_)) => Err(not_found()),
            Err(other) => Err(other.into()),
        };
    }
    // A text that cannot even be compared with names names no key.
    let Ok(by_name) = Condition::new(KeyField::Name, Op::Eq, Value::Text(name_or_id.to_owned()))
    else {
        return Err(not_found());
    };
    let query = Query {
        domain: owner.domain,
        filter: Filter::All(vec![Filter::owned_by(owner.id), Filter::Cond(by_name)]),
        sort: Sort {
            field: KeyField::Id,
            descending: false,
        },
        window: Window::Offset(0),
        limit: 1,
    };
    let page = core.list_keys(caller, query).await?;
    page.items.into_iter().next().ok_or_else(not_found)
}

fn name_taken(name: &str, owner: &Principal) -> ZenmlError {
    ZenmlError::entity_exists(format!(
        "Unable to register API key with name '{name}': Found an existing API key with the same \
         name configured for the same '{}' service account.",
        owner.name
    ))
}

pub async fn list(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(account): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<ApiKeyView>>, ZenmlError> {
    let owner = owner(&state.core, &caller, &account).await?;
    let request = ListRequest::parse(&API_KEYS, raw.as_deref(), false)?;
    let query = request.query(owner.domain, Filter::owned_by(owner.id));
    let total = state.core.count_keys(&caller, &query).await?;
    let total_pages = request.page_count(total)?;
    let page = state.core.list_keys(&caller, query).await?;
    Ok(Json(Page {
        index: request.page,
        max_size: request.size,
        total_pages,
        total,
        items: page
            .items
            .iter()
            .map(|key| wire::api_key(key, &owner, None, request.hydrate))
            .collect(),
    }))
}

pub async fn create(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(account): Path<String>,
    ZenJson(body): ZenJson<ApiKeyRequest>,
) -> Result<Json<ApiKeyView>, ZenmlError> {
    let owner = owner(&state.core, &caller, &account).await?;
    let mut input = NewKey::named(owner.id, name("name", body.name)?);
    input.description = description("description", body.description)?;
    // A ZenML service account manages its own keys with its key (CI rotating its credential).
    input.roles = TokenSet::parse("roles", [SELF_ROLE]).map_err(CoreError::from)?;
    let shown = input.name.as_str().to_owned();
    let created = state
        .core
        .create_key(&caller, input)
        .await
        .map_err(|e| match e {
            CoreError::Conflict { .. } => name_taken(&shown, &owner),
            other => other.into(),
        })?;
    Ok(Json(wire::api_key(
        &created.key,
        &owner,
        Some(created.secret.expose()),
        true,
    )))
}

pub async fn get(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((account, name_or_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ApiKeyView>, ZenmlError> {
    let hydrate = hydrate(raw.as_deref(), true)?;
    let owner = owner(&state.core, &caller, &account).await?;
    let key = resolve(&state.core, &caller, &owner, &name_or_id).await?;
    Ok(Json(wire::api_key(&key, &owner, None, hydrate)))
}

/// Renames, re-describes, activates or deactivates a key. `active` is the core's enable/disable,
/// a separate change from the rest, as in the native API.
pub async fn update(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((account, name_or_id)): Path<(String, String)>,
    ZenJson(body): ZenJson<ApiKeyUpdate>,
) -> Result<Json<ApiKeyView>, ZenmlError> {
    let owner = owner(&state.core, &caller, &account).await?;
    let key = resolve(&state.core, &caller, &owner, &name_or_id).await?;
    let patch = KeyPatch {
        name: body.name.map(|n| name("name", n)).transpose()?,
        description: body
            .description
            .map(|d| description("description", Some(d)))
            .transpose()?,
        state: body.active.map(|active| {
            if active {
                KeyState::Enabled
            } else {
                KeyState::Disabled
            }
        }),
        ..KeyPatch::default()
    };
    if patch.is_empty() {
        return Ok(Json(wire::api_key(&key, &owner, None, true)));
    }
    let shown = patch.name.as_ref().map(|n| n.as_str().to_owned());
    let key = state
        .core
        .update_key(&caller, key.id, patch)
        .await
        .map_err(|e| match (e, &shown) {
            (CoreError::Conflict { .. }, Some(name)) => name_taken(name, &owner),
            (other, _) => other.into(),
        })?;
    Ok(Json(wire::api_key(&key, &owner, None, true)))
}

/// Issues a new secret; the old one keeps working for `retain_period_minutes` (the core's
/// rotation grace, capped like any grace by the key's own expiry), then stops.
pub async fn rotate(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((account, name_or_id)): Path<(String, String)>,
    ZenJson(body): ZenJson<RotateRequest>,
) -> Result<Json<ApiKeyView>, ZenmlError> {
    let minutes = body.retain_period_minutes.unwrap_or(0);
    let max = MAX_ROTATION_GRACE.whole_minutes();
    if !(0..=max).contains(&minutes) {
        return Err(ZenmlError::invalid_request(
            "body",
            "retain_period_minutes",
            "value_error",
            &format!("Value error, must be between 0 and {max} (365 days)"),
        ));
    }
    let owner = owner(&state.core, &caller, &account).await?;
    let key = resolve(&state.core, &caller, &owner, &name_or_id).await?;
    let rotated = state
        .core
        .rotate_key(&caller, key.id, Duration::minutes(minutes))
        .await?;
    Ok(Json(wire::api_key(
        &rotated.key,
        &owner,
        Some(rotated.secret.expose()),
        false,
    )))
}

pub async fn delete(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path((account, name_or_id)): Path<(String, String)>,
) -> Result<Json<()>, ZenmlError> {
    let owner = owner(&state.core, &caller, &account).await?;
    let key = resolve(&state.core, &caller, &owner, &name_or_id).await?;
    state.core.delete_key(&caller, key.id).await?;
    Ok(Json(()))
}
