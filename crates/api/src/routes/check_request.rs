//! What a verification is asked, read alike by its two doors: `POST /v1/keys/verify` (a JSON
//! body, `verify.rs`) and the gateway check `/v1/auth` (query string and headers, `gateway/`).
//! The longest key either looks at and where a gateway check names its product live here, once.

use axum::http::{HeaderMap, HeaderName};
use keyward_core::ids::ProductId;

use crate::error::ApiError;

/// Longest key looked at; anything longer is `MALFORMED` without further work (no hashing, no
/// cache lookup), at both doors.
pub const MAX_KEY_BYTES: usize = 512;

/// Whether `key` is too long to be worth verifying (see [`MAX_KEY_BYTES`]).
pub(crate) fn is_oversized(key: &str) -> bool {
    key.len() > MAX_KEY_BYTES
}

/// The value of query parameter `name`, else of `header` (trimmed): how a gateway check names
/// what it asks. Parses the query only when it can hold `name`.
fn query_or_header(
    query: Option<&str>,
    name: &str,
    headers: &HeaderMap,
    header: &HeaderName,
) -> Option<String> {
    let from_query = query.filter(|q| q.contains(name)).and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    });
    from_query.or_else(|| {
        headers
            .get(header)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    })
}

/// The header a proxy may name a request's cost with, instead of `?cost=`.
const COST_HEADER: HeaderName = HeaderName::from_static("x-keyward-cost");

/// A request's cost: 1 when not given; at most the largest limit.
pub(crate) fn cost(given: Option<u64>) -> Result<u64, &'static str> {
    match given {
        None => Ok(1),
        Some(cost) if cost <= keyward_core::usage::limits::AMOUNT_MAX => Ok(cost),
        Some(_) => Err("must be an integer from 0 to 1000000000000"),
    }
}

/// The cost a gateway check names: `?cost=<n>`, else `X-Keyward-Cost: <n>`, else `None` (a
/// route's cost, else 1). Anything but a whole number from 0 to 10^12 is `INVALID_QUERY`.
pub(crate) fn named_cost(
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<u64>, ApiError> {
    let text = query_or_header(query, "cost", headers, &COST_HEADER);
    let invalid = |reason| ApiError::invalid_query("cost", reason);
    let given = text
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| invalid("must be an integer from 0 to 1000000000000"))
        })
        .transpose()?;
    cost(given).map_err(invalid)?;
    Ok(given)
}

/// The header a proxy may name the product with, instead of `?product=`.
const PRODUCT_HEADER: HeaderName = HeaderName::from_static("x-keyward-product");

/// The product a gateway check is for: `?product=<id>`, else `X-Keyward-Product: <id>`.
/// A value that is not a UUID is `INVALID_QUERY`.
pub(crate) fn requested_product(
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<ProductId>, ApiError> {
    let text = query_or_header(query, "product", headers, &PRODUCT_HEADER);
    text.map(|t| {
        ProductId::parse(&t).map_err(|_| ApiError::invalid_query("product", "must be a UUID"))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::ErrorCode;

    #[test]
    fn keys_longer_than_the_limit_are_oversized() {
        assert!(!is_oversized(&"k".repeat(MAX_KEY_BYTES)));
        assert!(is_oversized(&"k".repeat(MAX_KEY_BYTES + 1)));
    }

    #[test]
    fn the_product_comes_from_the_query_before_the_header() {
        let a = ProductId::new();
        let b = ProductId::new();
        let mut headers = HeaderMap::new();
        assert_eq!(requested_product(None, &headers), Ok(None));
        let header = HeaderValue::from_str(&format!(" {b} ")).expect("ascii");
        headers.insert(PRODUCT_HEADER, header);
        assert_eq!(requested_product(None, &headers), Ok(Some(b)));
        let query = format!("scopes=x&product={a}");
        assert_eq!(requested_product(Some(&query), &headers), Ok(Some(a)));
        let refused = requested_product(Some("product=nope"), &headers).expect_err("refused");
        assert_eq!(refused.code(), ErrorCode::InvalidQuery);
        assert_eq!(refused.field(), Some("product"));
    }
}
