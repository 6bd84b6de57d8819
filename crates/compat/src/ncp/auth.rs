//! Who is calling, and the JSON body extractor with NCP's error shape. A management call is
//! signed as NCP clients sign (signature v2: `x-ncp-apigw-timestamp`, `x-ncp-iam-access-key`,
//! `x-ncp-apigw-signature-v2`, checked by the core over the request target as received), or
//! carries `Authorization: Bearer <keyward key>`; either way the key behind it needs
//! `keyward:admin` or `keyward:root`. Credentials are never logged.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use keyward_core::auth::Caller;
use keyward_core::secret::PresentedSecret;
use keyward_core::service::SignedRequest;
use keyward_core::verify::Face;
use keyward_edge::credentials::{bearer_token, client_address};
use keyward_edge::ApiState;
use serde::de::DeserializeOwned;

use super::error::NcpError;

/// The signature-v2 headers NCP clients send.
const TIMESTAMP: &str = "x-ncp-apigw-timestamp";
const ACCESS_KEY: &str = "x-ncp-iam-access-key";
const SIGNATURE: &str = "x-ncp-apigw-signature-v2";

/// A management caller: signed with an access key (signature v2), or a bearer keyward key.
#[derive(Debug)]
pub struct Admin(pub Caller);

impl FromRequestParts<ApiState> for Admin {
    type Rejection = NcpError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, NcpError> {
        let ip = client_address(&parts.extensions, &parts.headers, state);
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(access_key) = header(ACCESS_KEY) {
            let (Some(timestamp), Some(signature)) = (header(TIMESTAMP), header(SIGNATURE)) else {
                return Err(NcpError::authentication_failed(
                    "signature v2 needs x-ncp-apigw-timestamp and x-ncp-apigw-signature-v2",
                ));
            };
            // The request target exactly as the client sent it: the path and the raw query.
            let target = parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
            let request = SignedRequest {
                method: parts.method.as_str(),
                target,
                timestamp,
                access_key,
                signature,
            };
            return Ok(Admin(state.core.authenticate_signed(request, ip).await?));
        }
        let token = bearer_token(&parts.headers)
            .map(PresentedSecret::new)
            .ok_or_else(|| {
                NcpError::authentication_failed(
                    "sign the request (signature v2) or send `Authorization: Bearer <keyward key>`",
                )
            })?;
        Ok(Admin(state.core.authenticate(Face::Ncp, token, ip).await?))
    }
}

/// A JSON body; malformed JSON or a wrong field type is NCP's 400.
#[derive(Debug)]
pub struct NcpJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for NcpJson<T> {
    type Rejection = NcpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, NcpError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| NcpError::bad_request("the request body could not be read"))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(NcpJson)
            // Position only: serde's message may quote a value, and values can be secrets.
            .map_err(|e| {
                NcpError::bad_request(format!(
                    "malformed or mistyped JSON body at line {} column {}",
                    e.line(),
                    e.column()
                ))
            })
    }
}
