//! The rate budget in Redis: one sliding window per tenant host, counted on
//! the Redis server's clock (so that the workers' clocks never disagree),
//! and the pause a `429` asks for as a key that expires.

use std::time::Duration;

use redis::Script;

use super::{RedisStore, Step};
use crate::error::StoreError;
use crate::limiter::{RateLimit, SharedWindow};

/// Admits one request if the window has room and no pause runs: answers 0,
/// or how many microseconds to wait before asking again.
///
/// KEYS: the window (a sorted set of admitted requests, scored by the
/// server's time in microseconds), the pause. ARGV: how many requests, the
/// window in microseconds, this request's own member.
const ADMIT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return paused * 1000
end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
";

/// Holds every request back for ARGV[1] milliseconds, unless a longer pause
/// already runs. KEYS: the pause.
const PAUSE: &str = r"
local wanted = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted)
end
return 0
";

/// A year in microseconds.
const YEAR_US: u128 = 365 * 24 * 3600 * 1_000_000;

/// One tenant's budget in a [`RedisStore`].
#[derive(Debug, Clone)]
pub(crate) struct SharedBudget {
    store: RedisStore,
    window: String,
    pause: String,
}

impl SharedBudget {
    /// The budget of the tenant at `host` in `store`.
    pub(crate) fn new(store: &RedisStore, host: &str) -> Self {
        Self {
            store: store.clone(),
            window: store.key(host, "window"),
            pause: store.key(host, "pause"),
        }
    }

    /// Counts one request now if `limit` has room: `None`, or how long to
    /// wait before asking again.
    pub(crate) async fn admit(&self, limit: RateLimit) -> Result<Option<Duration>, StoreError> {
        static SCRIPT: std::sync::LazyLock<Script> =
            std::sync::LazyLock::new(|| Script::new(ADMIT));
        let requests = limit.requests.max(1).to_string();
        // A year at most: longer means the same, and Lua's numbers stay
        // exact.
        let window = limit.per.as_micros().clamp(1, YEAR_US).to_string();
        let member = uuid::Uuid::new_v4().to_string();
        let wait: u64 = self
            .store
            .run(
                Step::Repeatable,
                &SCRIPT,
                &[&self.window, &self.pause],
                &[&requests, &window, &member],
            )
            .await?;
        Ok((wait > 0).then(|| Duration::from_micros(wait)))
    }

    /// Holds every worker's requests back for `delay`.
    pub(crate) async fn pause(&self, delay: Duration) -> Result<(), StoreError> {
        static SCRIPT: std::sync::LazyLock<Script> =
            std::sync::LazyLock::new(|| Script::new(PAUSE));
        // A year at most: what `SET PX` takes, and more than any server asks.
        let millis = delay
            .as_millis()
            .clamp(1, 365 * 24 * 3600 * 1000)
            .to_string();
        self.store
            .run::<i64>(Step::Repeatable, &SCRIPT, &[&self.pause], &[&millis])
            .await
            .map(drop)
    }
}

impl SharedWindow for SharedBudget {
    fn admit(
        &self,
        limit: RateLimit,
    ) -> futures_util::future::BoxFuture<'_, Result<Option<Duration>, StoreError>> {
        Box::pin(SharedBudget::admit(self, limit))
    }

    fn pause(
        &self,
        delay: Duration,
    ) -> futures_util::future::BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(SharedBudget::pause(self, delay))
    }

    fn falls_back(&self) -> bool {
        self.store.store_down() == super::StoreDown::InProcess
    }
}
