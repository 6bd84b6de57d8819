//! The servers under load, as child processes: `keyward serve` (the release binary) and the
//! ceiling server. Each is read for its `listening on http://ADDR` line, keeps its stderr lines
//! (the harness counts keyward's last-used flushes in them), and is stopped with SIGTERM so
//! keyward shuts down as in production.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// What keyward and the ceiling print once bound, followed by their address.
const LISTENING: &str = "listening on http://";

/// A line a server wrote to stderr, and when the harness read it.
pub type Line = (Instant, String);

/// A running server.
pub struct Server {
    pub name: &'static str,
    pub base: String,
    child: Child,
    lines: Arc<Mutex<Vec<Line>>>,
}

impl Server {
    /// Starts `command` and waits (at most `wait`) for a stderr line with `marker` followed by
    /// the address it listens on (`listening on http://` for keyward and the ceiling).
    pub fn start(
        name: &'static str,
        mut command: Command,
        marker: &'static str,
        wait: Duration,
    ) -> anyhow::Result<Self> {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let stderr = child.stderr.take().context("the child's stderr")?;
        let lines: Arc<Mutex<Vec<Line>>> = Arc::default();
        let (found, addr) = std::sync::mpsc::channel::<String>();
        {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                let mut found = Some(found);
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(at) = line.find(marker) {
                        if let Some(tx) = found.take() {
                            let rest = &line[at + marker.len()..];
                            let addr = rest.split_whitespace().next().unwrap_or_default();
                            let _ = tx.send(addr.to_owned());
                        }
                    }
                    if let Ok(mut lines) = lines.lock() {
                        lines.push((Instant::now(), line));
                    }
                }
            });
        }
        let addr = match addr.recv_timeout(wait) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let said = lines
                    .lock()
                    .map(|l| {
                        l.iter()
                            .map(|(_, t)| t.clone())
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default();
                bail!("{name} did not start listening within {wait:?}:\n{said}");
            }
        };
        Ok(Self {
            name,
            base: format!("http://{addr}"),
            child,
            lines,
        })
    }

    /// Starts `command`, which will listen at `base`, without waiting for it.
    pub fn spawn(name: &'static str, mut command: Command, base: String) -> anyhow::Result<Self> {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let stderr = child.stderr.take().context("the child's stderr")?;
        let lines: Arc<Mutex<Vec<Line>>> = Arc::default();
        {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut lines) = lines.lock() {
                        lines.push((Instant::now(), line));
                    }
                }
            });
        }
        Ok(Self {
            name,
            base,
            child,
            lines,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every stderr line read so far.
    pub fn all_lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|lines| lines.iter().map(|(_, text)| text.clone()).collect())
            .unwrap_or_default()
    }

    /// Stderr lines read between `from` and `to`.
    pub fn lines_between(&self, from: Instant, to: Instant) -> Vec<String> {
        self.lines
            .lock()
            .map(|lines| {
                lines
                    .iter()
                    .filter(|(at, _)| *at >= from && *at <= to)
                    .map(|(_, text)| text.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts a new peak-RSS window (Linux: writing 5 to `clear_refs` resets `VmHWM`). False when
    /// the kernel refused, and the peak then covers the process's whole life.
    pub fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// Peak resident memory since the last reset, in bytes (`VmHWM`).
    pub fn peak_rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// SIGTERM, then waits up to 30 s (keyward drains and flushes), then kills.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `keyward serve` on `db` with the fixture's pepper, sharing limits through `redis_url` when
/// given. The last-used flusher logs at debug (and nothing else does: the hot path's spans stay
/// off), so its batches can be counted.
pub fn keyward(
    binary: &Path,
    db_url: &str,
    pepper: &str,
    redis_url: Option<&str>,
) -> anyhow::Result<Server> {
    keyward_named("keyward", binary, db_url, pepper, redis_url, true)
}

/// `keyward`, with Prometheus metrics on or off (`--metrics-cost` compares the two), under `name`.
pub fn keyward_named(
    name: &'static str,
    binary: &Path,
    db_url: &str,
    pepper: &str,
    redis_url: Option<&str>,
    metrics: bool,
) -> anyhow::Result<Server> {
    let mut command = Command::new(binary);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("KEYWARD_DATABASE_URL", db_url)
        .env("KEYWARD_PEPPER", pepper)
        .env("KEYWARD_LOG", "info,keyward::app=debug")
        .env("KEYWARD_METRICS", if metrics { "true" } else { "false" });
    if let Some(url) = redis_url {
        command.env("KEYWARD_REDIS_URL", url);
    }
    Server::start(name, command, LISTENING, Duration::from_secs(60))
}

/// The ceiling server.
pub fn ceiling(binary: &Path) -> anyhow::Result<Server> {
    let mut command = Command::new(binary);
    command.args(["--listen", "127.0.0.1:0"]);
    Server::start("ceiling", command, LISTENING, Duration::from_secs(60))
}
