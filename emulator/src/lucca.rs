//! The local Lucca server: Lucca Office (imports, work locations, user
//! locations) and Lucca v3 users on one loopback port, with one API key.

use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::time::Instant;

use crate::data::Store;
use crate::data::{ReceivedImport, Setup, StoredLocation};
use crate::faults::{Fault, Faults};
use crate::knobs::{Headers, Knobs};
use crate::respond::error;
use crate::{directory, office_import, office_read, organization, serve, user_creation};

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    store: Mutex<Store>,
    faults: Faults,
    api_key: String,
    import_duration: Mutex<Duration>,
    limit: Mutex<ServerLimit>,
    knobs: Mutex<Knobs>,
    /// Requests received, by operation (`GET /api/v3/users`).
    requests: Mutex<std::collections::BTreeMap<String, u64>>,
    /// The query string of each request, by operation, oldest first.
    queries: Mutex<Vec<(String, String)>>,
    /// Called with each import request received, before it is answered.
    on_import: Mutex<Option<ImportHook>>,
}

/// A test's hook on each import received.
#[derive(Clone)]
pub(crate) struct ImportHook(Arc<dyn Fn(&ReceivedImport) + Send + Sync>);

impl ImportHook {
    pub(crate) fn call(&self, received: &ReceivedImport) {
        (self.0)(received);
    }
}

impl std::fmt::Debug for ImportHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImportHook")
    }
}

/// A request budget: at most `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimit {
    /// Requests allowed in a window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl RequestLimit {
    /// Lucca's documented limit: 50 requests a minute per tenant.
    pub const LUCCA: Self = Self {
        requests: 50,
        per: Duration::from_secs(60),
    };
}

/// The server's own count of requests, as Lucca keeps one per account.
#[derive(Debug, Default)]
struct ServerLimit {
    limit: Option<RequestLimit>,
    seen: std::collections::VecDeque<Instant>,
    refused: u64,
    /// When the limit was turned on, and when each request it let through
    /// came.
    since: Option<Instant>,
    admitted: Vec<Duration>,
}

impl ServerLimit {
    /// Counts a request now, or says how long until one would be allowed.
    fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        while self
            .seen
            .front()
            .is_some_and(|seen| now.duration_since(*seen) >= limit.per)
        {
            self.seen.pop_front();
        }
        if self.seen.len() < limit.requests as usize {
            self.seen.push_back(now);
            let since = *self.since.get_or_insert(now);
            self.admitted.push(now.duration_since(since));
            return Ok(());
        }
        self.refused += 1;
        let oldest = self.seen.front().copied().unwrap_or(now);
        Err((oldest + limit.per).saturating_duration_since(now))
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock()
    }

    pub(crate) fn import_duration(&self) -> Duration {
        *self.import_duration.lock()
    }

    /// The knobs as they are now.
    pub(crate) fn knobs(&self) -> Knobs {
        self.knobs.lock().clone()
    }

    /// The hook on imports received, if a test set one.
    pub(crate) fn import_hook(&self) -> Option<ImportHook> {
        self.on_import.lock().clone()
    }
}

/// A running local Lucca server. Stops when dropped.
#[derive(Debug)]
pub struct LocalLucca {
    shared: Arc<Shared>,
    server: serve::Server,
}

impl LocalLucca {
    /// Starts a server with the default [`Setup`] on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Setup::default()).await
    }

    /// Starts a server with `setup` on a free loopback port.
    pub async fn start_with(setup: Setup) -> std::io::Result<Self> {
        Self::start_on(setup, 0).await
    }

    /// Starts a server with `setup` on loopback port `port` (0: a free one).
    pub async fn start_on(setup: Setup, port: u16) -> std::io::Result<Self> {
        let people: Vec<_> = setup.employees.iter().map(directory::record).collect();
        let knobs = setup.knobs.clone();
        let people_index = setup
            .employees
            .iter()
            .enumerate()
            .map(|(index, employee)| (employee.id, index))
            .collect();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store {
                people,
                people_index,
                employees: setup.employees,
                places: setup.places,
                next_location_id: setup
                    .user_locations
                    .iter()
                    .map(|location| location.id)
                    .max()
                    .unwrap_or(0)
                    .max(9000),
                locations: setup.user_locations,
                organization: setup.organization,
                ..Store::default()
            }),
            faults: Faults::default(),
            api_key: setup.api_key,
            import_duration: Mutex::new(setup.import_duration),
            limit: Mutex::new(ServerLimit::default()),
            knobs: Mutex::new(knobs),
            requests: Mutex::default(),
            queries: Mutex::default(),
            on_import: Mutex::default(),
        });
        let server = serve::spawn(router(Arc::clone(&shared)), port).await?;
        tracing::info!(url = %server.base_url(), "local Lucca server started");
        Ok(Self { shared, server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The key the server accepts (`Authorization: lucca application=<key>`).
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// `LUCCA_HOST` and `LUCCA_API_KEY` for this server.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("LUCCA_HOST", self.base_url()),
            ("LUCCA_API_KEY", self.shared.api_key.clone()),
        ]
    }

    /// The knobs it plays now.
    pub fn knobs(&self) -> Knobs {
        self.shared.knobs()
    }

    /// Plays these knobs from the next request on.
    pub fn set_knobs(&self, knobs: Knobs) {
        *self.shared.knobs.lock() = knobs;
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Sets how long the next imports take from upload to progress 100.
    pub fn set_import_duration(&self, duration: Duration) {
        *self.shared.import_duration.lock() = duration;
    }

    /// How many creations (`create=true`) the server has applied.
    pub fn imports_applied(&self) -> u64 {
        self.shared.lock().imports_applied
    }

    /// Calls `hook` with each import request received, before it is
    /// answered (a test rewrites the file on disk when the simulation
    /// arrives, say).
    pub fn on_import(&self, hook: impl Fn(&ReceivedImport) + Send + Sync + 'static) {
        *self.shared.on_import.lock() = Some(ImportHook(Arc::new(hook)));
    }

    /// The import requests received, oldest first.
    pub fn received_imports(&self) -> Vec<ReceivedImport> {
        self.shared.lock().received.clone()
    }

    /// Turns on (or off, with `None`) the account's request limit: over it,
    /// the server answers 429 with `Retry-After`, as Lucca does past 50 a
    /// minute. Off by default.
    pub fn set_rate_limit(&self, limit: Option<RequestLimit>) {
        let mut state = self.shared.limit.lock();
        state.limit = limit;
        state.seen.clear();
        state.since = Some(Instant::now());
        state.admitted.clear();
    }

    /// When each request the limit let through came, since the limit was
    /// last set: what a test holds to "never more than the limit in any
    /// window".
    pub fn admitted_requests(&self) -> Vec<Duration> {
        self.shared.limit.lock().admitted.clone()
    }

    /// How many requests the rate limit refused with 429.
    pub fn rate_limited(&self) -> u64 {
        self.shared.limit.lock().refused
    }

    /// How many requests the server received, by operation: the method and
    /// the route (`GET /api/v3/users`, `PUT /api/v3/users/{id}`), or the
    /// path for a route it does not have. Every request counts, refused or
    /// not.
    pub fn requests_by_operation(&self) -> std::collections::BTreeMap<String, u64> {
        self.shared.requests.lock().clone()
    }

    /// How many requests the server received for `operation` (as
    /// [`requests_by_operation`](Self::requests_by_operation) names it).
    pub fn requests_of(&self, operation: &str) -> u64 {
        self.shared
            .requests
            .lock()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// How many requests the server received in all.
    pub fn requests_total(&self) -> u64 {
        self.shared.requests.lock().values().sum()
    }

    /// The query strings (as sent, still encoded) of the requests for
    /// `operation`, oldest first.
    pub fn received_queries(&self, operation: &str) -> Vec<String> {
        self.shared
            .queries
            .lock()
            .iter()
            .filter(|(name, _)| name == operation)
            .map(|(_, query)| query.clone())
            .collect()
    }

    /// Forgets the counts of [`requests_by_operation`](Self::requests_by_operation)
    /// and the [`received_queries`](Self::received_queries).
    pub fn reset_request_counts(&self) {
        self.shared.requests.lock().clear();
        self.shared.queries.lock().clear();
    }

    /// Every accepted user update: the user's id and the JSON body sent.
    pub fn received_updates(&self) -> Vec<(i64, serde_json::Value)> {
        self.shared.lock().updates.clone()
    }

    /// The import verdicts the server keeps, all jobs together (tests: the
    /// older jobs keep only their error and warning lines).
    #[cfg(test)]
    pub(crate) fn verdicts_kept(&self) -> usize {
        self.shared
            .lock()
            .jobs
            .values()
            .map(|job| job.verdicts.len())
            .sum()
    }

    /// Every user created (`POST /api/v3/users`): its id, whether with its
    /// contract, and the body.
    pub fn created_users(&self) -> Vec<(i64, bool, serde_json::Value)> {
        self.shared.lock().created.clone()
    }

    /// The v3 record of the user `id`, all fields.
    pub fn person(&self, id: i64) -> Option<serde_json::Value> {
        self.shared
            .lock()
            .people
            .iter()
            .find(|person| person.get("id").and_then(serde_json::Value::as_i64) == Some(id))
            .map(|person| serde_json::Value::Object(person.clone()))
    }

    /// The user locations the server holds.
    pub fn user_locations(&self) -> Vec<StoredLocation> {
        self.shared.lock().locations.clone()
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let imports = "/work-locations/public/api/imports/user-locations";
    Router::new()
        .route(imports, post(office_import::import))
        .route(&format!("{imports}/progress"), get(office_read::progress))
        .route(&format!("{imports}/analysis"), get(office_read::analysis))
        .route(&format!("{imports}/results"), get(office_read::results))
        .route(
            "/work-locations/public/api/work-locations",
            get(office_read::work_locations),
        )
        .route(
            "/work-locations/public/api/user-locations",
            get(office_read::user_locations),
        )
        .route(
            "/work-locations/public/api/user-locations/{id}",
            get(office_read::user_location),
        )
        .route(
            "/api/v3/users",
            get(directory::list).post(user_creation::create),
        )
        .route("/api/v3/departments", get(organization::v3_departments))
        .route(
            "/api/v3/legalentities",
            get(organization::v3_legal_entities),
        )
        .route(
            "/organization/structure/api/departments",
            get(organization::departments),
        )
        .route(
            "/organization/structure/api/establishments",
            get(organization::establishments),
        )
        .route(
            "/organization/structure/api/legal-units",
            get(organization::legal_units),
        )
        .route(
            "/api/v3/users/{id}",
            get(directory::get).put(directory::update),
        )
        .fallback(unexpected)
        .layer(DefaultBodyLimit::max(office_import::MAX_BODY))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            check_headers,
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), limit))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            misbehave,
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), count))
        .with_state(shared)
}

/// Counts the request under its operation.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |path| path.as_str().to_owned(),
        );
    let operation = format!("{} {route}", request.method());
    let query = request.uri().query().unwrap_or_default().to_owned();
    *shared.requests.lock().entry(operation.clone()).or_default() += 1;
    shared.queries.lock().push((operation, query));
    next.run(request).await
}

/// Names the request nobody expected, so a test failure says what was sent.
async fn unexpected(request: Request) -> Response {
    let message = format!(
        "the local server has no {} {}",
        request.method(),
        request.uri().path()
    );
    error(StatusCode::NOT_FOUND, &message)
}

/// Lucca's rule: `Authorization: lucca application=<key>`, else 401.
async fn authenticate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let expected = format!("lucca application={}", shared.api_key);
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    if given != Some(expected.as_bytes()) {
        return error(StatusCode::UNAUTHORIZED, "invalid or missing API key");
    }
    next.run(request).await
}

/// Headers a client may send without a document naming them: the
/// transport's own, and tracing's.
const TRANSPORT_HEADERS: [&str; 15] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "authorization",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "expect",
    "host",
    "te",
    "traceparent",
    "tracestate",
    "transfer-encoding",
    "user-agent",
];

/// With [`Headers::Refused`], `400` for a header no document names.
async fn check_headers(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if shared.knobs.lock().headers == Headers::Refused {
        let undocumented = request
            .headers()
            .keys()
            .find(|name| !TRANSPORT_HEADERS.contains(&name.as_str()));
        if let Some(name) = undocumented {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the header `{name}` is not part of this API"),
            );
        }
    }
    next.run(request).await
}

/// The account's request limit, when on: 429 with `Retry-After` past it.
async fn limit(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let admitted = shared.limit.lock().admit(Instant::now());
    match admitted {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "API rate limit exceeded");
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            response
        }
    }
}

/// Applies the latency and the first pending fault for this request.
async fn misbehave(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    apply_faults(&shared.faults, request, next).await
}

/// Waits `duration`, to within a few microseconds: tokio's timer rounds a
/// sleep up to its next millisecond tick (about 1.2 ms late here), which
/// would make every emulated request slower than asked and a concurrency's
/// ideal unreachable. The timer waits for all but the last 2 ms, a blocking
/// thread sleeps all but the last 0.3 ms (its wake-up is late by up to
/// that), and the task yields until the deadline (measured: median 0, at
/// most 80 µs late).
async fn precise_sleep(duration: Duration) {
    let deadline = std::time::Instant::now() + duration;
    let coarse = duration.saturating_sub(Duration::from_millis(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    let rest = deadline
        .saturating_duration_since(std::time::Instant::now())
        .saturating_sub(Duration::from_micros(300));
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
    while std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

/// The latency, then the first pending fault that applies to `request`.
pub(crate) async fn apply_faults(faults: &Faults, request: Request, next: Next) -> Response {
    let latency = faults.latency();
    if !latency.is_zero() {
        precise_sleep(latency).await;
    }
    let Some(fault) = faults.take(
        request.uri().path(),
        request.uri().query().unwrap_or_default(),
    ) else {
        return next.run(request).await;
    };
    tracing::debug!(?fault, path = request.uri().path(), "injecting a fault");
    let connection = request.extensions().get::<serve::Connection>().cloned();
    match fault {
        Fault::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = error(status, "injected fault");
            if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(&value).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Fault::Html { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
            (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        Fault::DropBeforeHandling => serve::drop_connection(connection).await,
        Fault::DropAfterHandling => {
            let _ = next.run(request).await;
            serve::drop_connection(connection).await
        }
        Fault::CutMidBody => {
            let response = next.run(request).await;
            serve::cut_mid_body(response).await
        }
        Fault::Delay(delay) => {
            let response = next.run(request).await;
            tokio::time::sleep(delay).await;
            response
        }
        Fault::Body(body) => {
            let _ = next.run(request).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    }
}
