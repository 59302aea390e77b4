//! What every request of a client goes through: the shared rate limiter,
//! the access token (for credentials that obtain one), the server's
//! `Retry-After` on a 429 fed back into the limiter, and one retry with a
//! fresh token after a 401.

use std::sync::Arc;
use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;

use crate::limiter::RateLimiter;
use crate::retry::retry_after;
use crate::token::{AuthError, TokenSource};

/// The state a generated client carries (progenitor's "inner" value).
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    pub(crate) tokens: Option<Arc<TokenSource>>,
}

impl ClientState {
    /// The rate limiter every call of this client waits on, if any.
    pub fn limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_deref()
    }

    /// Where this client's access tokens come from, if it obtains them.
    pub fn tokens(&self) -> Option<&TokenSource> {
        self.tokens.as_deref()
    }
}

/// Sets the access token on `request`, for credentials that obtain one.
pub(crate) async fn authorize(
    state: &ClientState,
    request: &mut reqwest::Request,
) -> Result<(), AuthError> {
    if let Some(tokens) = &state.tokens {
        let header = tokens.header().await?;
        request.headers_mut().insert(AUTHORIZATION, header);
    }
    Ok(())
}

async fn send_once(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    if let Some(limiter) = &state.limiter {
        limiter.acquire().await;
    }
    let response = http.execute(request).await;
    if let (Some(limiter), Ok(answer)) = (&state.limiter, &response)
        && answer.status() == StatusCode::TOO_MANY_REQUESTS
        && let Some(delay) = retry_after(answer.headers(), SystemTime::now())
    {
        tracing::warn!(?delay, "429 Too Many Requests: holding requests back");
        limiter.pause_for(delay);
    }
    response
}

/// Whether an operation may be sent again after a 401.
pub(crate) fn resendable(operation_id: &str) -> bool {
    !crate::retry::NEVER_RESENT.contains(&operation_id)
}

/// Sends an authorized `request` within the rate limit. A 401 with an
/// obtained token refreshes it and, if `resend` allows and the body can be
/// sent again, sends the request once more: the server refused it before
/// doing anything.
pub(crate) async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
    resend: bool,
) -> reqwest::Result<reqwest::Response> {
    let Some(tokens) = &state.tokens else {
        return send_once(http, state, request).await;
    };
    let again = if resend { request.try_clone() } else { None };
    let used = request.headers().get(AUTHORIZATION).cloned();
    let answer = send_once(http, state, request).await?;
    if answer.status() != StatusCode::UNAUTHORIZED {
        return Ok(answer);
    }
    tokens.reject(used.as_ref()).await;
    let Some(mut again) = again else {
        return Ok(answer);
    };
    match tokens.header().await {
        Ok(header) => {
            tracing::info!("401 Unauthorized: sending again with a fresh token");
            again.headers_mut().insert(AUTHORIZATION, header);
            send_once(http, state, again).await
        }
        Err(error) => {
            tracing::warn!(%error, "401 Unauthorized and no fresh token");
            Ok(answer)
        }
    }
}

/// Authorizes and sends a handwritten request.
pub(crate) async fn send(
    http: &reqwest::Client,
    state: &ClientState,
    mut request: reqwest::Request,
) -> Result<reqwest::Response, SendError> {
    authorize(state, &mut request)
        .await
        .map_err(SendError::Auth)?;
    execute(http, state, request, true)
        .await
        .map_err(SendError::Http)
}

/// A handwritten request could not be sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("no access token")]
    Auth(#[source] AuthError),
    #[error(transparent)]
    Http(reqwest::Error),
}
