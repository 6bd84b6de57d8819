//! An Envoy `CheckRequest` read as the gateway check reads a proxied request: the original
//! method, host, path and headers, and who the client was.
//!
//! Envoy's `path` carries the application's query string: it belongs to the application and is
//! never read as keyward's own `?scopes=`/`?product=`/`?cost=`. What the operator asks of a route
//! comes from the route's `context_extensions` (`scopes`, `product`, `cost`), which Envoy's
//! configuration sets and a client cannot; the client's own `X-Keyward-Product` and
//! `X-Keyward-Cost` headers are dropped, since a client naming its own product or cost would walk
//! past the operator's. A client's `X-Keyward-Scopes` is kept: it can only ask for more.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use envoy_types::pb::envoy::config::core::v3::{address, Address};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::HttpRequest;
use envoy_types::pb::envoy::service::auth::v3::CheckRequest;
use ipnet::IpNet;
use keyward_edge::client_ip;
use tonic::Status;

/// Most header lines a checked request may carry. Envoy's own default is 100
/// (`max_request_headers_count`); past this the request is refused (a `HeaderMap` has a hard
/// capacity, and the work per check must stay bounded).
pub(super) const MAX_HEADERS: usize = 1_000;
/// Longest `host` and `path` accepted (Envoy's default header limit is 60 KiB in all).
pub(super) const MAX_TARGET_BYTES: usize = 64 * 1024;

const SCOPES: HeaderName = HeaderName::from_static("x-keyward-scopes");
const PRODUCT: HeaderName = HeaderName::from_static("x-keyward-product");
const COST: HeaderName = HeaderName::from_static("x-keyward-cost");

/// The HTTP request Envoy asks about.
#[derive(Debug)]
pub(super) struct CheckedRequest {
    pub method: Method,
    /// `Host` / `:authority`.
    pub host: String,
    /// The request target as the client sent it: path and the application's query.
    pub path: String,
    /// Lower-case names; Envoy's pseudo-headers (`:path`, …) left out.
    pub headers: HeaderMap,
    /// `attributes.source`: the address of Envoy's downstream peer.
    source: Option<IpAddr>,
}

impl CheckedRequest {
    /// Reads `request`; a message keyward cannot check is `INVALID_ARGUMENT`.
    pub fn read(request: CheckRequest) -> Result<Self, Status> {
        let attributes = request
            .attributes
            .ok_or_else(|| invalid("attributes is required"))?;
        let source = attributes
            .source
            .and_then(|peer| peer.address)
            .and_then(socket_ip);
        let http = attributes
            .request
            .and_then(|request| request.http)
            .ok_or_else(|| {
                invalid("attributes.request.http is required: keyward checks HTTP requests")
            })?;
        let mut headers = headers(&http)?;
        route_settings(&attributes.context_extensions, &mut headers)?;
        let HttpRequest {
            method, host, path, ..
        } = http;
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| invalid("attributes.request.http.method is not an HTTP method"))?;
        if host.len() > MAX_TARGET_BYTES || path.len() > MAX_TARGET_BYTES {
            return Err(invalid("the checked request's host or path is over 64 KiB"));
        }
        Ok(Self {
            method,
            host,
            path,
            headers,
            source,
        })
    }

    /// The client's address: what Envoy reports as its downstream peer when the gRPC peer (Envoy)
    /// is a trusted proxy, else the gRPC peer itself; a trusted Envoy that reports none leaves
    /// it unknown. Like `X-Forwarded-For` on the HTTP door, the client's word is believed only
    /// from a proxy the operator trusts.
    pub fn client_ip(&self, grpc_peer: Option<IpAddr>, trusted: &[IpNet]) -> Option<IpAddr> {
        let peer = grpc_peer?;
        if client_ip::is_trusted(peer, trusted) {
            self.source
        } else {
            Some(peer)
        }
    }
}

fn invalid(message: &'static str) -> Status {
    Status::invalid_argument(message)
}

fn socket_ip(address: Address) -> Option<IpAddr> {
    match address.address? {
        address::Address::SocketAddress(socket) => socket.address.parse().ok(),
        _ => None,
    }
}

/// The request's headers: Envoy's `headers` map, or its `header_map` (sent instead when
/// `encode_raw_headers` is on). Pseudo-headers and names or values HTTP cannot carry are left
/// out; more than [`MAX_HEADERS`] lines is refused.
fn headers(http: &HttpRequest) -> Result<HeaderMap, Status> {
    let raw = http
        .header_map
        .as_ref()
        .map_or(&[][..], |map| &map.headers[..]);
    if http.headers.len() + raw.len() > MAX_HEADERS {
        return Err(invalid("the checked request has more than 1000 headers"));
    }
    let mut headers = HeaderMap::with_capacity(http.headers.len() + raw.len());
    let mut add = |name: &str, value: &[u8]| {
        if name.starts_with(':') {
            return;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    };
    for (name, value) in &http.headers {
        add(name, value.as_bytes());
    }
    for header in raw {
        let value = if header.raw_value.is_empty() {
            header.value.as_bytes()
        } else {
            &header.raw_value[..]
        };
        add(&header.key, value);
    }
    headers.remove(PRODUCT);
    headers.remove(COST);
    Ok(headers)
}

/// The route's requirements from Envoy's `context_extensions`: `scopes` (comma-separated, added
/// to any the request names), `product` (a product id), `cost` (a whole number); the gateway
/// check reads and validates them as it reads a proxy's `X-Keyward-*` headers.
fn route_settings(
    extensions: &HashMap<String, String>,
    headers: &mut HeaderMap,
) -> Result<(), Status> {
    for (key, header) in [("scopes", SCOPES), ("product", PRODUCT), ("cost", COST)] {
        if let Some(value) = extensions.get(key) {
            let value = HeaderValue::from_str(value).map_err(|_| {
                invalid("context_extensions: scopes, product and cost must be visible ASCII")
            })?;
            headers.append(header, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use envoy_types::pb::envoy::config::core::v3::{
        HeaderMap as EnvoyHeaderMap, HeaderValue as EnvoyHeader, SocketAddress,
    };
    use envoy_types::pb::envoy::service::auth::v3::attribute_context::{Peer, Request};
    use envoy_types::pb::envoy::service::auth::v3::AttributeContext;

    fn check(http: HttpRequest, source: Option<&str>) -> CheckRequest {
        let source = source.map(|ip| Peer {
            address: Some(Address {
                address: Some(address::Address::SocketAddress(SocketAddress {
                    address: ip.to_owned(),
                    ..Default::default()
                })),
            }),
            ..Default::default()
        });
        CheckRequest {
            attributes: Some(AttributeContext {
                source,
                request: Some(Request {
                    http: Some(http),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    fn http(headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            host: "shop.example".into(),
            path: "/api/orders?product=x&cost=0".into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn reads_method_target_and_headers_without_pseudo_headers() {
        let request = check(
            http(&[(":path", "/x"), ("x-api-key", "kw_a"), ("bad name", "v")]),
            None,
        );
        let read = CheckedRequest::read(request).expect("valid");
        assert_eq!(read.method, Method::POST);
        assert_eq!(read.host, "shop.example");
        assert_eq!(read.path, "/api/orders?product=x&cost=0");
        assert_eq!(read.headers.len(), 1);
        assert_eq!(read.headers["x-api-key"], "kw_a");
    }

    #[test]
    fn raw_header_map_lines_are_kept_apart() {
        let mut message = http(&[]);
        message.header_map = Some(EnvoyHeaderMap {
            headers: ["a", "b"]
                .into_iter()
                .map(|v| EnvoyHeader {
                    key: "x-keyward-scopes".into(),
                    raw_value: v.as_bytes().to_vec(),
                    ..Default::default()
                })
                .collect(),
        });
        let read = CheckedRequest::read(check(message, None)).expect("valid");
        assert_eq!(read.headers.get_all(SCOPES).iter().count(), 2);
    }

    #[test]
    fn the_client_cannot_name_product_or_cost_but_the_route_can() {
        let mut request = check(
            http(&[
                ("x-keyward-cost", "0"),
                ("x-keyward-product", "p"),
                ("x-keyward-scopes", "a"),
            ]),
            None,
        );
        let extensions = &mut request.attributes.as_mut().expect("set").context_extensions;
        extensions.insert("cost".into(), "5".into());
        extensions.insert("scopes".into(), "b".into());
        let read = CheckedRequest::read(request).expect("valid");
        assert_eq!(read.headers[COST], "5");
        assert!(read.headers.get(PRODUCT).is_none());
        let scopes: Vec<_> = read.headers.get_all(SCOPES).iter().collect();
        assert_eq!(scopes, ["a", "b"]);
    }

    #[test]
    fn absurd_or_incomplete_requests_are_invalid_arguments() {
        let many: Vec<(String, String)> = (0..=MAX_HEADERS)
            .map(|i| (format!("x-h{i}"), "v".to_owned()))
            .collect();
        let mut message = http(&[]);
        message.headers = many.into_iter().collect();
        for request in [
            check(message, None),
            CheckRequest::default(),
            check(
                HttpRequest {
                    method: String::new(),
                    ..http(&[])
                },
                None,
            ),
            check(
                HttpRequest {
                    path: "/".repeat(MAX_TARGET_BYTES + 1),
                    ..http(&[])
                },
                None,
            ),
        ] {
            let status = CheckedRequest::read(request).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::InvalidArgument);
        }
    }

    #[test]
    fn the_source_address_is_believed_only_from_a_trusted_envoy() {
        let read = CheckedRequest::read(check(http(&[]), Some("203.0.113.7"))).expect("valid");
        let envoy: IpAddr = "10.0.0.2".parse().expect("ip");
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        assert_eq!(
            read.client_ip(Some(envoy), &trusted),
            "203.0.113.7".parse().ok()
        );
        assert_eq!(read.client_ip(Some(envoy), &[]), Some(envoy));
        assert_eq!(read.client_ip(None, &trusted), None);
        let silent = CheckedRequest::read(check(http(&[]), None)).expect("valid");
        assert_eq!(silent.client_ip(Some(envoy), &trusted), None);
    }
}
