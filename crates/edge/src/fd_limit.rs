//! The soft file-descriptor limit, raised as far as the hard limit allows.
//!
//! Most systems start a process with a soft `RLIMIT_NOFILE` of 1,024 and a hard one far above it;
//! the soft one is what `accept` runs out of. Raising it is what nginx's
//! `worker_rlimit_nofile` and Go's runtime (since 1.19) do at start.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit now in force
/// (`None` where the platform has no such limit or it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}
