//! A client-side rate limiter: at most N requests in any sliding window,
//! shared by every call of every client built from one configuration (Lucca
//! counts 50 requests per minute per account, all integrations together),
//! and, with a shared budget (feature `redis`), by every process of every
//! worker.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use futures_util::future::BoxFuture;

use crate::error::StoreError;
pub use crate::rate::RateLimit;

/// A window kept outside this process, for every process of every worker
/// (Redis: `shared::SharedBudget`). What the limiter needs of it, so that
/// the limiter does not know the store.
pub(crate) trait SharedWindow: std::fmt::Debug + Send + Sync {
    /// Counts one request now if it fits (a pause included), else how long
    /// to wait before asking again.
    fn admit(&self, limit: RateLimit) -> BoxFuture<'_, Result<Option<Duration>, StoreError>>;

    /// Holds every process back for `delay`.
    fn pause(&self, delay: Duration) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Whether a store that cannot be reached is counted in this process
    /// instead (else the request fails, and nothing is sent).
    fn falls_back(&self) -> bool;
}

/// `delay` after `now`, or a year after it when the clock cannot go that far
/// (a `Duration` a server or a caller chose may be far larger).
pub(crate) fn later(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// Spaces requests so that no window of [`RateLimit::per`] holds more than
/// [`RateLimit::requests`] of them, and holds every request back while a
/// server's `Retry-After` runs. In this process, or, made by
/// [`Config::with_shared_budget`](crate::Config::with_shared_budget), in
/// Redis for every process.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    state: Mutex<Window>,
    shared: Option<Box<dyn SharedWindow>>,
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
            shared: None,
        }
    }

    /// A limiter for `limit` whose window and pauses are `shared`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn shared(limit: RateLimit, shared: Box<dyn SharedWindow>) -> Self {
        Self {
            shared: Some(shared),
            ..Self::new(limit)
        }
    }

    /// Whether the window is kept in a shared store.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The budget.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits until one more request fits, and counts it as sent now. Fails
    /// only with a shared budget whose store cannot be reached (and was not
    /// told to fall back to this process's window).
    ///
    /// With a shared budget, every request is counted in this process's
    /// window too (it holds only part of what the store counts, so it never
    /// holds a request back while the store answers): whichever way the
    /// store comes and goes, neither window is blind to what went out.
    pub async fn acquire(&self) -> Result<(), StoreError> {
        self.acquire_here().await;
        if let Some(shared) = &self.shared {
            return match self.acquire_shared(shared.as_ref()).await {
                Err(error) if shared.falls_back() => {
                    let cause = std::error::Error::source(&error).map(ToString::to_string);
                    tracing::warn!(%error, ?cause, "the shared rate budget cannot be reached: counting in this process");
                    Ok(())
                }
                result => result,
            };
        }
        Ok(())
    }

    /// Waits for room in the shared window (a pause included).
    async fn acquire_shared(&self, shared: &dyn SharedWindow) -> Result<(), StoreError> {
        while let Some(wait) = shared.admit(self.limit).await? {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Waits for room in this process's window.
    async fn acquire_here(&self) {
        loop {
            let wait_until = {
                let mut window = self.state.lock();
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

    /// Holds every request back for `delay` (a server's `Retry-After`): in
    /// this process, and in every process sharing the budget. A store that
    /// cannot be reached is logged, not an error: this process pauses
    /// anyway, and the next request finds the store down.
    pub async fn pause_for(&self, delay: Duration) {
        let until = later(Instant::now(), delay);
        {
            let mut window = self.state.lock();
            window.paused_until = window.paused_until.max(Some(until));
        }
        if let Some(shared) = &self.shared
            && let Err(error) = shared.pause(delay).await
        {
            let cause = std::error::Error::source(&error).map(ToString::to_string);
            tracing::warn!(%error, ?cause, "the pause was not shared");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_written() {
        let rate = |text: &str| text.parse::<RateLimit>();
        assert_eq!(rate("20/min"), Ok(RateLimit::per_minute(20)));
        assert_eq!(rate(" 1/s").unwrap().per, Duration::from_secs(1));
        assert_eq!(rate("600/h").unwrap().per, Duration::from_secs(3600));
        assert_eq!(rate("50/63s"), Ok(RateLimit::LUCCA));
        for wrong in ["20", "0/min", "20/fortnight", "x/min", "5/0s"] {
            assert!(rate(wrong).is_err(), "{wrong}");
        }
        assert_eq!(RateLimit::per_minute(20).to_string(), "20 a minute");
    }

    fn limiter(requests: u32, per_ms: u64) -> RateLimiter {
        RateLimiter::new(RateLimit {
            requests,
            per: Duration::from_millis(per_ms),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_window_waits_for_its_oldest_request_to_leave() {
        let limiter = limiter(3, 1000);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await.unwrap();
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first three fit at once"
        );
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        // The three sent at 0 ms all left the window at 1000 ms.
        for _ in 0..2 {
            limiter.acquire().await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(2000));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_limit() {
        let limiter = limiter(5, 100);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..40 {
            limiter.acquire().await.unwrap();
            sent.push(start.elapsed());
        }
        for (index, at) in sent.iter().enumerate() {
            let in_window = sent[index..]
                .iter()
                .filter(|later| **later - *at < Duration::from_millis(100))
                .count();
            assert!(
                in_window <= 5,
                "{in_window} requests within 100 ms of {at:?}"
            );
        }
        assert_eq!(*sent.last().unwrap(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_back_until_it_ends() {
        let limiter = limiter(50, 1000);
        let start = Instant::now();
        limiter.pause_for(Duration::from_secs(7)).await;
        limiter.pause_for(Duration::from_secs(2)).await; // a shorter pause does not shorten it
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(7));
        limiter.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }
}
