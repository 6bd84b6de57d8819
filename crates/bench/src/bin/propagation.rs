//! How long a key change made on node A takes to change node B's verification answer.
//!
//! Two nodes in one process, as two `keyward serve` processes would be: two cores, each over its
//! own `PostgresStore` (own pool, own cache, own `LISTEN` connection) on one fresh database. For
//! each change: a new key is created on A; once B has heard of it, B verifies it (now cached);
//! A disables it, rotates it without grace, or deletes it (in turn); then B's verifier is asked
//! until its answer changes. The delay runs from A's call returning (the commit is done) to B's
//! answer changing, so it covers the notification's trip, B dropping the entry, and B reading the
//! key again. B is asked whenever its feed delivers something, and every millisecond besides.
//!
//! ```text
//! cargo run --release -p keyward-bench --bin propagation -- \
//!     --database postgres://postgres@127.0.0.1:5432/test --changes 500
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use clap::Parser;
use keyward_bench::scratch::ScratchDatabase;
use keyward_bench::stats::Summary;
use keyward_core::auth::Caller;
use keyward_core::clock::SystemClock;
use keyward_core::ids::{KeyId, PrincipalId};
use keyward_core::model::{Description, KeyState, Name, PrincipalKind};
use keyward_core::secret::PresentedSecret;
use keyward_core::secret::{Pepper, SecretHasher};
use keyward_core::service::{Bootstrapped, NewKey, NewPrincipal};
use keyward_core::store::{ChangeEvent, ChangeSink, Store};
use keyward_core::verify::{CacheSettings, Face, Reason, VerifyRequest};
use keyward_core::Keyward;
use keyward_store::{PostgresStore, StoreOptions};
use tokio::sync::Notify;

/// The longest a change may take to show before the run is declared broken.
const GIVE_UP: Duration = Duration::from_secs(5);
/// How often B is asked when its feed has said nothing.
const POLL: Duration = Duration::from_millis(1);

#[derive(Debug, Parser)]
#[command(about = "Measures how fast a key change on one keyward node reaches another")]
struct Args {
    /// A PostgreSQL server URL; a scratch database is created beside the one it names and
    /// dropped at the end.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database: String,
    /// How many changes to measure.
    #[arg(long, default_value_t = 500)]
    changes: usize,
}

/// One node: a core over its own store, with its change feed wired in.
struct Node {
    core: Arc<Keyward>,
    store: PostgresStore,
    /// Key-change notifications heard so far, and a wake-up for each.
    heard: Arc<AtomicU64>,
    news: Arc<Notify>,
}

impl Node {
    async fn start(url: &str, pepper: &Pepper, migrate: bool) -> anyhow::Result<Self> {
        let options = StoreOptions {
            migrate,
            ..StoreOptions::default()
        };
        let store = PostgresStore::open(url, &options).await?;
        let core = Arc::new(Keyward::new(
            Arc::new(store.clone()) as Arc<dyn Store>,
            SecretHasher::new(Some(pepper)),
            Arc::new(SystemClock),
            &CacheSettings::default(),
        ));
        let (heard, news) = (Arc::new(AtomicU64::new(0)), Arc::new(Notify::new()));
        let sink: ChangeSink = {
            let (core, heard, news) = (Arc::downgrade(&core), heard.clone(), news.clone());
            Arc::new(move |event| {
                let keys = matches!(event, ChangeEvent::Keys(_));
                if let Some(core) = core.upgrade() {
                    core.verifier().apply(event);
                }
                if keys {
                    heard.fetch_add(1, Ordering::Release);
                }
                news.notify_waiters();
            })
        };
        if !store.watch_changes(sink) {
            bail!("the PostgreSQL store has no change feed");
        }
        Ok(Self {
            core,
            store,
            heard,
            news,
        })
    }

    async fn reason(&self, secret: &str) -> anyhow::Result<Reason> {
        let decision = self
            .core
            .verify(
                PresentedSecret::new(secret),
                VerifyRequest::for_face(Face::NativeVerify),
            )
            .await
            .context("verifying on B")?;
        Ok(decision.reason)
    }

    /// Waits until more than `seen` key changes have been heard.
    async fn heard_more_than(&self, seen: u64) -> anyhow::Result<()> {
        let deadline = Instant::now() + GIVE_UP;
        while self.heard.load(Ordering::Acquire) <= seen {
            if Instant::now() > deadline {
                bail!("B heard nothing of a change within {GIVE_UP:?}");
            }
            let _ = tokio::time::timeout(POLL, self.news.notified()).await;
        }
        Ok(())
    }

    /// Asks until the answer for `secret` is no longer `VALID`; answers how long that took.
    async fn until_refused(&self, secret: &str, since: Instant) -> anyhow::Result<Duration> {
        loop {
            // Registered before asking, so news arriving during the ask is not missed.
            let news = self.news.notified();
            if self.reason(secret).await? != Reason::Valid {
                return Ok(since.elapsed());
            }
            if since.elapsed() > GIVE_UP {
                bail!("B still answered VALID {GIVE_UP:?} after the change");
            }
            let _ = tokio::time::timeout(POLL, news).await;
        }
    }
}

/// The ways a key is taken away, in turn.
#[derive(Debug, Clone, Copy)]
enum Change {
    Disable,
    Rotate,
    Delete,
}

async fn apply(a: &Keyward, caller: &Caller, change: Change, id: KeyId) -> anyhow::Result<()> {
    match change {
        Change::Disable => drop(a.set_key_state(caller, id, KeyState::Disabled).await?),
        Change::Rotate => drop(a.rotate_key(caller, id, time::Duration::ZERO).await?),
        Change::Delete => drop(a.delete_key(caller, id).await?),
    }
    Ok(())
}

async fn measure(url: &str, changes: usize) -> anyhow::Result<Vec<Duration>> {
    let pepper = Pepper::new(rand::random::<[u8; 32]>().to_vec())?;
    let a = Node::start(url, &pepper, true).await?;
    let b = Node::start(url, &pepper, false).await?;
    let root = match a.core.bootstrap().await? {
        Bootstrapped::Created(created) => created.secret,
        Bootstrapped::AlreadyDone => bail!("the scratch database was not empty"),
    };
    let caller = a
        .core
        .authenticate(Face::NativeApi, PresentedSecret::new(root.expose()), None)
        .await?;
    let owner: PrincipalId = a
        .core
        .create_principal(
            &caller,
            NewPrincipal {
                domain: None,
                kind: PrincipalKind::ServiceAccount,
                name: Name::parse("name", "bench")?,
                description: Description::default(),
                external: false,
                limits: Default::default(),
            },
        )
        .await?
        .id;

    let kinds = [Change::Disable, Change::Rotate, Change::Delete];
    let mut delays = Vec::with_capacity(changes);
    for i in 0..changes {
        let seen = b.heard.load(Ordering::Acquire);
        let name = Name::parse("name", format!("key-{i}"))?;
        let created = a
            .core
            .create_key(&caller, NewKey::named(owner, name))
            .await?;
        let secret = created.secret.expose();
        // Cache the key on B only once B has heard of its creation: a late notification would
        // otherwise drop the entry and make the measured change look faster than it is.
        b.heard_more_than(seen).await?;
        if b.reason(secret).await? != Reason::Valid {
            bail!("a fresh key does not verify on B");
        }
        apply(&a.core, &caller, kinds[i % kinds.len()], created.key.id).await?;
        delays.push(b.until_refused(secret, Instant::now()).await?);
    }
    a.store.close().await;
    b.store.close().await;
    Ok(delays)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.changes == 0 {
        bail!("--changes must be at least 1");
    }
    let scratch = ScratchDatabase::create(&args.database).await?;
    let measured = measure(&scratch.url, args.changes).await;
    // Dropped whatever happened, so a failed run leaves nothing behind.
    scratch.drop_database().await?;
    let delays = measured?;
    let summary = Summary::of(&delays).context("no changes measured")?;
    println!("propagation delay, change on A committed → B's answer changed ({} changes, disable/rotate/delete in turn)", summary.count);
    println!("{summary}");
    Ok(())
}
