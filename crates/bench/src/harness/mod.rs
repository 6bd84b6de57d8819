//! The HTTP load harness behind `cargo run --release -p keyward-bench --bin loadtest`: keyward
//! (the real binary, on the 1,000,000-key fixture) against the ceiling server, same load, A/B
//! alternated over rounds, medians reported; optionally against a real ZenML server too.
//!
//! - `servers.rs`: the child processes, their address, stderr and peak RSS.
//! - `wrk.rs`: the load generator and its Lua scripts.
//! - `scenarios.rs`: what is measured.
//! - `limits.rs`: the usage-control scenarios' keys, limits, second keyward and checks.
//! - `db_writes.rs`: database commits during the verify load, seen from outside.
//! - `nginx.rs`: nginx with the README's snippet against nginx alone (the ceiling behind both).
//! - `grpc_check.rs`: Envoy's gRPC ext_authz `Check` on keyward, from a tonic client (wrk speaks
//!   HTTP/1 only), beside `/v1/auth`.
//! - `report.rs`: medians and tables. `zenml.rs`: the peer.

pub mod db_writes;
pub mod grpc_check;
pub mod limits;
pub mod nginx;
pub mod report;
pub mod scenarios;
pub mod servers;
pub mod wrk;
pub mod zenml;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use keyward_core::secret::SecretToken;
use keyward_core::usage::LimitMode;

use crate::fixture::{self, Fixture};
use report::Sample;
use scenarios::Node;
use servers::Server;
use wrk::{Load, Outcome};

/// `loadtest`'s options.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "loadtest",
    about = "keyward against a ceiling server (and ZenML), same machine, same load"
)]
pub struct Args {
    /// Rounds of A/B runs; the table shows medians.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Length of each run, e.g. `10s`, `500ms`.
    #[arg(long, default_value = "10s", value_parser = keyward_core::duration::parse_duration)]
    pub duration: Duration,
    /// Open connections.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// wrk threads (the generator shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Keys in the fixture.
    #[arg(long, default_value_t = fixture::FIXTURE_KEYS)]
    pub keys: u64,
    /// Also start a real ZenML 0.98 server and compare.
    #[arg(long)]
    pub with_zenml: bool,
    /// Use the release binaries as they are instead of building them first.
    #[arg(long)]
    pub no_build: bool,
    /// Build (or find) the fixture, print how long it took, and stop.
    #[arg(long)]
    pub fixture_only: bool,
    /// Only these scenarios (substring of their name); all when not given. A usage-control
    /// scenario brings `GET /v1/auth, valid keys` along (its ratio is to that).
    #[arg(long)]
    pub only: Vec<String>,
    /// The Redis of the `exact` limit scenario (skipped when it does not answer).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Measure what Prometheus metrics cost: the baseline of keyward's own scenarios is a second
    /// keyward started with `--metrics false` (on its own copy of the database) instead of the
    /// ceiling server, so the ratio is throughput with metrics over throughput without.
    #[arg(long)]
    pub metrics_cost: bool,
}

/// Runs everything and prints the tables.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let fixture = fixture::ensure(args.keys).await?;
    println!(
        "fixture: {} keys in {}, {} (built in {:.1} s)",
        fixture.keys,
        fixture.dir.display(),
        if fixture.reused {
            "reused"
        } else {
            "built now"
        },
        fixture.build_seconds
    );
    if args.fixture_only {
        return Ok(());
    }
    let binaries = release_binaries(args.no_build)?;
    let wrk_path = wrk::ensure_installed()?;
    let work = fixture::fixtures_root().join("work").join("loadtest");
    std::fs::create_dir_all(&work)?;
    let db = work.join("keyward.db");
    let db_url = fixture.copy_to(&db)?;
    let [plain, local, exact] = limits::split(&fixture);
    limits::set_limits(&db, &local.key_ids, LimitMode::Local).await?;
    limits::set_limits(&db, &exact.key_ids, LimitMode::Exact).await?;
    let files = KeyFiles::write(&work, &fixture, [&plain, &local, &exact])?;
    let run_tag = format!("{:x}", std::process::id());
    let wanted =
        |name: &str| args.only.is_empty() || args.only.iter().any(|o| name.contains(o.as_str()));
    let all = scenarios::all(&files.as_files(), &fixture.admin_secret, &run_tag);
    let with_ratio = all.iter().any(|s| s.vs_plain && wanted(s.name));
    let mut scenarios: Vec<scenarios::Scenario> = all
        .into_iter()
        .filter(|s| wanted(s.name) || (with_ratio && s.name == scenarios::VALID_KEYS))
        .collect();
    let mut redis = None;
    if scenarios.iter().any(|s| s.node == Node::Redis) {
        match limits::RedisProbe::connect(&args.redis_url).await {
            Ok(probe) => redis = Some(probe),
            Err(error) => {
                println!(
                    "skipping `{}`: Redis at {} does not answer ({error:#})",
                    limits::EXACT_LIMIT,
                    args.redis_url
                );
                scenarios.retain(|s| s.node != Node::Redis);
            }
        }
    }
    if scenarios.iter().any(|s| s.node == Node::Nginx)
        && keyward_testkit::nginx::nginx_binary().is_none()
    {
        println!(
            "skipping `{}`: nginx is not installed (apt-get install nginx)",
            nginx::NGINX_GATEWAY
        );
        scenarios.retain(|s| s.node != Node::Nginx);
    }
    let mut scripts = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let path = work.join(format!("scenario-{i}.lua"));
        wrk::write_script(&path, &scenario.template)?;
        scripts.push(path);
    }
    let load = Load {
        connections: args.connections,
        threads: args.threads,
        duration: args.duration,
    };
    // The `exact` keyward works on its own copy: two writers on one SQLite file would slow both.
    let redis_keyward = match redis {
        Some(_) => {
            let copy = work.join("keyward-redis.db");
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
            }
            std::fs::copy(&db, &copy).context("copying the database for the Redis keyward")?;
            let url = format!("sqlite://{}", copy.display());
            let node = servers::keyward(
                &binaries.keyward,
                &url,
                &fixture.pepper,
                Some(&args.redis_url),
            )?;
            println!(
                "keyward with Redis {} (pid {}) for `{}`",
                node.base,
                node.pid(),
                limits::EXACT_LIMIT
            );
            Some(node)
        }
        None => None,
    };
    let keyward = servers::keyward(&binaries.keyward, &db_url, &fixture.pepper, None)?;
    let ceiling = match args.metrics_cost {
        true => {
            let copy = work.join("keyward-no-metrics.db");
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
            }
            std::fs::copy(&db, &copy)
                .context("copying the database for keyward without metrics")?;
            let url = format!("sqlite://{}", copy.display());
            println!(
                "--metrics-cost: the baseline is keyward with --metrics false, not the ceiling"
            );
            servers::keyward_named(
                "no-metrics",
                &binaries.keyward,
                &url,
                &fixture.pepper,
                None,
                false,
            )?
        }
        false => servers::ceiling(&binaries.ceiling)?,
    };
    println!(
        "keyward {} (pid {}), ceiling {} (pid {}); {} connections, {} wrk thread(s), {:?} per run, {} rounds",
        keyward.base, keyward.pid(), ceiling.base, ceiling.pid(), load.connections, load.threads, load.duration, args.rounds
    );
    let nginx = match scenarios.iter().any(|s| s.node == Node::Nginx) {
        true => nginx::NginxPair::start(&keyward, &ceiling)?,
        false => None,
    };
    if let Some(pair) = &nginx {
        println!(
            "`{}`: nginx + keyward {} (pid {}) against nginx alone {} (pid {}), both in front of the ceiling",
            nginx::NGINX_GATEWAY,
            pair.gated.base,
            pair.gated.pid(),
            pair.plain.base,
            pair.plain.pid()
        );
    }
    // What each scenario measures, and what it is compared with.
    let pair_of = |scenario: &scenarios::Scenario| -> [&Server; 2] {
        match (scenario.node, &nginx) {
            (Node::Plain, _) => [&keyward, &ceiling],
            (Node::Redis, _) => [redis_keyward.as_ref().unwrap_or(&keyward), &ceiling],
            (Node::Nginx, Some(pair)) => [&pair.gated, &pair.plain],
            (Node::Nginx, None) => {
                unreachable!("nginx scenarios are dropped when nginx is missing")
            }
        }
    };
    warm_up(&wrk_path, &scripts, &scenarios, pair_of)?;

    let mut samples: Vec<[Vec<Sample>; 2]> =
        scenarios.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let mut writes = WriteTally::default();
    let mut scripts_run = ScriptTally::default();
    for round in 0..args.rounds {
        for (i, scenario) in scenarios.iter().enumerate() {
            let [ours, baseline] = pair_of(scenario);
            let order: [(usize, &Server); 2] = if round % 2 == 0 {
                [(0, ours), (1, baseline)]
            } else {
                [(1, baseline), (0, ours)]
            };
            for (slot, server) in order {
                let watch_writes = slot == 0 && scenario.name == scenarios::VALID_KEYS;
                let counter = if watch_writes {
                    Some(db_writes::CommitCounter::start(&db).await?)
                } else {
                    None
                };
                let watch_scripts = slot == 0 && scenario.node == Node::Redis;
                let calls_before = match (&mut redis, watch_scripts) {
                    (Some(probe), true) => Some(probe.script_calls().await?),
                    _ => None,
                };
                let reset = server.reset_peak_rss();
                let started = Instant::now();
                let load = Load {
                    connections: scenario.connections.unwrap_or(load.connections),
                    ..load
                };
                let outcome = run_wrk(&wrk_path, &server.base, &scripts[i], load).await?;
                let ended = Instant::now();
                let peak_rss = server.peak_rss().filter(|_| reset);
                if let Some(counter) = counter {
                    let commits = counter.finish().await?;
                    let (batches, rows) =
                        db_writes::flushes_in(&keyward.lines_between(started, ended));
                    writes.add(ended - started, commits, batches, rows);
                }
                if let (Some(probe), Some(before)) = (&mut redis, calls_before) {
                    scripts_run.add(probe.script_calls().await? - before, outcome.requests);
                }
                check(server, slot == 0, scenario, &outcome);
                let summary_line = format!(
                    "round {} | {:<36} | {:<7} | {:>10} | p50 {:>9} | p99 {:>9}",
                    round + 1,
                    scenario.name,
                    server.name,
                    report::rate(outcome.per_second()),
                    report::latency(outcome.p50_us as f64),
                    report::latency(outcome.p99_us as f64)
                );
                eprintln!("{summary_line}");
                samples[i][slot].push(Sample { outcome, peak_rss });
            }
        }
    }
    print_table(&scenarios, &samples, &args, load);
    if nginx.is_some() {
        println!(
            "(`{}`: the keyward column is nginx + keyward, the ceiling columns nginx alone in front \
             of the same ceiling; ratio is the one to the other, issue 15's target ≥ 0.6)",
            nginx::NGINX_GATEWAY
        );
    }
    if wanted(grpc_check::NAME) {
        let http = scenarios
            .iter()
            .position(|s| s.name == scenarios::VALID_KEYS)
            .map_or(&[][..], |i| &samples[i][0][..]);
        let grpc = grpc_rounds(&keyward, &files.valid, load, args.rounds).await?;
        grpc_check::print(&grpc, http);
    }
    writes.print();
    check_charged(
        &scenarios,
        &keyward,
        redis_keyward.as_ref(),
        &files,
        &scripts_run,
    )
    .await?;

    if args.with_zenml {
        let peer = zenml::Peer::start(&work).await?;
        let result = zenml::compare(
            &peer,
            &wrk_path,
            &keyward,
            &files.as_files(),
            &fixture,
            &work,
            &args,
        )
        .await;
        peer.stop();
        result?;
    }
    if let Some(pair) = nginx {
        pair.stop();
    }
    report_server_errors(&keyward);
    keyward.stop();
    if let Some(node) = redis_keyward {
        report_server_errors(&node);
        node.stop();
    }
    ceiling.stop();
    Ok(())
}

/// Proves the usage-control scenarios measured limits that were charged: a key of each kind
/// answers with `RateLimit-*` headers showing its own request charged (a plain key without any),
/// and Redis ran the exact script at least once per request keyward answered.
async fn check_charged(
    scenarios: &[scenarios::Scenario],
    keyward: &Server,
    redis_keyward: Option<&Server>,
    files: &KeyFiles,
    scripts_run: &ScriptTally,
) -> anyhow::Result<()> {
    if !scenarios.iter().any(|s| s.vs_plain) {
        return Ok(());
    }
    println!();
    let mut kinds = vec![
        ("plain", keyward, &files.first_plain),
        ("local", keyward, &files.first_local),
    ];
    if let Some(node) = redis_keyward {
        kinds.push(("exact", node, &files.first_exact));
    }
    for (kind, server, secret) in kinds {
        let headers = limits::rate_limit_headers(&server.base, secret).await?;
        match (kind, headers) {
            ("plain", None) => println!("usage check: a plain key answers without RateLimit-* headers"),
            ("plain", Some(_)) => eprintln!("warning: a plain key answered RateLimit-* headers: the plain scenario measured limited keys"),
            (_, Some((limit, remaining))) if remaining < limit => println!(
                "usage check: a key whose limit is {kind} answers RateLimit-Limit {limit}, RateLimit-Remaining {remaining} (charged)"
            ),
            (_, Some((limit, remaining))) => eprintln!(
                "warning: a key whose limit is {kind} answers RateLimit-Limit {limit}, RateLimit-Remaining {remaining}: its request was not charged"
            ),
            (_, None) => eprintln!(
                "warning: a key whose limit is {kind} answered without RateLimit-* headers: its scenario measured no limit"
            ),
        }
    }
    scripts_run.print();
    Ok(())
}

/// Redis script calls during the `exact` scenario's runs on keyward, against its answers.
#[derive(Debug, Default)]
struct ScriptTally {
    calls: u64,
    requests: u64,
}

impl ScriptTally {
    fn add(&mut self, calls: u64, requests: u64) {
        self.calls += calls;
        self.requests += requests;
    }

    fn print(&self) {
        if self.requests == 0 {
            return;
        }
        let line = format!(
            "Redis ran the exact script {} times during the `{}` runs, for {} answered requests",
            self.calls,
            limits::EXACT_LIMIT,
            self.requests
        );
        if self.calls >= self.requests {
            println!("usage check: {line}");
        } else {
            eprintln!("warning: {line}: some requests were not counted in Redis");
        }
    }
}

/// Prints how many ERROR lines keyward logged (a 5xx answer logs its cause) and the first few.
fn report_server_errors(keyward: &Server) {
    let lines = keyward.all_lines();
    let errors: Vec<&String> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    if errors.is_empty() {
        return;
    }
    println!(
        "\nkeyward logged {} ERROR lines; the first ones:",
        errors.len()
    );
    for line in errors.iter().take(3) {
        println!("  {line}");
    }
}

/// The gRPC `Check` scenario's rounds on `keyward`, after a two-second warm-up.
async fn grpc_rounds(
    keyward: &Server,
    keys: &Path,
    load: Load,
    rounds: usize,
) -> anyhow::Result<Vec<Sample>> {
    let warm = Load {
        duration: Duration::from_secs(2),
        ..load
    };
    grpc_check::run(&keyward.base, keys, warm).await?;
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let reset = keyward.reset_peak_rss();
        let outcome = grpc_check::run(&keyward.base, keys, load).await?;
        eprintln!(
            "round {} | {:<36} | keyward | {:>10} | p50 {:>9} | p99 {:>9}",
            round + 1,
            grpc_check::NAME,
            report::rate(outcome.per_second()),
            report::latency(outcome.p50_us as f64),
            report::latency(outcome.p99_us as f64)
        );
        let peak_rss = keyward.peak_rss().filter(|_| reset);
        samples.push(Sample { outcome, peak_rss });
    }
    Ok(samples)
}

/// Runs wrk off the async runtime (it blocks for the whole run).
pub async fn run_wrk(wrk: &Path, base: &str, script: &Path, load: Load) -> anyhow::Result<Outcome> {
    let (wrk, base, script) = (wrk.to_path_buf(), base.to_owned(), script.to_path_buf());
    tokio::task::spawn_blocking(move || wrk::run(&wrk, &base, &script, load)).await?
}

/// Two seconds of each read scenario on its keyward and on the ceiling, so caches, connections and the allocator
/// are warm before anything is measured (a gateway runs warm).
fn warm_up<'s>(
    wrk_path: &Path,
    scripts: &[PathBuf],
    scenarios: &[scenarios::Scenario],
    pair_of: impl Fn(&scenarios::Scenario) -> [&'s Server; 2],
) -> anyhow::Result<()> {
    let load = Load {
        connections: 8,
        threads: 1,
        duration: Duration::from_secs(2),
    };
    for (script, scenario) in scripts.iter().zip(scenarios) {
        if scenario.template.method == "GET" {
            for server in pair_of(scenario) {
                wrk::run(wrk_path, &server.base, script, load)?;
            }
        }
    }
    Ok(())
}

/// Warns when keyward's answers (`ours`: not the baseline's) were not what the scenario expects
/// (a broken fixture or key file would otherwise measure only refusals).
fn check(server: &Server, ours: bool, scenario: &scenarios::Scenario, outcome: &Outcome) {
    if outcome.socket_errors > 0 {
        eprintln!(
            "warning: {} socket errors on {} / {}",
            outcome.socket_errors, server.name, scenario.name
        );
    }
    if !ours {
        return;
    }
    let refused = outcome.non_2xx;
    if scenario.expect_success && refused > 0 {
        eprintln!(
            "warning: {refused} of {} answers were not 2xx on {} (by status: {:?})",
            outcome.requests, scenario.name, outcome.statuses
        );
    }
    if !scenario.expect_success && refused < outcome.requests {
        eprintln!(
            "warning: {} of {} answers were 2xx on {}",
            outcome.requests - refused,
            outcome.requests,
            scenario.name
        );
    }
}

fn print_table(
    scenarios: &[scenarios::Scenario],
    samples: &[[Vec<Sample>; 2]],
    args: &Args,
    load: Load,
) {
    let plain = scenarios
        .iter()
        .position(|s| s.name == scenarios::VALID_KEYS)
        .map(|i| &samples[i][0]);
    let mut rows = Vec::new();
    for (scenario, [ours, ceiling]) in scenarios.iter().zip(samples) {
        let k = report::summarize(ours);
        let c = report::summarize(ceiling);
        let vs_plain = match plain {
            Some(plain) if scenario.vs_plain => {
                format!("{:.2}", report::paired_ratio(ours, plain))
            }
            _ => "—".to_owned(),
        };
        rows.push(vec![
            scenario.name.to_owned(),
            report::rate(k.per_second),
            report::latency(k.p50_us),
            report::latency(k.p99_us),
            report::megabytes(k.peak_rss),
            format!("{:.2}", report::paired_ratio(ours, ceiling)),
            vs_plain,
            report::rate(c.per_second),
            report::latency(c.p99_us),
            report::megabytes(c.peak_rss),
        ]);
    }
    println!(
        "\nkeyward vs ceiling: medians of {} rounds, {} connections, {} wrk thread(s), {:?} per run\n",
        args.rounds, load.connections, load.threads, load.duration
    );
    print!(
        "{}",
        report::table(
            &[
                "scenario",
                "keyward",
                "p50",
                "p99",
                "peak RSS",
                "ratio",
                "vs plain",
                "ceiling",
                "ceiling p99",
                "ceiling RSS"
            ],
            &rows
        )
    );
}

/// Database writes during the valid-key verify runs.
#[derive(Debug, Default)]
struct WriteTally {
    seconds: f64,
    commits: u64,
    batches: u64,
    rows: u64,
}

impl WriteTally {
    fn add(&mut self, window: Duration, commits: u64, batches: u64, rows: u64) {
        self.seconds += window.as_secs_f64();
        self.commits += commits;
        self.batches += batches;
        self.rows += rows;
    }

    fn print(&self) {
        if self.seconds == 0.0 {
            return;
        }
        println!(
            "\ndatabase writes during `GET /v1/auth, valid keys` ({:.0} s of load): {:.2} commits/s \
             seen by another connection (PRAGMA data_version); keyward logged {:.2} last-used \
             batches/s writing {:.0} rows/s",
            self.seconds,
            self.commits as f64 / self.seconds,
            self.batches as f64 / self.seconds,
            self.rows as f64 / self.seconds
        );
    }
}

/// The key files the scripts read, and one secret of each kind for the usage checks.
pub struct KeyFiles {
    valid: PathBuf,
    limited_local: PathBuf,
    limited_exact: PathBuf,
    first_plain: String,
    first_local: String,
    first_exact: String,
    unknown: PathBuf,
    bad_checksum: PathBuf,
    key_ids: PathBuf,
    owners: PathBuf,
}

impl KeyFiles {
    /// `kept` are the kept keys split plain, `local`, `exact` (`limits::split`).
    fn write(dir: &Path, fixture: &Fixture, kept: [&limits::Subset; 3]) -> anyhow::Result<Self> {
        let [plain, local, exact] = kept;
        let first = |subset: &limits::Subset| {
            subset
                .secrets
                .first()
                .cloned()
                .context("no kept secret in a subset")
        };
        let files = Self {
            valid: dir.join("keys-valid.txt"),
            limited_local: dir.join("keys-limited-local.txt"),
            limited_exact: dir.join("keys-limited-exact.txt"),
            first_plain: first(plain)?,
            first_local: first(local)?,
            first_exact: first(exact)?,
            unknown: dir.join("keys-unknown.txt"),
            bad_checksum: dir.join("keys-bad-checksum.txt"),
            key_ids: dir.join("key-ids.txt"),
            owners: dir.join("owners.txt"),
        };
        let lines = |items: Vec<String>| items.join("\n") + "\n";
        std::fs::write(&files.valid, lines(plain.secrets.clone()))?;
        std::fs::write(&files.limited_local, lines(local.secrets.clone()))?;
        std::fs::write(&files.limited_exact, lines(exact.secrets.clone()))?;
        let unknown = (0..fixture.secrets.len())
            .map(|_| SecretToken::generate().expose().to_owned())
            .collect();
        std::fs::write(&files.unknown, lines(unknown))?;
        let bad = fixture.secrets.iter().map(|s| flip_one(s)).collect();
        std::fs::write(&files.bad_checksum, lines(bad))?;
        std::fs::write(
            &files.key_ids,
            lines(fixture.key_ids.iter().map(|id| id.to_string()).collect()),
        )?;
        std::fs::write(
            &files.owners,
            lines(fixture.owner_ids.iter().map(|id| id.to_string()).collect()),
        )?;
        Ok(files)
    }

    pub fn as_files(&self) -> scenarios::Files<'_> {
        scenarios::Files {
            valid: &self.valid,
            limited_local: &self.limited_local,
            limited_exact: &self.limited_exact,
            unknown: &self.unknown,
            bad_checksum: &self.bad_checksum,
            key_ids: &self.key_ids,
            owners: &self.owners,
        }
    }
}

/// The secret with one body character changed: well-shaped, wrong checksum.
fn flip_one(secret: &str) -> String {
    let mut bytes = secret.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap_or_default()
}

/// The release binaries beside this one, built first unless asked not to.
struct Binaries {
    keyward: PathBuf,
    ceiling: PathBuf,
}

fn release_binaries(no_build: bool) -> anyhow::Result<Binaries> {
    if !no_build {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        for (package, bin) in [("keyward", "keyward"), ("keyward-bench", "ceiling")] {
            let status = Command::new(&cargo)
                .args(["build", "--release", "-p", package, "--bin", bin])
                .current_dir(fixture::workspace_root())
                .status()
                .context("running cargo build")?;
            if !status.success() {
                bail!("cargo build --release -p {package} --bin {bin} failed");
            }
        }
    }
    let dir = std::env::current_exe()?
        .parent()
        .map(Path::to_path_buf)
        .context("the harness's own directory")?;
    let binaries = Binaries {
        keyward: dir.join("keyward"),
        ceiling: dir.join("ceiling"),
    };
    for path in [&binaries.keyward, &binaries.ceiling] {
        if !path.is_file() {
            bail!(
                "{} is missing: build it with cargo build --release",
                path.display()
            );
        }
    }
    Ok(binaries)
}
