//! What a gateway check asks of the key: the scopes it needs, the product it is for, what it
//! costs. keyward's own query (`?scopes=`, `?product=`, `?cost=`) is read only on the exact path
//! `/v1/auth`; the headers (`X-Keyward-Scopes`, `-Product`, `-Cost`) always; and then the matched
//! route policy adds its scopes and supplies a product and cost the request did not name.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderName};
use keyward_core::gateway::Route;
use keyward_core::ids::ProductId;
use keyward_core::model::text::LIST_MAX;

use crate::error::ApiError;
use crate::routes::check_request;

const SCOPES: HeaderName = HeaderName::from_static("x-keyward-scopes");

/// What one check asks.
#[derive(Debug)]
pub(super) struct Asked<'r> {
    /// Borrowed from the route when the request names no scopes itself: no allocation.
    pub scopes: Cow<'r, [String]>,
    pub product: Option<ProductId>,
    pub cost: u64,
}

impl<'r> Asked<'r> {
    /// From `own_query` (`None` under a sub-path), the headers, and the matched `route`.
    pub fn read(
        own_query: Option<&str>,
        headers: &HeaderMap,
        route: Option<&'r Route>,
    ) -> Result<Self, ApiError> {
        let mut scopes: Cow<'r, [String]> = Cow::Owned(required_scopes(own_query, headers)?);
        let mut product = check_request::requested_product(own_query, headers)?;
        let mut cost = check_request::named_cost(own_query, headers)?;
        if let Some(route) = route {
            if scopes.is_empty() {
                scopes = Cow::Borrowed(route.scopes());
            } else {
                for scope in route.scopes() {
                    if !scopes.contains(scope) {
                        scopes.to_mut().push(scope.clone());
                    }
                }
            }
            product = product.or(route.product());
            cost = cost.or(route.cost());
        }
        let cost = check_request::cost(cost).map_err(|e| ApiError::invalid_query("cost", e))?;
        Ok(Self {
            scopes,
            product,
            cost,
        })
    }
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

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
    fn a_route_adds_scopes_and_fills_in_product_and_cost() {
        use keyward_core::gateway::{OriginalRequest, RouteSpec, RouteTable};
        let product = ProductId::new();
        let table = RouteTable::parse(&[RouteSpec {
            path: "/**".into(),
            scopes: vec!["r".into(), "b".into()],
            product: Some(product.to_string()),
            cost: Some(7),
            ..RouteSpec::default()
        }])
        .expect("valid");
        let original = OriginalRequest {
            method: "GET",
            host: None,
            uri: Some("/x"),
        };
        let route = table.find(&original).expect("plain").expect("matched");

        let bare = Asked::read(None, &HeaderMap::new(), Some(route)).expect("ok");
        assert!(matches!(bare.scopes, Cow::Borrowed(_)), "no allocation");
        assert_eq!(&*bare.scopes, ["r", "b"]);
        assert_eq!((bare.product, bare.cost), (Some(product), 7));

        let other = ProductId::new();
        let query = format!("scopes=a,b&product={other}&cost=2");
        let named = Asked::read(Some(&query), &HeaderMap::new(), Some(route)).expect("ok");
        assert_eq!(&*named.scopes, ["a", "b", "r"]);
        assert_eq!((named.product, named.cost), (Some(other), 2));

        let none = Asked::read(None, &HeaderMap::new(), None).expect("ok");
        assert!(none.scopes.is_empty());
        assert_eq!((none.product, none.cost), (None, 1));
    }
}
