//! The load generator: `wrk` (Debian's package, installed with apt-get when missing). Each
//! scenario is a Lua script that spreads requests over a file of keys (or makes unique names)
//! and prints its summary as one JSON line, so nothing depends on wrk's human-readable output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde::Deserialize;

/// What one wrk run measured.
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    pub requests: u64,
    pub duration_us: u64,
    /// Answers other than 2xx/3xx.
    pub non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    /// Answers by status, when the scenario counts them.
    #[serde(default)]
    pub statuses: BTreeMap<String, u64>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }
}

/// How hard to push.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub connections: u32,
    pub threads: u32,
    pub duration: Duration,
}

/// Finds wrk, installing Debian's package when it is missing.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    if let Some(path) = which("wrk") {
        return Ok(path);
    }
    eprintln!("loadtest: wrk is missing; installing Debian's package (apt-get install -y wrk)");
    let status = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .status()
        .context("running apt-get")?;
    if !status.success() {
        let _ = Command::new("apt-get").arg("update").status();
        let status = Command::new("apt-get")
            .args(["install", "-y", "wrk"])
            .status()?;
        if !status.success() {
            bail!("cannot install wrk with apt-get");
        }
    }
    which("wrk").context("wrk is still not on PATH after installing it")
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// Runs `script` against `base` (e.g. `http://127.0.0.1:8080`) and answers what it measured.
pub fn run(wrk: &Path, base: &str, script: &Path, load: Load) -> anyhow::Result<Outcome> {
    let output = Command::new(wrk)
        .arg("-t")
        .arg(load.threads.to_string())
        .arg("-c")
        .arg(load.connections.to_string())
        .arg("-d")
        // wrk takes whole seconds (or minutes, hours).
        .arg(format!("{}s", load.duration.as_secs().max(1)))
        .args(["--timeout", "30s", "-s"])
        .arg(script)
        .arg(base)
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK_RESULT "))
        .with_context(|| {
            format!(
                "wrk printed no result (status {}): {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    serde_json::from_str(line).with_context(|| format!("reading wrk's result `{line}`"))
}

/// Gives each wrk thread its own number (`id`), so threads start at different keys and make
/// distinct names; keeps the threads so `done` can collect their status counts.
const SETUP: &str = r#"
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
"#;

/// Counts answers by status in each thread (only for slow scenarios: a `response` function
/// makes wrk parse every answer into Lua).
const COUNT_STATUSES: &str = r#"
statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"#;

/// The summary as one JSON line.
const DONE: &str = r#"
done = function(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ",")))
end
"#;

/// Requests that differ only by key are formatted once per key in `init`; only templates with a
/// counter (unique names) are formatted per request. Per request the generator then does the
/// same table lookup for keyward and for the ceiling.
const REQUESTS: &str = r#"
local n = 0
local reqs = {}
local stamp = ""
local function fill(text, key)
  text = string.gsub(text, "{key}", function() return key end)
  text = string.gsub(text, "{t}", stamp)
  text = string.gsub(text, "{n}", tostring(n))
  return (string.gsub(text, "{id}", tostring(id or 0)))
end
local function build(key)
  local h = {}
  for name, value in pairs(headers) do h[name] = fill(value, key) end
  local b = nil
  if body then b = fill(body, key) end
  return wrk.format(method, fill(path, key), h, b)
end
function init(args)
  n = (id or 0) * 7919
  stamp = string.format("%x", os.time())
  if not dynamic then
    for i, key in ipairs(keys) do reqs[i] = build(key) end
    if #reqs == 0 then reqs[1] = build("") end
  end
end
request = function()
  n = n + 1
  if dynamic then return build(keys[(n % math.max(#keys, 1)) + 1] or "") end
  return reqs[(n % #reqs) + 1]
end
"#;

/// A request template: `{key}` (from the key file, round robin), `{n}` (a per-thread counter),
/// `{id}` (the wrk thread) and `{t}` (the run's start, in seconds: names stay unique across
/// rounds) are substituted in the path, headers and body.
#[derive(Debug, Clone)]
pub struct Template {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// One value per line, substituted for `{key}`.
    pub keys: Option<PathBuf>,
    /// Count answers by status (costs the generator; for slow scenarios).
    pub count_statuses: bool,
}

/// Writes the Lua script for `template` to `path`.
pub fn write_script(path: &Path, template: &Template) -> anyhow::Result<()> {
    let mut lua = String::from("-- written by keyward's load harness (crates/bench)\n");
    lua.push_str(SETUP);
    lua.push_str("local keys = {}\n");
    if let Some(file) = &template.keys {
        lua.push_str(&format!(
            "for line in io.lines({}) do keys[#keys + 1] = line end\n",
            lua_string(&file.display().to_string())
        ));
    }
    let headers: Vec<String> = template
        .headers
        .iter()
        .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_string(v)))
        .collect();
    let dynamic = template.path.contains("{n}")
        || template.body.as_deref().is_some_and(|b| b.contains("{n}"));
    lua.push_str(&format!(
        "local method = {}\nlocal path = {}\nlocal headers = {{{}}}\nlocal body = {}\nlocal dynamic = {dynamic}\n",
        lua_string(template.method),
        lua_string(&template.path),
        headers.join(", "),
        template
            .body
            .as_deref()
            .map_or_else(|| "nil".to_owned(), lua_string),
    ));
    lua.push_str(REQUESTS);
    if template.count_statuses {
        lua.push_str(COUNT_STATUSES);
    }
    lua.push_str(DONE);
    std::fs::write(path, lua).with_context(|| format!("writing {}", path.display()))
}

fn lua_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
