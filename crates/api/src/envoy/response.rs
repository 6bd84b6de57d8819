//! The gateway check's HTTP answer as an Envoy `CheckResponse`.
//!
//! 200 becomes `OK` with the identity headers (`X-Keyward-*`) and the rate-limit fields for the
//! application (`ok_response.headers`, overwriting any the client sent, empty values kept so a
//! key without roles still overwrites a forged `X-Keyward-Roles`), the rate-limit fields also for
//! the client (`response_headers_to_add`), and, when asked, the key's header in
//! `headers_to_remove`. Anything else becomes a denial carrying the very HTTP answer `/v1/auth`
//! gives (status, `X-Keyward-Reason`, `WWW-Authenticate`, `Retry-After`, `RateLimit-*`, the JSON
//! body), with the gRPC code that names it (401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 429
//! `RESOURCE_EXHAUSTED`, 503 `UNAVAILABLE`, …).

use axum::body::to_bytes;
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use envoy_types::pb::envoy::config::core::v3::header_value_option::HeaderAppendAction;
use envoy_types::pb::envoy::config::core::v3::{HeaderValue, HeaderValueOption};
use envoy_types::pb::envoy::r#type::v3::HttpStatus;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{
    CheckResponse, DeniedHttpResponse, OkHttpResponse,
};
use envoy_types::pb::google::rpc;
use tonic::Code;

use crate::trace::REQUEST_ID;

/// Largest denial body copied into a `CheckResponse` (keyward's are a few hundred bytes).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The `CheckResponse` for the gateway's `answer`; `strip` names the header that carried the key,
/// to remove before the request goes upstream.
pub(super) async fn check_response(answer: Response, strip: Option<HeaderName>) -> CheckResponse {
    let (parts, body) = answer.into_parts();
    if parts.status == StatusCode::OK {
        return allowed(&parts.headers, strip);
    }
    // The gateway's bodies are in memory already; a failure to read one leaves the body empty.
    let body = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    denied(parts.status, &parts.headers, &body)
}

fn allowed(headers: &HeaderMap, strip: Option<HeaderName>) -> CheckResponse {
    let mut upstream = Vec::with_capacity(headers.len());
    let mut downstream = Vec::new();
    for (name, value) in headers {
        // The request id is keyward's own; Envoy and the application have theirs.
        if name == REQUEST_ID {
            continue;
        }
        let Some(option) = header_option(name, value) else {
            continue;
        };
        if is_rate_limit_field(name) {
            downstream.push(option.clone());
        }
        upstream.push(option);
    }
    CheckResponse {
        status: Some(rpc::Status {
            code: Code::Ok.into(),
            ..Default::default()
        }),
        http_response: Some(HttpResponse::OkResponse(OkHttpResponse {
            headers: upstream,
            headers_to_remove: strip
                .map(|name| name.as_str().to_owned())
                .into_iter()
                .collect(),
            response_headers_to_add: downstream,
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn denied(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> CheckResponse {
    let options = headers
        .iter()
        .filter(|(name, _)| *name != REQUEST_ID && *name != header::CONTENT_LENGTH)
        .filter_map(|(name, value)| header_option(name, value))
        .collect();
    let reason = headers
        .get("x-keyward-reason")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("refused"));
    CheckResponse {
        status: Some(rpc::Status {
            code: grpc_code(status).into(),
            message: reason.to_owned(),
            ..Default::default()
        }),
        http_response: Some(HttpResponse::DeniedResponse(DeniedHttpResponse {
            status: Some(HttpStatus {
                code: i32::from(status.as_u16()),
            }),
            headers: options,
            body: String::from_utf8_lossy(body).into_owned(),
        })),
        ..Default::default()
    }
}

/// The gRPC code Envoy is told for a refusal with HTTP `status`.
fn grpc_code(status: StatusCode) -> Code {
    match status {
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED => Code::PermissionDenied,
        StatusCode::TOO_MANY_REQUESTS => Code::ResourceExhausted,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        status if status.is_client_error() => Code::InvalidArgument,
        _ => Code::Internal,
    }
}

/// One header to set, replacing any of that name, kept when empty.
fn header_option(name: &HeaderName, value: &axum::http::HeaderValue) -> Option<HeaderValueOption> {
    let value = value.to_str().ok()?;
    Some(HeaderValueOption {
        header: Some(HeaderValue {
            key: name.as_str().to_owned(),
            value: value.to_owned(),
            ..Default::default()
        }),
        append_action: HeaderAppendAction::OverwriteIfExistsOrAdd.into(),
        keep_empty_value: true,
        ..Default::default()
    })
}

/// The fields a client reads about its limits (the application gets them too).
fn is_rate_limit_field(name: &HeaderName) -> bool {
    name.as_str().starts_with("ratelimit-")
        || name == header::RETRY_AFTER
        || name == "x-keyward-credits-remaining"
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::HeaderValue as Value;

    fn keys(options: &[HeaderValueOption]) -> Vec<&str> {
        options
            .iter()
            .map(|o| o.header.as_ref().expect("set").key.as_str())
            .collect()
    }

    #[tokio::test]
    async fn ok_carries_identity_upstream_and_limits_both_ways() {
        let mut answer = Response::new(Body::empty());
        let headers = answer.headers_mut();
        headers.insert(REQUEST_ID, Value::from_static(""));
        headers.insert("x-keyward-roles", Value::from_static(""));
        headers.insert("ratelimit-remaining", Value::from_static("4"));
        let response = check_response(answer, Some(header::AUTHORIZATION)).await;
        assert_eq!(response.status.expect("status").code, 0);
        let Some(HttpResponse::OkResponse(ok)) = response.http_response else {
            panic!("not ok");
        };
        assert_eq!(
            keys(&ok.headers),
            ["x-keyward-roles", "ratelimit-remaining"]
        );
        assert!(ok.headers.iter().all(|o| o.keep_empty_value
            && o.append_action == HeaderAppendAction::OverwriteIfExistsOrAdd as i32));
        assert_eq!(keys(&ok.response_headers_to_add), ["ratelimit-remaining"]);
        assert_eq!(ok.headers_to_remove, ["authorization"]);
    }

    #[tokio::test]
    async fn refusals_keep_status_headers_and_body() {
        let mut answer = Response::new(Body::from("{\"valid\":false}"));
        *answer.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        answer
            .headers_mut()
            .insert("x-keyward-reason", Value::from_static("RATE_LIMITED"));
        answer
            .headers_mut()
            .insert(header::CONTENT_LENGTH, Value::from_static("15"));
        let response = check_response(answer, Some(header::AUTHORIZATION)).await;
        let status = response.status.expect("status");
        assert_eq!(status.code, Code::ResourceExhausted as i32);
        assert_eq!(status.message, "RATE_LIMITED");
        let Some(HttpResponse::DeniedResponse(denied)) = response.http_response else {
            panic!("not denied");
        };
        assert_eq!(denied.status.expect("status").code, 429);
        assert_eq!(keys(&denied.headers), ["x-keyward-reason"]);
        assert_eq!(denied.body, "{\"valid\":false}");
    }

    #[test]
    fn refusal_codes_name_the_http_status() {
        assert_eq!(grpc_code(StatusCode::UNAUTHORIZED), Code::Unauthenticated);
        assert_eq!(grpc_code(StatusCode::FORBIDDEN), Code::PermissionDenied);
        assert_eq!(
            grpc_code(StatusCode::SERVICE_UNAVAILABLE),
            Code::Unavailable
        );
        assert_eq!(grpc_code(StatusCode::BAD_REQUEST), Code::InvalidArgument);
        assert_eq!(grpc_code(StatusCode::INTERNAL_SERVER_ERROR), Code::Internal);
    }
}
