//! The documented exit codes, and a failure that says what to do next.

/// The input or the vendor refused (problems found, analysis with errors,
/// import rejected).
pub const REFUSED: u8 = 1;
/// Usage or configuration.
pub const USAGE: u8 = 2;
/// Outcome unknown: the import may have been applied.
pub const UNKNOWN: u8 = 3;
/// A transient failure that a retry may mend.
pub const TRANSIENT: u8 = 4;
/// Interrupted (Ctrl-C, SIGINT): 128 + 2, as shells report it.
pub const INTERRUPTED: u8 = 130;

/// Why a command failed: its exit code and a message for a person.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What happened, and what to do next.
    pub message: String,
    /// The host refused the key (401, 403): the message is to say where the
    /// key came from, which the configuration knows.
    pub key_refused: bool,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            key_refused: false,
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(REFUSED, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(UNKNOWN, message)
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(TRANSIENT, message)
    }

    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::new(INTERRUPTED, message)
    }
}

impl Failure {
    /// A file that could not be used: one still being written may be read
    /// again (transient); anything else is the input's.
    pub fn from_file(error: &roster::FileError, text: String) -> Self {
        match error {
            roster::FileError::Changed { .. } => Self::transient(text),
            _ => Self::usage(text),
        }
    }

    /// A request that did not change anything: refused by the vendor (a 4xx
    /// other than 429), else transient.
    pub fn from_http(http: &roster::HttpError, text: String) -> Self {
        // Credentials the token endpoint refused are configuration: waiting
        // will not mend them.
        if let roster::HttpError::Auth { source, .. } = http
            && matches!(source.as_ref(), roster::AuthError::Refused { .. })
        {
            return Self::usage(format!(
                "{text}\ncheck the credentials (client id and secret, user name and password)"
            ));
        }
        if let roster::HttpError::NotSent { .. } = http {
            return Self::transient(format!(
                "{text}\nnothing was sent: check the host (its name in the profile or LUCCA_HOST / DOCUTOOLS_HOST) and the network"
            ));
        }
        match http.status() {
            Some(status) if matches!(status.as_u16(), 401 | 403) => Self {
                key_refused: true,
                ..Self::refused(text)
            },
            Some(status) if status.is_client_error() && !matches!(status.as_u16(), 408 | 429) => {
                Self::refused(text)
            }
            _ => Self::transient(format!("{text}\ntry again later")),
        }
    }
}

/// An error and its causes, joined by `: ` (never a secret: the SDK's errors
/// hold none).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
