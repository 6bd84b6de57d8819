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
            url: keyward_store::with_database(server_url, &name),
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
