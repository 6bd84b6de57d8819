//! `cargo run --release -p keyward-bench --bin loadtest -- [--rounds 3] [--duration 10s]
//! [--connections 32] [--with-zenml]`: keyward against a ceiling server (and optionally ZenML)
//! on this machine. See `keyward_bench::harness` and the README's "Performance" section.

use clap::Parser as _;

fn main() -> anyhow::Result<()> {
    let args = keyward_bench::harness::Args::parse();
    // The harness itself needs little: one worker keeps it off the cores the servers use.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(keyward_bench::harness::run(args))
}
