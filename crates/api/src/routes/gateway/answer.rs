//! The answers of a gateway check: 200 with the key's identity, 401/403 with the reason, 429 with
//! the limits' states, and the bare 200 of a request that needs no key (a public route, a CORS
//! preflight). Built so that a cache hit formats nothing: identity headers are rendered once per
//! key snapshot, refusal bodies once per reason.

use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::error::CoreResult;
use keyward_core::verify::{Decision, KeySnapshot, Reason, UsageReport};
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::rate_limit_headers;
use crate::trace::REQUEST_ID;
use crate::views::usage::UsageView;
use crate::views::{RefusedView, VerifyView};
use crate::ApiState;

const KEY_ID: HeaderName = HeaderName::from_static("x-keyward-key-id");
const OWNER: HeaderName = HeaderName::from_static("x-keyward-owner");
const DOMAIN: HeaderName = HeaderName::from_static("x-keyward-domain");
const ROLES: HeaderName = HeaderName::from_static("x-keyward-roles");
const SCOPES: HeaderName = HeaderName::from_static("x-keyward-scopes");
const REASON: HeaderName = HeaderName::from_static("x-keyward-reason");

/// 200 with no identity: a public route or a CORS preflight, where no key was looked at.
pub(super) fn passed() -> Response {
    Response::new(Body::empty())
}

pub(super) fn answer(state: &ApiState, decision: CoreResult<Decision>) -> Response {
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
pub(super) fn refusal(reason: Reason) -> Response {
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
