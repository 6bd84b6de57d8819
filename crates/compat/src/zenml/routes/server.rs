//! The doors a ZenML client knocks on before anything else: `GET /api/v1/info`, `POST
//! /api/v1/login`, `GET /api/v1/current-user`, `GET|HEAD /health`.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::Face;
use keyward_edge::credentials::ClientIp;
use keyward_edge::ApiState;
use serde_json::{json, Value};

use super::super::auth::Me;
use super::super::error::ZenmlError;
use super::super::requests::ZenBytes;
use super::super::wire::{self, TokenResponse};
use super::hydrate;

/// The ZenML version this face speaks; the client only warns when it differs from its own.
pub const ZENML_VERSION: &str = "0.98.0";
/// The one grant keyward accepts: a service account's API key as `password`.
const API_KEY_GRANT: &str = "zenml-api-key";
/// Longest form field read; a keyward key is 42 characters.
const FORM_FIELD_MAX: usize = 4096;

/// `ServerModel`. `deployment_type` is not `cloud`, so the client does not treat keyward as
/// ZenML Pro; the id is the deployment's (the same on every node sharing the pepper).
pub async fn info(State(state): State<ApiState>) -> Json<Value> {
    Json(json!({
        "id": state.core.deployment_id(),
        "name": "keyward",
        "version": ZENML_VERSION,
        "active": true,
        "debug": false,
        "deployment_type": "other",
        "database_type": "other",
        "secrets_store_type": "none",
        "auth_scheme": "OAUTH2_PASSWORD_BEARER",
        "server_url": "",
        "dashboard_url": "",
        "analytics_enabled": false,
        "metadata": {"keyward_version": env!("CARGO_PKG_VERSION")},
        "last_user_activity": null,
        "pro_dashboard_url": null,
        "pro_api_url": null,
        "pro_organization_id": null,
        "pro_organization_name": null,
        "pro_workspace_id": null,
        "pro_workspace_name": null,
    }))
}

/// Liveness, as ZenML answers it.
pub async fn health() -> Json<&'static str> {
    Json("OK")
}

/// `POST /api/v1/login`, form-encoded: `grant_type=zenml-api-key` (or no grant type) and
/// `password=<key>`. Answers an access token (`OAuthTokenResponse`); no cookie, as ZenML sets
/// none for API-key logins.
pub async fn login(
    State(state): State<ApiState>,
    ClientIp(ip): ClientIp,
    ZenBytes(body): ZenBytes,
) -> Result<impl IntoResponse, ZenmlError> {
    let mut grant_type = None;
    let mut username = None;
    let mut password = None;
    for (name, value) in form_urlencoded::parse(&body) {
        if value.len() > FORM_FIELD_MAX {
            return Err(ZenmlError::bad_login_form(format!(
                "Invalid request: {name} is too long."
            )));
        }
        match name.as_ref() {
            "grant_type" => grant_type = Some(value.into_owned()),
            "username" => username = Some(value.into_owned()),
            "password" => password = Some(value.into_owned()),
            _ => {}
        }
    }
    let grant = match grant_type.as_deref().filter(|g| !g.is_empty()) {
        Some(grant) => grant.to_owned(),
        // ZenML's detection: a username means a password login, a lone password an API key.
        None if username.is_some() => "password".to_owned(),
        None => API_KEY_GRANT.to_owned(),
    };
    if grant != API_KEY_GRANT {
        return Err(ZenmlError::bad_login_form(format!(
            "Unsupported grant type: {grant}. keyward accepts only API-key logins \
             (grant_type={API_KEY_GRANT}, password=<API key>)."
        )));
    }
    let key = password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ZenmlError::bad_login_form("Invalid request: API key is required."))?;
    let session = state
        .core
        .open_session(Face::Zenml, PresentedSecret::new(&key), ip)
        .await?;
    let token = TokenResponse {
        access_token: session.token.expose().to_owned(),
        token_type: "bearer",
        expires_in: session.expires_in.whole_seconds(),
        refresh_token: None,
        csrf_token: None,
        scope: None,
        device_id: None,
        device_metadata: None,
    };
    // A token must not be cached by anything between here and the client.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(token)))
}

/// `GET /api/v1/current-user`: the principal behind the token, as a ZenML user (hydrated unless
/// `hydrate=false`).
pub async fn current_user(
    Me(identity): Me,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ZenmlError> {
    let hydrate = hydrate(query.as_deref(), true)?;
    Ok(Json(wire::user(
        &identity.principal,
        identity.is_admin,
        hydrate,
    )))
}
