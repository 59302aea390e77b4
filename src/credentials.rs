//! Credentials: what each API puts in the `Authorization` header.
//!
//! Keys and tokens are held as [`SecretString`]: their `Debug` is redacted,
//! they have no `Display`, and the header built from them is marked
//! sensitive, so neither the client's `Debug` nor a log of the request shows
//! them.

use std::fmt;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::ConfigError;

mod sealed {
    pub trait Sealed {}
}

/// Credentials that become the `Authorization` header of every request.
///
/// Implemented by [`LuccaApiKey`] and [`BearerToken`]; sealed.
pub trait Credentials: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The name of the environment variable [`Config::from_env`](crate::Config::from_env)
    /// reads the secret from.
    const SECRET_VAR: &'static str;
    /// The name of the environment variable that holds the host.
    const HOST_VAR: &'static str;
    /// The request budget a configuration starts with.
    const RATE_LIMIT: Option<crate::RateLimit>;

    /// Wraps a secret read from the environment.
    fn from_secret(secret: String) -> Self;

    /// The header value, marked sensitive. Fails when the secret holds
    /// characters an HTTP header cannot carry (the error never shows it).
    fn authorization(&self) -> Result<HeaderValue, ConfigError>;
}

fn sensitive_header(value: String, what: &'static str) -> Result<HeaderValue, ConfigError> {
    let mut header =
        HeaderValue::try_from(value).map_err(|_| ConfigError::InvalidCredentials { what })?;
    header.set_sensitive(true);
    Ok(header)
}

/// Defines a credentials type: a [`SecretString`] with a redacted `Debug`,
/// the variables it is read from, and the header value it becomes.
macro_rules! credentials {
    (
        $(#[$doc:meta])*
        $name:ident, what: $what:literal, secret: $secret:literal, host: $host:literal,
        header: $prefix:literal, rate_limit: $limit:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps the secret.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(SecretString::from(secret.into()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl sealed::Sealed for $name {}

        impl Credentials for $name {
            const SECRET_VAR: &'static str = $secret;
            const HOST_VAR: &'static str = $host;
            const RATE_LIMIT: Option<crate::RateLimit> = $limit;

            fn from_secret(secret: String) -> Self {
                Self::new(secret)
            }

            fn authorization(&self) -> Result<HeaderValue, ConfigError> {
                let value = format!(concat!($prefix, "{}"), self.0.expose_secret());
                sensitive_header(value, $what)
            }
        }
    };
}

credentials! {
    /// A Lucca API key, sent as `Authorization: lucca application=<key>`.
    ///
    /// The key needs the `Import schedule` permission for Lucca Office imports.
    LuccaApiKey, what: "Lucca API key", secret: "LUCCA_API_KEY", host: "LUCCA_HOST",
    header: "lucca application=", rate_limit: Some(crate::RateLimit::LUCCA)
}

credentials! {
    /// An OAuth2 bearer token, sent as `Authorization: Bearer <token>`.
    BearerToken, what: "bearer token", secret: "DOCUTOOLS_TOKEN", host: "DOCUTOOLS_HOST",
    header: "Bearer ", rate_limit: None
}
