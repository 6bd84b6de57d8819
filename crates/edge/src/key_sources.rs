//! Where a gateway check may find the key, in order: [`KeySources`]. Shared by every gateway door
//! (`/v1/auth` and Envoy's gRPC `Check`), so a key presented one way is accepted alike at each.
//!
//! The default list is the ways keyward's clients already send a key: `Authorization: Bearer`,
//! `Authorization: Api-Key` (Yandex Cloud), `X-API-Key`, `x-ncp-apigw-api-key` (NCP API
//! Gateway). A query parameter is read only when the operator names one: keys in URLs end up in
//! access logs, browser histories and `Referer` headers (OWASP REST Security Cheat Sheet).

use std::borrow::Cow;

use axum::http::{header, HeaderMap, HeaderName};

/// Most entries a list may hold.
pub const SOURCES_MAX: usize = 16;
/// Longest query parameter name.
pub const PARAMETER_MAX: usize = 64;

/// One place a key may be presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `Authorization: Bearer <key>` (scheme case-insensitive). Written `bearer`.
    Bearer,
    /// `Authorization: Api-Key <key>`, as Yandex Cloud clients send it. Written `api-key`.
    ApiKey,
    /// The whole value of a header (trimmed). Written `header:<name>`.
    Header(HeaderName),
}

impl KeySource {
    /// `bearer`, `api-key` or `header:<name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "bearer" => return Ok(Self::Bearer),
            "api-key" => return Ok(Self::ApiKey),
            _ => {}
        }
        let Some(name) = text.strip_prefix("header:") else {
            return Err(format!(
                "`{}` is not `bearer`, `api-key` or `header:<name>`",
                text.escape_default()
            ));
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{}` is not a header name", name.escape_default()))?;
        if name == header::AUTHORIZATION {
            return Err(
                "`header:authorization` would read the scheme too: use `bearer` or `api-key`"
                    .into(),
            );
        }
        Ok(Self::Header(name))
    }

    /// The header this source reads.
    pub fn header(&self) -> HeaderName {
        match self {
            Self::Bearer | Self::ApiKey => header::AUTHORIZATION,
            Self::Header(name) => name.clone(),
        }
    }

    fn read<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        match self {
            Self::Bearer => authorization(headers, "bearer"),
            Self::ApiKey => authorization(headers, "api-key"),
            Self::Header(name) => {
                let value = headers.get(name)?.to_str().ok()?.trim();
                (!value.is_empty()).then_some(value)
            }
        }
    }
}

/// The credentials of `Authorization: <scheme> <credentials>` (scheme case-insensitive).
pub fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.trim_start().split_once(' ')?;
    let credentials = credentials.trim();
    (given.eq_ignore_ascii_case(scheme) && !credentials.is_empty()).then_some(credentials)
}

/// The places a key may come from, tried in order; the first that holds one is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySources {
    headers: Vec<KeySource>,
    query_parameter: Option<String>,
}

impl Default for KeySources {
    fn default() -> Self {
        Self {
            headers: vec![
                KeySource::Bearer,
                KeySource::ApiKey,
                KeySource::Header(HeaderName::from_static("x-api-key")),
                KeySource::Header(HeaderName::from_static("x-ncp-apigw-api-key")),
            ],
            query_parameter: None,
        }
    }
}

impl KeySources {
    /// The configuration's `key_sources` (each `bearer`, `api-key` or `header:<name>`) and
    /// `query_parameter`. The error names the entry and says why.
    pub fn parse(texts: &[String], query_parameter: Option<&str>) -> Result<Self, String> {
        if texts.len() > SOURCES_MAX {
            return Err(format!("key_sources: at most {SOURCES_MAX} entries"));
        }
        let mut headers = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let source = KeySource::parse(text).map_err(|e| format!("key_sources[{i}]: {e}"))?;
            if headers.contains(&source) {
                return Err(format!("key_sources[{i}]: `{text}` is listed twice"));
            }
            headers.push(source);
        }
        if let Some(name) = query_parameter {
            let valid = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if name.is_empty() || name.len() > PARAMETER_MAX || !valid {
                return Err(format!(
                    "query_parameter: must be 1 to {PARAMETER_MAX} letters, digits, `-`, `_` or `.`"
                ));
            }
        }
        if headers.is_empty() && query_parameter.is_none() {
            return Err(
                "key_sources: must name at least one place (no key could ever be presented)".into(),
            );
        }
        Ok(Self {
            headers,
            query_parameter: query_parameter.map(str::to_owned),
        })
    }

    /// The key in the first header source that holds one. Allocates nothing.
    pub fn from_headers<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        self.headers.iter().find_map(|source| source.read(headers))
    }

    /// The header the key came in (that of the first source holding one): what a door that can
    /// keep the secret from the application removes upstream (Envoy's gRPC `Check`).
    pub fn header_of(&self, headers: &HeaderMap) -> Option<HeaderName> {
        self.headers
            .iter()
            .find(|source| source.read(headers).is_some())
            .map(KeySource::header)
    }

    /// The query parameter keys may come in, when the operator enabled one.
    pub fn query_parameter(&self) -> Option<&str> {
        self.query_parameter.as_deref()
    }

    /// The key in `query` (the original request's), when a query parameter is enabled.
    pub fn from_query<'q>(&self, query: Option<&'q str>) -> Option<Cow<'q, str>> {
        let name = self.query_parameter.as_deref()?;
        let query = query.filter(|q| q.contains(name))?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| match value {
                Cow::Borrowed(value) => Cow::Borrowed(value.trim()),
                Cow::Owned(value) => Cow::Owned(value.trim().to_owned()),
            })
    }

    /// The header sources, in order (for documents and logs).
    pub fn headers(&self) -> &[KeySource] {
        &self.headers
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_default_reads_the_four_vendor_ways_in_order() {
        let sources = KeySources::default();
        for (pairs, expected) in [
            (vec![("authorization", "Bearer kw_a")], Some("kw_a")),
            (vec![("authorization", "api-key  kw_b ")], Some("kw_b")),
            (vec![("x-api-key", " kw_c ")], Some("kw_c")),
            (vec![("x-ncp-apigw-api-key", "kw_d")], Some("kw_d")),
            (
                vec![("authorization", "Basic a2V5"), ("x-api-key", "kw_e")],
                Some("kw_e"),
            ),
            (
                vec![("authorization", "Bearer kw_f"), ("x-api-key", "kw_g")],
                Some("kw_f"),
            ),
            (vec![("authorization", "Bearer "), ("x-api-key", "")], None),
            (vec![], None),
        ] {
            assert_eq!(sources.from_headers(&with(&pairs)), expected, "{pairs:?}");
        }
        assert_eq!(
            sources.from_query(Some("api_key=kw_h")),
            None,
            "off by default"
        );
    }

    #[test]
    fn a_configured_list_reads_only_its_places() {
        let sources = KeySources::parse(&["header:X-Token".into()], Some("key")).expect("valid");
        assert_eq!(
            sources.from_headers(&with(&[("x-token", "kw_a")])),
            Some("kw_a")
        );
        let bearer = with(&[("authorization", "Bearer kw_b")]);
        assert_eq!(sources.from_headers(&bearer), None);
        assert_eq!(
            sources.from_query(Some("a=1&key=kw%5Fc")).as_deref(),
            Some("kw_c")
        );
        assert_eq!(sources.from_query(Some("keys=kw_c")), None);
        assert_eq!(sources.from_query(None), None);
    }

    #[test]
    fn bad_lists_say_which_entry_and_why() {
        let parse = |texts: &[&str], query: Option<&str>| {
            let texts: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
            KeySources::parse(&texts, query).expect_err("refused")
        };
        assert!(parse(&["basic"], None).starts_with("key_sources[0]: `basic` is not"));
        assert!(parse(&["bearer", "header:a b"], None)
            .starts_with("key_sources[1]: `a b` is not a header"));
        assert!(parse(&["header:Authorization"], None).contains("use `bearer`"));
        assert!(parse(&["bearer", "bearer"], None).contains("listed twice"));
        assert!(parse(&[], None).contains("at least one"));
        assert!(parse(&["bearer"], Some("a&b")).starts_with("query_parameter"));
        assert!(KeySources::parse(&[], Some("api_key")).is_ok());
    }
}
