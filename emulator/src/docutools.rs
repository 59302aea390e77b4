//! A local Docutools users-service: the OAuth2 password and refresh grants,
//! the file upload (with its 3.2 MB limit and `413`), the import with its
//! mapping checks, users kept in memory, uploaded files that expire.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::faults::Faults;
use crate::knobs::Knobs;
use crate::respond::{Rejection, error};
use crate::serve;
use crate::shape::{Api, canonical};

/// The documented paths.
const TOKEN_PATH: &str = "/oauth/token";
const UPLOAD_PATH: &str = "/api/v2/users/imports/files";
const IMPORT_PATH: &str = "/api/v2/users/imports/{file_id}";

/// An account of the local Docutools server.
#[derive(Debug, Clone)]
pub struct DocutoolsAccount {
    /// The user name (an email).
    pub username: String,
    /// The password.
    pub password: String,
    /// The two-factor code it requires, if any.
    pub code: Option<String>,
}

/// What the local Docutools server starts with.
#[derive(Debug, Clone)]
pub struct DocutoolsSetup {
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: String,
    /// The accounts that may log in.
    pub accounts: Vec<DocutoolsAccount>,
    /// How long an access token lives.
    pub token_lifetime: Duration,
    /// How long an uploaded file is kept (`savedUntil`).
    pub file_lifetime: Duration,
    /// The vendor variant it plays (timestamps, `null`s, unknown fields and
    /// values, the upload limit).
    pub knobs: Knobs,
}

impl Default for DocutoolsSetup {
    /// One administrator (`admin@acme.example`), tokens for 5 minutes, files
    /// kept an hour.
    fn default() -> Self {
        Self {
            client_id: "roster".into(),
            client_secret: "local-client-secret".into(),
            accounts: vec![DocutoolsAccount {
                username: "admin@acme.example".into(),
                password: "local-password".into(),
                code: None,
            }],
            token_lifetime: Duration::from_secs(300),
            file_lifetime: Duration::from_secs(3600),
            knobs: Knobs::default(),
        }
    }
}

/// A file upload as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedUpload {
    /// The query parameters.
    pub query: HashMap<String, String>,
    /// The part's file name.
    pub file_name: Option<String>,
    /// The part's `Content-Type`.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub bytes: bytes::Bytes,
}

/// How many tokens each grant gave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    /// Password grants.
    pub password: u32,
    /// Refresh grants.
    pub refresh: u32,
}

struct StoredFile {
    columns: Vec<String>,
    bytes: bytes::Bytes,
    saved_until: Instant,
}

#[derive(Default)]
struct State_ {
    issued: Vec<String>,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, String>,
    grants: Grants,
    unauthorized: u32,
    files: HashMap<uuid::Uuid, StoredFile>,
    uploads: Vec<ReceivedUpload>,
    users: Vec<Value>,
    imports_applied: u32,
    next_token: u64,
}

struct Shared {
    setup: Mutex<DocutoolsSetup>,
    state: Mutex<State_>,
    faults: Faults,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State_> {
        self.state.lock()
    }

    fn setup(&self) -> DocutoolsSetup {
        self.setup.lock().clone()
    }

    /// Issues an access token (and a refresh token) for `username`.
    fn issue(&self, username: &str) -> Value {
        let lifetime = self.setup().token_lifetime;
        let mut state = self.lock();
        state.next_token += 1;
        let serial = state.next_token;
        let access = format!(
            "eyJhbGciOiJub25lIn0.{serial}-{}.local",
            uuid::Uuid::new_v4().simple()
        );
        let refresh = format!("refresh-{serial}-{}", uuid::Uuid::new_v4().simple());
        state.issued.push(access.clone());
        state.issued.push(refresh.clone());
        state
            .access
            .insert(access.clone(), Instant::now() + lifetime);
        state.refresh.insert(refresh.clone(), username.to_owned());
        json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": lifetime.as_secs(),
        })
    }
}

/// A running local Docutools server. Stops when dropped.
pub struct LocalDocutools {
    shared: Arc<Shared>,
    server: serve::Server,
}

impl std::fmt::Debug for LocalDocutools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDocutools")
            .field("url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

impl LocalDocutools {
    /// Starts a server with the default [`DocutoolsSetup`].
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(DocutoolsSetup::default()).await
    }

    /// Starts a server with `setup` on a free loopback port.
    pub async fn start_with(setup: DocutoolsSetup) -> std::io::Result<Self> {
        Self::start_on(setup, 0).await
    }

    /// Starts a server with `setup` on loopback port `port` (0: a free one).
    pub async fn start_on(setup: DocutoolsSetup, port: u16) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            setup: Mutex::new(setup),
            state: Mutex::new(State_::default()),
            faults: Faults::default(),
        });
        let server = serve::spawn(router(Arc::clone(&shared)), port).await?;
        Ok(Self { shared, server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The setup it runs with (client credentials and accounts included).
    pub fn setup(&self) -> DocutoolsSetup {
        self.shared.setup()
    }

    /// An access token issued now for the first account.
    pub fn issue_token(&self) -> String {
        let username = self.shared.setup().accounts[0].username.clone();
        let answer = self.shared.issue(&username);
        answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// `DOCUTOOLS_HOST` and `DOCUTOOLS_TOKEN` (an access token issued now)
    /// for this server.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("DOCUTOOLS_HOST", self.base_url()),
            ("DOCUTOOLS_TOKEN", self.issue_token()),
        ]
    }

    /// Plays these knobs from the next request on.
    pub fn set_knobs(&self, knobs: Knobs) {
        self.shared.setup.lock().knobs = knobs;
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Sets how long the next access tokens live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.setup.lock().token_lifetime = lifetime;
    }

    /// Sets how long the next uploaded files are kept.
    pub fn set_file_lifetime(&self, lifetime: Duration) {
        self.shared.setup.lock().file_lifetime = lifetime;
    }

    /// Makes every access token issued so far invalid (as if expired).
    pub fn revoke_access_tokens(&self) {
        self.shared.lock().access.clear();
    }

    /// Every access and refresh token issued so far (to check that none
    /// leaks into logs).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued.clone()
    }

    /// The tokens granted so far, by grant.
    pub fn grants(&self) -> Grants {
        self.shared.lock().grants
    }

    /// How many requests were refused with 401.
    pub fn unauthorized(&self) -> u32 {
        self.shared.lock().unauthorized
    }

    /// The uploads received, oldest first.
    pub fn uploads(&self) -> Vec<ReceivedUpload> {
        self.shared.lock().uploads.clone()
    }

    /// The users imports created, as JSON.
    pub fn users(&self) -> Vec<Value> {
        self.shared.lock().users.clone()
    }

    /// How many imports were applied.
    pub fn imports_applied(&self) -> u32 {
        self.shared.lock().imports_applied
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(
            UPLOAD_PATH,
            post(upload).layer(middleware::from_fn_with_state(Arc::clone(&shared), bearer)),
        )
        .route(
            IMPORT_PATH,
            post(import).layer(middleware::from_fn_with_state(Arc::clone(&shared), bearer)),
        )
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            misbehave,
        ))
        .with_state(shared)
}

async fn misbehave(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    crate::lucca::apply_faults(&shared.faults, request, next).await
}

/// `Authorization: Bearer <token>` with a live token, else 401.
async fn bearer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let live = {
        let mut state = shared.lock();
        let live = token
            .as_ref()
            .and_then(|token| state.access.get(token))
            .is_some_and(|expires| *expires > Instant::now());
        if !live {
            state.unauthorized += 1;
        }
        live
    };
    if !live {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "unauthorized", "error_description": "This endpoint requires full authentication." })),
        )
            .into_response();
    }
    next.run(request).await
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

/// `POST /oauth/token`: client credentials by HTTP Basic, a multipart form.
async fn token(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let setup = shared.setup();
    let basic = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok());
    if basic != Some(format!("{}:{}", setup.client_id, setup.client_secret)) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Bad client credentials",
        );
    }
    let mut form = HashMap::new();
    let mut multipart = match <Multipart as axum::extract::FromRequest<Arc<Shared>>>::from_request(
        request, &shared,
    )
    .await
    {
        Ok(multipart) => multipart,
        Err(rejection) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &rejection.body_text(),
            );
        }
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        form.insert(name, field.text().await.unwrap_or_default());
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        "password" => {
            let account = setup.accounts.iter().find(|account| {
                account.username == field("username") && account.password == field("password")
            });
            let Some(account) = account else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad credentials");
            };
            if account
                .code
                .as_deref()
                .is_some_and(|code| code != field("code"))
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Missing or wrong 2FA code",
                );
            }
            shared.lock().grants.password += 1;
            Json(shared.issue(&account.username)).into_response()
        }
        "refresh_token" => {
            let username = shared.lock().refresh.remove(field("refresh_token"));
            let Some(username) = username else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid refresh token",
                );
            };
            shared.lock().grants.refresh += 1;
            Json(shared.issue(&username)).into_response()
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("`{other}`"),
        ),
    }
}

fn decode(bytes: &[u8], encoding: &str) -> Option<String> {
    let encoding = encoding_rs::Encoding::for_label(encoding.as_bytes())?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, _, malformed) = encoding.decode(bytes);
    (!malformed).then(|| text.into_owned())
}

fn records(text: &str, delimiter: u8) -> Result<Vec<Vec<String>>, String> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .map(|record| record.iter().map(str::to_owned).collect())
                .map_err(|error| format!("the file is corrupted: {error}"))
        })
        .collect()
}

fn delimiter_of(query: &HashMap<String, String>) -> Result<u8, Rejection> {
    match query.get("delimiter").map(String::as_bytes) {
        None => Ok(b','),
        Some([byte]) => Ok(*byte),
        Some(_) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "the delimiter must be one character",
        )),
    }
}

/// `POST /api/v2/users/imports/files`.
async fn upload(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    mut multipart: Multipart,
) -> Response {
    let delimiter = match delimiter_of(&query) {
        Ok(delimiter) => delimiter,
        Err(rejection) => return rejection.into_response(),
    };
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        match field.bytes().await {
            Ok(bytes) => file = Some((file_name, content_type, bytes)),
            Err(rejection) => return error(rejection.status(), &rejection.body_text()),
        }
    }
    let Some((file_name, content_type, bytes)) = file else {
        return error(
            StatusCode::BAD_REQUEST,
            "Invalid content type: no part named `file`",
        );
    };
    shared.lock().uploads.push(ReceivedUpload {
        query: query.clone(),
        file_name,
        content_type,
        bytes: bytes.clone(),
    });
    let setup = shared.setup();
    if bytes.len() > setup.knobs.docutools_max_file {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Image exceeds file size limit of 3.2MB.",
        );
    }
    let encoding = if std::str::from_utf8(&bytes).is_ok() {
        "UTF-8"
    } else {
        "ISO-8859-1"
    };
    let columns = decode(&bytes, encoding)
        .ok_or_else(|| "the file cannot be decoded".to_owned())
        .and_then(|text| records(&text, delimiter))
        .map(|rows| rows.into_iter().next().unwrap_or_default());
    let columns = match columns {
        Ok(columns) => columns,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let id = uuid::Uuid::new_v4();
    let lifetime = setup.file_lifetime;
    let saved_until =
        chrono::Utc::now().naive_utc() + chrono::Duration::from_std(lifetime).unwrap_or_default();
    shared.lock().files.insert(
        id,
        StoredFile {
            columns: columns.clone(),
            bytes: bytes.clone(),
            saved_until: Instant::now() + lifetime,
        },
    );
    answer(
        &setup.knobs,
        json!({
            "id": id,
            "mimeType": "text/csv",
            "sizeInBytes": bytes.len(),
            "savedUntil": canonical(saved_until),
            "columns": columns,
            "delimiter": char::from(delimiter).to_string(),
            "fileEncoding": encoding,
        }),
    )
}

fn answer(knobs: &Knobs, value: Value) -> Response {
    Json(knobs.shape(Api::Docutools, value)).into_response()
}

const ATTRIBUTES: [&str; 16] = [
    "FirstName",
    "LastName",
    "Name",
    "Phone",
    "Fax",
    "JobTitle",
    "Department",
    "InternalId",
    "Email",
    "Username",
    "Street",
    "CompanyName",
    "Zip",
    "City",
    "Active",
    "Ignore",
];

/// `POST /api/v2/users/imports/{fileId}`.
async fn import(
    State(shared): State<Arc<Shared>>,
    Path(file_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, message);
    let Ok(mapping) = serde_json::from_slice::<HashMap<String, String>>(&body) else {
        return bad("Invalid content type: the body must map column names to attributes");
    };
    if let Some((column, attribute)) = mapping
        .iter()
        .find(|(_, attribute)| !ATTRIBUTES.contains(&attribute.as_str()))
    {
        return bad(&format!(
            "unknown attribute `{attribute}` for column `{column}`"
        ));
    }
    if !mapping
        .values()
        .any(|attribute| attribute == "Email" || attribute == "Username")
    {
        return bad("missing required property (either Email or Username)");
    }
    let delimiter = match delimiter_of(&query) {
        Ok(delimiter) => delimiter,
        Err(rejection) => return rejection.into_response(),
    };
    // "type `boolean`, default value is `true`".
    let skip_first_row = match query.get("skipFirstRow").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return bad(&format!(
                "`skipFirstRow` must be true or false, not `{other}`"
            ));
        }
    };
    let encoding = query
        .get("fileEncoding")
        .cloned()
        .unwrap_or_else(|| "UTF-8".into());
    let (columns, bytes) = {
        let state = shared.lock();
        let Some(file) = file_id
            .parse()
            .ok()
            .and_then(|id: uuid::Uuid| state.files.get(&id))
        else {
            return error(
                StatusCode::NOT_FOUND,
                &format!("no uploaded file {file_id}"),
            );
        };
        if file.saved_until <= Instant::now() {
            return bad("the uploaded file has expired (savedUntil); upload it again");
        }
        (file.columns.clone(), file.bytes.clone())
    };
    if let Some(column) = mapping.keys().find(|column| !columns.contains(column)) {
        return bad(&format!("the file has no column `{column}`"));
    }
    let Some(text) = decode(&bytes, &encoding) else {
        return bad(&format!("the file is corrupted: it is not {encoding}"));
    };
    let rows = match records(&text, delimiter) {
        Ok(rows) => rows,
        Err(message) => return bad(&message),
    };
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(at, name)| (name.as_str(), at))
        .collect();
    let has_active = mapping.values().any(|attribute| attribute == "Active");
    let mut created = Vec::new();
    for row in rows.iter().skip(usize::from(skip_first_row)) {
        let value = |attribute: &str| {
            mapping
                .iter()
                .find(|(_, mapped)| mapped.as_str() == attribute)
                .and_then(|(column, _)| index.get(column.as_str()))
                .and_then(|at| row.get(*at))
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let email = value("Email");
        let Some(username) = value("Username").or_else(|| email.clone()) else {
            continue;
        };
        let (first, last) = match value("Name") {
            Some(name) => match name.split_once(char::is_whitespace) {
                Some((first, last)) => (Some(first.to_owned()), Some(last.trim().to_owned())),
                None => (Some(name), None),
            },
            None => (value("FirstName"), value("LastName")),
        };
        let active = !has_active || value("Active").is_some();
        let now = canonical(chrono::Utc::now().naive_utc());
        created.push(json!({
            "userId": uuid::Uuid::new_v4(),
            "organisationId": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "organisationNameId": "acme",
            "organisationName": value("CompanyName").unwrap_or_else(|| "ACME".into()),
            "username": username,
            "firstName": first,
            "lastName": last,
            "email": email,
            "phone": value("Phone"),
            "fax": value("Fax"),
            "jobTitle": value("JobTitle"),
            "department": value("Department"),
            "internalId": value("InternalId"),
            "street": value("Street"),
            "zip": value("Zip"),
            "city": value("City"),
            "comment": Value::Null,
            "settings": { "language": "en", "timeZone": "Europe/Berlin", "twoFactorAuthEnabled": false, "admin": false, "projectCreator": false },
            "owner": false,
            "active": active,
            "verified": false,
            "license": Value::Null,
            "permissions": [],
            "created": now,
            "lastModified": now,
            "invitationStatus": "Pending",
            "type": "Password",
            "noLicenseMessage": Value::Null,
            "privacyPolicyAccepted": false,
            "termsAndConditionsAccepted": false,
        }));
    }
    let mut state = shared.lock();
    state.users.extend(created.iter().cloned());
    state.imports_applied += 1;
    answer(&shared.setup().knobs, Value::Array(created))
}
