//! The REST transport: the seed's paths (the vendor's `google.api.http` annotations), each
//! handler building the request message from path, query string and proto3 JSON body, calling
//! the same [`super::rpc`]/[`super::stat`] function the gRPC face calls, and rendering proto3
//! JSON. Credentials: `token` header (as gRPC metadata) or `Authorization: Bearer`.
//!
//! | method and path | rpc |
//! |---|---|
//! | `POST /identity/v1/api-keys` (JSON body, query string, or both) | create |
//! | `PUT /identity/v1/api-key/{api_key_id}/enable` | enable |
//! | `PUT /identity/v1/api-key/{api_key_id}/disable` | disable |
//! | `PUT /identity/v1/api-key/{api_key_id}/roles` | update_role |
//! | `PUT /identity/v1/api-key/{api_key_id}/allowed-hosts` | update_allowed_hosts |
//! | `DELETE /identity/v1/api-key/{api_key_id}` | delete |
//! | `GET /identity/v1/api-key/{api_key_id}` | get |
//! | `GET /identity/v1/api-keys` (query string) / `POST /identity/v1/api-keys/search` | list |
//! | `POST /identity/v1/api-keys/stat` | stat |
//!
//! The 1.5.1 annotation of `create` has no `body`, so a client generated from it sends the
//! fields as query parameters; both forms are accepted (a field given in both is refused).
//! Generation C's paths are in [`super::rest_c`].

use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Path, RawQuery, Request, State,
};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use keyward_core::auth::Caller;
use keyward_core::model::KeyState;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::Face;
use keyward_edge::credentials::{bearer_token, client_address};
use keyward_edge::ApiState;
use serde_json::{Map, Value};

use super::error::SpaceoneError;
use super::json;
use super::proto::identity as wire;
use super::{rpc, stat};

pub(super) type Answer = Result<Json<Value>, SpaceoneError>;

pub(super) const PKG: &str = "spaceone.api.identity.v1";

pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    Router::new()
        .route("/identity/v1/api-keys", post(create).get(list_get))
        .route("/identity/v1/api-keys/search", post(list_post))
        .route("/identity/v1/api-keys/stat", post(stat_post))
        .route(
            "/identity/v1/api-key/{api_key_id}",
            get(get_key).delete(delete),
        )
        .route("/identity/v1/api-key/{api_key_id}/enable", put(enable))
        .route("/identity/v1/api-key/{api_key_id}/disable", put(disable))
        .route("/identity/v1/api-key/{api_key_id}/roles", put(roles))
        .route(
            "/identity/v1/api-key/{api_key_id}/allowed-hosts",
            put(hosts),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The caller behind `token` or `Authorization: Bearer`.
pub(super) struct Authed(pub(super) Caller);

impl FromRequestParts<ApiState> for Authed {
    type Rejection = SpaceoneError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, SpaceoneError> {
        let token = parts
            .headers
            .get("token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .or_else(|| bearer_token(&parts.headers))
            .map(PresentedSecret::new)
            .ok_or_else(SpaceoneError::unauthenticated)?;
        let ip = client_address(&parts.extensions, &parts.headers, state);
        Ok(Authed(
            state.core.authenticate(Face::Spaceone, token, ip).await?,
        ))
    }
}

/// A REST body, refused in the face's JSON error shape: 413 over the body limit, 400 otherwise.
pub(super) struct RestBody(pub(super) Bytes);

impl<S: Send + Sync> FromRequest<S> for RestBody {
    type Rejection = SpaceoneError;

    async fn from_request(request: Request, state: &S) -> Result<Self, SpaceoneError> {
        Bytes::from_request(request, state)
            .await
            .map(RestBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    SpaceoneError::too_large()
                } else {
                    SpaceoneError::invalid("body", "could not be read")
                }
            })
    }
}

pub(super) fn body(bytes: &Bytes, id: Option<String>) -> Result<Value, SpaceoneError> {
    let mut object = if bytes.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(object)) => object,
            _ => return Err(SpaceoneError::invalid("body", "must be a JSON object")),
        }
    };
    if let Some(id) = id {
        object.remove("apiKeyId");
        object.insert("api_key_id".into(), Value::String(id));
    }
    Ok(Value::Object(object))
}

/// The query string as a proto3 JSON object: `only` (repeatable) is a list, the rest strings.
fn query_object(raw: Option<&str>, id: Option<String>) -> Value {
    let mut object = Map::new();
    let mut only = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if key == "only" {
            only.extend(value.split(',').map(|v| Value::String(v.to_owned())));
        } else {
            object.insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }
    if !only.is_empty() {
        object.insert("only".into(), Value::Array(only));
    }
    if let Some(id) = id {
        object.insert("api_key_id".into(), Value::String(id));
    }
    Value::Object(object)
}

fn info(answer: &wire::ApiKeyInfo) -> Answer {
    Ok(Json(json::render(&format!("{PKG}.APIKeyInfo"), answer)?))
}

async fn create(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RawQuery(raw): RawQuery,
    RestBody(bytes): RestBody,
) -> Answer {
    let fields = body_and_query(body(&bytes, None)?, query_object(raw.as_deref(), None))?;
    let request = json::parse(&format!("{PKG}.CreateAPIKeyRequest"), fields)?;
    info(&rpc::create(&s.core, &caller, request).await?)
}

/// The body's fields and the query string's, as one object; a field in both is refused rather
/// than one silently chosen.
fn body_and_query(body: Value, query: Value) -> Result<Value, SpaceoneError> {
    let (Value::Object(mut fields), Value::Object(query)) = (body, query) else {
        return Err(SpaceoneError::invalid("body", "must be a JSON object"));
    };
    for (key, value) in query {
        if fields.contains_key(&key) {
            return Err(SpaceoneError::invalid(
                &key,
                "is given both in the query string and in the body",
            ));
        }
        fields.insert(key, value);
    }
    Ok(Value::Object(fields))
}

async fn set_state(
    s: &ApiState,
    caller: &Caller,
    id: String,
    bytes: &Bytes,
    to: KeyState,
) -> Answer {
    let request = json::parse(&format!("{PKG}.APIKeyRequest"), body(bytes, Some(id))?)?;
    info(&rpc::set_state(&s.core, caller, request, to).await?)
}

async fn enable(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RestBody(bytes): RestBody,
) -> Answer {
    set_state(&s, &caller, id, &bytes, KeyState::Enabled).await
}

async fn disable(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RestBody(bytes): RestBody,
) -> Answer {
    set_state(&s, &caller, id, &bytes, KeyState::Disabled).await
}

async fn roles(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = json::parse(
        &format!("{PKG}.UpdateAPIKeyRoleRequest"),
        body(&bytes, Some(id))?,
    )?;
    info(&rpc::update_role(&s.core, &caller, request).await?)
}

async fn hosts(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = json::parse(
        &format!("{PKG}.UpdateAPIKeyHostsRequest"),
        body(&bytes, Some(id))?,
    )?;
    info(&rpc::update_allowed_hosts(&s.core, &caller, request).await?)
}

async fn delete(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let request = json::parse(
        &format!("{PKG}.APIKeyRequest"),
        query_object(raw.as_deref(), Some(id)),
    )?;
    rpc::delete(&s.core, &caller, request).await?;
    Ok(Json(Value::Object(Map::new())))
}

async fn get_key(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let request = json::parse(
        &format!("{PKG}.GetAPIKeyRequest"),
        query_object(raw.as_deref(), Some(id)),
    )?;
    info(&rpc::get(&s.core, &caller, request).await?)
}

async fn list(s: &ApiState, caller: &Caller, request: Value) -> Answer {
    let request = json::parse(&format!("{PKG}.APIKeyQuery"), request)?;
    let answer = rpc::list(&s.core, caller, request).await?;
    Ok(Json(json::render(&format!("{PKG}.APIKeysInfo"), &answer)?))
}

async fn list_get(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RawQuery(raw): RawQuery,
) -> Answer {
    list(&s, &caller, query_object(raw.as_deref(), None)).await
}

async fn list_post(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    list(&s, &caller, body(&bytes, None)?).await
}

async fn stat_post(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = json::parse(&format!("{PKG}.APIKeyStatQuery"), body(&bytes, None)?)?;
    let answer = stat::stat(&s.core, &caller, request).await?;
    Ok(Json(json::render("google.protobuf.Struct", &answer)?))
}
