//! `/api/v1/service_accounts[/{name_or_id}]`: service accounts are the core's principals of kind
//! `service_account`, in the caller's domain.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use keyward_core::error::CoreError;
use keyward_core::model::PrincipalKind;
use keyward_core::service::{NewPrincipal, PrincipalPatch};
use keyward_edge::ApiState;

use super::super::auth::Admin;
use super::super::error::ZenmlError;
use super::super::query::{ListRequest, SERVICE_ACCOUNTS};
use super::super::requests::{
    description, name, refuse_unkept_account_fields, ServiceAccountRequest, ServiceAccountUpdate,
    ZenJson,
};
use super::super::wire::{self, Page, ServiceAccount};
use super::{account, hydrate, service_accounts_only};

fn name_taken(name: &str) -> ZenmlError {
    ZenmlError::entity_exists(format!(
        "Unable to create or rename service account to '{name}': Found an existing service \
         account with the same name."
    ))
}

pub async fn create(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    ZenJson(body): ZenJson<ServiceAccountRequest>,
) -> Result<Json<ServiceAccount>, ZenmlError> {
    refuse_unkept_account_fields(
        body.full_name.as_deref(),
        body.avatar_url.as_deref(),
        Some(body.active),
    )?;
    let input = NewPrincipal {
        domain: None,
        kind: PrincipalKind::ServiceAccount,
        name: name("name", body.name)?,
        description: description("description", body.description)?,
        external: false,
        limits: Default::default(),
    };
    let shown = input.name.as_str().to_owned();
    let principal = state
        .core
        .create_principal(&caller, input)
        .await
        .map_err(|e| match e {
            CoreError::Conflict { .. } => name_taken(&shown),
            other => other.into(),
        })?;
    Ok(Json(wire::service_account(&principal, true)))
}

pub async fn list(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<ServiceAccount>>, ZenmlError> {
    let request = ListRequest::parse(&SERVICE_ACCOUNTS, raw.as_deref(), false)?;
    let query = request.query(caller.home_domain(), service_accounts_only()?);
    let total = state.core.count_principals(&caller, &query).await?;
    let total_pages = request.page_count(total)?;
    let page = state.core.list_principals(&caller, query).await?;
    Ok(Json(Page {
        index: request.page,
        max_size: request.size,
        total_pages,
        total,
        items: page
            .items
            .iter()
            .map(|p| wire::service_account(p, request.hydrate))
            .collect(),
    }))
}

pub async fn get(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(name_or_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ServiceAccount>, ZenmlError> {
    let hydrate = hydrate(raw.as_deref(), true)?;
    let principal = account(&state.core, &caller, &name_or_id).await?;
    Ok(Json(wire::service_account(&principal, hydrate)))
}

pub async fn update(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(name_or_id): Path<String>,
    ZenJson(body): ZenJson<ServiceAccountUpdate>,
) -> Result<Json<ServiceAccount>, ZenmlError> {
    refuse_unkept_account_fields(
        body.full_name.as_deref(),
        body.avatar_url.as_deref(),
        body.active,
    )?;
    let principal = account(&state.core, &caller, &name_or_id).await?;
    let patch = PrincipalPatch {
        name: body.name.map(|n| name("name", n)).transpose()?,
        description: body
            .description
            .map(|d| description("description", Some(d)))
            .transpose()?,
        ..PrincipalPatch::default()
    };
    if patch.name.is_none() && patch.description.is_none() {
        // ZenML answers an update that changes nothing with the account as it is.
        return Ok(Json(wire::service_account(&principal, true)));
    }
    let shown = patch.name.as_ref().map(|n| n.as_str().to_owned());
    let updated = state
        .core
        .update_principal(&caller, principal.id, patch)
        .await
        .map_err(|e| match (e, &shown) {
            (CoreError::Conflict { .. }, Some(name)) => name_taken(name),
            (other, _) => other.into(),
        })?;
    Ok(Json(wire::service_account(&updated, true)))
}

/// Deletes an account that owns no keys (keyward removes nothing implicitly: delete its keys
/// first; ZenML deletes them along).
pub async fn delete(
    State(state): State<ApiState>,
    Admin(caller): Admin,
    Path(name_or_id): Path<String>,
) -> Result<Json<()>, ZenmlError> {
    let principal = account(&state.core, &caller, &name_or_id).await?;
    state
        .core
        .delete_principal(&caller, principal.id)
        .await
        .map_err(|e| match e {
            CoreError::Conflict { detail, .. } => ZenmlError::illegal_operation(format!(
                "The service account cannot be deleted: {detail}"
            )),
            other => other.into(),
        })?;
    Ok(Json(()))
}
