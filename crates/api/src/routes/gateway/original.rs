//! Which door a gateway check came through, and the original request (method, host, path) as
//! that gateway reports it:
//! - Envoy HTTP `ext_authz`: the path under `/v1/auth` (`/v1/auth/api/shop` → `/api/shop`), the
//!   check's own method and `Host`;
//! - Traefik `forwardAuth`: `X-Forwarded-Method`, `X-Forwarded-Uri`, `X-Forwarded-Host`;
//! - nginx `auth_request`: `X-Original-Method`, `X-Original-URI`, `X-Original-Host` (or `Host`),
//!   as the snippet sets them;
//! - Envoy gRPC `Check`: the request attributes Envoy sends ([`Door::Attributes`]).
//!
//! Every way a request names its original method, path or host must agree: when two are present
//! and differ (a client sent `X-Original-URI` through Traefik, which sets only `X-Forwarded-Uri`)
//! the check is refused (400 `INVALID_REQUEST`), so a client cannot name another path past a
//! gateway that overwrites only its own headers. Nothing here is read unless a route policy, a
//! CORS preflight or a query-parameter key needs it.

use axum::http::{HeaderMap, HeaderName, Method};
use keyward_core::gateway::OriginalRequest;

use crate::error::ApiError;

const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const X_FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");
const X_ORIGINAL_URI: HeaderName = HeaderName::from_static("x-original-uri");
const X_ORIGINAL_HOST: HeaderName = HeaderName::from_static("x-original-host");

/// How a check reached keyward.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Door<'a> {
    /// `/v1/auth` (`sub_path: None`) or `/v1/auth/<sub_path>`.
    Http {
        method: &'a Method,
        /// The path under `/v1/auth`, with its `/`: Envoy HTTP `ext_authz`'s original path.
        sub_path: Option<&'a str>,
        query: Option<&'a str>,
    },
    /// Envoy gRPC `Check`: the original request from its attributes; no forwarded headers read.
    Attributes {
        method: &'a str,
        host: Option<&'a str>,
        /// The path with its query, as Envoy reports it.
        path: &'a str,
    },
}

impl Door<'_> {
    /// The face a check through this door is counted under.
    pub(crate) fn face(&self) -> keyward_core::verify::Face {
        match self {
            Door::Http { .. } => keyward_core::verify::Face::Gateway,
            Door::Attributes { .. } => keyward_core::verify::Face::GrpcCheck,
        }
    }
}

/// The original request, with the query its path came with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Original<'a> {
    pub method: &'a str,
    pub host: Option<&'a str>,
    /// The path, maybe still with its `?query` (the core strips it before matching).
    pub uri: Option<&'a str>,
    pub query: Option<&'a str>,
}

impl<'a> Original<'a> {
    pub fn as_core(&self) -> OriginalRequest<'a> {
        OriginalRequest {
            method: self.method,
            host: self.host,
            uri: self.uri,
        }
    }
}

impl<'a> Door<'a> {
    /// keyward's own query (`scopes`, `product`, `cost`): only on the exact path `/v1/auth`.
    /// Under a sub-path, and for gRPC, the query is the application's and is never read.
    pub fn own_query(&self) -> Option<&'a str> {
        match *self {
            Door::Http {
                sub_path: None,
                query,
                ..
            } => query,
            _ => None,
        }
    }

    /// The original method alone (what a CORS preflight is recognised by).
    pub fn method(&self, headers: &'a HeaderMap) -> Result<&'a str, ApiError> {
        match *self {
            Door::Attributes { method, .. } => Ok(method),
            Door::Http {
                method, sub_path, ..
            } => {
                let own = sub_path.map(|_| method.as_str());
                let named = agreed(
                    [
                        ("method", own),
                        ("X-Forwarded-Method", text(headers, &X_FORWARDED_METHOD)?),
                        ("X-Original-Method", text(headers, &X_ORIGINAL_METHOD)?),
                    ],
                    |a, b| a == b,
                )?;
                Ok(named.unwrap_or(method.as_str()))
            }
        }
    }

    /// The whole original request.
    pub fn original(&self, headers: &'a HeaderMap) -> Result<Original<'a>, ApiError> {
        let method = self.method(headers)?;
        match *self {
            Door::Attributes { host, path, .. } => Ok(Original {
                method,
                host: host.filter(|h| !h.is_empty()),
                uri: Some(path),
                query: path.split_once('?').map(|(_, q)| q),
            }),
            Door::Http {
                sub_path, query, ..
            } => {
                let host_header = text(headers, &axum::http::header::HOST)?;
                let host = agreed(
                    [
                        ("X-Forwarded-Host", text(headers, &X_FORWARDED_HOST)?),
                        ("X-Original-Host", text(headers, &X_ORIGINAL_HOST)?),
                        ("Host", sub_path.and(host_header)),
                    ],
                    same_host,
                )?
                .or(host_header);
                let forwarded = agreed(
                    [
                        ("path", sub_path),
                        ("X-Forwarded-Uri", text(headers, &X_FORWARDED_URI)?),
                        ("X-Original-URI", text(headers, &X_ORIGINAL_URI)?),
                    ],
                    |a, b| path_of(a) == path_of(b),
                )?;
                let query = match (sub_path, forwarded) {
                    (None, Some(uri)) => uri.split_once('?').map(|(_, q)| q),
                    _ => query,
                };
                Ok(Original {
                    method,
                    host,
                    uri: forwarded,
                    query,
                })
            }
        }
    }
}

/// A header's value as text; empty is absent, anything but visible ASCII is refused.
fn text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, ApiError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid_request(header_label(name), "must be ASCII text"))?
        .trim();
    Ok((!text.is_empty()).then_some(text))
}

fn header_label(name: &HeaderName) -> &'static str {
    match name.as_str() {
        "x-forwarded-method" => "X-Forwarded-Method",
        "x-forwarded-uri" => "X-Forwarded-Uri",
        "x-forwarded-host" => "X-Forwarded-Host",
        "x-original-method" => "X-Original-Method",
        "x-original-uri" => "X-Original-URI",
        "x-original-host" => "X-Original-Host",
        _ => "Host",
    }
}

/// The first value present, provided every other present one is the `same`; else 400 naming the
/// two that differ.
fn agreed<'v, const N: usize>(
    values: [(&'static str, Option<&'v str>); N],
    same: impl Fn(&str, &str) -> bool,
) -> Result<Option<&'v str>, ApiError> {
    let mut first: Option<(&'static str, &'v str)> = None;
    for (name, value) in values {
        let Some(value) = value else { continue };
        match first {
            None => first = Some((name, value)),
            Some((first_name, first_value)) if !same(first_value, value) => {
                return Err(ApiError::invalid_request(
                    name,
                    &format!("names another original request than {first_name}"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, value)| value))
}

fn path_of(uri: &str) -> &str {
    uri.split(['?', '#']).next().unwrap_or(uri)
}

fn same_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::ErrorCode;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn each_gateway_is_read_its_own_way() {
        let envoy = Door::Http {
            method: &Method::POST,
            sub_path: Some("/api/shop"),
            query: Some("product=shoes"),
        };
        let map = headers(&[("host", "shop.example")]);
        let original = envoy.original(&map).expect("plain");
        assert_eq!(original.method, "POST");
        assert_eq!(original.host, Some("shop.example"));
        assert_eq!(original.uri, Some("/api/shop"));
        assert_eq!(original.query, Some("product=shoes"));
        assert_eq!(envoy.own_query(), None);

        let traefik = Door::Http {
            method: &Method::GET,
            sub_path: None,
            query: Some("scopes=a"),
        };
        let map = headers(&[
            ("host", "keyward:8080"),
            ("x-forwarded-method", "PUT"),
            ("x-forwarded-uri", "/billing/1?api_key=k"),
            ("x-forwarded-host", "api.example"),
        ]);
        let original = traefik.original(&map).expect("plain");
        assert_eq!(
            (original.method, original.host, original.uri, original.query),
            (
                "PUT",
                Some("api.example"),
                Some("/billing/1?api_key=k"),
                Some("api_key=k")
            )
        );
        assert_eq!(traefik.own_query(), Some("scopes=a"));

        let nginx = headers(&[
            ("host", "app.example"),
            ("x-original-method", "DELETE"),
            ("x-original-uri", "/x"),
        ]);
        let original = traefik.original(&nginx).expect("plain");
        assert_eq!(
            (original.method, original.host, original.uri),
            ("DELETE", Some("app.example"), Some("/x"))
        );
        let empty = HeaderMap::new();
        let bare = traefik.original(&empty).expect("plain");
        assert_eq!((bare.method, bare.uri), ("GET", None));
    }

    #[test]
    fn sources_that_disagree_are_refused() {
        let door = Door::Http {
            method: &Method::GET,
            sub_path: None,
            query: None,
        };
        let spoofed = headers(&[
            ("x-forwarded-uri", "/billing/1"),
            ("x-original-uri", "/public/1"),
        ]);
        let error = door.original(&spoofed).expect_err("refused");
        assert_eq!(error.code(), ErrorCode::InvalidRequest);
        assert_eq!(error.field(), Some("X-Original-URI"));
        let agreeing = headers(&[
            ("x-forwarded-uri", "/billing/1?a"),
            ("x-original-uri", "/billing/1?b"),
        ]);
        assert!(
            door.original(&agreeing).is_ok(),
            "only the paths are compared"
        );
        let envoy = Door::Http {
            method: &Method::POST,
            sub_path: Some("/a"),
            query: None,
        };
        let method = headers(&[("x-forwarded-method", "GET")]);
        assert_eq!(
            envoy.method(&method).expect_err("refused").field(),
            Some("X-Forwarded-Method")
        );
        let host = headers(&[("host", "a.example"), ("x-forwarded-host", "b.example")]);
        assert!(envoy.original(&host).is_err());
        assert!(
            door.original(&host).is_ok(),
            "Host is only a fallback at /v1/auth"
        );
    }
}
