//! The HTTP client behind the `keys`, `principals`, `domains` and `operations` commands: the
//! public REST API, nothing private. Failures become [`ClientError`]s whose messages say what to
//! do next; the token never appears in one.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

/// How to reach the server. `global`, so the flags go after any subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// URL of the keyward server.
    #[arg(
        long,
        env = "KEYWARD_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,

    /// Management key (keyward:admin or keyward:root). Prefer KEYWARD_TOKEN: a flag's value is
    /// visible to other users in `ps`.
    #[arg(long, env = "KEYWARD_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,

    /// Print the server's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Why a request failed, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach keyward at {0}: is it running?")]
    Unreachable(String),
    #[error("keyward at {0} did not answer in time")]
    Timeout(String),
    #[error("no token given (set --token or KEYWARD_TOKEN)")]
    NoToken,
    #[error("the token was refused (set --token or KEYWARD_TOKEN)")]
    Refused,
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
    token: Option<String>,
}

impl ApiClient {
    pub fn new(args: &ClientArgs) -> anyhow::Result<Self> {
        let base = Url::parse(&args.url)
            .map_err(|e| anyhow::anyhow!("--url `{}` is not a URL: {e}", args.url))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            anyhow::bail!("--url must be an http:// or https:// URL");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("keyward-cli/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let token = args.token.clone().filter(|t| !t.trim().is_empty());
        Ok(Self { http, base, token })
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
            let token = self.token.as_deref().ok_or(ClientError::NoToken)?;
            request = request.bearer_auth(token);
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
        ApiClient::new(&ClientArgs {
            url: url.into(),
            token: None,
            json: false,
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
            let args = ClientArgs {
                url: url.into(),
                token: None,
                json: false,
            };
            assert!(ApiClient::new(&args).is_err(), "{url}");
        }
    }
}
