//! The secret's shape check (run on every verification before anything else) and the
//! `Authorization: Bearer` extraction, on arbitrary bytes.
#![no_main]

use http::{header, HeaderMap, HeaderValue};
use keyward_core::secret::{is_well_formed, SECRET_LEN, SECRET_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if is_well_formed(text) {
            assert_eq!(text.len(), SECRET_LEN);
            assert!(text.starts_with(SECRET_PREFIX));
        }
    }
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        if let Some(token) = keyward_api::extract::bearer_token(&headers) {
            assert!(!token.is_empty());
            let _ = is_well_formed(token);
        }
    }
});
