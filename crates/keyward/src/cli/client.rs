//! The HTTP client behind the `keys`, `principals`, `domains` and `operations` commands: the
//! public REST API, nothing private. Failures become [`ClientError`]s whose messages say what to
//! do next; the token never appears in one.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::output::Format;

/// The server URL when neither a flag, the environment nor a context gives one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// How to reach the server and what to print. Declared on the top-level command with `global`,
/// so each flag works anywhere on the line (`keyward --json keys list`, `keyward keys list -o
/// yaml`). The environment (`KEYWARD_URL`, `KEYWARD_TOKEN`) and the contexts of the CLI config
/// are read when the command runs (see `contexts::resolve`), so a flag, the environment and a
/// context can be told apart: flags > `--context` > environment > current context.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Client options")]
pub struct ClientArgs {
    /// URL of the keyward server [env: KEYWARD_URL; else the context's; else http://127.0.0.1:8080].
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Management key (keyward:admin or keyward:root) [env: KEYWARD_TOKEN]. Prefer the
    /// environment or `keyward login`: a flag's value is visible to other users in `ps`.
    #[arg(long, global = true, value_name = "TOKEN", value_parser = Token::parse)]
    pub token: Option<Token>,

    /// Use this context of the CLI config (see `keyward context list`) instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,

    /// Same as `-o json` (`-o` with another format is refused: see `cli::parse_args`).
    #[arg(long, global = true)]
    pub json: bool,
}

impl ClientArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.output.unwrap_or_default()
        }
    }
}

/// A management token. Its `Debug` does not print it; [`Token::expose`] is the only way out.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Longest token accepted: keyward keys are far shorter; this only bounds what is stored.
    const MAX_LEN: usize = 4096;

    /// Trims the text; refuses empty, over-long or multi-line tokens, without echoing them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let token = text.trim();
        if token.is_empty() {
            return Err("the token is empty".into());
        }
        if token.len() > Self::MAX_LEN || token.chars().any(char::is_control) {
            return Err("that is not a token (too long, or holds control characters)".into());
        }
        Ok(Self(token.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the commands go: the server and the token, once flags, environment and contexts are
/// weighed.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub token: Option<Token>,
}

/// Why a request failed, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach keyward at {0}: is it running?")]
    Unreachable(String),
    #[error("keyward at {0} did not answer in time")]
    Timeout(String),
    #[error("no token given (run `keyward login`, or set KEYWARD_TOKEN or --token)")]
    NoToken,
    #[error("the token was refused: it is unknown, expired or disabled (run `keyward login` again, or set KEYWARD_TOKEN or --token)")]
    Refused,
    /// Nothing matched what the user named (a key name, say).
    #[error("{0}")]
    NotFound(String),
    /// The server's own error body: `code: message`.
    #[error("{code}: {message}")]
    Api {
        status: StatusCode,
        code: String,
        message: String,
    },
    /// A non-keyward answer (a proxy's error page, say).
    #[error("unexpected answer from the server: HTTP {status}{detail}")]
    Status { status: StatusCode, detail: String },
    #[error("the server's answer is not valid JSON: {0}")]
    BadBody(serde_json::Error),
    #[error("request failed: {0}")]
    Http(#[source] reqwest::Error),
}

/// A client for one server and token.
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Option<Token>,
}

/// Checks that `text` is an http(s) URL the client can append paths to.
pub fn parse_base_url(text: &str) -> anyhow::Result<Url> {
    let base = Url::parse(text).map_err(|e| anyhow::anyhow!("`{text}` is not a URL: {e}"))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        anyhow::bail!("the server URL must be an http:// or https:// URL");
    }
    Ok(base)
}

impl ApiClient {
    pub fn new(target: &Target) -> anyhow::Result<Self> {
        let base = parse_base_url(&target.url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("keyward-cli/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base,
            token: target.token.clone(),
        })
    }

    /// The base URL with `segments` appended, each percent-encoded (ids come from the user).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub async fn get(
        &self,
        segments: &[&str],
        query: &[(String, String)],
    ) -> Result<Value, ClientError> {
        let request = self.http.get(self.url(segments)).query(query);
        self.send(request, true)
            .await
            .map(Option::unwrap_or_default)
    }

    pub async fn post(&self, segments: &[&str], body: &Value) -> Result<Value, ClientError> {
        self.call(Method::POST, segments, Some(body)).await
    }

    pub async fn patch(&self, segments: &[&str], body: &Value) -> Result<Value, ClientError> {
        self.call(Method::PATCH, segments, Some(body)).await
    }

    pub async fn delete(&self, segments: &[&str]) -> Result<(), ClientError> {
        let request = self.http.delete(self.url(segments));
        self.send(request, true).await.map(drop)
    }

    /// `POST /v1/keys/verify` needs no management token, and sends none.
    pub async fn verify(&self, body: &Value) -> Result<Value, ClientError> {
        let request = self
            .http
            .post(self.url(&["v1", "keys", "verify"]))
            .json(body);
        self.send(request, false)
            .await
            .map(Option::unwrap_or_default)
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let mut request = self.http.request(method, self.url(segments));
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request, true)
            .await
            .map(Option::unwrap_or_default)
    }

    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        authenticated: bool,
    ) -> Result<Option<Value>, ClientError> {
        if authenticated {
            let token = self.token.as_ref().ok_or(ClientError::NoToken)?;
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(ClientError::BadBody);
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(ClientError::Refused);
        }
        Err(api_error(status, &bytes))
    }

    fn transport(&self, error: reqwest::Error) -> ClientError {
        let at = self.base.as_str().trim_end_matches('/').to_string();
        if error.is_connect() {
            ClientError::Unreachable(at)
        } else if error.is_timeout() {
            ClientError::Timeout(at)
        } else {
            ClientError::Http(error.without_url())
        }
    }
}

/// Reads `{"error": {"code", "message"}}`, or describes whatever else came back.
fn api_error(status: StatusCode, body: &[u8]) -> ClientError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
    let message = error.and_then(|e| e.get("message")).and_then(Value::as_str);
    match (code, message) {
        (Some(code), Some(message)) => ClientError::Api {
            status,
            code: code.to_string(),
            message: message.to_string(),
        },
        _ => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let detail = if text.is_empty() {
                String::new()
            } else {
                format!(": {}", text.chars().take(200).collect::<String>())
            };
            ClientError::Status { status, detail }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str) -> ApiClient {
        ApiClient::new(&Target {
            url: url.into(),
            token: None,
        })
        .expect("client")
    }

    #[test]
    fn urls_append_encoded_segments() {
        let c = client("http://127.0.0.1:8080");
        assert_eq!(
            c.url(&["v1", "keys"]).as_str(),
            "http://127.0.0.1:8080/v1/keys"
        );
        let c = client("https://example.com/keyward/");
        assert_eq!(
            c.url(&["v1", "keys", "../domains"]).as_str(),
            "https://example.com/keyward/v1/keys/..%2Fdomains"
        );
    }

    #[test]
    fn server_errors_read_as_code_and_message() {
        let body = br#"{"error":{"code":"CONFLICT","message":"name already used"}}"#;
        let err = api_error(StatusCode::CONFLICT, body);
        assert_eq!(err.to_string(), "CONFLICT: name already used");
        let err = api_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(err.to_string().contains("HTTP 502"), "{err}");
    }

    #[test]
    fn bad_urls_are_refused() {
        for url in ["not a url", "ftp://x", "mailto:a@b"] {
            let target = Target {
                url: url.into(),
                token: None,
            };
            assert!(ApiClient::new(&target).is_err(), "{url}");
        }
    }

    #[test]
    fn tokens_do_not_print_and_are_bounded() {
        let token = Token::parse("  kw_secret\n").expect("a token");
        assert_eq!(token.expose(), "kw_secret");
        assert!(!format!("{token:?}").contains("kw_secret"));
        assert!(Token::parse("   ").is_err());
        assert!(Token::parse("a\tb").is_err());
        assert!(Token::parse(&"x".repeat(5000)).is_err());
    }
}
