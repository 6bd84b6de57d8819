//! `GET /docs`: an interactive reference of `/v1/openapi.json`, from RapiDoc (MIT, vendored from
//! npm into `crates/api/assets/rapidoc/` with its licences, see the README there) embedded in the
//! binary: nothing is fetched from elsewhere, at build time or when the page is opened.
//!
//! Both answers carry a Content-Security-Policy that lets the page load only from this server.
//! RapiDoc's components set inline styles, hence `style-src 'unsafe-inline'`; scripts, fonts,
//! images and requests ("try it") stay on this origin.

use axum::http::header;
use axum::response::IntoResponse;

/// Where the script is served; versioned, so a new RapiDoc is a new URL to every cache.
pub const SCRIPT_PATH: &str = "/docs/rapidoc-9.3.8.min.js";

const SCRIPT: &[u8] = include_bytes!("../../assets/rapidoc/rapidoc-min.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keyward API reference</title>
<script type="module" src="/docs/rapidoc-9.3.8.min.js"></script>
</head>
<body>
<rapi-doc spec-url="/v1/openapi.json" render-style="read" show-header="false"
  allow-spec-url-load="false" allow-spec-file-load="false" theme="light"></rapi-doc>
</body>
</html>
"#;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The reference page.
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

/// RapiDoc itself; its URL changes with its version, so it may be cached for good.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        SCRIPT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_the_script_at_its_route() {
        assert!(PAGE.contains(&format!("src=\"{SCRIPT_PATH}\"")));
        assert!(SCRIPT.len() > 100_000, "the vendored script is embedded");
    }
}
