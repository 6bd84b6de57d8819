//! Startup as a library call: [`Application::build`] connects, migrates, bootstraps, binds and
//! starts the flusher (last-used times and usage counts, written behind; old usage pruned); [`Application::run_until`] serves until a shutdown future
//! completes. `keyward serve` and the integration tests go through exactly this code.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use keyward_api::ApiState;
use keyward_core::clock::{Clock, SystemClock};
use keyward_core::secret::{SecretHasher, SecretToken};
use keyward_core::store::{ChangeSink, Store};
use keyward_core::Keyward;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::metrics::{Metrics, WriteBehind};
use crate::root_key::{self, RootKey};

/// A built, bound server that has not started serving yet.
pub struct Application {
    core: Arc<Keyward>,
    listener: TcpListener,
    local_addr: SocketAddr,
    /// `/metrics` on its own address (`metrics_listen`), when configured.
    metrics_server: Option<(TcpListener, axum::Router)>,
    metrics_addr: Option<SocketAddr>,
    service: keyward_api::connection::GatewayFirst,
    root_secret: Option<SecretToken>,
    flusher: Flusher,
    limits: keyward_edge::ConnectionLimits,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("local_addr", &self.local_addr)
            .field("holds_root_secret", &self.root_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Builds on the wall clock.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds with `clock`, so tests can move time for expiry and rotation grace.
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config.validate()?;
        // Before anything opens files or sockets: the connection cap is fitted to this limit.
        if let Some(limit) = keyward_edge::raise_fd_limit() {
            tracing::debug!(open_file_limit = limit, "open-file limit");
        }
        let metrics = config.metrics.enabled.then(Metrics::new);
        let store = connect(&config, true).await?;
        let store = match &metrics {
            Some(metrics) => metrics.timed(store),
            None => store,
        };
        let verify_metrics = metrics
            .as_ref()
            .map_or_else(Default::default, Metrics::verify)
            .logging(config.log_verifications.to_core());
        let mut core = Keyward::new(Arc::clone(&store), hasher(&config), clock, &config.cache)
            .with_renderer(Arc::new(keyward_api::views::ViewRenderer))
            .with_metrics(verify_metrics);
        if let Some(master) = &config.master_key {
            core = core.with_master_key(master.clone());
        }
        if let Some(limiter) = usage_limiter(&config).await? {
            core = core.with_limiter(limiter);
        }
        let core = Arc::new(core);
        watch_changes(store.as_ref(), &core);
        // Bind before bootstrap: if the port is taken, fail before a root key is created that
        // this process could then never show.
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let local_addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let root_secret = match root_key::bootstrap(
            &core,
            store.as_ref(),
            config.root_key_file.as_deref(),
        )
        .await?
        {
            RootKey::AlreadyInitialised => None,
            RootKey::WrittenTo(path) => {
                tracing::info!(path = %path.display(), "fresh database: root key created and written to its file");
                None
            }
            RootKey::Created(secret) => {
                tracing::info!("fresh database: root key created");
                Some(secret)
            }
        };
        let api_state = ApiState {
            core: Arc::clone(&core),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            body_limit: config.body_limit_bytes,
            gateway: Arc::new(config.gateway.clone()),
            http_metrics: metrics.as_ref().map(Metrics::http).unwrap_or_default(),
        };
        // The vendor-compatible faces live beside the native one, under their own paths.
        let router = keyward_api::router(api_state.clone())
            .merge(keyward_compat::yandex::rest_router(api_state.clone()))
            // gRPC (HTTP/2, h2c) on the same port: axum's server speaks HTTP/1 and HTTP/2.
            .merge(keyward_compat::yandex::grpc_router(api_state.clone()))
            .merge(keyward_compat::spaceone::grpc_router(
                api_state.clone(),
                config.spaceone_generation,
            ))
            .merge(keyward_compat::spaceone::rest_router(api_state.clone()))
            .merge(keyward_compat::ncp::router(api_state.clone()))
            .merge(keyward_compat::zenml::router(api_state.clone()))
            .merge(keyward_api::envoy::grpc_router(api_state.clone()));
        let mut router = keyward_api::observe(router, api_state.clone());
        let mut metrics_server = None;
        if let Some(metrics) = &metrics {
            metrics.spawn_upkeep();
            let scrape = crate::metrics::router(
                metrics.clone(),
                Arc::clone(&core),
                Arc::clone(&store),
                config.metrics.token.clone(),
            );
            match config.metrics.listen {
                Some(address) => {
                    let listener = TcpListener::bind(address)
                        .await
                        .with_context(|| format!("cannot listen on {address} (metrics_listen)"))?;
                    metrics_server = Some((listener, scrape));
                }
                None => router = router.merge(scrape),
            }
        }
        let metrics_addr = match &metrics_server {
            Some((listener, _)) => Some(
                listener
                    .local_addr()
                    .context("cannot read the metrics address")?,
            ),
            None => None,
        };
        let service = keyward_api::connection::GatewayFirst::new(router, api_state);
        let flusher = Flusher::spawn(
            Arc::clone(&core),
            config.flush_interval,
            config.usage_retention,
            metrics.as_ref().map(|m| m.write_behind.clone()),
        );
        // Tests read the port from this exact phrase: keep it.
        tracing::info!("listening on http://{local_addr}");
        if let Some(address) = metrics_addr {
            tracing::info!("metrics on http://{address}/metrics");
        }
        Ok(Self {
            core,
            listener,
            local_addr,
            metrics_server,
            metrics_addr,
            service,
            root_secret,
            flusher,
            limits: config.connections.clone(),
        })
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where `/metrics` is served when `metrics_listen` is set (else on [`Self::local_addr`]).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn core(&self) -> Arc<Keyward> {
        Arc::clone(&self.core)
    }

    /// Some(secret) only when this build bootstrapped a fresh database and no root_key_file was
    /// configured. Taking it leaves `None` behind: there is one copy, handed out once.
    pub fn take_root_secret(&mut self) -> Option<SecretToken> {
        self.root_secret.take()
    }

    /// Serves until `shutdown` completes, then stops accepting, drains open connections (for at
    /// most `drain_timeout`), and flushes last-used times and usage counts one final time.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            core,
            listener,
            service,
            flusher,
            limits,
            metrics_server,
            ..
        } = self;
        // The metrics listener serves until the main one has drained.
        let metrics_task = metrics_server.map(|(listener, router)| {
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the metrics listener failed");
                }
            })
        });
        keyward_edge::serve(listener, limits, |peer| service.for_peer(peer), shutdown).await;
        if let Some(task) = metrics_task {
            task.abort();
        }
        let counted = flusher.counted.clone();
        flusher.stop().await;
        flush(&core, "final", counted.as_ref()).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Connects the store named by the configuration, migrating it when `migrate` is set.
pub(crate) async fn connect(config: &Config, migrate: bool) -> anyhow::Result<Arc<dyn Store>> {
    let url = keyward_store::redact_url(&config.database_url);
    let mut options = keyward_store::StoreOptions {
        migrate,
        ..keyward_store::StoreOptions::default()
    };
    if let Some(max) = config.database_max_connections {
        options.max_connections = max;
    }
    let store = keyward_store::connect(&config.database_url, &options)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    tracing::debug!(database = %url, "database ready");
    Ok(store)
}

/// The limiter sharing rate limits and quotas through Redis, when `redis_url` is set; without
/// it the core counts in this node's memory, which a PostgreSQL deployment (many nodes) should
/// hear about.
async fn usage_limiter(
    config: &Config,
) -> anyhow::Result<Option<Arc<dyn keyward_core::usage::Limiter>>> {
    let Some(url) = &config.redis_url else {
        if config.database_url.starts_with("postgres") {
            tracing::warn!(
                "PostgreSQL without Redis: rate limits and quotas are counted per node (each \
                 node admits the whole limit); set KEYWARD_REDIS_URL or redis_url to share them"
            );
        }
        return Ok(None);
    };
    let redacted = keyward_redis::redact_url(url);
    let limiter = keyward_redis::RedisLimiter::start(keyward_redis::RedisConfig::new(url.as_str()))
        .await
        .with_context(|| format!("invalid redis_url {redacted}"))?;
    if limiter.is_degraded() {
        tracing::warn!(redis = %redacted, "Redis does not answer yet: counting limits on this node until it does");
    } else {
        tracing::info!(redis = %redacted, nodes = limiter.nodes(), "rate limits and quotas are shared through Redis");
    }
    Ok(Some(Arc::new(limiter)))
}

/// Lets the store tell this node's verifier about key changes made on any node (PostgreSQL
/// `LISTEN/NOTIFY`), so a revocation elsewhere drops the cached entry here. The sink holds the
/// core weakly: the core owns the store, and a strong reference back would keep both alive.
fn watch_changes(store: &dyn Store, core: &Arc<Keyward>) {
    let core = Arc::downgrade(core);
    let sink: ChangeSink = Arc::new(move |event| {
        if let Some(core) = core.upgrade() {
            core.verifier().apply(event);
        }
    });
    if store.watch_changes(sink) {
        tracing::info!("watching the database for key changes made by other nodes");
    }
}

/// The secret hasher for the configured pepper, warning when there is none.
pub(crate) fn hasher(config: &Config) -> SecretHasher {
    if config.pepper.is_none() {
        tracing::warn!(
            "no pepper configured: secrets are stored as plain SHA-256; set KEYWARD_PEPPER or \
             pepper_file (and keep it: changing it later invalidates every key)"
        );
    }
    SecretHasher::new(config.pepper.as_ref())
}

/// Writes "last used" times and usage counts every interval until stopped (or until the
/// `Application` holding it is dropped, which drops the stop sender), and deletes usage older
/// than the retention at its first tick and about once an hour after.
struct Flusher {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    counted: Option<WriteBehind>,
}

impl Flusher {
    fn spawn(
        core: Arc<Keyward>,
        every: Duration,
        usage_retention: Duration,
        counted: Option<WriteBehind>,
    ) -> Self {
        let counts = counted.clone();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // the first tick is immediate; nothing to flush yet
            let mut next_prune = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {
                        flush(&core, "periodic", counts.as_ref()).await;
                        if tokio::time::Instant::now() >= next_prune {
                            prune(&core, usage_retention).await;
                            next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
                        }
                    }
                }
            }
        });
        Self {
            stop,
            task,
            counted,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the last-used flusher ended abnormally");
        }
    }
}

/// How often usage older than the retention is deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How long a credit lease may sit unused before it goes back to the stored balance.
const CREDIT_LEASE_IDLE: Duration = Duration::from_secs(2);

async fn flush(core: &Keyward, which: &'static str, counted: Option<&WriteBehind>) {
    let batch = |ok: bool| {
        if let Some(counted) = counted {
            counted.batches.increment(1);
            if !ok {
                counted.failures.increment(1);
            }
        }
    };
    match core.verifier().flush_last_used().await {
        Ok(0) => {}
        Ok(written) => {
            batch(true);
            tracing::debug!(written, which, "flushed last-used times");
        }
        Err(error) => {
            batch(false);
            tracing::warn!(%error, which, "could not write last-used times; they are kept for the next flush");
        }
    }
    match core.verifier().flush_usage().await {
        Ok(0) => {}
        Ok(rows) => {
            batch(true);
            tracing::debug!(rows, which, "flushed usage counts");
        }
        Err(error) => {
            batch(false);
            tracing::warn!(%error, which, "could not write usage counts; they are kept for the next flush");
        }
    }
    // At the final flush every lease goes back, idle or not.
    let idle = if which == "final" {
        Duration::ZERO
    } else {
        CREDIT_LEASE_IDLE
    };
    match core.verifier().return_credits(idle).await {
        Ok(0) => {}
        Ok(returned) => tracing::debug!(returned, which, "returned unspent credit leases"),
        Err(error) => {
            tracing::warn!(%error, which, "could not return unspent credit leases; they are lost, never over-spent");
        }
    }
}

async fn prune(core: &Keyward, retention: Duration) {
    match core.prune_usage(retention).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "deleted usage rows past the retention"),
        Err(error) => {
            tracing::warn!(%error, "could not delete old usage rows; retrying in an hour")
        }
    }
}
