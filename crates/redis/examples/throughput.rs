//! How many charges per second one node gets: in memory, `local` through a `RedisLimiter`, and
//! `exact` (one script per charge, many in flight over the node's one multiplexed connection).
//!
//! `cargo run --release -p keyward-redis --example throughput -- redis://127.0.0.1:6379`
//! (keys under a fresh `keyward-bench:<id>:` prefix, expiring by themselves).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::ids::KeyId;
use keyward_core::usage::{Charge, CounterOwner, LimitMode, Limiter, LocalLimiter, RateLimit};
use keyward_redis::{RedisConfig, RedisLimiter};
use time::OffsetDateTime;

const RUN: Duration = Duration::from_secs(3);
const TASKS: usize = 64;
/// Keys charged in turn: many counters, as many keys would be.
const KEYS: usize = 1_000;

fn charges(mode: LimitMode) -> Arc<Vec<[Charge; 1]>> {
    let limit = RateLimit {
        name: "requests".into(),
        limit: 1_000_000_000,
        period: Duration::from_secs(1),
        burst: 1_000_000_000,
        mode: Some(mode),
    };
    Arc::new(
        (0..KEYS)
            .map(|_| [Charge::rate(CounterOwner::Key(KeyId::new()), &limit)])
            .collect(),
    )
}

async fn measure(name: &str, limiter: Arc<dyn Limiter>, mode: LimitMode) {
    let charges = charges(mode);
    let done = Arc::new(AtomicU64::new(0));
    let admitted = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + RUN;
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (limiter, charges) = (Arc::clone(&limiter), Arc::clone(&charges));
            let (done, admitted) = (Arc::clone(&done), Arc::clone(&admitted));
            tokio::spawn(async move {
                let mut i = task;
                while Instant::now() < until {
                    let now = OffsetDateTime::now_utc();
                    let one = &charges[i % KEYS];
                    let answer = match limiter.try_charge(one, 1, now) {
                        Some(answer) => answer,
                        None => limiter.charge(one, 1, now).await,
                    };
                    done.fetch_add(1, Ordering::Relaxed);
                    admitted.fetch_add(u64::from(answer.admitted), Ordering::Relaxed);
                    i += TASKS;
                    if i % 64 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a task");
    }
    let done = done.load(Ordering::Relaxed);
    println!(
        "{name:>28}: {:>10.0} charges/s ({} admitted of {done})",
        done as f64 / RUN.as_secs_f64(),
        admitted.load(Ordering::Relaxed)
    );
}

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let mut config = RedisConfig::new(url);
    config.prefix = format!("keyward-bench:{}:", uuid::Uuid::now_v7().simple());
    let redis: Arc<dyn Limiter> = Arc::new(RedisLimiter::start(config).await.expect("a URL"));
    println!("{TASKS} tasks, {KEYS} keys, {} s each", RUN.as_secs());
    measure(
        "in memory (LocalLimiter)",
        Arc::new(LocalLimiter::default()),
        LimitMode::Local,
    )
    .await;
    measure("RedisLimiter, local", Arc::clone(&redis), LimitMode::Local).await;
    measure("RedisLimiter, exact", redis, LimitMode::Exact).await;
}
