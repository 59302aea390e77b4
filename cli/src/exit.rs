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

/// Where the run's secret came from and the host it goes to, once a
/// configuration is read: a refused key's message names them. (One command
/// a process: one secret in use.)
static KEY_ORIGIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Notes where the secret in use came from (`the profile acme's lucca api
/// key`, `the key file /…/key`, `LUCCA_API_KEY in the environment`) and its
/// host.
pub fn note_key_origin(origin: String, host: &str) {
    let _ = KEY_ORIGIN.set(format!("{origin}, for {host}"));
}

/// Why a command failed: its exit code and a message for a person.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What happened, and what to do next.
    pub message: String,
}

impl Failure {
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            code: REFUSED,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    pub fn unknown(message: impl Into<String>) -> Self {
        Self {
            code: UNKNOWN,
            message: message.into(),
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            code: TRANSIENT,
            message: message.into(),
        }
    }

    pub fn interrupted(message: impl Into<String>) -> Self {
        Self {
            code: INTERRUPTED,
            message: message.into(),
        }
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
            Some(status) if matches!(status.as_u16(), 401 | 403) => Self::refused(format!(
                "{text}\nthe key is refused: {}; `roster profiles check` tries each profile's",
                KEY_ORIGIN.get().map_or("check it", String::as_str)
            )),
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
