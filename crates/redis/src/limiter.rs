//! [`RedisLimiter`]: routes each charge by its mode (`exact` → the script, `local` → this
//! node's counters, reconciled), and everything to the fallback while Redis is out of reach.
//!
//! A request mixing both modes is checked locally first without charging (a cost-0 look: a
//! counter admits `cost` when its `remaining` is at least `cost`), then the script checks and
//! charges the exact counters, then the local counters are charged. Between the look and the
//! charge another request on this node may take the last local units; the request is then
//! admitted anyway and its local counters are filled, never pushed past full. The race needs
//! two requests on one node within microseconds on the same counter: at most the requests in
//! flight on this node over-admit, on local counters only.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use keyward_core::usage::{Admission, Charge, LimitMode, LimitState, Limiter, LocalLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::config::RedisConfig;
use crate::exact::ExactCall;
use crate::health::Health;
use crate::ledger::Ledger;

/// Usage counters shared through Redis. Dropping it stops its background task.
pub struct RedisLimiter {
    inner: Arc<Inner>,
    task: JoinHandle<()>,
}

struct Inner {
    config: RedisConfig,
    node: Arc<str>,
    client: redis::Client,
    /// Multiplexes every call of this node over one connection. Replaced by a fresh one when
    /// a heartbeat fails: a connection that went silent without closing is never reused.
    conn: RwLock<ConnectionManager>,
    script: Script,
    /// The `local` counters.
    local: LocalLimiter,
    ledger: Ledger,
    health: Health,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("config", &self.inner.config)
            .field("node", &self.inner.node)
            .field("degraded", &self.inner.health.is_degraded())
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// Starts a limiter (inside a Tokio runtime) and its background task: heartbeat, reconcile,
    /// and retries while Redis is away. Fails only on a malformed URL; an unreachable Redis is
    /// the fallback, not an error, and the first heartbeat is awaited so that the node count
    /// is known when Redis answers.
    pub async fn start(config: RedisConfig) -> redis::RedisResult<Self> {
        let client = redis::Client::open(config.url.as_str())?;
        let conn = RwLock::new(manager(&client, &config)?);
        let node: Arc<str> = Arc::from(uuid::Uuid::now_v7().simple().to_string());
        let prefix: Arc<str> = Arc::from(config.prefix.as_str());
        let inner = Arc::new(Inner {
            ledger: Ledger::new(Arc::clone(&node), prefix, config.interval),
            local: LocalLimiter::with_share(config.max_counters, 1),
            health: Health::new(config.max_counters),
            script: crate::exact::script(),
            node,
            client,
            conn,
            config,
        });
        inner.tick().await;
        let task = tokio::spawn(background(Arc::downgrade(&inner)));
        Ok(Self { inner, task })
    }

    /// True while Redis is out of reach and limits are counted on this node.
    pub fn is_degraded(&self) -> bool {
        self.inner.health.is_degraded()
    }

    /// The live nodes last counted in Redis (at least 1).
    pub fn nodes(&self) -> u64 {
        self.inner.health.nodes()
    }

    /// One heartbeat and reconcile round now (the background task runs them every interval).
    pub async fn tick(&self) {
        self.inner.tick().await;
    }
}

impl Drop for RedisLimiter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection manager that connects on first use, bounded by the node's timeout.
fn manager(client: &redis::Client, config: &RedisConfig) -> redis::RedisResult<ConnectionManager> {
    let settings = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.timeout))
        .set_response_timeout(Some(config.timeout))
        .set_number_of_retries(1)
        .set_max_delay(config.interval);
    ConnectionManager::new_lazy_with_config(client.clone(), settings)
}

async fn background(inner: std::sync::Weak<Inner>) {
    let every = match inner.upgrade() {
        Some(inner) => inner.config.interval,
        None => return,
    };
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.tick().await;
    }
}

impl Inner {
    fn mode(&self, charge: &Charge) -> LimitMode {
        charge.mode.unwrap_or(self.config.default_mode)
    }

    fn timeout(&self) -> Duration {
        self.config.timeout
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Drops the current connection for a fresh one (connected on first use).
    fn reconnect(&self) {
        match manager(&self.client, &self.config) {
            Ok(fresh) => *self.conn.write().unwrap_or_else(|p| p.into_inner()) = fresh,
            Err(error) => tracing::debug!(%error, "cannot make a new Redis connection manager"),
        }
    }

    async fn tick(&self) {
        match self.heartbeat().await {
            Ok(nodes) => {
                self.health.set_nodes(nodes);
                self.health.leave();
            }
            Err(error) => {
                self.health.enter(&error);
                self.reconnect();
                return;
            }
        }
        let mut conn = self.conn();
        if let Err(error) = self
            .ledger
            .reconcile(&mut conn, &self.local, self.timeout())
            .await
        {
            tracing::debug!(%error, "could not reconcile local usage counters; retrying next interval");
        }
    }

    /// Announces this node and counts the live ones.
    async fn heartbeat(&self) -> redis::RedisResult<u64> {
        let key = format!("{}nodes", self.config.prefix);
        let now_ms = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let window = self.config.interval.as_millis() as i64 * 3;
        let mut pipe = redis::pipe();
        pipe.zadd(&key, &*self.node, now_ms as i64)
            .ignore()
            .zrembyscore(&key, "-inf", (now_ms as i64) - window)
            .ignore()
            .pexpire(&key, window)
            .ignore()
            .zcard(&key);
        let mut conn = self.conn();
        let (nodes,): (u64,) = bounded(self.timeout(), pipe.query_async(&mut conn)).await?;
        Ok(nodes)
    }

    /// Charges only `local` counters: this node's memory, noted for the next reconcile.
    fn charge_local(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        let admission = self.local.charge_now(charges, cost, now);
        if admission.admitted && cost > 0 {
            self.ledger.record(charges.iter(), cost, now);
        }
        admission
    }

    async fn charge_shared(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        let asked = cost.max(1);
        let (exact_at, local_at): (Vec<usize>, Vec<usize>) =
            (0..charges.len()).partition(|&i| self.mode(&charges[i]) == LimitMode::Exact);
        let local: Vec<Charge> = local_at.iter().map(|&i| charges[i].clone()).collect();
        let look = (!local.is_empty()).then(|| self.local.charge_now(&local, 0, now));
        let local_ok = look
            .as_ref()
            .is_none_or(|look| look.states.iter().all(|s| s.remaining >= asked));
        let exact: Vec<&Charge> = exact_at.iter().map(|&i| &charges[i]).collect();
        let call = ExactCall::new(&self.config.prefix, &exact, now);
        let mut conn = self.conn();
        let script_cost = if local_ok { cost } else { 0 };
        let (exact_ok, before) = match bounded(
            self.timeout(),
            call.invoke(&self.script, &mut conn, script_cost),
        )
        .await
        {
            Ok(answer) => answer,
            Err(error) => {
                self.health.enter(&error);
                return self.fallback_charge(charges, cost, now);
            }
        };
        let admitted = local_ok && exact_ok;
        let exact_states = call.states(&exact, admitted, &before, cost);
        let local_states = match look {
            None => Vec::new(),
            Some(look) if admitted => self.charge_local_after(&local, cost, now, look),
            // Refused: nothing is charged; a local counter that refused says so and when.
            Some(_) if !local_ok => self.local.charge_now(&local, cost, now).states,
            Some(look) => look.states,
        };
        let mut states: Vec<Option<LimitState>> = vec![None; charges.len()];
        for (i, state) in exact_at.into_iter().zip(exact_states) {
            states[i] = Some(state);
        }
        for (i, state) in local_at.into_iter().zip(local_states) {
            states[i] = Some(state);
        }
        Admission {
            admitted,
            states: states
                .into_iter()
                .map(|s| s.expect("every charge has a state"))
                .collect(),
        }
    }

    /// Charges the local counters of an admitted mixed request (see the module's race note).
    fn charge_local_after(
        &self,
        local: &[Charge],
        cost: u64,
        now: OffsetDateTime,
        look: Admission,
    ) -> Vec<LimitState> {
        if cost == 0 {
            return look.states;
        }
        let charged = self.charge_local(local, cost, now);
        if charged.admitted {
            return charged.states;
        }
        // Lost the race: the exact counters are spent, so the request stands; fill the local
        // counters instead of pushing them past full.
        self.ledger.record(local.iter(), cost, now);
        local
            .iter()
            .map(|charge| {
                let one = std::slice::from_ref(charge);
                let room = self.local.charge_now(one, 0, now).states[0].remaining;
                if room > 0 {
                    self.local.charge_now(one, room, now);
                }
                let mut state = self.local.charge_now(one, 0, now).states.remove(0);
                state.retry_after = None;
                state
            })
            .collect()
    }

    fn fallback_charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        match self.health.fallback() {
            Some(fallback) => fallback.charge_now(charges, cost, now),
            // Left the fallback meanwhile: the local counters are still this node's.
            None => self.local.charge_now(charges, cost, now),
        }
    }
}

/// `future`, failed as a timeout after `timeout`: a Redis that stopped answering without
/// closing the connection must not hold a request.
async fn bounded<T>(
    timeout: Duration,
    future: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(redis::RedisError::from((
            redis::ErrorKind::Io,
            "Redis did not answer in time",
        ))),
    }
}

#[async_trait]
impl Limiter for RedisLimiter {
    fn try_charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Option<Admission> {
        let inner = &self.inner;
        if let Some(fallback) = inner.health.fallback() {
            return Some(fallback.charge_now(charges, cost, now));
        }
        charges
            .iter()
            .all(|charge| inner.mode(charge) == LimitMode::Local)
            .then(|| inner.charge_local(charges, cost, now))
    }

    async fn charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        if let Some(admission) = self.try_charge(charges, cost, now) {
            return admission;
        }
        self.inner.charge_shared(charges, cost, now).await
    }
}
