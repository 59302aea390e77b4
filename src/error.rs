//! Errors of the handwritten layer, named by concern.

/// The configuration cannot make a client: a bad base URL, a missing
/// variable, credentials a header cannot carry. Never shows a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse.
    #[error("base URL `{url}` is not a URL: {source}")]
    InvalidBaseUrl {
        /// The URL as given, any password removed.
        url: String,
        /// Why it does not parse.
        #[source]
        source: url::ParseError,
    },
    /// The base URL is plain `http` to a host that is not loopback.
    #[error("base URL `{url}` must use https (plain http is allowed only for loopback addresses)")]
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// The base URL parses but cannot be a base URL.
    #[error("base URL `{url}` is refused: {reason}")]
    UnsupportedBaseUrl {
        /// The URL as given, any password removed.
        url: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A required environment variable is not set (or not Unicode).
    #[error("environment variable `{name}` is not set")]
    MissingVariable {
        /// The variable's name.
        name: &'static str,
    },
    /// A key or token holds characters an HTTP header cannot carry.
    #[error("the {what} holds characters an HTTP header cannot carry")]
    InvalidCredentials {
        /// Which secret (never its value).
        what: &'static str,
    },
    /// A timeout of zero would fail every request.
    #[error("the {which} timeout must be longer than zero")]
    ZeroTimeout {
        /// Which timeout.
        which: &'static str,
    },
    /// The HTTP client could not be built (for instance, no TLS roots).
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
}

/// The start of an answer's body (2 KiB at most), as text, for an error.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(2048)])
        .trim()
        .to_owned()
}
