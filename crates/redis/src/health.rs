//! Is Redis there, and how many nodes share it.
//!
//! Every interval each node adds itself to the sorted set `<prefix>nodes` (score: the wall
//! clock in ms), drops members silent for three intervals and counts the rest: the number of
//! live nodes. When a Redis call fails or outlasts the timeout the node enters the
//! **fallback**: it counts every limit (exact and local) in a fresh `LocalLimiter` at
//! `limit / nodes`, `nodes` being the last count read (1 if Redis was never reached), so the
//! nodes together still admit about the limit, and no request waits on Redis or fails. The
//! heartbeat keeps trying, each time on a fresh connection (one that went silent without
//! closing is never reused); its first success ends the fallback.
//!
//! Usage counted during the fallback stays on the node (Redis does not learn of it), and a
//! call that timed out may still have been charged in Redis: both err on the side of the
//! request, by at most one share per node per outage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use keyward_core::usage::LocalLimiter;

/// Whether this node is counting on its own, and with which limiter.
pub struct Health {
    degraded: AtomicBool,
    nodes: AtomicU64,
    fallback: RwLock<Arc<LocalLimiter>>,
    max_counters: u64,
}

impl Health {
    pub fn new(max_counters: u64) -> Self {
        Self {
            degraded: AtomicBool::new(false),
            nodes: AtomicU64::new(1),
            fallback: RwLock::new(Arc::new(LocalLimiter::with_share(max_counters, 1))),
            max_counters,
        }
    }

    /// The fallback limiter while Redis is out of reach, else `None`.
    pub fn fallback(&self) -> Option<Arc<LocalLimiter>> {
        if !self.degraded.load(Ordering::Acquire) {
            return None;
        }
        Some(Arc::clone(
            &self.fallback.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }

    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Acquire)
    }

    /// The live nodes last counted (at least 1).
    pub fn nodes(&self) -> u64 {
        self.nodes.load(Ordering::Relaxed)
    }

    pub fn set_nodes(&self, nodes: u64) {
        self.nodes.store(nodes.max(1), Ordering::Relaxed);
    }

    /// Starts counting alone at `limit / nodes`: warns once per outage.
    pub fn enter(&self, error: &redis::RedisError) {
        let mut fallback = self.fallback.write().unwrap_or_else(|p| p.into_inner());
        if self.degraded.load(Ordering::Acquire) {
            return;
        }
        let nodes = self.nodes();
        *fallback = Arc::new(LocalLimiter::with_share(self.max_counters, nodes));
        self.degraded.store(true, Ordering::Release);
        tracing::warn!(
            %error,
            nodes,
            "Redis unreachable: counting rate limits and quotas on this node at limit / {nodes} \
             until it answers again"
        );
    }

    /// Redis answered: back to the shared counters.
    pub fn leave(&self) {
        if self.degraded.swap(false, Ordering::AcqRel) {
            tracing::info!("Redis answers again: rate limits and quotas are shared again");
        }
    }
}
