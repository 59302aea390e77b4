//! What every request of a client goes through: the shared rate limiter,
//! the access token (for credentials that obtain one), the server's
//! `Retry-After` on a 429 fed back into the limiter, and one retry with a
//! fresh token after a 401.

use std::sync::Arc;
use std::time::SystemTime;

use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};

use crate::limiter::RateLimiter;
use crate::retry::{Backoff, CallKind, is_transient_status, retry_after};
use crate::token::{AuthError, TokenSource};

/// The state a generated client carries (progenitor's "inner" value).
#[derive(Debug, Clone)]
pub struct ClientState {
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    pub(crate) tokens: Option<Arc<TokenSource>>,
    pub(crate) max_response: usize,
    pub(crate) reads: Backoff,
}

impl Default for ClientState {
    fn default() -> Self {
        Self {
            limiter: None,
            tokens: None,
            max_response: crate::config::DEFAULT_MAX_RESPONSE,
            reads: Backoff::READS,
        }
    }
}

/// The answer with a body that fails once it passes `max` bytes, so that a
/// server sending gigabytes cannot exhaust memory.
fn bounded(answer: reqwest::Response, max: usize) -> reqwest::Response {
    let answer: http::Response<reqwest::Body> = answer.into();
    let (parts, body) = answer.into_parts();
    let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, max));
    reqwest::Response::from(http::Response::from_parts(parts, limited))
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
    let response = http
        .execute(request)
        .await
        .map(|answer| bounded(answer, state.max_response));
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

/// Sends an authorized `request` within the rate limit; a `GET` is tried
/// again on transient failures (see [`Backoff::READS`]).
pub(crate) async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    mut request: reqwest::Request,
    resend: bool,
) -> reqwest::Result<reqwest::Response> {
    if request.method() != Method::GET {
        return execute_once(http, state, request, resend).await;
    }
    let mut attempt = 1;
    loop {
        let again = (attempt < state.reads.attempts)
            .then(|| request.try_clone())
            .flatten();
        let result = execute_once(http, state, request, resend).await;
        let hint = match &result {
            Err(_) => None,
            Ok(answer) if is_transient_status(answer.status(), CallKind::Read) => {
                retry_after(answer.headers(), SystemTime::now())
            }
            Ok(_) => return result,
        };
        let Some(next) = again else {
            return result;
        };
        tracing::warn!(attempt, status = ?result.as_ref().ok().map(reqwest::Response::status), "transient failure of a read; trying again");
        tokio::time::sleep(state.reads.delay(attempt - 1).max(hint.unwrap_or_default())).await;
        request = next;
        attempt += 1;
    }
}

/// One send. A 401 with an obtained token refreshes it and, if `resend`
/// allows and the body can be sent again, sends the request once more: the
/// server refused it before doing anything.
async fn execute_once(
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
