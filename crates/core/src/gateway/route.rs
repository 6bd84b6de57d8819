//! One route policy: what it matches (host, methods, path) and what it asks of the key (scopes,
//! product, cost) or that it asks nothing (`public`). [`RouteSpec`] is the operator's text as the
//! configuration file holds it; [`Route::parse`] is the only way to a [`Route`].

use serde::Deserialize;

use super::path::PathPattern;
use crate::ids::ProductId;
use crate::model::text::TokenSet;
use crate::usage::limits::AMOUNT_MAX;

/// Longest host pattern, in bytes (a DNS name's limit).
pub const HOST_MAX: usize = 253;

/// A route as written in the configuration (`[[gateway.routes]]`), not yet checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// `api.example.com` or `*.example.com`; absent: any host.
    pub host: Option<String>,
    /// HTTP methods (`GET`, `POST`, …); absent: any method.
    pub methods: Option<Vec<String>>,
    /// The path pattern: `/billing/**`, `/users/*/orders`.
    pub path: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A product id (UUID) the key must be subscribed to.
    pub product: Option<String>,
    pub cost: Option<u64>,
    #[serde(default)]
    pub public: bool,
}

/// A checked route policy.
#[derive(Debug, Clone)]
pub struct Route {
    host: Option<HostPattern>,
    methods: MethodSet,
    path: PathPattern,
    scopes: Vec<String>,
    product: Option<ProductId>,
    cost: Option<u64>,
    public: bool,
}

/// What is wrong with one field of a route: the field's name and why.
pub(crate) type FieldError = (&'static str, String);

impl Route {
    /// Checks every field of `spec`; the error names the field and says why.
    pub(crate) fn parse(spec: &RouteSpec) -> Result<Self, FieldError> {
        let path = PathPattern::parse(&spec.path).map_err(|e| ("path", e))?;
        let host = spec
            .host
            .as_deref()
            .map(HostPattern::parse)
            .transpose()
            .map_err(|e| ("host", e))?;
        let methods = match &spec.methods {
            None => MethodSet::ANY,
            Some(names) => MethodSet::parse(names).map_err(|e| ("methods", e))?,
        };
        let scopes = TokenSet::parse("scopes", spec.scopes.iter().cloned())
            .map_err(|e| ("scopes", e.reason.into_owned()))?
            .to_strings();
        let product = spec
            .product
            .as_deref()
            .map(ProductId::parse)
            .transpose()
            .map_err(|e| ("product", e.reason.into_owned()))?;
        if spec.cost.is_some_and(|cost| cost > AMOUNT_MAX) {
            return Err(("cost", format!("must be from 0 to {AMOUNT_MAX}")));
        }
        if spec.public {
            check_public(spec)?;
        }
        Ok(Self {
            host,
            methods,
            path,
            scopes,
            product,
            cost: spec.cost,
            public: spec.public,
        })
    }

    /// Whether this route covers a request.
    pub(crate) fn matches(
        &self,
        method: &str,
        host: Option<&str>,
        path: &super::path::RequestPath<'_>,
    ) -> bool {
        self.methods.contains(method)
            && self
                .host
                .as_ref()
                .is_none_or(|pattern| host.is_some_and(|h| pattern.matches(h)))
            && self.path.matches(path)
    }

    /// The path pattern as written (for logs and messages).
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// Scopes the key needs on this route, beside those the request names.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The product, when the request names none.
    pub fn product(&self) -> Option<ProductId> {
        self.product
    }

    /// The cost, when the request names none.
    pub fn cost(&self) -> Option<u64> {
        self.cost
    }

    /// No key is looked at: the request passes, with no identity.
    pub fn is_public(&self) -> bool {
        self.public
    }
}

/// A public route checks no key, so anything it would ask of one is a mistake in the file.
fn check_public(spec: &RouteSpec) -> Result<(), FieldError> {
    let asks = [
        ("scopes", !spec.scopes.is_empty()),
        ("product", spec.product.is_some()),
        ("cost", spec.cost.is_some()),
    ];
    match asks.iter().find(|(_, asked)| *asked) {
        Some((field, _)) => Err((
            field,
            "a public route looks at no key, so it cannot ask for one (remove it or `public`)"
                .into(),
        )),
        None => Ok(()),
    }
}

/// `api.example.com` (that host) or `*.example.com` (any host under it, not the name itself);
/// compared without the request's port, ignoring ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// The suffix with its leading dot: `.example.com`.
    Under(String),
}

impl HostPattern {
    fn parse(text: &str) -> Result<Self, String> {
        let (under, name) = match text.strip_prefix("*.") {
            Some(name) => (true, name),
            None => (false, text),
        };
        if name.is_empty() || name.len() > HOST_MAX {
            return Err(format!("must be a host name of 1 to {HOST_MAX} bytes"));
        }
        let valid_labels = name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !valid_labels {
            return Err(
                "must be a host name (`api.example.com`, no port) or `*.` and one (`*.example.com`)"
                    .into(),
            );
        }
        let name = name.to_ascii_lowercase();
        Ok(if under {
            Self::Under(format!(".{name}"))
        } else {
            Self::Exact(name)
        })
    }

    fn matches(&self, host: &str) -> bool {
        let host = host_name(host);
        match self {
            Self::Exact(name) => host.eq_ignore_ascii_case(name),
            Self::Under(suffix) => {
                host.len() > suffix.len()
                    && host.is_char_boundary(host.len() - suffix.len())
                    && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            }
        }
    }
}

/// `host[:port]` without the port and a final dot; `[::1]:80` keeps its brackets.
pub(crate) fn host_name(host: &str) -> &str {
    let host = host.trim();
    let name = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.strip_suffix('.').unwrap_or(name)
}

/// A set of HTTP methods, one bit each; any other method matches only a route naming none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MethodSet(u16);

const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

impl MethodSet {
    const ANY: Self = Self(u16::MAX);

    fn parse(names: &[String]) -> Result<Self, String> {
        if names.is_empty() {
            return Err("must name at least one method (leave it out for any)".into());
        }
        let mut bits = 0;
        for name in names {
            let Some(bit) = method_bit(&name.to_ascii_uppercase()) else {
                return Err(format!(
                    "`{}` is not one of {}",
                    name.escape_default(),
                    METHODS.join(", ")
                ));
            };
            bits |= bit;
        }
        Ok(Self(bits))
    }

    /// Methods are case-sensitive (RFC 9110): `get` is not `GET`.
    fn contains(self, method: &str) -> bool {
        self == Self::ANY || method_bit(method).is_some_and(|bit| self.0 & bit != 0)
    }
}

fn method_bit(method: &str) -> Option<u16> {
    METHODS.iter().position(|m| *m == method).map(|i| 1 << i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str) -> RouteSpec {
        RouteSpec {
            path: path.into(),
            ..RouteSpec::default()
        }
    }

    #[test]
    fn host_patterns_match_a_name_or_the_names_under_it() {
        let exact = HostPattern::parse("API.example.com").expect("valid");
        assert!(exact.matches("api.example.com"));
        assert!(exact.matches("Api.Example.Com:8443"));
        assert!(exact.matches("api.example.com."));
        assert!(!exact.matches("x.api.example.com"));
        let under = HostPattern::parse("*.example.com").expect("valid");
        assert!(under.matches("a.example.com"));
        assert!(under.matches("a.b.example.com:80"));
        assert!(!under.matches("example.com"));
        assert!(!under.matches("badexample.com"));
        for bad in ["", "*.", "a..b", "a.com:80", "a b", "*.*.a", "é.com", "a/b"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(host_name("[::1]:8080"), "[::1]");
    }

    #[test]
    fn methods_are_a_set_of_the_standard_ones() {
        let set = MethodSet::parse(&["post".into(), "PUT".into()]).expect("valid");
        assert!(set.contains("POST") && set.contains("PUT"));
        assert!(!set.contains("GET") && !set.contains("post") && !set.contains("BREW"));
        assert!(MethodSet::ANY.contains("BREW"));
        assert!(MethodSet::parse(&[]).is_err());
        let error = MethodSet::parse(&["BREW".into()]).expect_err("unknown");
        assert!(error.contains("`BREW` is not one of GET"), "{error}");
    }

    #[test]
    fn each_field_is_checked_and_named() {
        let cases = [
            (
                RouteSpec {
                    host: Some("a b".into()),
                    ..spec("/a")
                },
                "host",
            ),
            (
                RouteSpec {
                    methods: Some(vec![]),
                    ..spec("/a")
                },
                "methods",
            ),
            (spec("a"), "path"),
            (
                RouteSpec {
                    scopes: vec!["a b".into()],
                    ..spec("/a")
                },
                "scopes",
            ),
            (
                RouteSpec {
                    product: Some("nope".into()),
                    ..spec("/a")
                },
                "product",
            ),
            (
                RouteSpec {
                    cost: Some(AMOUNT_MAX + 1),
                    ..spec("/a")
                },
                "cost",
            ),
            (
                RouteSpec {
                    public: true,
                    scopes: vec!["x".into()],
                    ..spec("/a")
                },
                "scopes",
            ),
        ];
        for (spec, field) in cases {
            let (got, reason) = Route::parse(&spec).expect_err(field);
            assert_eq!(got, field, "{reason}");
        }
        let product = ProductId::new();
        let route = Route::parse(&RouteSpec {
            scopes: vec!["billing:write".into()],
            product: Some(product.to_string()),
            cost: Some(5),
            ..spec("/billing/**")
        })
        .expect("valid");
        assert_eq!(route.scopes(), ["billing:write"]);
        assert_eq!(route.product(), Some(product));
        assert_eq!(route.cost(), Some(5));
        assert!(!route.is_public());
    }
}
