//! Knobs that make the local server misbehave on purpose: latency, error
//! statuses (429 bursts, 5xx), HTML error pages, dropped connections.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::time::Duration;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// Every request.
    Any,
    /// `POST …/imports/user-locations`, simulations and creations.
    Import,
    /// `POST …/imports/user-locations?create=true` only.
    Create,
    /// `GET …/imports/user-locations/progress`.
    Progress,
    /// `GET …/imports/user-locations/analysis`.
    Analysis,
    /// `GET …/imports/user-locations/results`.
    Results,
    /// `GET …/work-locations` and `…/user-locations`.
    Lists,
    /// `/api/v3/users…` (list, get, update, create).
    Users,
    /// `POST /api/v3/users?contract=…`: a user's creation only.
    UserCreation,
    /// `/api/v3/users/{id}` (one user's read or update), not the listing.
    UserById,
    /// Docutools `POST /oauth/token`.
    Token,
    /// Docutools `POST /api/v2/users/imports/files`.
    UsersUpload,
    /// Docutools `POST /api/v2/users/imports/{fileId}`.
    UsersImport,
}

impl Route {
    /// Whether a request for `path?query` is on this route.
    pub(crate) fn matches(self, path: &str, query: &str) -> bool {
        let on = Self::of(path);
        match self {
            Self::Any => true,
            Self::Create => {
                on == Self::Import && query.split('&').any(|pair| pair == "create=true")
            }
            Self::UserById => path.starts_with("/api/v3/users/"),
            Self::UserCreation => {
                path == "/api/v3/users"
                    && query.split('&').any(|pair| pair.starts_with("contract="))
            }
            route => route == on,
        }
    }

    /// The route of a request path.
    fn of(path: &str) -> Self {
        if path.starts_with("/api/v3/users") {
            return Self::Users;
        }
        if path == "/oauth/token" {
            return Self::Token;
        }
        if path == "/api/v2/users/imports/files" {
            return Self::UsersUpload;
        }
        if path.starts_with("/api/v2/users/imports/") {
            return Self::UsersImport;
        }
        let imports = "/work-locations/public/api/imports/user-locations";
        match path.strip_prefix(imports) {
            Some("" | "/") => Self::Import,
            Some("/progress") => Self::Progress,
            Some("/analysis") => Self::Analysis,
            Some("/results") => Self::Results,
            _ => Self::Lists,
        }
    }
}

/// One misbehaviour, applied to one matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (and `Retry-After`, if given) without
    /// handling the request.
    Status {
        /// The status, such as 429 or 503.
        status: u16,
        /// The `Retry-After` header's value (seconds or an HTTP date).
        retry_after: Option<String>,
    },
    /// Answer with an HTML error page (as a proxy would) without handling.
    Html {
        /// The status.
        status: u16,
    },
    /// Close the connection without handling the request or answering.
    DropBeforeHandling,
    /// Handle the request (an import is applied), then close the connection
    /// without answering.
    DropAfterHandling,
    /// Handle the request (an import is applied), then send the headers and
    /// half of the body, and close the connection.
    CutMidBody,
    /// Handle the request, then wait this long before answering.
    Delay(Duration),
    /// Handle the request, then answer 200 with this body instead (truncated
    /// JSON, an empty body, a body of the wrong shape…).
    Body(String),
}

/// The faults waiting for requests, and the latency of every answer.
#[derive(Debug, Default)]
pub struct Faults {
    queue: Mutex<VecDeque<(Route, Fault)>>,
    latency: Mutex<Duration>,
    seen: Mutex<Vec<(String, String)>>,
}

impl Faults {
    /// The next request on `route` gets `fault`.
    pub fn inject(&self, route: Route, fault: Fault) {
        self.inject_n(route, fault, 1);
    }

    /// The next `count` requests on `route` get `fault` (a 429 burst, say).
    pub fn inject_n(&self, route: Route, fault: Fault, count: usize) {
        let mut queue = self.queue.lock();
        queue.extend(std::iter::repeat_n((route, fault), count));
    }

    /// Every answer waits this long first.
    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock() = latency;
    }

    /// Removes every pending fault.
    pub fn clear(&self) {
        self.queue.lock().clear();
    }

    /// How many faults still wait.
    pub fn pending(&self) -> usize {
        self.queue.lock().len()
    }

    pub(crate) fn latency(&self) -> Duration {
        *self.latency.lock()
    }

    /// How many requests on `route` reached the server (faulty ones included).
    pub fn requests(&self, route: Route) -> usize {
        let seen = self.seen.lock();
        seen.iter()
            .filter(|(path, query)| route.matches(path, query))
            .count()
    }

    /// Takes the first fault that applies to a request for `path?query`,
    /// and counts the request.
    pub(crate) fn take(&self, path: &str, query: &str) -> Option<Fault> {
        self.seen.lock().push((path.to_owned(), query.to_owned()));
        let mut queue = self.queue.lock();
        let index = queue
            .iter()
            .position(|(route, _)| route.matches(path, query))?;
        queue.remove(index).map(|(_, fault)| fault)
    }
}
