//! Several workers, one tenant (feature `redis`): Lucca's 50 requests a
//! minute are counted per tenant, whatever process sends them, and an import
//! cannot be undone whichever worker sent it. A [`RedisStore`] keeps both
//! where every worker sees them:
//!
//! - the rate budget: [`Config::with_shared_budget`](crate::Config::with_shared_budget)
//!   counts every request of every client of that configuration, in every
//!   process, in one window per tenant host (one Lua script, a sliding
//!   window on the Redis server's clock), and the pause a `429` asks for is
//!   a key that expires;
//! - the import journal: [`ImportJournal::redis`](crate::office::ImportJournal::redis).
//!
//! When Redis cannot be reached, a call fails with
//! [`HttpError::Budget`](crate::HttpError::Budget) before anything is sent,
//! unless the store was opened with [`StoreDown::InProcess`]: then each
//! process falls back to its own limiter (never to no limit). The journal
//! never falls back.
//!
//! ```no_run
//! use roster::shared::RedisStore;
//! use roster::{LuccaConfig, office};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::open("redis://redis.internal:6379")?;
//! let office: office::Client = LuccaConfig::from_env()?.with_shared_budget(&store).client()?;
//! # Ok(()) }
//! ```

mod budget;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::StoreError;

pub(crate) use budget::SharedBudget;

/// What happens to the rate budget when Redis cannot be reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreDown {
    /// The call fails with [`HttpError::Budget`](crate::HttpError::Budget);
    /// nothing is sent. The default.
    #[default]
    Fail,
    /// Each process counts its own requests with its in-process limiter
    /// until Redis answers again (the processes together may then exceed the
    /// tenant's budget, and get `429`s).
    InProcess,
}

/// How long a connection to Redis, or one answer, may take, by default.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis server shared by several workers; see the [module](self). Cheap
/// to clone: clones share one connection, opened on first use.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// The address without its password, for messages.
    shown: String,
    prefix: String,
    timeout: Duration,
    when_down: StoreDown,
    /// The connection, opened on first use, and again after a timeout (a
    /// socket that hangs without closing is never reconnected by itself).
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    health: parking_lot::Mutex<Health>,
}

/// Whether the store answered lately.
#[derive(Debug, Default)]
struct Health {
    /// Until when the store is not asked again, after it failed to answer:
    /// calls fail (or fall back) at once instead of each waiting for it.
    down_until: Option<std::time::Instant>,
    /// When a call that answered started last.
    last_ok: Option<std::time::Instant>,
}

/// How a script is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Sent again once after a dropped connection (it has the same effect
    /// twice); not sent while the store is marked down.
    Repeatable,
    /// Like `Repeatable`, but sent even while the store is marked down: a
    /// journal's record after a creation left is always tried.
    Record,
    /// Sent once: a second run would answer otherwise (a resolution).
    Once,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.inner.shown)
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .field("when_down", &self.inner.when_down)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// The Redis server at `url` (`redis://[:password@]host[:port][/db]`).
    /// Nothing is connected yet; a URL that does not parse is an error that
    /// does not show its password.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let shown = without_password(url);
        let client = redis::Client::open(url).map_err(|source| StoreError::new(&shown, source))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                shown,
                prefix: "roster".to_owned(),
                timeout: DEFAULT_STORE_TIMEOUT,
                when_down: StoreDown::Fail,
                connection: tokio::sync::Mutex::new(None),
                health: parking_lot::Mutex::new(Health::default()),
            }),
        })
    }

    /// Sets what the rate budget does when Redis cannot be reached
    /// ([`StoreDown::Fail`] unless set).
    pub fn when_down(self, when_down: StoreDown) -> Self {
        self.rebuilt(|inner| inner.when_down = when_down)
    }

    /// Sets the first part of every key (`roster` unless set), so that
    /// several deployments can share one Redis.
    pub fn with_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.rebuilt(|inner| inner.prefix = prefix)
    }

    /// Sets how long connecting, or one answer, may take
    /// ([`DEFAULT_STORE_TIMEOUT`] unless set).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.rebuilt(|inner| inner.timeout = timeout)
    }

    fn rebuilt(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            client: self.inner.client.clone(),
            shown: self.inner.shown.clone(),
            prefix: self.inner.prefix.clone(),
            timeout: self.inner.timeout,
            when_down: self.inner.when_down,
            connection: tokio::sync::Mutex::new(None),
            health: parking_lot::Mutex::new(Health::default()),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The address, without its password.
    pub fn address(&self) -> &str {
        &self.inner.shown
    }

    /// What the rate budget does when Redis cannot be reached.
    pub fn store_down(&self) -> StoreDown {
        self.inner.when_down
    }

    /// The key of `name` for `tenant`: `prefix:{tenant}:name` (the tenant
    /// in braces, so that a cluster keeps a tenant's keys together).
    pub(crate) fn key(&self, tenant: &str, name: &str) -> String {
        format!("{}:{{{tenant}}}:{name}", self.inner.prefix)
    }

    /// The shared connection, opened on first use (and again after a
    /// failed attempt or a timeout), within the store's timeout; it
    /// reconnects by itself after a dropped connection.
    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        let timeout = self.inner.timeout;
        let opening = async {
            let mut connection = self.inner.connection.lock().await;
            if let Some(open) = &*connection {
                return Ok(open.clone());
            }
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(0);
            let open =
                ConnectionManager::new_with_config(self.inner.client.clone(), config).await?;
            *connection = Some(open.clone());
            Ok(open)
        };
        match tokio::time::timeout(timeout, opening).await {
            Ok(opened) => opened,
            Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
        }
    }

    /// Runs `script` with `keys` and `args`, as `step` says. A connection
    /// found dropped (a Redis restarted since the last call) is opened
    /// again and a repeatable script sent once more: a second count only
    /// makes the budget stricter, and a journal step repeats its own
    /// attempt's. A store that failed is not asked again for its timeout,
    /// unless something answered since the failing call started.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        step: Step,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, StoreError> {
        let started = std::time::Instant::now();
        let down = self.inner.health.lock().down_until;
        if step != Step::Record && down.is_some_and(|until| started < until) {
            let recently = std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "it did not answer a moment ago (asked again after its timeout)",
            );
            return Err(StoreError::new(&self.inner.shown, recently));
        }
        let mut result = self.invoke(script, keys, args).await;
        if step != Step::Once
            && result
                .as_ref()
                .is_err_and(redis::RedisError::is_connection_dropped)
        {
            result = self.invoke(script, keys, args).await;
        }
        match result {
            Ok(answer) => {
                let mut health = self.inner.health.lock();
                health.down_until = None;
                health.last_ok = health.last_ok.max(Some(started));
                Ok(answer)
            }
            Err(source) => {
                if source.is_timeout() {
                    // The socket may hang for good: the next call opens
                    // another.
                    *self.inner.connection.lock().await = None;
                }
                if source.is_io_error() || source.is_timeout() || source.is_connection_refusal() {
                    let mut health = self.inner.health.lock();
                    if health.last_ok.is_none_or(|ok| ok < started) {
                        health.down_until = started.checked_add(self.inner.timeout);
                    }
                }
                Err(StoreError::new(&self.inner.shown, source))
            }
        }
    }

    async fn invoke<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, redis::RedisError> {
        let mut connection = self.connection().await?;
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let answer = invocation.invoke_async(&mut connection);
        match tokio::time::timeout(self.inner.timeout, answer).await {
            Ok(answer) => answer,
            Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
        }
    }
}

/// `url` with any password replaced by `***` and without its query (where
/// a socket's URL carries `pass=`), for messages.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        // Not a URL: nothing of it is shown, in case it holds a secret.
        Err(_) => "(an address that is not a URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_is_shown_in_any_form_of_address() {
        for url in [
            "redis://:hunter2@redis.internal:6379/2",
            "redis://worker:hunter2@redis.internal",
            "redis+unix:///run/redis.sock?db=1&pass=hunter2",
            "unix:///run/redis.sock?pass=hunter2",
        ] {
            let store = RedisStore::open(url).unwrap();
            let shown = format!("{store:?} {}", store.address());
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        let error = RedisStore::open("redis://:hunter2@[::1").unwrap_err();
        assert!(!format!("{error} {error:?}").contains("hunter2"));
    }
}
