//! Credentials: what each API puts in the `Authorization` header.
//!
//! Keys, tokens and passwords are held as [`SecretString`]: their `Debug` is
//! redacted, they have no `Display`, and the header built from them is
//! marked sensitive, so neither the client's `Debug` nor a log of the
//! request shows them.

use std::fmt;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::ConfigError;
use crate::rate::RateLimit;

mod sealed {
    pub trait Sealed {}
}

/// An API family: where its host comes from and what budget it starts with.
pub trait Api: sealed::Sealed + Send + Sync + 'static {
    /// The environment variable that holds the host.
    const HOST_VAR: &'static str;
    /// The request budget a configuration starts with.
    const RATE_LIMIT: Option<RateLimit>;
}

/// The Lucca APIs (Office, Directory v3).
#[derive(Debug, Clone, Copy)]
pub struct Lucca;

/// The Docutools API.
#[derive(Debug, Clone, Copy)]
pub struct Docutools;

impl sealed::Sealed for Lucca {}
impl sealed::Sealed for Docutools {}

impl Api for Lucca {
    const HOST_VAR: &'static str = "LUCCA_HOST";
    const RATE_LIMIT: Option<RateLimit> = Some(RateLimit::LUCCA);
}

impl Api for Docutools {
    const HOST_VAR: &'static str = "DOCUTOOLS_HOST";
    const RATE_LIMIT: Option<RateLimit> = None;
}

/// Credentials of an API. Implemented by [`LuccaApiKey`], `docutools::BearerToken`
/// and `docutools::PasswordGrant`; sealed.
pub trait Credentials: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The API they open.
    type Api: Api;

    /// Reads them from variables (see [`Config::from_env`](crate::Config::from_env)).
    fn from_vars(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError>;

    /// The fixed header value, marked sensitive; `None` when a token is
    /// obtained at run time. Fails when the secret holds characters an HTTP
    /// header cannot carry (the error never shows it).
    fn authorization(&self) -> Result<Option<HeaderValue>, ConfigError>;

    /// The grant that obtains tokens at run time, for credentials that are
    /// one (the configuration makes the token source from it).
    fn grant(&self) -> Option<&PasswordGrant> {
        None
    }
}

/// Reads a variable that must be set and not blank.
pub(crate) fn required(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    lookup(name)
        .filter(|value| !value.trim().is_empty())
        .ok_or(ConfigError::MissingVariable { name })
}

/// A header value from a secret, marked sensitive.
pub(crate) fn sensitive_header(
    value: String,
    what: &'static str,
) -> Result<HeaderValue, ConfigError> {
    let mut header =
        HeaderValue::try_from(value).map_err(|_| ConfigError::InvalidCredentials { what })?;
    header.set_sensitive(true);
    Ok(header)
}

/// Defines a single-secret credentials type: a [`SecretString`] with a
/// redacted `Debug`, the variable it is read from, the header it becomes.
macro_rules! credentials {
    (
        $(#[$doc:meta])*
        $name:ident for $api:ty, what: $what:literal, secret: $secret:literal, header: $prefix:literal
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
            type Api = $api;

            fn from_vars(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
                required(lookup, $secret).map(Self::new)
            }

            fn authorization(&self) -> Result<Option<HeaderValue>, ConfigError> {
                let value = format!(concat!($prefix, "{}"), self.0.expose_secret());
                sensitive_header(value, $what).map(Some)
            }
        }
    };
}

credentials! {
    /// A Lucca API key, sent as `Authorization: lucca application=<key>`;
    /// read from `LUCCA_API_KEY`.
    ///
    /// The key needs the `Import schedule` permission for Lucca Office imports.
    LuccaApiKey for Lucca, what: "Lucca API key", secret: "LUCCA_API_KEY", header: "lucca application="
}

#[cfg(feature = "docutools")]
credentials! {
    /// A Docutools access token, sent as `Authorization: Bearer <token>`;
    /// read from `DOCUTOOLS_TOKEN`. It is not refreshed: see
    /// [`PasswordGrant`] for tokens `roster` obtains and refreshes itself.
    BearerToken for Docutools, what: "bearer token", secret: "DOCUTOOLS_TOKEN", header: "Bearer "
}

/// Docutools' OAuth2 password grant: `roster` obtains an access token at
/// `POST /oauth/token` (client credentials by HTTP Basic), refreshes it with
/// the refresh token before it expires or after a 401, and logs in again if
/// the refresh token is refused. Read from `DOCUTOOLS_CLIENT_ID`,
/// `DOCUTOOLS_CLIENT_SECRET`, `DOCUTOOLS_USERNAME`, `DOCUTOOLS_PASSWORD` and
/// the optional `DOCUTOOLS_2FA_CODE`.
#[derive(Clone)]
pub struct PasswordGrant {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) username: String,
    pub(crate) password: SecretString,
    pub(crate) code: Option<SecretString>,
}

impl PasswordGrant {
    /// A grant for `username`, through the OAuth client `client_id`.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            username: username.into(),
            password: SecretString::from(password.into()),
            code: None,
        }
    }

    /// Adds the two-factor code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(SecretString::from(code.into()));
        self
    }
}

impl fmt::Debug for PasswordGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordGrant")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl sealed::Sealed for PasswordGrant {}

impl Credentials for PasswordGrant {
    type Api = Docutools;

    fn from_vars(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let grant = Self::new(
            required(lookup, "DOCUTOOLS_CLIENT_ID")?,
            required(lookup, "DOCUTOOLS_CLIENT_SECRET")?,
            required(lookup, "DOCUTOOLS_USERNAME")?,
            required(lookup, "DOCUTOOLS_PASSWORD")?,
        );
        Ok(
            match lookup("DOCUTOOLS_2FA_CODE").filter(|code| !code.trim().is_empty()) {
                Some(code) => grant.with_code(code),
                None => grant,
            },
        )
    }

    fn authorization(&self) -> Result<Option<HeaderValue>, ConfigError> {
        Ok(None)
    }

    fn grant(&self) -> Option<&PasswordGrant> {
        Some(self)
    }
}
