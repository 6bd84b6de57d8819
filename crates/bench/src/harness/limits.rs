//! The usage-control scenarios (issue 14): `GET /v1/auth` with valid keys that each carry a rate
//! limit high enough never to refuse, counted in the node's memory (`local`) or in Redis
//! (`exact`), compared with the same request on keys without limits.
//!
//! The kept secrets are split three ways, interleaved over the fixture ([`split`]): plain keys
//! (no limits: `GET /v1/auth, valid keys` and `POST /v1/keys/verify` use them), `local` keys and
//! `exact` keys. The limits are written into the run's copy of the database ([`set_limits`]), so
//! the cached fixture stays as it is. The `exact` keys are served by a second keyward started
//! with `--redis-url` on its own copy; without an answering Redis that scenario is skipped.
//!
//! A scenario that silently measured nothing would be worse than none, so the harness checks
//! what was charged: each kind of key answers with `RateLimit-*` headers and a plain key without
//! ([`rate_limit_headers`]), and Redis ran the exact script at least once per answered request
//! (`INFO commandstats`, [`RedisProbe`]).

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context as _};
use keyward_core::usage::{LimitMode, Limits};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, SqliteConnection};
use uuid::Uuid;

use crate::fixture::Fixture;

/// The scenario on the node's in-memory limiter.
pub const LOCAL_LIMIT: &str = "GET /v1/auth, local rate limit";
/// The scenario on Redis `exact` counters.
pub const EXACT_LIMIT: &str = "GET /v1/auth, Redis exact limit";

/// The rate limit every limited key carries: a billion a second, never refusing under this load.
const LIMIT: u64 = 1_000_000_000;
/// Rows per `UPDATE` (SQLite allows 32,766 parameters).
const UPDATE_CHUNK: usize = 500;

/// Some kept keys: `secrets[i]` belongs to `key_ids[i]`.
#[derive(Debug, Default)]
pub struct Subset {
    pub secrets: Vec<String>,
    pub key_ids: Vec<Uuid>,
}

/// The kept keys split into disjoint thirds, interleaved: plain, `local`, `exact`.
pub fn split(fixture: &Fixture) -> [Subset; 3] {
    let mut parts: [Subset; 3] = Default::default();
    for (i, (secret, id)) in fixture.secrets.iter().zip(&fixture.key_ids).enumerate() {
        let part = &mut parts[i % 3];
        part.secrets.push(secret.clone());
        part.key_ids.push(*id);
    }
    parts
}

/// The stored limits document of a limited key in `mode`.
pub fn limits_document(mode: LimitMode) -> anyhow::Result<String> {
    let document = serde_json::json!({
        "rate_limits": [{
            "name": "bench",
            "limit": LIMIT,
            "period": "1s",
            "burst": LIMIT,
            "mode": mode.as_str(),
        }]
    });
    // The store reads a document it cannot parse as no limits at all: check it reads back.
    let limits = Limits::from_stored(document.clone());
    ensure!(
        !limits.is_empty() && limits.rate_limits[0].mode == Some(mode),
        "the bench limits document does not read back: {document}"
    );
    Ok(document.to_string())
}

/// Gives `key_ids` the bench rate limit in `mode`, in the database at `db` (no server may be
/// running on it). Fails unless every key was updated.
pub async fn set_limits(db: &Path, key_ids: &[Uuid], mode: LimitMode) -> anyhow::Result<()> {
    let document = limits_document(mode)?;
    let options = SqliteConnectOptions::new().filename(db);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let mut tx = conn.begin().await?;
    let mut updated = 0;
    for chunk in key_ids.chunks(UPDATE_CHUNK) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("UPDATE api_keys SET limits = ? WHERE id IN ({marks})");
        let mut query = sqlx::query(&sql).bind(&document);
        for id in chunk {
            query = query.bind(id.hyphenated().to_string());
        }
        updated += query.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    conn.close().await?;
    ensure!(
        updated == key_ids.len() as u64,
        "gave {updated} of {} keys their {} limits",
        key_ids.len(),
        mode.as_str()
    );
    Ok(())
}

/// The `RateLimit-Limit` and `RateLimit-Remaining` a `GET /v1/auth` with `secret` answers
/// (`None` when it answers without them), after checking the key is admitted.
pub async fn rate_limit_headers(base: &str, secret: &str) -> anyhow::Result<Option<(u64, u64)>> {
    let response = reqwest::Client::new()
        .get(format!("{base}/v1/auth"))
        .header("X-API-Key", secret)
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    ensure!(
        response.status().is_success(),
        "GET /v1/auth answered {}",
        response.status()
    );
    let number = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Ok(number("ratelimit-limit").zip(number("ratelimit-remaining")))
}

/// A connection to the Redis the `exact` keyward uses, for counting its script calls.
pub struct RedisProbe {
    conn: redis::aio::MultiplexedConnection,
}

impl RedisProbe {
    /// Connects and pings, within two seconds.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let connecting = async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await?;
            Ok::<_, redis::RedisError>(conn)
        };
        let conn = tokio::time::timeout(Duration::from_secs(2), connecting)
            .await
            .context("Redis did not answer within 2 s")??;
        Ok(Self { conn })
    }

    /// Scripts Redis has run since it started (`EVALSHA` and `EVAL` calls).
    pub async fn script_calls(&mut self) -> anyhow::Result<u64> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.conn)
            .await?;
        Ok(["cmdstat_evalsha:", "cmdstat_eval:"]
            .iter()
            .filter_map(|prefix| {
                let line = info.lines().find(|l| l.starts_with(prefix))?;
                let calls = line.split("calls=").nth(1)?.split(',').next()?;
                calls.parse::<u64>().ok()
            })
            .sum())
    }
}
