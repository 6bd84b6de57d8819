//! `/v1/auth` and `/v1/auth/{*path}`: the gateway verifier for nginx `auth_request`, Traefik
//! `forwardAuth` and Envoy HTTP `ext_authz` (which prefixes the original path, hence the
//! wildcard), and the entry the Envoy gRPC `Check` face calls ([`check_original`]). Any method.
//!
//! One decision for every door ([`decide`]), in this order:
//! 1. a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`, no key) passes
//!    with 200 and no identity, unless `gateway.allow_preflight = false`;
//! 2. the route policies (`keyward_core::gateway`), when any are configured, are matched against
//!    the original request (`original.rs`); a `public` route passes with 200 and no identity;
//! 3. the key, from the configured [`KeySources`](keyward_edge::key_sources::KeySources);
//! 4. what the check asks (`asked.rs`): keyward's own query only on the exact path, headers, the
//!    route's scopes, product and cost; then the core verifies.
//!
//! This is the hot path: the request is read in place (no header map is cloned), nothing about
//! the original request is read unless a route, a preflight or a query key needs it, required
//! scopes are collected only when asked for, and the key is never logged. `answer.rs` builds the
//! responses.

mod answer;
mod asked;
mod original;

use std::borrow::Cow;
use std::net::IpAddr;

use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use keyward_core::gateway::Route;
use keyward_core::ids::ProductId;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::{CacheMiss, Face, VerifyRequest};

use crate::client_ip;
use crate::error::{ApiError, ErrorBody};
use crate::routes::check_request;
use crate::views::RefusedView;
use crate::ApiState;
use answer::{answer, passed, refusal};
use asked::Asked;
use original::Door;

/// The methods a gateway check answers: the standard ones a proxy forwards (documented one by one
/// in the OpenAPI document). Any other (`QUERY`, made-up tokens) is 405, as on every route.
const ALLOWED_METHODS: HeaderValue =
    HeaderValue::from_static("GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS,TRACE");

fn is_gateway_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS
            | Method::TRACE
    )
}

/// Verify the key of a proxied request: 200 with identity headers, 401/403 with a reason.
///
/// The HTTP door of a gateway check: the connection service (`connection.rs`) hands every request
/// to a gateway path here, before and instead of the router. What needs no store (a cache hit, a
/// malformed key, a bad query, a public route) is answered at once, with no future; a cache miss
/// comes back as a [`PendingCheck`], which [`finish`] answers from the store.
///
/// Every standard method is accepted (the document repeats this entry for each), and so is any
/// sub-path (`/v1/auth/{*path}`, for Envoy's path-prefixed `ext_authz`), whose query is the
/// application's and is never read as keyward's own.
#[utoipa::path(get, path = "/v1/auth", operation_id = "gateway_auth",
    tag = "verification",
    params(
        ("scopes" = Option<String>, Query, description = "Required scopes, comma-separated (or header `X-Keyward-Scopes`). Read only on the exact path `/v1/auth`: under a sub-path the query is the application's"),
        ("product" = Option<uuid::Uuid>, Query, description = "Product id the key must be `ACCEPTED` for (or header `X-Keyward-Product`; else the matched route's). Exact path only"),
        ("cost" = Option<u64>, Query, maximum = 1_000_000_000_000_u64, description = "What the request costs against the key's limits and credits, 0 to 10^12 (or header `X-Keyward-Cost`; else the matched route's; default 1). Exact path only"),
        ("X-API-Key" = Option<String>, Header, description = "The key (default key sources, in order: `Authorization: Bearer <key>`, `Authorization: Api-Key <key>`, `X-API-Key`, `x-ncp-apigw-api-key`; configurable, see docs/gateways.md)"),
        ("x-ncp-apigw-api-key" = Option<String>, Header, description = "The key, as NCP API Gateway callers send it"),
        ("X-Forwarded-Method" = Option<String>, Header, description = "The original method (Traefik `forwardAuth`), for route policies and CORS preflights; must agree with `X-Original-Method` when both are sent"),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "The original path and query (Traefik), for route policies; must agree with `X-Original-URI` and the sub-path"),
        ("X-Forwarded-Host" = Option<String>, Header, description = "The original host (Traefik), for route policies"),
        ("X-Original-Method" = Option<String>, Header, description = "The original method (nginx `auth_request`, as the snippet sets it)"),
        ("X-Original-URI" = Option<String>, Header, description = "The original path and query (nginx `$request_uri`)"),
        ("X-Original-Host" = Option<String>, Header, description = "The original host (nginx); else `Host`"),
    ),
    security(("gateway_bearer" = []), ("gateway_api_key" = []), ("api_key" = []), ("ncp_api_key" = []), ()),
    responses(
        (status = 200, description = "Valid; identity in `X-Keyward-Key-Id`, `X-Keyward-Owner`, `X-Keyward-Domain`, `X-Keyward-Roles`, `X-Keyward-Scopes`; for a key with limits `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, with credits `X-Keyward-Credits-Remaining`. Also 200 with no identity headers for a `public` route or a CORS preflight (no key looked at)"),
        (status = 400, description = "`product` is not a UUID, `cost` is not a whole number up to 10^12, or `scopes` names more than 100 scopes (`INVALID_QUERY`); the original request's headers contradict each other or its path is ambiguous (`.`/`..` segments, an escaped `/`) while route policies are configured (`INVALID_REQUEST`)", body = ErrorBody),
        (status = 401, description = "No usable key (`MALFORMED`, `NOT_FOUND`, `DISABLED`, `EXPIRED`); reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 403, description = "A real key that may not do this (`IP_NOT_ALLOWED`, `NOT_SUBSCRIBED`, `INSUFFICIENT_SCOPE`); reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 429, description = "Over a rate limit (`RATE_LIMITED`) or a quota or the credits (`USAGE_EXCEEDED`); `Retry-After`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 503, description = "The database is needed and unreachable", body = ErrorBody),
    ))]
pub(crate) fn check(
    state: &ApiState,
    peer: Option<IpAddr>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, PendingCheck> {
    if !is_gateway_method(method) {
        return Ok(method_not_allowed());
    }
    let sub_path = path
        .strip_prefix("/v1/auth")
        .filter(|rest| !rest.is_empty());
    let door = Door::Http {
        method,
        sub_path,
        query,
    };
    decide(state, peer, &door, headers)
}

/// The gateway check for a door that reports the original request itself — Envoy's gRPC
/// `Check` (`method`, `host` and `path` from its `AttributeContext.Request.Http`; `path` with its
/// query) — answered exactly as `/v1/auth` would: the same key sources, route policies, CORS
/// preflight, status codes and headers. `headers` are the original request's (the key is read
/// from them, and `X-Keyward-Scopes`/`-Product`/`-Cost`); no query is read as keyward's own and
/// no `X-Forwarded-*`/`X-Original-*` header is believed. A cache miss is a [`PendingCheck`] for
/// [`finish`], as at the HTTP door.
pub(crate) fn check_original(
    state: &ApiState,
    peer: Option<IpAddr>,
    method: &str,
    host: Option<&str>,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response, PendingCheck> {
    if !Method::from_bytes(method.as_bytes()).is_ok_and(|m| is_gateway_method(&m)) {
        return Ok(method_not_allowed());
    }
    let door = Door::Attributes { method, host, path };
    decide(state, peer, &door, headers)
}

/// 405 with the methods a gateway check answers, as on every route.
fn method_not_allowed() -> Response {
    let mut refused = ApiError::method_not_allowed().into_response();
    refused.headers_mut().insert(header::ALLOW, ALLOWED_METHODS);
    refused
}

/// A check the cache could not answer, with what it asked; see [`finish`].
pub(crate) struct PendingCheck {
    /// Boxed: a check the cache answers returns no `PendingCheck`, and this keeps the `Result`
    /// of every check small; a miss already pays a store read.
    miss: Box<CacheMiss>,
    face: Face,
    client_ip: Option<IpAddr>,
    scopes: Vec<String>,
    product: Option<ProductId>,
    cost: u64,
}

/// The check, as far as it goes without the store, for a request from `peer` (the TCP peer;
/// `X-Forwarded-For` is believed only from trusted proxies): the answer, or what is left to ask
/// the store. Synchronous, so a cache hit costs no future.
fn decide(
    state: &ApiState,
    peer: Option<IpAddr>,
    door: &Door<'_>,
    headers: &HeaderMap,
) -> Result<Response, PendingCheck> {
    let settings = &*state.gateway;
    let face = door.face();
    // No key, or one too long to read: refused before the core sees a secret, counted by it.
    let malformed = || refusal(state.core.verifier().refuse_malformed(face).reason);
    let header_key = settings.key_sources.from_headers(headers);
    if settings.allow_preflight && header_key.is_none() && is_preflight(door, headers) {
        return Ok(passed());
    }
    let mut original = None;
    let mut route: Option<&Route> = None;
    if !settings.routes.is_empty() {
        let reported = match door.original(headers) {
            Ok(reported) => reported,
            Err(error) => return Ok(error.into_response()),
        };
        route = match settings.routes.find(&reported.as_core()) {
            Ok(route) => route,
            Err(refusal) => {
                return Ok(ApiError::invalid_request("path", refusal.reason()).into_response())
            }
        };
        if route.is_some_and(Route::is_public) {
            return Ok(passed());
        }
        original = Some(reported);
    }
    let secret: Cow<'_, str> = match header_key {
        Some(key) => Cow::Borrowed(key),
        None if settings.key_sources.query_parameter().is_some() => {
            let query = match original.map_or_else(|| door.original(headers), Ok) {
                Ok(reported) => reported.query,
                Err(error) => return Ok(error.into_response()),
            };
            match settings.key_sources.from_query(query) {
                Some(key) => key,
                None => return Ok(malformed()),
            }
        }
        None => return Ok(malformed()),
    };
    if check_request::is_oversized(&secret) {
        return Ok(malformed());
    }
    let asked = match Asked::read(door.own_query(), headers, route) {
        Ok(asked) => asked,
        Err(error) => return Ok(error.into_response()),
    };
    let client_ip = peer.map(|peer| client_ip::resolve(peer, headers, &state.trusted_proxies));
    let verify = VerifyRequest {
        face,
        client_ip,
        required_scopes: &asked.scopes,
        product: asked.product,
        cost: asked.cost,
    };
    match state
        .core
        .verify_cached(PresentedSecret::new(&secret), &verify)
    {
        Ok(decision) => Ok(answer(state, Ok(decision))),
        Err(miss) => Err(PendingCheck {
            miss: Box::new(miss),
            face,
            client_ip,
            scopes: asked.scopes.into_owned(),
            product: asked.product,
            cost: asked.cost,
        }),
    }
}

/// A CORS preflight: `OPTIONS` (as the gateway reports the original method) with `Origin` and
/// `Access-Control-Request-Method`. The header lookups come first: a plain check pays one.
fn is_preflight(door: &Door<'_>, headers: &HeaderMap) -> bool {
    headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        && headers.contains_key(header::ORIGIN)
        && door.method(headers).is_ok_and(|method| method == "OPTIONS")
}

/// Asks the store what `decide` could not answer.
pub(crate) async fn finish(state: &ApiState, pending: PendingCheck) -> Response {
    let verify = VerifyRequest {
        face: pending.face,
        client_ip: pending.client_ip,
        required_scopes: &pending.scopes,
        product: pending.product,
        cost: pending.cost,
    };
    answer(
        state,
        state.core.verify_uncached(*pending.miss, &verify).await,
    )
}
