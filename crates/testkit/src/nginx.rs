//! Real nginx (Debian's package) as a child process, for the gateway tests and the load harness.
//!
//! [`Nginx::start`] writes a configuration into a fresh temporary prefix and runs
//! `nginx -p <tmp> -c nginx.conf -g 'daemon off; pid …; error_log …;'` on a free port, as any
//! user (no root, no system nginx, nothing under /etc or /var). [`readme_site`] is the README's
//! "Gateways" nginx snippet itself, with its addresses replaced, so the tests prove what
//! operators copy; [`plain_site`] is nginx serving the same application without the check.
//!
//! Without nginx a test says loudly that it was skipped ([`nginx_or_skip`]); under `CI=true` it
//! fails instead (`.ci/run` installs the package).

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// Where Debian's package puts the binary; `PATH` is searched after it.
pub const NGINX_BINARY: &str = "/usr/sbin/nginx";

/// The addresses the README snippet is written with, replaced by [`readme_site`].
const README_KEYWARD: &str = "server 127.0.0.1:8080;";
const README_APP: &str = "server 127.0.0.1:3000;";
const README_LISTEN: &str = "listen 80;";

/// The nginx binary, when installed.
pub fn nginx_binary() -> Option<PathBuf> {
    let debian = PathBuf::from(NGINX_BINARY);
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nginx"))
            .find(|path| path.is_file())
    })
}

/// The nginx binary, or `None` after announcing that `test` is skipped. Panics under `CI=true`.
pub fn nginx_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(path) = nginx_binary() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but nginx is not installed ({NGINX_BINARY}): the nginx tests must not be skipped in CI"
    );
    static BANNER: Once = Once::new();
    // Straight to stderr, past the harness's capture, so the skip is seen.
    BANNER.call_once(|| {
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! keyward-testkit: nginx tests SKIPPED: no {NGINX_BINARY} and no nginx on PATH\n\
             !! (apt-get install nginx)\n{bar}\n"
        );
    });
    let _ = writeln!(std::io::stderr(), "keyward-testkit: SKIPPED {test}");
    None
}

/// The README's nginx snippet (the `upstream` blocks and the `server` block), listening on
/// `listen` and checking with keyward at `keyward` before passing to the application at `app`.
pub fn readme_site(listen: SocketAddr, keyward: SocketAddr, app: SocketAddr) -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&readme)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", readme.display()));
    let snippet = readme_snippet(&text);
    let mut site = snippet.to_owned();
    for (written, actual) in [
        (README_KEYWARD, format!("server {keyward};")),
        (README_APP, format!("server {app};")),
        (README_LISTEN, format!("listen {listen};")),
    ] {
        assert_eq!(
            site.matches(written).count(),
            1,
            "the README's nginx snippet must say `{written}` exactly once (the tests replace it)"
        );
        site = site.replace(written, &actual);
    }
    site
}

/// The first ```` ```nginx ```` block under the README's "Gateways" section.
fn readme_snippet(readme: &str) -> &str {
    let section = readme
        .find("\n## Gateways")
        .map(|at| &readme[at..])
        .expect("the README has a Gateways section");
    let start = section
        .find("```nginx\n")
        .map(|at| at + "```nginx\n".len())
        .expect("the Gateways section has an nginx snippet");
    let len = section[start..]
        .find("\n```")
        .expect("the nginx snippet is closed");
    &section[start..start + len + 1]
}

/// nginx passing everything to the application at `app` with the snippet's connection settings
/// and no check: the baseline the load harness compares the snippet with.
pub fn plain_site(listen: SocketAddr, app: SocketAddr) -> String {
    format!(
        "upstream app {{\n    server {app};\n    keepalive 32;\n}}\n\
         server {{\n    listen {listen};\n    proxy_set_header Host $host;\n    \
         proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n    \
         location / {{\n        proxy_pass http://app;\n    }}\n}}\n"
    )
}

/// A free port on 127.0.0.1 for nginx to listen on (free when asked; nginx binds it a moment
/// later, and fails loudly in the unlikely case someone took it in between).
pub fn free_local_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
}

/// How a run of nginx is set up beyond its site.
#[derive(Debug, Clone, Copy)]
pub struct NginxOptions {
    /// `worker_processes`: 1 for tests, `auto` (0 here) for load.
    pub workers: u32,
}

impl Default for NginxOptions {
    fn default() -> Self {
        Self { workers: 1 }
    }
}

/// A running nginx; stopped (and its prefix removed) on drop.
pub struct Nginx {
    /// The address of the site's `listen` (from [`free_local_addr`]).
    pub addr: SocketAddr,
    /// `http://<addr>`, no trailing slash.
    pub base_url: String,
    child: Child,
    prefix: tempfile::TempDir,
}

impl Nginx {
    /// Runs `binary` with `site` (what goes inside `http { }`) and waits until `addr` (the
    /// site's `listen`) accepts connections.
    pub fn start(
        binary: &Path,
        site: &str,
        addr: SocketAddr,
        options: NginxOptions,
    ) -> anyhow::Result<Self> {
        let prefix = tempfile::Builder::new()
            .prefix("keyward-nginx-")
            .tempdir()
            .context("a temporary prefix for nginx")?;
        let child = command(binary, prefix.path(), site, options)?
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut nginx = Self {
            addr,
            base_url: format!("http://{addr}"),
            child,
            prefix,
        };
        nginx.wait_until_listening(Duration::from_secs(20))?;
        Ok(nginx)
    }

    fn wait_until_listening(&mut self, wait: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + wait;
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "nginx exited ({status}) before listening:\n{}",
                    self.error_log()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "nginx did not listen on {} within {wait:?}:\n{}",
                    self.addr,
                    self.error_log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What nginx wrote to its error log so far (startup errors, `auth request unexpected
    /// status`, upstream failures).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM is nginx's fast shutdown; the master stops its workers before exiting.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command running `binary` in the foreground with `site` (what goes inside `http { }`)
/// from the directory `prefix`, where it writes `nginx.conf` and nginx its pid file, error log
/// (`error.log`) and temporary files.
pub fn command(
    binary: &Path,
    prefix: &Path,
    site: &str,
    options: NginxOptions,
) -> anyhow::Result<Command> {
    // nginx started as root runs its workers as `nobody`: they must reach the temp paths.
    std::fs::set_permissions(prefix, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    std::fs::write(
        prefix.join("nginx.conf"),
        main_config(prefix, site, options),
    )
    .context("writing nginx.conf")?;
    let directives = format!(
        "daemon off; pid {}; error_log {} warn;",
        prefix.join("nginx.pid").display(),
        prefix.join("error.log").display()
    );
    let mut command = Command::new(binary);
    command
        .arg("-p")
        .arg(prefix)
        .args(["-c", "nginx.conf", "-g", &directives]);
    Ok(command)
}

/// `nginx.conf`: everything nginx would otherwise write under its compiled-in paths kept in
/// `dir`, no access log, and `site` inside `http { }`.
fn main_config(dir: &Path, site: &str, options: NginxOptions) -> String {
    let temp = |name: &str| dir.join(name).display().to_string();
    let workers = match options.workers {
        0 => "auto".to_owned(),
        n => n.to_string(),
    };
    format!(
        "worker_processes {workers};\n\
         events {{\n    worker_connections 4096;\n}}\n\
         http {{\n\
         access_log off;\n\
         client_body_temp_path {};\n\
         proxy_temp_path {};\n\
         fastcgi_temp_path {};\n\
         uwsgi_temp_path {};\n\
         scgi_temp_path {};\n\
         {site}\n}}\n",
        temp("client_body"),
        temp("proxy"),
        temp("fastcgi"),
        temp("uwsgi"),
        temp("scgi"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_snippet_is_found_and_its_addresses_replaced() {
        let site = readme_site(
            "127.0.0.1:1001".parse().expect("addr"),
            "127.0.0.1:1002".parse().expect("addr"),
            "127.0.0.1:1003".parse().expect("addr"),
        );
        assert!(site.starts_with("upstream keyward {"), "{site}");
        assert!(site.contains("listen 127.0.0.1:1001;"));
        assert!(site.contains("server 127.0.0.1:1002;"));
        assert!(site.contains("server 127.0.0.1:1003;"));
        assert!(site.trim_end().ends_with('}'));
    }
}
