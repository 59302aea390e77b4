//! The errors every API shares: [`ConfigError`] (a client cannot be made)
//! and [`HttpError`] (one request failed). Errors by concern (`UploadError`,
//! `WaitError`, `DirectoryError`, `DocutoolsError`) are built on them in
//! each API's module.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::operation::Operation;

/// A store shared by several workers (Redis) could not be used: not
/// reached, not answering in time, or answering an error. Names the store by
/// its address without a password.
#[derive(Debug, thiserror::Error)]
#[error("the shared store {store} cannot be used")]
pub struct StoreError {
    store: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// The error of the store shown as `store`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn new(store: &str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            store: store.to_owned(),
            source: Box::new(source),
        }
    }

    /// The store's address, without its password.
    pub fn store(&self) -> &str {
        &self.store
    }
}

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
    /// No TLS cryptography: the crate was built without `tls-ring` and
    /// `tls-aws-lc`, and the program installed no rustls `CryptoProvider`.
    #[error(
        "no TLS provider: enable roster's `tls-ring` or `tls-aws-lc` feature, or install a rustls CryptoProvider before building a client"
    )]
    NoTlsProvider,
    /// The HTTP client could not be built (for instance, no TLS roots).
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
}

/// The start of an answer's body (2 KiB at most), as text, for an error.
/// How much of an input value a message quotes: a name or a cell is
/// quoted up to this many characters, then `…` and its size.
const QUOTED: usize = 60;

/// `text` as a message quotes it: whole when short, else its first
/// characters, `…` and its length (a 200 MB header line is never quoted
/// whole). Control characters are shown escaped.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        None => text.escape_debug().to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", text[..end].escape_debug(), text.len()),
    }
}

/// The first control character of `text` a CSV cell cannot carry (NUL and
/// the like; a tab, CR or LF is text), with its position (1 for the first
/// character).
pub(crate) fn control_character(text: &str) -> Option<(usize, char)> {
    text.chars()
        .zip(1..)
        .find(|(c, _)| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        .map(|(c, at)| (at, c))
}

/// Names as a message lists them: each quoted short, at most ten, then how
/// many more.
#[cfg_attr(
    not(any(feature = "directory", feature = "docutools")),
    allow(dead_code)
)]
pub(crate) fn excerpts(names: &[String]) -> String {
    let mut shown: Vec<String> = names.iter().take(10).map(|name| excerpt(name)).collect();
    if names.len() > 10 {
        shown.push(format!("and {} more", names.len() - 10));
    }
    shown.join(", ")
}

pub(crate) fn body_excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(2048)])
        .trim()
        .to_owned()
}

/// An error answer's body, kept whole (within the answer-size bound): Lucca's
/// `{"Status", "Message"}`, an OAuth error, an HTML page from a proxy…
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ErrorBody(Bytes);

impl ErrorBody {
    pub(crate) fn new(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The bytes as received.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.0).ok()
    }

    /// The server's message, when the body is JSON that carries one
    /// (`Message`, `message`, `error_description`, `error`).
    pub fn message(&self) -> Option<String> {
        message_in(&self.json()?)
    }
}

/// The message an error answer's JSON carries, if any.
fn message_in(json: &serde_json::Value) -> Option<String> {
    ["Message", "message", "error_description", "error"]
        .into_iter()
        .find_map(|key| json.get(key)?.as_str().map(str::to_owned))
}

impl fmt::Debug for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ErrorBody")
            .field(&body_excerpt(&self.0))
            .finish()
    }
}

impl fmt::Display for ErrorBody {
    /// For a person: the server's message when the body carries one, a
    /// short text as it is, else what the body is (an HTML page, JSON
    /// without a message) and its size; the bytes stay in
    /// [`bytes`](Self::bytes) and `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parsed once: a body may be as large as the answer's bound.
        let json = self.json();
        if let Some(message) = json.as_ref().and_then(message_in) {
            return f.write_str(&excerpt(message.trim()));
        }
        let text = body_excerpt(&self.0);
        let size = self.0.len();
        if text.is_empty() {
            f.write_str("no body")
        } else if text.starts_with('<') {
            write!(f, "an HTML page of {size} bytes (a proxy's?)")
        } else if json.is_some() {
            write!(f, "a JSON body of {size} bytes with no message")
        } else {
            f.write_str(&excerpt(&text))
        }
    }
}

/// An operation as a person reads it in a message: its method and path
/// template (`GET /api/v3/users/{id}`), or "the request" for one the specs
/// do not describe. Its name (`get_user`) stays in
/// [`HttpError::operation`] and the spans.
struct Said(Operation);

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.method() {
            "" => f.write_str("the request"),
            method => write!(f, "{method} {}", self.0.path()),
        }
    }
}

/// One request failed: the error every API of `roster` shares. Each names
/// its operation (the spec's, as progenitor names it) and says whether the
/// request may have reached the server. Errors by concern (`UploadError`,
/// `DirectoryError`, …) wrap it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The request could not be built (a parameter the generated client
    /// refuses); nothing was sent.
    #[error("{}: the request could not be built: {reason}", Said(*operation))]
    InvalidRequest {
        /// The operation.
        operation: Operation,
        /// Why, as the generated client says it.
        reason: String,
    },
    /// No access token could be obtained; nothing was sent.
    #[error("{}: no access token, the request was not sent", Said(*operation))]
    Auth {
        /// The operation.
        operation: Operation,
        /// Why the token endpoint gave none.
        #[source]
        source: Arc<AuthError>,
    },
    /// The shared rate budget (a [`RedisStore`](crate::shared::RedisStore))
    /// could not be reached; nothing was sent.
    #[error("{}: the shared rate budget cannot be reached, the request was not sent", Said(*operation))]
    Budget {
        /// The operation.
        operation: Operation,
        /// Why.
        #[source]
        source: Arc<StoreError>,
    },
    /// The call's deadline (its operation timeout, or the waiter's
    /// `max_wait`) came while it waited for the rate limit: nothing was sent.
    #[error(
        "{}: the call's deadline came before it could be sent (rate limit), the request was not sent", Said(*operation)
    )]
    DeadlinePassed {
        /// The operation.
        operation: Operation,
    },
    /// No connection could be made (the host refused it, or is not known):
    /// nothing reached the server.
    #[error("{}: the request was not sent (no connection to the server)", Said(*operation))]
    NotSent {
        /// The operation.
        operation: Operation,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The request went out but no whole answer came back (timeout,
    /// connection cut, body cut): the server may have acted on it.
    #[error("{}: no answer came back{}", Said(*operation), after_no_answer(*operation))]
    NoAnswer {
        /// The operation.
        operation: Operation,
        /// What broke.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was larger than the configured bound
    /// ([`Config::with_max_response_size`](crate::Config::with_max_response_size))
    /// and was not read.
    #[error("{}: the answer is larger than the configured bound and was not read", Said(*operation))]
    AnswerTooLarge {
        /// The operation.
        operation: Operation,
    },
    /// The server answered with an error status.
    #[error(
        "{} was refused with {status}{}: {body}", Said(*operation),
        retry_after.map(|delay| format!(" (retry after {delay:?})")).unwrap_or_default()
    )]
    Status {
        /// The operation.
        operation: Operation,
        /// The status.
        status: StatusCode,
        /// How long the server asked to wait (429, 503), if it did.
        retry_after: Option<Duration>,
        /// The answer's body.
        body: ErrorBody,
    },
    /// The answer's body is not the documented shape.
    #[error(
        "{} answered a body of the wrong shape ({} bytes)", Said(*operation),
        body.len()
    )]
    InvalidAnswer {
        /// The operation.
        operation: Operation,
        /// The whole body.
        body: Bytes,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
}

impl HttpError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        match self {
            Self::InvalidRequest { operation, .. }
            | Self::Auth { operation, .. }
            | Self::Budget { operation, .. }
            | Self::DeadlinePassed { operation }
            | Self::NotSent { operation, .. }
            | Self::NoAnswer { operation, .. }
            | Self::AnswerTooLarge { operation, .. }
            | Self::Status { operation, .. }
            | Self::InvalidAnswer { operation, .. } => *operation,
        }
    }

    /// The answer's status, when an error status came back.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The answer of the wrong shape, as JSON, when it is JSON (what could
    /// still be read of it).
    pub fn answer_json(&self) -> Option<serde_json::Value> {
        match self {
            Self::InvalidAnswer { body, .. } => serde_json::from_slice(body).ok(),
            _ => None,
        }
    }

    /// The error answer's body, when an error status came back.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Self::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Whether the request certainly did not reach the server.
    pub fn not_sent(&self) -> bool {
        matches!(
            self,
            Self::InvalidRequest { .. }
                | Self::Auth { .. }
                | Self::Budget { .. }
                | Self::DeadlinePassed { .. }
                | Self::NotSent { .. }
        )
    }

    /// Whether the request surely changed nothing: never sent, or refused
    /// with a client error other than a timeout (a `408` may come after the
    /// server began; a `429` comes before it does anything). What a journal
    /// forgets a claim on.
    #[cfg_attr(
        not(any(feature = "directory", feature = "docutools")),
        allow(dead_code)
    )]
    pub(crate) fn surely_not_applied(&self) -> bool {
        self.not_sent()
            || self
                .status()
                .is_some_and(|status| status.is_client_error() && status.as_u16() != 408)
    }

    /// What the retry decision sees of this error, if anything came of the
    /// request at all.
    #[cfg_attr(not(feature = "office"), allow(dead_code))]
    pub(crate) fn seen(&self) -> Option<crate::retry::Seen> {
        use crate::retry::Seen;
        match self {
            Self::NotSent { .. } => Some(Seen::NotConnected),
            Self::NoAnswer { .. } => Some(Seen::NoAnswer),
            Self::Status {
                status,
                retry_after,
                ..
            } => Some(Seen::Answer {
                status: *status,
                retry_after: *retry_after,
            }),
            _ => None,
        }
    }

    /// A failed exchange of the transport, as the error of `operation`. The
    /// URL is left out: its query may carry personal data (the operation
    /// says which call it was).
    pub(crate) fn from_reqwest(operation: Operation, source: reqwest::Error) -> Self {
        let source = source.without_url();
        if source.is_connect() || source.is_builder() {
            Self::NotSent { operation, source }
        } else {
            Self::NoAnswer { operation, source }
        }
    }
}

/// A token could not be obtained. Never shows a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the grant (wrong password, expired
    /// refresh token, missing 2FA code…).
    #[error("the token endpoint refused the {grant} grant with {status}: {reason}")]
    Refused {
        /// `password` or `refresh_token`.
        grant: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// The OAuth2 `error` code and description, if any.
        reason: String,
    },
    /// The token request failed without an answer (no connection, no
    /// answer, an answer too large).
    #[error("the token request failed")]
    Http(#[source] Box<HttpError>),
    /// The token endpoint answered success without a usable token.
    #[error("the token endpoint's answer has no usable access token")]
    InvalidAnswer,
}

/// Why a call was not sent: an attempt could not pass the rate limit or
/// obtain a token before its deadline.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Unsent {
    /// No access token.
    #[error("no access token")]
    Auth(#[source] Arc<AuthError>),
    /// The shared rate budget could not be reached.
    #[error("the shared rate budget cannot be reached")]
    Budget(#[source] Arc<StoreError>),
    /// The call's deadline came while it waited for the rate limit.
    #[error("the call's deadline came before it could be sent")]
    Deadline,
}

impl Unsent {
    /// The error of a call of `operation` that was not sent.
    pub(crate) fn into_http(self, operation: Operation) -> HttpError {
        match self {
            Self::Auth(source) => HttpError::Auth { operation, source },
            Self::Budget(source) => HttpError::Budget { operation, source },
            Self::Deadline => HttpError::DeadlinePassed { operation },
        }
    }
}

/// What a missing answer means: a read changed nothing; anything else may
/// have been acted on.
fn after_no_answer(operation: Operation) -> &'static str {
    match operation.method() {
        "GET" => " (a read: nothing was changed)",
        _ => "; the server may have acted on the request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error answer is shown by the server's message, else by what it
    /// is: never raw JSON or an HTML page.
    #[test]
    fn an_error_body_is_shown_by_its_message() {
        let shown =
            |body: &'static str| ErrorBody::new(Bytes::from_static(body.as_bytes())).to_string();
        assert_eq!(
            shown(r#"{"Status":400,"Message":"Unknown login"}"#),
            "Unknown login"
        );
        assert_eq!(shown(r#"{"error":"invalid_grant"}"#), "invalid_grant");
        assert_eq!(
            shown(r#"{"items":[1,2]}"#),
            "a JSON body of 15 bytes with no message"
        );
        assert!(shown("<html><body>502</body></html>").starts_with("an HTML page of 29 bytes"));
        assert_eq!(shown("Bad Gateway"), "Bad Gateway");
        assert_eq!(shown(""), "no body");
    }

    /// A failed request is named by its method and path, not its id.
    #[test]
    fn a_failure_names_the_request_by_method_and_path() {
        let error = HttpError::AnswerTooLarge {
            operation: Operation::ALL[0],
        };
        let shown = error.to_string();
        let operation = Operation::ALL[0];
        assert!(
            shown.starts_with(&format!("{} {}: ", operation.method(), operation.path())),
            "{shown}"
        );
        assert!(!shown.contains(operation.name()), "{shown}");
    }
}
