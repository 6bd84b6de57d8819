//! What a verification is asked, read alike by its two doors: `POST /v1/keys/verify` (a JSON
//! body, `verify.rs`) and the gateway check `/v1/auth` (query string and headers, `gateway.rs`).
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

/// The header a proxy may name the product with, instead of `?product=`.
const PRODUCT_HEADER: HeaderName = HeaderName::from_static("x-keyward-product");

/// The product a gateway check is for: `?product=<id>`, else `X-Keyward-Product: <id>`.
/// A value that is not a UUID is `INVALID_QUERY`.
pub(crate) fn requested_product(
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<ProductId>, ApiError> {
    let from_query = query.filter(|q| q.contains("product=")).and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "product")
            .map(|(_, value)| value.into_owned())
    });
    let text = match from_query {
        Some(text) => Some(text),
        None => headers
            .get(PRODUCT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned()),
    };
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
