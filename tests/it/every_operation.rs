//! Every operation of the three APIs, generated and handwritten, as it goes
//! on the wire: no `api-version` header, the right `Authorization`, exactly
//! one tracing span with its operation, status, attempt and duration, and no
//! secret in any span field.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::TryStreamExt;
use parking_lot::Mutex;
use roster::directory::{self, UserPatch, UserQuery};
use roster::docutools::types::UserAttribute;
use roster::docutools::{
    self, BearerToken, ColumnMap, CsvEncoding, DocutoolsConfig, DocutoolsLoginConfig,
    PasswordGrant, UsersCsv,
};
use roster::office::{self, CsvSource, ImportMode, ImportStarted};
use roster::{LuccaApiKey, LuccaConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::capture::{Captured, serve_many};

const LUCCA_KEY: &str = "lucca-key-never-shown";
const DOCUTOOLS_TOKEN: &str = "docutools-token-never-shown";
const CLIENT_SECRET: &str = "client-secret-never-shown";
const PASSWORD: &str = "password-never-shown";
const ISSUED: &str = "issued-token-never-shown";
const SECRETS: [&str; 5] = [LUCCA_KEY, DOCUTOOLS_TOKEN, CLIENT_SECRET, PASSWORD, ISSUED];

/// One span's fields, as text.
type SpanFields = BTreeMap<String, String>;

/// The spans seen so far, and where each span id is among them.
#[derive(Default)]
struct Seen {
    spans: Vec<SpanFields>,
    index: HashMap<u64, usize>,
}

/// The spans of the `roster.request` kind.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attributes.metadata().name() != "roster.request" {
            return;
        }
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        let mut seen = self.0.lock();
        let index = seen.spans.len();
        seen.spans.push(fields);
        seen.index.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut seen = self.0.lock();
        if let Some(index) = seen.index.get(&id.into_u64()).copied() {
            values.record(&mut Fields(&mut seen.spans[index]));
        }
    }
}

/// What each request must carry and each span must say.
fn check(operation: &str, request: &Captured, authorization: &str, spans: &Spans) {
    assert!(
        request.header_values("api-version").is_empty(),
        "{operation} sent api-version: {:?}",
        request.headers
    );
    assert_eq!(
        request.header_values("authorization"),
        [authorization],
        "{operation}: {}",
        request.request_line
    );
    let spans = spans.0.lock();
    let mine: Vec<_> = spans
        .spans
        .iter()
        .filter(|fields| fields.get("operation").map(String::as_str) == Some(operation))
        .collect();
    assert_eq!(mine.len(), 1, "{operation}: one span, not {mine:?}");
    let fields = mine[0];
    assert_eq!(
        fields.get("status").map(String::as_str),
        Some("200"),
        "{operation}: {fields:?}"
    );
    assert_eq!(
        fields.get("attempt").map(String::as_str),
        Some("1"),
        "{operation}: {fields:?}"
    );
    let duration: f64 = fields["duration_ms"].parse().expect("a duration");
    assert!(duration > 0.0, "{operation}: {fields:?}");
    let path = &fields["path"];
    assert!(
        request
            .request_line
            .contains(path.split('{').next().unwrap_or_default()),
        "{operation}: the template {path} is not the path of {}",
        request.request_line
    );
    assert!(
        !path.contains('?'),
        "{operation}: a query in the span: {path}"
    );
}

fn no_secret_in_any_span(spans: &Spans) {
    for fields in &spans.0.lock().spans {
        for value in fields.values() {
            for secret in SECRETS {
                assert!(!value.contains(secret), "a secret in a span: {fields:?}");
            }
        }
    }
}

const SUMMARY: &str = r#"{"summaryId":"51564472-08cc-4410-94cc-a2b67f77f980"}"#;
const USER: &str = r#"{"data":{"id":416,"login":"jdupont"}}"#;
const IMPORTED_FILE: &str = r#"{"id":"4954a286-13d4-4d49-9939-042b736a210c","columns":["Email Address","Name"],"delimiter":","}"#;

async fn lucca(answer: &'static str) -> (LuccaConfig, tokio::task::JoinHandle<Vec<Captured>>) {
    let (url, captured) = serve_many(vec![(200, answer)]).await;
    let config = LuccaConfig::new(&url, LuccaApiKey::new(LUCCA_KEY)).unwrap();
    (config, captured)
}

/// The spans a test records, with a subscriber of its own for its thread.
fn recorded() -> (Spans, tracing::subscriber::DefaultGuard) {
    let spans = Spans::default();
    let guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    (spans, guard)
}

fn lucca_auth() -> String {
    format!("lucca application={LUCCA_KEY}")
}

/// One test per Lucca operation (so that one failure hides none of the
/// others): one request, answered with `$answer`, as it goes on the wire.
macro_rules! lucca_operation {
    ($($name:ident: $operation:literal, $answer:expr, |$client:ident: $api:ty| $call:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let (spans, _guard) = recorded();
            let (config, captured) = lucca($answer).await;
            let $client: $api = config.client().unwrap();
            $call.await.expect($operation);
            let request = captured.await.unwrap().remove(0);
            check($operation, &request, &lucca_auth(), &spans);
            no_secret_in_any_span(&spans);
        }
    )*};
}

lucca_operation! {
    // Lucca Office, generated.
    office_progress: "get_office_api_imports_user_locations_progress", r#"{"progress":40}"#,
        |office: office::Client| office
            .get_office_api_imports_user_locations_progress()
            .summary_id("x")
            .send();
    office_analysis: "get_office_api_imports_user_locations_analysis", SUMMARY,
        |office: office::Client| office
            .get_office_api_imports_user_locations_analysis()
            .summary_id("x")
            .send();
    office_results: "get_office_api_imports_user_locations_results", SUMMARY,
        |office: office::Client| office
            .get_office_api_imports_user_locations_results()
            .summary_id("x")
            .send();
    office_work_locations: "get_office_api_work_locations", r#"{"items":[]}"#,
        |office: office::Client| office.get_office_api_work_locations().send();
    office_user_locations: "get_office_api_user_locations", r#"{"items":[]}"#,
        |office: office::Client| office.get_office_api_user_locations().send();
    office_user_location: "get_office_api_user_locations_id",
        r#"{"id":1,"ownerId":416,"workLocationId":1,"date":"2025-09-18","position":"FullDay"}"#,
        |office: office::Client| office.get_office_api_user_locations_id().id(1).send();
    // Lucca Office, handwritten.
    office_import: "post_office_api_imports_user_locations", SUMMARY,
        |office: office::Client| office
            .import_user_locations(CsvSource::bytes(
                &b"login;workLocationName;date;position\r\njdupont;Paris;2025/09/18;FullDay\r\n"[..]
            ))
            .send();
    // Lucca Directory, generated.
    directory_list_users: "list_users", r#"{"data":{"items":[]}}"#,
        |directory: directory::Client| directory.list_users().send();
    directory_get_user: "get_user", USER,
        |directory: directory::Client| directory.get_user().id(416).send();
    directory_put_user: "put_user", USER,
        |directory: directory::Client| directory
            .put_user()
            .id(416)
            .body(directory::types::UserUpdate::default())
            .send();
}

#[tokio::test]
async fn office_waiter_progress_then_results() {
    let (spans, _guard) = recorded();
    let started = ImportStarted {
        summary_id: "51564472-08cc-4410-94cc-a2b67f77f980".parse().unwrap(),
        mode: ImportMode::Create,
    };
    // Progress, then results, each its own request and span.
    let (url, captured) = serve_many(vec![(200, r#"{"progress":100}"#), (200, SUMMARY)]).await;
    let office: office::Client = LuccaConfig::new(&url, LuccaApiKey::new(LUCCA_KEY))
        .unwrap()
        .client()
        .unwrap();
    office.wait_for_import(started).execute().await.unwrap();
    let requests = captured.await.unwrap();
    assert_eq!(requests.len(), 2);
    check(
        "get_office_api_imports_user_locations_progress",
        &requests[0],
        &lucca_auth(),
        &spans,
    );
    check(
        "get_office_api_imports_user_locations_results",
        &requests[1],
        &lucca_auth(),
        &spans,
    );
    no_secret_in_any_span(&spans);
}

#[tokio::test]
async fn directory_update_user() {
    let (spans, _guard) = recorded();
    let (config, captured) = lucca(USER).await;
    let directory: directory::Client = config.client().unwrap();
    directory
        .update_user(416, UserPatch::new().job_title("Lead"))
        .send()
        .await
        .unwrap();
    let request = captured.await.unwrap().remove(0);
    assert!(request.request_line.starts_with("PUT /api/v3/users/416 "));
    check("put_user", &request, &lucca_auth(), &spans);
    no_secret_in_any_span(&spans);
}

#[tokio::test]
async fn directory_users_stream() {
    let (spans, _guard) = recorded();
    let (config, captured) = lucca(r#"{"data":{"items":[]}}"#).await;
    let directory: directory::Client = config.client().unwrap();
    let none: Vec<_> = directory
        .users(UserQuery::new())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    let request = captured.await.unwrap().remove(0);
    check("list_users", &request, &lucca_auth(), &spans);
    no_secret_in_any_span(&spans);
}

fn users_csv() -> UsersCsv {
    UsersCsv::from_bytes(
        b"Email Address,Name\r\na@b.example,A B\r\n",
        CsvEncoding::Detect,
    )
    .unwrap()
}

#[tokio::test]
async fn docutools_upload_then_import_with_a_token() {
    let (spans, _guard) = recorded();
    let bearer = format!("Bearer {DOCUTOOLS_TOKEN}");
    let mapping = ColumnMap::new().map("Email Address", UserAttribute::Email);
    let (url, captured) = serve_many(vec![(200, IMPORTED_FILE), (200, "[]")]).await;
    let client: docutools::Client = DocutoolsConfig::new(&url, BearerToken::new(DOCUTOOLS_TOKEN))
        .unwrap()
        .client()
        .unwrap();
    let file = client.upload_users_file(&users_csv()).send().await.unwrap();
    client.import_users(&file, &mapping).send().await.unwrap();
    let requests = captured.await.unwrap();
    check("upload_users_file", &requests[0], &bearer, &spans);
    check("import_users_from_file", &requests[1], &bearer, &spans);
    no_secret_in_any_span(&spans);
}

#[tokio::test]
async fn docutools_password_grant_then_upload() {
    let (spans, _guard) = recorded();
    // The token request, then the upload with the issued token.
    let token = r#"{"access_token":"issued-token-never-shown","expires_in":3600}"#;
    let (url, captured) = serve_many(vec![(200, token), (200, IMPORTED_FILE)]).await;
    let grant = PasswordGrant::new(
        "roster-client",
        CLIENT_SECRET,
        "admin@acme.example",
        PASSWORD,
    );
    let client: docutools::Client = DocutoolsLoginConfig::new(&url, grant)
        .unwrap()
        .client()
        .unwrap();
    client.upload_users_file(&users_csv()).send().await.unwrap();
    let requests = captured.await.unwrap();
    let basic = {
        use base64::Engine;
        let pair = format!("roster-client:{CLIENT_SECRET}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    check("oauth_token", &requests[0], &basic, &spans);
    assert_eq!(
        requests[1].header_values("authorization"),
        [format!("Bearer {ISSUED}").as_str()]
    );
    no_secret_in_any_span(&spans);
}
