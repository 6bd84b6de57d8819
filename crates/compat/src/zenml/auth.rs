//! Who is calling. A ZenML client logs in with its API key (`POST /api/v1/login`) and then
//! sends `Authorization: Bearer <access token>`; the core decides what a token may do
//! (`Keyward::session_caller`), exactly as for the key it was minted from. A keyward key itself is
//! accepted as the bearer too, like on the native API, which is handy with curl.
//!
//! Tokens and keys are credentials: nothing here logs them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use keyward_core::auth::Caller;
use keyward_core::secret::{PresentedSecret, SECRET_PREFIX};
use keyward_core::service::Identity;
use keyward_core::session::PresentedToken;
use keyward_core::verify::Face;
use keyward_edge::credentials::{bearer_token, client_address};
use keyward_edge::ApiState;

use super::error::ZenmlError;

/// A management caller (the key behind the token holds `keyward:admin` or `keyward:root`, or
/// `keyward:self` for its own service account's keys).
#[derive(Debug)]
pub struct Admin(pub Caller);

impl FromRequestParts<ApiState> for Admin {
    type Rejection = ZenmlError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ZenmlError> {
        let token = bearer_token(&parts.headers).ok_or(ZenmlError::NotAuthenticated)?;
        let ip = client_address(&parts.extensions, &parts.headers, state);
        let caller = if token.starts_with(SECRET_PREFIX) {
            state
                .core
                .authenticate(Face::Zenml, PresentedSecret::new(token), ip)
                .await?
        } else {
            state
                .core
                .session_caller(PresentedToken::new(token), ip)
                .await?
        };
        Ok(Admin(caller))
    }
}

/// Whoever the token speaks for, management role or not (`current-user`).
#[derive(Debug)]
pub struct Me(pub Identity);

impl FromRequestParts<ApiState> for Me {
    type Rejection = ZenmlError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ZenmlError> {
        let token = bearer_token(&parts.headers).ok_or(ZenmlError::NotAuthenticated)?;
        let ip = client_address(&parts.extensions, &parts.headers, state);
        let identity = if token.starts_with(SECRET_PREFIX) {
            // A key used directly: the identity of a session it would open.
            let session = state
                .core
                .open_session(Face::Zenml, PresentedSecret::new(token), ip)
                .await?;
            state
                .core
                .session_identity(PresentedToken::new(session.token.expose()), ip)
                .await?
        } else {
            state
                .core
                .session_identity(PresentedToken::new(token), ip)
                .await?
        };
        Ok(Me(identity))
    }
}
