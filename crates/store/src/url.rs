//! Database URLs: which backend a URL names, and how to print one without its password.

use anyhow::bail;

/// The backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// `postgres://…` and `postgresql://…` are PostgreSQL; `sqlite:…` and a bare path are SQLite.
pub(crate) fn backend_of(url: &str) -> anyhow::Result<Backend> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if lower.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if let Some((scheme, _)) = url.split_once("://") {
        bail!("unsupported database URL scheme `{scheme}`: use sqlite:PATH, a file path, or postgres://")
    } else if url.is_empty() {
        bail!("the database URL is empty")
    } else {
        Ok(Backend::Sqlite)
    }
}

/// The URL with any password replaced by `***`, for logs: the password of the user-info part
/// (`postgres://user:***@host/db`) and `password=`/`sslpassword=` query parameters.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) if !scheme.eq_ignore_ascii_case("sqlite") => {
            // The last `@` ends the user info, even when a careless password holds a `/` or `@`.
            match rest.rfind('@') {
                Some(at) => {
                    let (userinfo, host) = rest.split_at(at);
                    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
                    let hidden = if userinfo.contains(':') { ":***" } else { "" };
                    format!("{scheme}://{user}{hidden}{host}")
                }
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if is_password_param(name) => format!("{name}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

fn is_password_param(name: &str) -> bool {
    ["password", "sslpassword", "pass", "pwd"]
        .iter()
        .any(|p| name.eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_from_schemes() {
        assert_eq!(backend_of("postgres://h/db").ok(), Some(Backend::Postgres));
        assert_eq!(
            backend_of("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(backend_of("sqlite:keyward.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(
            backend_of("/var/lib/keyward/keyward.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(backend_of("keyward.db").ok(), Some(Backend::Sqlite));
        assert!(backend_of("mysql://h/db").is_err());
        assert!(backend_of("").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://keyward:s3cret@db:5432/keyward"),
            "postgres://keyward:***@db:5432/keyward"
        );
        assert_eq!(
            redact_url("postgresql://u:p%40ss/w@db/k?sslmode=require&password=x"),
            "postgresql://u:***@db/k?sslmode=require&password=***"
        );
        assert_eq!(redact_url("postgres://u@db/k"), "postgres://u@db/k");
        assert_eq!(redact_url("postgres://db/k"), "postgres://db/k");
        assert_eq!(
            redact_url("sqlite:///var/lib/k.db?mode=rwc"),
            "sqlite:///var/lib/k.db?mode=rwc"
        );
        assert_eq!(redact_url("/var/lib/k.db"), "/var/lib/k.db");
    }
}

/// `url` with its database (the path) replaced by `name`, keeping user, host and parameters.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod with_database_tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t1"),
            "postgresql://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
    }
}
