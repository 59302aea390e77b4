//! Configuration of a client: base URL, credentials, timeouts, user agent.

use std::fmt;
use std::time::Duration;

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::base_url::BaseUrl;
use crate::credentials::{Api, Credentials, LuccaApiKey};
use crate::error::ConfigError;
use crate::limiter::{RateLimit, RateLimiter};
use crate::transport::Transport;

/// The configuration of the Lucca APIs (Office and Directory).
pub type LuccaConfig = Config<LuccaApiKey>;

/// How long a connection may take to open, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a whole request may take, by default. Long enough for the upload
/// of a large CSV file on a slow link (100 MB at 1 MB/s), unlike progenitor's
/// 15 s default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The largest answer body read, by default: 64 MiB.
pub const DEFAULT_MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// The `User-Agent` sent unless another is set.
pub const DEFAULT_USER_AGENT: &str = concat!("roster/", env!("CARGO_PKG_VERSION"));

/// What a client needs: where the API is, who calls it, how long to wait.
///
/// `Debug` shows everything but the secret.
///
/// ```
/// use std::time::Duration;
/// use roster::{LuccaApiKey, LuccaConfig};
///
/// let config = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("my-key"))?
///     .with_timeout(Duration::from_secs(60))?;
/// assert!(!format!("{config:?}").contains("my-key"));
/// # Ok::<(), roster::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config<C: Credentials> {
    base_url: BaseUrl,
    credentials: C,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    limiter: Option<Arc<RateLimiter>>,
    max_response: usize,
    retries: crate::retry::Backoff,
    operation_timeout: Option<Duration>,
    #[cfg(feature = "redis")]
    shared: Option<crate::shared::RedisStore>,
}

impl<C: Credentials<Api = crate::credentials::Docutools>> Config<C> {
    /// Like [`new`](Self::new), but also takes a plain `http` base URL to
    /// any host: an explicit opt-in for Docutools, whose documents only name
    /// `http://dev.docu.solutions` (see [`BaseUrl::parse_allowing_http`]).
    /// Never the default, and not offered for Lucca.
    pub fn new_allowing_http(base_url: &str, credentials: C) -> Result<Self, ConfigError> {
        let mut config = Self::new("https://placeholder.invalid", credentials)?;
        config.base_url = BaseUrl::parse_allowing_http(base_url)?;
        Ok(config)
    }
}

impl<C: Credentials> Config<C> {
    /// A configuration with the default timeouts and user agent. The base URL
    /// must be `https`, or `http` on a loopback address; a bare host means
    /// `https://host`.
    pub fn new(base_url: &str, credentials: C) -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: BaseUrl::parse(base_url)?,
            credentials,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            limiter: <C::Api as Api>::RATE_LIMIT.map(|limit| Arc::new(RateLimiter::new(limit))),
            max_response: DEFAULT_MAX_RESPONSE,
            retries: crate::retry::Backoff::DEFAULT,
            operation_timeout: None,
            #[cfg(feature = "redis")]
            shared: None,
        })
    }

    /// Reads the host and the credentials from the environment: `LUCCA_HOST`
    /// and `LUCCA_API_KEY` for Lucca; `DOCUTOOLS_HOST` and `DOCUTOOLS_TOKEN`
    /// (or the variables of `PasswordGrant`) for Docutools.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), with the variables looked up by
    /// `lookup` (a secret store, a test's map).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let host = crate::credentials::required(&lookup, <C::Api as Api>::HOST_VAR)?;
        let credentials = C::from_vars(&lookup)?;
        Self::new(&host, credentials)
    }

    /// Sets how long a whole request may take (sending the body included).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        if timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "request" });
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Sets how long one call may take in all, its retries, their delays and
    /// its wait for the rate limit included (as smithy's operation timeout),
    /// kept as given: a `Retry-After` that would pass it is handed back as
    /// the `429` or `503` it came with, not slept; a rate-limit wait that
    /// would pass it, or less than 250 ms left for an attempt, is
    /// [`HttpError::DeadlinePassed`](crate::HttpError::DeadlinePassed), and
    /// nothing is sent. None by default. (A waiter's own deadline, unlike
    /// this one, gives its last poll at least 5 s.)
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        if timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "operation" });
        }
        self.operation_timeout = Some(timeout);
        Ok(self)
    }

    /// Sets how long opening a connection may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Result<Self, ConfigError> {
        if timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "connect" });
        }
        self.connect_timeout = timeout;
        Ok(self)
    }

    /// Sets the request budget shared by every client made from this
    /// configuration (and its clones), or turns it off with `None`. Lucca
    /// configurations start with [`RateLimit::LUCCA`]; Docutools with none.
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.limiter = limit.map(|limit| Arc::new(self.limiter_for(limit)));
        self
    }

    /// Keeps this configuration's rate budget in `store`, shared by every
    /// process that calls this too, for the same tenant host: every request
    /// of every client of this configuration (and its clones) counts in one
    /// window per host, and a `429`'s `Retry-After` holds them all back. The
    /// limit stays the configuration's ([`RateLimit::LUCCA`] for Lucca; a
    /// configuration without one, Docutools by default, has nothing to share
    /// until [`with_rate_limit`](Self::with_rate_limit) sets one).
    ///
    /// When the store cannot be reached, calls fail with
    /// [`HttpError::Budget`](crate::HttpError::Budget) before anything is
    /// sent, unless the store was opened with
    /// [`StoreDown::InProcess`](crate::shared::StoreDown::InProcess).
    ///
    /// ```
    /// use roster::shared::RedisStore;
    /// use roster::{LuccaApiKey, LuccaConfig};
    ///
    /// let store = RedisStore::open("redis://:hunter2@127.0.0.1:6379")?;
    /// let config = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("my-key"))?
    ///     .with_shared_budget(&store);
    /// assert!(config.rate_limiter().is_some_and(|limiter| limiter.is_shared()));
    /// assert!(!format!("{config:?}").contains("hunter2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "redis")]
    pub fn with_shared_budget(mut self, store: &crate::shared::RedisStore) -> Self {
        self.shared = Some(store.clone());
        self.limiter = self
            .limiter
            .as_ref()
            .map(|limiter| Arc::new(self.limiter_for(limiter.limit())));
        self
    }

    /// A limiter for `limit`: in the shared store when there is one.
    fn limiter_for(&self, limit: RateLimit) -> RateLimiter {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.shared {
            let shared = crate::shared::SharedBudget::new(store, &self.tenant_host());
            return RateLimiter::shared(limit, Box::new(shared));
        }
        RateLimiter::new(limit)
    }

    /// The tenant's host (and port, when not the scheme's own): what a
    /// shared budget is keyed by.
    #[cfg(feature = "redis")]
    fn tenant_host(&self) -> String {
        let url = self.base_url.url();
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The shared rate limiter, if any.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_deref()
    }

    /// Sets the largest answer body read; a larger one fails the call.
    pub fn with_max_response_size(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }

    /// Sets how the requests that may be sent again (reads, and Lucca's
    /// idempotent `PUT`) are tried again on transient failures
    /// ([`Backoff::NONE`](crate::Backoff::NONE) turns it off). Imports are
    /// never sent twice, whatever this says.
    pub fn with_retries(mut self, retries: crate::retry::Backoff) -> Self {
        self.retries = retries;
        self
    }

    /// Sets the `User-Agent` header.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The credentials (their `Debug` is redacted).
    pub fn credentials(&self) -> &C {
        &self.credentials
    }

    /// How long a whole request may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long opening a connection may take.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The `User-Agent` header.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// An HTTP client that sends the credentials (as a sensitive header), the
    /// user agent and the timeouts with every request. TLS is rustls with the
    /// platform's roots, and the cryptography of the process's default
    /// provider: the one the program installed, else the one the crate's
    /// feature chooses (`tls-ring` installs *ring*'s as the default when none
    /// is; `tls-aws-lc` uses aws-lc-rs). With neither feature and none
    /// installed, [`ConfigError::NoTlsProvider`].
    pub fn http_client(&self) -> Result<reqwest::Client, ConfigError> {
        tls_provider()?;
        let mut headers = HeaderMap::new();
        if let Some(authorization) = self.credentials.authorization()? {
            headers.insert(AUTHORIZATION, authorization);
        }
        reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(self.user_agent.as_str())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .build()
            .map_err(ConfigError::HttpClient)
    }
}

/// Makes sure rustls has a provider: the program's, else the features'.
fn tls_provider() -> Result<(), ConfigError> {
    if rustls::crypto::CryptoProvider::get_default().is_some() {
        return Ok(());
    }
    // Another thread may install one meanwhile: theirs is kept.
    #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cfg!(feature = "tls-aws-lc") || rustls::crypto::CryptoProvider::get_default().is_some() {
        true => Ok(()),
        false => Err(ConfigError::NoTlsProvider),
    }
}

impl<C: Credentials> fmt::Debug for Config<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Config");
        debug
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field(
                "rate_limit",
                &self.limiter.as_ref().map(|limiter| limiter.limit()),
            );
        #[cfg(feature = "redis")]
        debug.field("shared_budget", &self.shared);
        debug.finish()
    }
}

/// A generated client that a [`Config`] of the matching credentials builds:
/// `let office: roster::office::Client = config.client()?;`.
pub trait ApiClient: Sized {
    /// The API family, whose credentials it takes.
    type Api: Api;

    /// The client for `base_url`, sending requests with `http` through `transport`.
    fn from_parts(base_url: &str, http: reqwest::Client, transport: Transport) -> Self;
}

impl<C: Credentials> Config<C> {
    /// A generated client of an API that takes these credentials.
    ///
    /// ```
    /// use roster::{LuccaApiKey, LuccaConfig, office};
    ///
    /// let config = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("my-key"))?;
    /// let office: office::Client = config.client()?;
    /// assert!(!format!("{office:?}").contains("my-key"));
    /// # Ok::<(), roster::ConfigError>(())
    /// ```
    pub fn client<T: ApiClient<Api = C::Api>>(&self) -> Result<T, ConfigError> {
        let http = self.http_client()?;
        let transport = Transport::new(self.limiter.clone(), self.max_response, self.retries)
            .with_operation_timeout(self.operation_timeout);
        // The token requests go through the same transport (which obtains no
        // token itself), seen by the token source as one narrow exchange.
        // Only Docutools obtains tokens: its spec declares the exchange.
        #[cfg(feature = "docutools")]
        let tokens = self.credentials.grant().map(|grant| {
            let exchange: std::sync::Arc<dyn crate::token::Exchange> =
                std::sync::Arc::new(transport.clone());
            std::sync::Arc::new(crate::token::TokenSource::new(
                grant.clone(),
                &self.base_url,
                http.clone(),
                exchange,
                crate::Operation::OauthToken,
            ))
        });
        #[cfg(not(feature = "docutools"))]
        let tokens = None;
        let transport = transport.with_tokens(tokens);
        Ok(T::from_parts(self.base_url.as_str(), http, transport))
    }
}
