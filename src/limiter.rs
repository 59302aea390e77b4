//! A client-side rate limiter: at most N requests in any sliding window,
//! shared by every call of every client built from one configuration (Lucca
//! counts 50 requests per minute per account, all integrations together).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A request budget: `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests.
    pub requests: u32,
    /// In how long a window.
    pub per: Duration,
}

impl RateLimit {
    /// Lucca's documented limit, 50 requests per minute per account, with a
    /// 5 % margin on the window so that network jitter never makes the
    /// server count 51.
    pub const LUCCA: RateLimit = RateLimit {
        requests: 50,
        per: Duration::from_secs(63),
    };
}

/// Spaces requests so that no window of [`RateLimit::per`] holds more than
/// [`RateLimit::requests`] of them, and holds every request back while a
/// server's `Retry-After` runs.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter for `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            state: Mutex::new(Window::default()),
        }
    }

    /// The budget.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits until one more request fits, and counts it as sent now.
    pub async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut window = self
                    .state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                while window
                    .sent
                    .front()
                    .is_some_and(|sent| now.duration_since(*sent) >= self.limit.per)
                {
                    window.sent.pop_front();
                }
                let paused = window.paused_until.filter(|until| *until > now);
                let full = window.sent.len() >= self.limit.requests.max(1) as usize;
                match (paused, full) {
                    (None, false) => {
                        window.sent.push_back(now);
                        return;
                    }
                    (paused, _) => {
                        let room = if full {
                            window.sent.front().map(|oldest| *oldest + self.limit.per)
                        } else {
                            None
                        };
                        paused.max(room).unwrap_or(now)
                    }
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Holds every request back for `delay` (a server's `Retry-After`).
    pub fn pause_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut window = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        window.paused_until = window.paused_until.max(Some(until));
    }
}
