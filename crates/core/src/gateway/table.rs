//! [`RouteTable`]: the configured route policies, in order, and the one question the gateway
//! verifier asks of them — which route, if any, covers this original request.

use std::fmt;

use super::path::{PathRefusal, RequestPath};
use super::route::{Route, RouteSpec};

/// Most routes a table holds: each request may try every one.
pub const ROUTES_MAX: usize = 1000;

/// The original request as the gateway reports it (see `docs/gateways.md`).
#[derive(Debug, Clone, Copy)]
pub struct OriginalRequest<'a> {
    /// As sent (methods are case-sensitive).
    pub method: &'a str,
    /// `host[:port]`; `None` when no one named it (a route with a `host` then does not match).
    pub host: Option<&'a str>,
    /// The path, maybe with `?query`; `None` when the gateway did not say (no route matches).
    pub uri: Option<&'a str>,
}

/// The route policies, first match wins. Empty by default, and then costs nothing per request.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// A route that cannot be used, named by its place in the file and its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RouteError {
    /// The route's index in the list, from 0; `None` when the list itself is refused.
    pub index: Option<usize>,
    pub path: String,
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(
                f,
                "gateway.routes[{index}] (path {:?}): {}: {}",
                self.path, self.field, self.reason
            ),
            None => write!(f, "gateway.routes: {}", self.reason),
        }
    }
}

impl RouteTable {
    /// Checks every route; the first bad one is the error.
    pub fn parse(specs: &[RouteSpec]) -> Result<Self, RouteError> {
        if specs.len() > ROUTES_MAX {
            return Err(RouteError {
                index: None,
                path: String::new(),
                field: "routes",
                reason: format!("at most {ROUTES_MAX} routes (got {})", specs.len()),
            });
        }
        let routes = specs
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                Route::parse(spec).map_err(|(field, reason)| RouteError {
                    index: Some(index),
                    path: spec.path.clone(),
                    field,
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { routes })
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// The first route covering `request`; `None` when none does or the path is unknown. A path
    /// that could be read two ways is refused before any route is tried, whatever the routes.
    pub fn find(&self, request: &OriginalRequest<'_>) -> Result<Option<&Route>, PathRefusal> {
        let Some(uri) = request.uri else {
            return Ok(None);
        };
        let path = RequestPath::parse(uri)?;
        Ok(self
            .routes
            .iter()
            .find(|route| route.matches(request.method, request.host, &path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A route as the tests write it: path, methods, host, public.
    type Row<'a> = (&'a str, Option<&'a [&'a str]>, Option<&'a str>, bool);

    fn table(toml_like: &[Row<'_>]) -> RouteTable {
        let specs: Vec<RouteSpec> = toml_like
            .iter()
            .map(|(path, methods, host, public)| RouteSpec {
                path: (*path).into(),
                methods: methods.map(|m| m.iter().map(|s| (*s).to_owned()).collect()),
                host: host.map(str::to_owned),
                public: *public,
                ..RouteSpec::default()
            })
            .collect();
        RouteTable::parse(&specs).expect("valid routes")
    }

    fn found<'t>(
        table: &'t RouteTable,
        method: &str,
        host: Option<&str>,
        uri: &str,
    ) -> Option<&'t str> {
        let request = OriginalRequest {
            method,
            host,
            uri: Some(uri),
        };
        table.find(&request).expect("a plain path").map(Route::path)
    }

    #[test]
    fn the_first_matching_route_wins() {
        let routes = table(&[
            ("/billing/**", Some(&["POST", "PUT"]), None, false),
            ("/billing/**", None, Some("*.internal.example"), true),
            ("/**", Some(&["OPTIONS"]), None, true),
        ]);
        assert_eq!(
            found(&routes, "POST", None, "/billing/x"),
            Some("/billing/**")
        );
        assert_eq!(found(&routes, "GET", None, "/billing/x"), None);
        let internal = found(&routes, "GET", Some("a.internal.example:80"), "/billing");
        assert_eq!(internal, Some("/billing/**"));
        let public = routes
            .find(&OriginalRequest {
                method: "GET",
                host: Some("a.internal.example"),
                uri: Some("/billing"),
            })
            .expect("plain")
            .expect("found");
        assert!(public.is_public());
        assert_eq!(found(&routes, "OPTIONS", None, "/x?y"), Some("/**"));
        assert_eq!(found(&routes, "GET", None, "/x"), None);
    }

    #[test]
    fn an_unknown_path_matches_nothing_and_an_ambiguous_one_is_refused() {
        let routes = table(&[("/**", None, None, true)]);
        let unknown = OriginalRequest {
            method: "GET",
            host: None,
            uri: None,
        };
        assert!(routes.find(&unknown).expect("no path").is_none());
        let dotted = OriginalRequest {
            uri: Some("/a/../b"),
            ..unknown
        };
        assert_eq!(routes.find(&dotted).err(), Some(PathRefusal::DotSegment));
    }

    #[test]
    fn errors_name_the_route_and_the_field() {
        let specs = vec![
            RouteSpec {
                path: "/ok".into(),
                ..RouteSpec::default()
            },
            RouteSpec {
                path: "/billing/**".into(),
                methods: Some(vec!["FETCH".into()]),
                ..RouteSpec::default()
            },
        ];
        let error = RouteTable::parse(&specs).expect_err("bad method");
        assert_eq!(error.index, Some(1));
        let text = error.to_string();
        assert!(
            text.starts_with("gateway.routes[1] (path \"/billing/**\"): methods: `FETCH`"),
            "{text}"
        );
        let many = vec![specs[0].clone(); ROUTES_MAX + 1];
        let error = RouteTable::parse(&many).expect_err("too many");
        assert!(error.to_string().contains("at most 1000 routes"), "{error}");
        assert!(RouteTable::parse(&[]).expect("empty").is_empty());
    }
}
