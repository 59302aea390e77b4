//! What every request of a generated client goes through: the shared rate
//! limiter, and the server's `Retry-After` on a 429 fed back into it.

use std::sync::Arc;
use std::time::SystemTime;

use crate::limiter::RateLimiter;
use crate::retry::retry_after;

/// The state a generated client carries (progenitor's "inner" value).
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    pub(crate) limiter: Option<Arc<RateLimiter>>,
}

impl ClientState {
    /// The rate limiter every call of this client waits on, if any.
    pub fn limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_deref()
    }
}

/// Sends `request` within the rate limit; a 429 pauses the limiter for the
/// server's `Retry-After`.
pub(crate) async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    if let Some(limiter) = &state.limiter {
        limiter.acquire().await;
    }
    let response = http.execute(request).await;
    if let (Some(limiter), Ok(answer)) = (&state.limiter, &response)
        && answer.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
        && let Some(delay) = retry_after(answer.headers(), SystemTime::now())
    {
        tracing::warn!(?delay, "429 Too Many Requests: holding requests back");
        limiter.pause_for(delay);
    }
    response
}
