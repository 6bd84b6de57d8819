//! A scratch PostgreSQL database for one run: created fresh, dropped at the end whatever happened.

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection};

/// A database `keyward_bench_<uuid>` on the server a URL names.
#[derive(Debug)]
pub struct ScratchDatabase {
    server_url: String,
    name: String,
    /// The scratch database's own URL: the server URL with its database replaced.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates the database through `server_url` (any database on the server, e.g. `…/postgres`).
    pub async fn create(server_url: &str) -> anyhow::Result<Self> {
        let name = format!("keyward_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(server_url).await.with_context(|| {
            format!(
                "cannot connect to {}",
                keyward_store::redact_url(server_url)
            )
        })?;
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let _ = admin.close().await;
        Ok(Self {
            url: with_database(server_url, &name),
            server_url: server_url.to_owned(),
            name,
        })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.server_url).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name).as_str())
            .await
            .with_context(|| format!("cannot drop database {}", self.name))?;
        let _ = admin.close().await;
        Ok(())
    }
}

/// `url` with its database (the path) replaced by `name`, keeping user, host and parameters.
fn with_database(url: &str, name: &str) -> String {
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
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "b1"),
            "postgres://postgres@127.0.0.1:5432/b1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "b1"),
            "postgresql://u:p@h/b1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "b1"),
            "postgres://h:5432/b1"
        );
    }
}
