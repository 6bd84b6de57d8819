//! `/v1/auth` and `/v1/auth/{*path}`: the gateway verifier for nginx `auth_request`, Traefik
//! `forwardAuth` and Envoy HTTP `ext_authz` (which prefixes the original path, hence the
//! wildcard). Any method. This is the hot path: the request is read in place (no header map is
//! cloned), required scopes are collected only when asked for, and the key is never logged.

use std::net::IpAddr;
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::error::CoreResult;
use keyward_core::ids::ProductId;
use keyward_core::model::text::LIST_MAX;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::{CacheMiss, Decision, KeySnapshot, Reason, UsageReport, VerifyRequest};
use uuid::Uuid;

use crate::client_ip;
use crate::error::{ApiError, ErrorBody};
use crate::extract::bearer_token;
use crate::routes::check_request;
use crate::routes::rate_limit_headers;
use crate::trace::REQUEST_ID;
use crate::views::usage::UsageView;
use crate::views::{RefusedView, VerifyView};
use crate::ApiState;

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const KEY_ID: HeaderName = HeaderName::from_static("x-keyward-key-id");
const OWNER: HeaderName = HeaderName::from_static("x-keyward-owner");
const DOMAIN: HeaderName = HeaderName::from_static("x-keyward-domain");
const ROLES: HeaderName = HeaderName::from_static("x-keyward-roles");
const SCOPES: HeaderName = HeaderName::from_static("x-keyward-scopes");
const REASON: HeaderName = HeaderName::from_static("x-keyward-reason");

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
/// The one door of a gateway check: the connection service (`connection.rs`) hands every request
/// to a gateway path here, before and instead of the router. What needs no store (a cache hit, a
/// malformed key, a bad query) is answered at once, with no future; a cache miss comes back as a
/// [`PendingCheck`], which [`finish`] answers from the store.
///
/// Every standard method is accepted (the document repeats this entry for each), and so is any sub-path
/// (`/v1/auth/{*path}`, for Envoy's path-prefixed `ext_authz`).
#[utoipa::path(get, path = "/v1/auth", operation_id = "gateway_auth",
    tag = "verification",
    params(
        ("scopes" = Option<String>, Query, description = "Required scopes, comma-separated (or header `X-Keyward-Scopes`)"),
        ("product" = Option<Uuid>, Query, description = "Product id the key must be `ACCEPTED` for (or header `X-Keyward-Product`)"),
        ("cost" = Option<u64>, Query, description = "What the request costs against the key's limits and credits, 0 to 10^12 (default 1; or header `X-Keyward-Cost`)"),
        ("X-API-Key" = Option<String>, Header, description = "The key, when not sent as `Authorization: Bearer`"),
    ),
    responses(
        (status = 200, description = "Valid; identity in `X-Keyward-Key-Id`, `X-Keyward-Owner`, `X-Keyward-Domain`, `X-Keyward-Roles`, `X-Keyward-Scopes`; for a key with limits `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, with credits `X-Keyward-Credits-Remaining`"),
        (status = 400, description = "`product` is not a UUID, or `scopes` names more than 100 scopes (`INVALID_QUERY`)", body = ErrorBody),
        (status = 401, description = "No usable key (`MALFORMED`, `NOT_FOUND`, `DISABLED`, `EXPIRED`); reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 403, description = "A real key that may not do this (`IP_NOT_ALLOWED`, `NOT_SUBSCRIBED`, `INSUFFICIENT_SCOPE`); reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 429, description = "Over a rate limit (`RATE_LIMITED`) or a quota or the credits (`USAGE_EXCEEDED`); `Retry-After`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, reason in `X-Keyward-Reason`", body = RefusedView),
        (status = 503, description = "The database is needed and unreachable", body = ErrorBody),
    ))]
pub(crate) fn check(
    state: &ApiState,
    peer: Option<IpAddr>,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, PendingCheck> {
    if !is_gateway_method(method) {
        let mut refused = ApiError::method_not_allowed().into_response();
        refused.headers_mut().insert(header::ALLOW, ALLOWED_METHODS);
        return Ok(refused);
    }
    check_cached(state, peer, query, headers)
}

/// A check the cache could not answer, with what it asked; see [`finish`].
pub(crate) struct PendingCheck {
    miss: CacheMiss,
    client_ip: Option<IpAddr>,
    scopes: Vec<String>,
    product: Option<ProductId>,
    cost: u64,
}

/// The check, as far as it goes without the store, for a request from `peer` (the TCP peer;
/// `X-Forwarded-For` is believed only from trusted proxies): the answer, or what is left to ask
/// the store. Synchronous, so a cache hit costs no future.
fn check_cached(
    state: &ApiState,
    peer: Option<IpAddr>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, PendingCheck> {
    let Some(secret) = presented_key(headers) else {
        return Ok(refusal(Reason::Malformed));
    };
    if check_request::is_oversized(secret) {
        return Ok(refusal(Reason::Malformed));
    }
    let scopes = match required_scopes(query, headers) {
        Ok(scopes) => scopes,
        Err(error) => return Ok(error.into_response()),
    };
    let product = match check_request::requested_product(query, headers) {
        Ok(product) => product,
        Err(error) => return Ok(error.into_response()),
    };
    let cost = match check_request::requested_cost(query, headers) {
        Ok(cost) => cost,
        Err(error) => return Ok(error.into_response()),
    };
    let client_ip = peer.map(|peer| client_ip::resolve(peer, headers, &state.trusted_proxies));
    let verify = VerifyRequest {
        client_ip,
        required_scopes: &scopes,
        product,
        cost,
    };
    match state
        .core
        .verify_cached(PresentedSecret::new(secret), &verify)
    {
        Ok(decision) => Ok(answer(state, Ok(decision))),
        Err(miss) => Err(PendingCheck {
            miss,
            client_ip,
            scopes,
            product,
            cost,
        }),
    }
}

/// Asks the store what `check_cached` could not answer.
pub(crate) async fn finish(state: &ApiState, pending: PendingCheck) -> Response {
    let verify = VerifyRequest {
        client_ip: pending.client_ip,
        required_scopes: &pending.scopes,
        product: pending.product,
        cost: pending.cost,
    };
    answer(
        state,
        state.core.verify_uncached(pending.miss, &verify).await,
    )
}

fn answer(state: &ApiState, decision: CoreResult<Decision>) -> Response {
    match decision {
        Ok(Decision {
            reason: Reason::Valid,
            key: Some(key),
            usage,
        }) => {
            let mut response = identity(&key);
            if let Some(usage) = usage {
                rate_limit_headers::add(response.headers_mut(), &usage, state.core.now(), None);
            }
            response
        }
        Ok(Decision {
            reason: reason @ (Reason::RateLimited | Reason::UsageExceeded),
            usage: Some(usage),
            ..
        }) => {
            let mut response = too_many(reason, &usage);
            rate_limit_headers::add(
                response.headers_mut(),
                &usage,
                state.core.now(),
                Some(reason),
            );
            response
        }
        Ok(decision) => refusal(decision.reason),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// 429 with the reason and the limits' states (the body of `POST /v1/keys/verify`).
fn too_many(reason: Reason, usage: &UsageReport) -> Response {
    let view = RefusedView {
        valid: false,
        code: reason.as_str(),
        usage: UsageView::from(usage),
    };
    let body = serde_json::to_vec(&view).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REASON, HeaderValue::from_static(reason.as_str()));
    response
}

/// `Authorization: Bearer <key>`, else `X-API-Key: <key>`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    bearer_token(headers).or_else(|| {
        headers
            .get(X_API_KEY)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
    })
}

/// The union of `?scopes=a,b` and `X-Keyward-Scopes: a,b`; allocates nothing when neither is sent.
/// More than 100 distinct scopes are refused as soon as they are seen, so a huge header costs
/// bounded work.
fn required_scopes(query: Option<&str>, headers: &HeaderMap) -> Result<Vec<String>, ApiError> {
    fn push_list(scopes: &mut Vec<String>, list: &str) -> Result<(), ApiError> {
        for scope in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if scopes.iter().any(|s| s == scope) {
                continue;
            }
            if scopes.len() == LIST_MAX {
                return Err(ApiError::invalid_query(
                    "scopes",
                    "may name at most 100 scopes",
                ));
            }
            scopes.push(scope.to_owned());
        }
        Ok(())
    }
    let mut scopes = Vec::new();
    if let Some(query) = query.filter(|q| q.contains("scopes=")) {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if name == "scopes" {
                push_list(&mut scopes, &value)?;
            }
        }
    }
    for value in headers.get_all(SCOPES) {
        if let Ok(list) = value.to_str() {
            push_list(&mut scopes, list)?;
        }
    }
    Ok(scopes)
}

/// 200 with the key's identity. The headers are rendered once per snapshot (per cache fill) and
/// cloned from there on, which copies no header bytes: a cache hit formats nothing.
fn identity(key: &KeySnapshot) -> Response {
    let headers = match key.rendered(IdentityHeaders::render) {
        Some(rendered) => rendered.0.clone(),
        None => IdentityHeaders::render(key).0,
    };
    let mut response = Response::new(Body::empty());
    *response.headers_mut() = headers;
    response
}

/// The identity headers of one key snapshot, kept in the snapshot (see `KeySnapshot::rendered`).
struct IdentityHeaders(HeaderMap);

impl IdentityHeaders {
    fn render(key: &KeySnapshot) -> Self {
        let mut headers = HeaderMap::with_capacity(8);
        // A slot for the request id that every response carries, filled on the way out (by the
        // connection service, or the router's request-id layer): a clone of this map has no
        // spare room, and replacing a value does not grow it where adding one would.
        headers.insert(REQUEST_ID, HeaderValue::from_static(""));
        headers.insert(KEY_ID, uuid_header(key.key_id.as_uuid()));
        headers.insert(OWNER, uuid_header(key.owner.as_uuid()));
        headers.insert(DOMAIN, uuid_header(key.domain.as_uuid()));
        headers.insert(ROLES, joined_header(key.roles.iter()));
        headers.insert(SCOPES, joined_header(key.scopes.iter()));
        Self(headers)
    }
}

fn uuid_header(id: Uuid) -> HeaderValue {
    let mut buffer = Uuid::encode_buffer();
    let text = id.hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// Comma-joined tokens. Tokens hold no whitespace or control characters, so the value is valid.
fn joined_header<'a>(items: impl Iterator<Item = &'a str>) -> HeaderValue {
    let mut text = String::new();
    for item in items {
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(item);
    }
    HeaderValue::from_bytes(text.as_bytes()).unwrap_or(HeaderValue::from_static(""))
}

/// 401 or 403 with the reason, as a header and as the `VerifyView` body. The bodies are
/// serialized once per reason and shared: a flood of bad keys costs no JSON encoding.
fn refusal(reason: Reason) -> Response {
    let (status, challenge) = if reason.is_unauthenticated() {
        (StatusCode::UNAUTHORIZED, true)
    } else {
        (StatusCode::FORBIDDEN, false)
    };
    let mut response = Response::new(Body::from(refusal_body(reason)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.reserve(4);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REASON, HeaderValue::from_static(reason.as_str()));
    if challenge {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The JSON body of a refusal for `reason`, made by the same view and serializer as every other
/// verification answer.
fn refusal_body(reason: Reason) -> Bytes {
    static BODIES: LazyLock<Vec<(Reason, Bytes)>> = LazyLock::new(|| {
        Reason::ALL
            .iter()
            .map(|&reason| {
                let json = serde_json::to_vec(&VerifyView::refused(reason))
                    .expect("a VerifyView always serializes");
                (reason, Bytes::from(json))
            })
            .collect()
    });
    BODIES
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, body)| body.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_bearer_or_x_api_key() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_key(&headers), None);
        headers.insert(X_API_KEY, HeaderValue::from_static(" kw_x "));
        assert_eq!(presented_key(&headers), Some("kw_x"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer kw_y"),
        );
        assert_eq!(presented_key(&headers), Some("kw_y"));
    }

    #[test]
    fn scopes_come_from_query_and_header_deduplicated() {
        let mut headers = HeaderMap::new();
        assert!(required_scopes(None, &headers).expect("ok").is_empty());
        headers.append(SCOPES, HeaderValue::from_static("b, c"));
        let got = required_scopes(Some("x=1&scopes=a%3Aread,b"), &headers).expect("ok");
        assert_eq!(got, ["a:read", "b", "c"]);
        let many = format!(
            "scopes={}",
            (0..101)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(required_scopes(Some(&many), &HeaderMap::new()).is_err());
    }

    #[test]
    fn refusals_split_401_from_403() {
        for &reason in Reason::ALL {
            let expected = serde_json::to_vec(&VerifyView::refused(reason)).expect("json");
            assert_eq!(refusal_body(reason), expected);
        }
        let r = refusal(Reason::Expired);
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[REASON], "EXPIRED");
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let r = refusal(Reason::InsufficientScope);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn header_values_are_built_without_surprises() {
        let id = Uuid::now_v7();
        assert_eq!(uuid_header(id), id.to_string().as_str());
        assert_eq!(joined_header(["a", "b:c"].into_iter()), "a,b:c");
        assert_eq!(joined_header(std::iter::empty()), "");
    }
}
