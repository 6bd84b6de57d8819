//! The least of ZenML's workspace that `zenml.client.Client()` (and so the `zenml` CLI) asks for
//! before it does anything with API keys: one `default` project and one `default` stack with no
//! components, read-only (`GET /api/v1/projects[/{name_or_id}]`, `GET /api/v1/stacks[/{id}]`).
//! keyward runs no pipelines and keeps no stacks; these answers exist so that ZenML's client can
//! settle its active project and stack, and are the same for every caller and node (their ids
//! are derived from the deployment id). Anything else of the workspace stays a 404.
//!
//! The lists honour only what the client sends for them (`name`, `id` and paging); they hold one
//! item, so sorting is moot.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use keyward_edge::ApiState;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::auth::Me;
use super::super::datetime;
use super::super::error::ZenmlError;
use super::super::wire::{Page, Response};
use super::hydrate;

/// The name of the one project and the one stack, as ZenML calls its defaults.
pub const DEFAULT: &str = "default";

/// What a default object shows as its creation and update time: keyward has no such event.
const CREATED: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

/// An id for one of the defaults, stable for the deployment: its id with `tag` folded in.
fn derived_id(deployment: Uuid, tag: u8) -> Uuid {
    let mut bytes = deployment.into_bytes();
    bytes[0] ^= tag;
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn project_id(state: &ApiState) -> Uuid {
    derived_id(state.core.deployment_id(), 0x50)
}

fn stack_id(state: &ApiState) -> Uuid {
    derived_id(state.core.deployment_id(), 0x53)
}

#[derive(Debug, Serialize)]
pub struct ProjectBody {
    #[serde(serialize_with = "datetime::serialize")]
    created: OffsetDateTime,
    #[serde(serialize_with = "datetime::serialize")]
    updated: OffsetDateTime,
    display_name: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ProjectMetadata {
    description: &'static str,
    project_metadata: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct StackBody {
    #[serde(serialize_with = "datetime::serialize")]
    created: OffsetDateTime,
    #[serde(serialize_with = "datetime::serialize")]
    updated: OffsetDateTime,
    user_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct StackMetadata {
    components: Map<String, Value>,
    description: &'static str,
    stack_spec_path: Option<String>,
    environment: Map<String, Value>,
    secrets: Vec<Uuid>,
    labels: Option<Map<String, Value>>,
}

fn project(state: &ApiState, hydrate: bool) -> Response<ProjectBody, ProjectMetadata> {
    Response {
        body: ProjectBody {
            created: CREATED,
            updated: CREATED,
            display_name: DEFAULT,
        },
        metadata: hydrate.then(|| ProjectMetadata {
            description: "keyward's one project: it keeps API keys, not pipelines",
            project_metadata: Map::new(),
        }),
        resources: None,
        id: project_id(state),
        permission_denied: false,
        name: DEFAULT.to_owned(),
    }
}

fn stack(state: &ApiState, hydrate: bool) -> Response<StackBody, StackMetadata> {
    Response {
        body: StackBody {
            created: CREATED,
            updated: CREATED,
            user_id: None,
        },
        metadata: hydrate.then(|| StackMetadata {
            components: Map::new(),
            description: "keyward's one stack, with no components",
            stack_spec_path: None,
            environment: Map::new(),
            secrets: Vec::new(),
            labels: None,
        }),
        resources: None,
        id: stack_id(state),
        permission_denied: false,
        name: DEFAULT.to_owned(),
    }
}

/// The query's `name` and `id` filters (`[equals:]value`; other operators match nothing
/// here rather than guessing), `page` and `size`.
struct OneItemQuery {
    matches: bool,
    page: u64,
    size: u32,
    hydrate: bool,
}

fn one_item_query(raw: Option<&str>, id: Uuid) -> Result<OneItemQuery, ZenmlError> {
    let mut query = OneItemQuery {
        matches: true,
        page: 1,
        size: 20,
        hydrate: hydrate(raw, false)?,
    };
    let bad = |field: &str| {
        ZenmlError::invalid_request(
            "query",
            field,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    };
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let plain = value.strip_prefix("equals:").unwrap_or(&value);
        match name.as_ref() {
            "name" => query.matches &= plain == DEFAULT,
            "id" => query.matches &= Uuid::parse_str(plain).is_ok_and(|v| v == id),
            "page" => {
                query.page = value
                    .parse()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| bad("page"))?
            }
            "size" => {
                query.size = value
                    .parse()
                    .ok()
                    .filter(|s| (1..=10_000).contains(s))
                    .ok_or_else(|| bad("size"))?
            }
            _ => {}
        }
    }
    Ok(query)
}

/// A page holding `item` when the query matches it (and asks for the first page).
fn page_of<T>(query: &OneItemQuery, item: T) -> Page<T> {
    let items: Vec<T> = if query.matches && query.page == 1 {
        vec![item]
    } else {
        Vec::new()
    };
    let total = u64::from(query.matches);
    Page {
        index: query.page,
        max_size: query.size,
        total_pages: total,
        total,
        items,
    }
}

fn not_found(what: &str, name_or_id: &str) -> ZenmlError {
    let shown: String = name_or_id.chars().take(255).collect();
    ZenmlError::key_error(&format!(
        "No {what} with this name or ID found: '{shown}'. keyward serves only the `{DEFAULT}` \
         {what}."
    ))
}

/// `GET /api/v1/projects`: the one `default` project.
pub async fn list_projects(
    State(state): State<ApiState>,
    _: Me,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<Response<ProjectBody, ProjectMetadata>>>, ZenmlError> {
    let query = one_item_query(raw.as_deref(), project_id(&state))?;
    Ok(Json(page_of(&query, project(&state, query.hydrate))))
}

/// `GET /api/v1/projects/{name_or_id}`.
pub async fn get_project(
    State(state): State<ApiState>,
    _: Me,
    Path(name_or_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Response<ProjectBody, ProjectMetadata>>, ZenmlError> {
    let hydrate = hydrate(raw.as_deref(), true)?;
    let id = project_id(&state);
    if name_or_id == DEFAULT || Uuid::parse_str(&name_or_id).is_ok_and(|v| v == id) {
        Ok(Json(project(&state, hydrate)))
    } else {
        Err(not_found("project", &name_or_id))
    }
}

/// `GET /api/v1/stacks`: the one `default` stack.
pub async fn list_stacks(
    State(state): State<ApiState>,
    _: Me,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<Response<StackBody, StackMetadata>>>, ZenmlError> {
    let query = one_item_query(raw.as_deref(), stack_id(&state))?;
    Ok(Json(page_of(&query, stack(&state, query.hydrate))))
}

/// `GET /api/v1/stacks/{id}`.
pub async fn get_stack(
    State(state): State<ApiState>,
    _: Me,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Response<StackBody, StackMetadata>>, ZenmlError> {
    let hydrate = hydrate(raw.as_deref(), true)?;
    if Uuid::parse_str(&id).is_ok_and(|v| v == stack_id(&state)) {
        Ok(Json(stack(&state, hydrate)))
    } else {
        Err(not_found("stack", &id))
    }
}
