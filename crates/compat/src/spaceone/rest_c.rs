//! Generation C's REST paths (spaceone-api 1.12.x and 2.0.x annotations: `POST` with body
//! `*`), served beside the seed's whatever `spaceone.generation` is: the paths do not collide
//! (a keyward key id is never `create` or `list`). Each body is generation C's proto3 JSON
//! (its field names, ISO-8601 string times), handed to [`super::generation_c`].
//!
//! | method and path | rpc |
//! |---|---|
//! | `POST /identity/v1/api-key/create` | create |
//! | `POST /identity/v1/api-key/enable` | enable |
//! | `POST /identity/v1/api-key/disable` | disable |
//! | `POST /identity/v1/api-key/delete` | delete |
//! | `POST /identity/v1/api-key/get` | get |
//! | `POST /identity/v1/api-key/list` | list |
//! | `POST /identity/v1/api-key/stat` | stat |

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use axum::{Json, Router};
use keyward_core::model::KeyState;
use keyward_edge::ApiState;
use serde_json::{Map, Value};

use super::error::SpaceoneError;
use super::generation::Generation;
use super::generation_c as rpc;
use super::json;
use super::proto::generation_c::identity as wire;
use super::rest::{body, Answer, Authed, RestBody, PKG};

pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    Router::new()
        .route("/identity/v1/api-key/create", post(create))
        .route("/identity/v1/api-key/enable", post(enable))
        .route("/identity/v1/api-key/disable", post(disable))
        .route("/identity/v1/api-key/delete", post(delete))
        .route("/identity/v1/api-key/get", post(get_key))
        .route("/identity/v1/api-key/list", post(list))
        .route("/identity/v1/api-key/stat", post(stat))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The body as generation C's message `name`.
fn parse<M: prost::Message + Default>(name: &str, bytes: &Bytes) -> Result<M, SpaceoneError> {
    let fields = body(bytes, None)?;
    json::parse_in(Generation::V1_12, &format!("{PKG}.{name}"), fields)
}

fn render<M: prost::Message>(name: &str, message: &M) -> Answer {
    Ok(Json(json::render_in(Generation::V1_12, name, message)?))
}

fn info(answer: &wire::ApiKeyInfo) -> Answer {
    render(&format!("{PKG}.APIKeyInfo"), answer)
}

async fn create(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("CreateAPIKeyRequest", &bytes)?;
    info(&rpc::create(&s.core, &caller, request).await?)
}

async fn enable(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("APIKeyRequest", &bytes)?;
    info(&rpc::set_state(&s.core, &caller, request, KeyState::Enabled).await?)
}

async fn disable(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("APIKeyRequest", &bytes)?;
    info(&rpc::set_state(&s.core, &caller, request, KeyState::Disabled).await?)
}

async fn delete(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("APIKeyRequest", &bytes)?;
    rpc::delete(&s.core, &caller, request).await?;
    Ok(Json(Value::Object(Map::new())))
}

async fn get_key(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("GetAPIKeyRequest", &bytes)?;
    info(&rpc::get(&s.core, &caller, request).await?)
}

async fn list(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("APIKeyQuery", &bytes)?;
    let answer = rpc::list(&s.core, &caller, request).await?;
    render(&format!("{PKG}.APIKeysInfo"), &answer)
}

async fn stat(
    State(s): State<ApiState>,
    Authed(caller): Authed,
    RestBody(bytes): RestBody,
) -> Answer {
    let request = parse("APIKeyStatQuery", &bytes)?;
    let answer = rpc::stat(&s.core, &caller, request).await?;
    render("google.protobuf.Struct", &answer)
}
