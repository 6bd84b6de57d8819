//! The nginx scenario: the README's snippet (nginx `auth_request` to keyward, then the
//! application) against nginx serving the same application without the check. The application
//! is the ceiling server, so the ratio shows what the check costs a request that nginx proxies
//! anyway. nginx is Debian's (`keyward_testkit::nginx`, which the gateway tests run too); without
//! it the scenario is skipped with a message.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use keyward_testkit::nginx::{
    command, free_local_addr, nginx_binary, plain_site, readme_site, NginxOptions,
};

use super::servers::Server;

/// The scenario's name.
pub const NGINX_GATEWAY: &str = "nginx + keyward (README snippet), GET /api";

/// The path the scenario requests: the snippet's `location /`.
pub const PATH: &str = "/api/resource";

/// nginx with the snippet, and nginx alone, both in front of the ceiling server.
pub struct NginxPair {
    pub gated: Server,
    pub plain: Server,
    _prefixes: [tempfile::TempDir; 2],
}

impl NginxPair {
    /// Starts both, or `None` when nginx is not installed.
    pub fn start(keyward: &Server, ceiling: &Server) -> anyhow::Result<Option<Self>> {
        let Some(binary) = nginx_binary() else {
            return Ok(None);
        };
        let keyward_addr = addr_of(keyward)?;
        let app = addr_of(ceiling)?;
        // As many workers as cores, as a production nginx runs.
        let options = NginxOptions { workers: 0 };
        let start = |name: &'static str, site: &dyn Fn(SocketAddr) -> String| {
            let listen = free_local_addr();
            let prefix = tempfile::Builder::new()
                .prefix("keyward-bench-nginx-")
                .tempdir()?;
            let command = command(&binary, prefix.path(), &site(listen), options)?;
            let server = Server::spawn(name, command, format!("http://{listen}"))?;
            wait_listening(listen, prefix.path())?;
            anyhow::Ok((server, prefix))
        };
        let (gated, gated_prefix) = start("nginx+keyward", &|listen| {
            readme_site(listen, keyward_addr, app)
        })?;
        let (plain, plain_prefix) = start("nginx", &|listen| plain_site(listen, app))?;
        Ok(Some(Self {
            gated,
            plain,
            _prefixes: [gated_prefix, plain_prefix],
        }))
    }

    pub fn stop(self) {
        self.gated.stop();
        self.plain.stop();
    }
}

fn addr_of(server: &Server) -> anyhow::Result<SocketAddr> {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .with_context(|| format!("the address of {}", server.base))
}

fn wait_listening(addr: SocketAddr, prefix: &std::path::Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
            bail!("nginx did not listen on {addr} within 20 s:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
