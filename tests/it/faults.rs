//! The fault matrix: every operation against every fault of the local
//! servers, one test a cell (`faults::<fault>::<operation>`), checking the
//! typed outcome, how many requests reached the server and what the server
//! did. Imports are applied at most once in every cell; idempotent calls
//! recover when the fault is transient.

use std::time::Duration;

use crate::support::LocalConfig;
use chrono::NaiveDate;
use roster::Backoff;
use roster::directory::{self, Fields, UserPatch};
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ColumnMap, CsvEncoding, DocutoolsError, UsersCsv};
use roster::office::types::Position;
use roster::office::{self, CsvSource, ImportMode, ImportStarted, UserLocationRow, WaitOptions};
use roster_emulator::{Fault, LocalDocutools, LocalLucca, Route};

const TIMEOUT: Duration = Duration::from_millis(400);

fn quick_reads() -> Backoff {
    Backoff {
        attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

/// Whether a fault goes away on a second try of an idempotent call.
fn transient(fault: &Fault, retries_500: bool) -> bool {
    match fault {
        Fault::Body(_) => false,
        Fault::Status { status: 500, .. } => retries_500,
        _ => true,
    }
}

fn rows() -> Vec<UserLocationRow> {
    let day = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
    vec![UserLocationRow::new(
        "jdupont",
        "Paris",
        day,
        Position::FullDay,
    )]
}

async fn lucca() -> LocalLucca {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(10));
    lucca
}

fn lucca_config(lucca: &LocalLucca) -> roster::LuccaConfig {
    lucca
        .config()
        .with_timeout(TIMEOUT)
        .unwrap()
        .with_retries(quick_reads())
        .with_rate_limit(None)
}

/// Waits for every creation the server received, whatever the client saw.
async fn settle(lucca: &LocalLucca, office: &office::Client) {
    for import in lucca
        .received_imports()
        .into_iter()
        .filter(|import| import.create)
    {
        let started = ImportStarted {
            summary_id: import.summary_id,
            mode: ImportMode::Create,
        };
        let options = WaitOptions {
            min_delay: Duration::from_millis(5),
            ..WaitOptions::default()
        };
        office
            .wait_for_import(started)
            .options(options)
            .execute()
            .await
            .unwrap();
    }
}

fn kind<T, E: std::fmt::Debug>(result: &Result<T, E>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(error) => {
            let text = format!("{error:?}");
            text.split(['(', ' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned()
        }
    }
}

fn was_handled(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::DropAfterHandling | Fault::Delay(_) | Fault::Body(_) | Fault::CutMidBody
    )
}

/// The creation of an import: never sent twice, applied at most once.
async fn office_import(fault_name: &str, fault: Fault) {
    let local = lucca().await;
    let office: office::Client = lucca_config(&local).client().unwrap();
    local.faults().inject(Route::Create, fault.clone());
    let result = office
        .import_user_locations(CsvSource::rows(rows()))
        .mode(ImportMode::Create)
        .send()
        .await;
    settle(&local, &office).await;
    let requests = local.faults().requests(Route::Create);
    let applied = local.imports_applied();
    assert_eq!(requests, 1, "create / {fault_name}: sent {requests} times");
    assert_eq!(
        applied,
        u64::from(was_handled(&fault)),
        "create / {fault_name}: applied {applied} times ({})",
        kind(&result)
    );
    assert!(
        result.is_err(),
        "create / {fault_name} must not look like a success"
    );
}

/// A read: tried again on transient faults.
async fn work_locations(fault_name: &str, fault: Fault) {
    let local = lucca().await;
    let office: office::Client = lucca_config(&local).client().unwrap();
    local.faults().inject(Route::Lists, fault.clone());
    let result = office.get_office_api_work_locations().send().await;
    let requests = local.faults().requests(Route::Lists);
    let recovered = transient(&fault, true);
    assert_eq!(
        result.is_ok(),
        recovered,
        "work locations / {fault_name}: {:?}",
        result.as_ref().err()
    );
    assert_eq!(
        requests,
        if recovered { 2 } else { 1 },
        "work locations / {fault_name}"
    );
}

/// A handwritten read over a generated call: tried again on transient faults.
async fn directory_user(fault_name: &str, fault: Fault) {
    let local = lucca().await;
    let directory: directory::Client = lucca_config(&local).client().unwrap();
    local.faults().inject(Route::Users, fault.clone());
    let result = directory
        .user(416)
        .fields(Fields::new().with("id"))
        .send()
        .await;
    let requests = local.faults().requests(Route::Users);
    let recovered = transient(&fault, true);
    assert_eq!(
        result.is_ok(),
        recovered,
        "get user / {fault_name}: {:?}",
        result.as_ref().err()
    );
    assert_eq!(
        requests,
        if recovered { 2 } else { 1 },
        "get user / {fault_name}"
    );
}

/// An idempotent write: tried again, but not on a 500.
async fn directory_update(fault_name: &str, fault: Fault) {
    let local = lucca().await;
    let directory: directory::Client = lucca_config(&local).client().unwrap();
    local.faults().inject(Route::Users, fault.clone());
    let result = directory
        .update_user(416, UserPatch::new().job_title("Lead"))
        .send()
        .await;
    let requests = local.faults().requests(Route::Users);
    let recovered = transient(&fault, false);
    assert_eq!(
        result.is_ok(),
        recovered,
        "update user / {fault_name}: {:?}",
        result.as_ref().err()
    );
    assert_eq!(
        requests,
        if recovered { 2 } else { 1 },
        "update user / {fault_name}"
    );
    assert_eq!(
        local.person(416).unwrap()["jobTitle"] == "Lead",
        recovered || was_handled(&fault),
        "update user / {fault_name}"
    );
}

async fn docutools() -> (LocalDocutools, docutools::Client, UsersCsv) {
    let local = LocalDocutools::start().await.unwrap();
    let client: docutools::Client = local
        .config()
        .with_timeout(TIMEOUT)
        .unwrap()
        .client()
        .unwrap();
    let csv = UsersCsv::from_bytes(b"Email\r\na@acme.example\r\n", CsvEncoding::Detect).unwrap();
    (local, client, csv)
}

/// The Docutools upload: sent once (only a 401 would send it again).
async fn docutools_upload(fault_name: &str, fault: Fault) {
    let (local, client, csv) = docutools().await;
    local.faults().inject(Route::UsersUpload, fault.clone());
    let result = client.upload_users_file(&csv).send().await;
    let requests = local.faults().requests(Route::UsersUpload);
    assert_eq!(requests, 1, "upload / {fault_name}");
    assert!(result.is_err(), "upload / {fault_name}");
}

/// The Docutools import creates users: sent once, applied at most once.
async fn docutools_import(fault_name: &str, fault: Fault) {
    let (local, client, csv) = docutools().await;
    let file = client.upload_users_file(&csv).send().await.unwrap();
    local.faults().inject(Route::UsersImport, fault.clone());
    let mapping = ColumnMap::new().map("Email", UserAttribute::Email);
    let result = client.import_users(&file, &mapping).send().await;
    let requests = local.faults().requests(Route::UsersImport);
    let applied = u64::from(local.imports_applied());
    assert_eq!(requests, 1, "docutools import / {fault_name}");
    assert_eq!(
        applied,
        u64::from(was_handled(&fault)),
        "docutools import / {fault_name}"
    );
    assert!(result.is_err(), "docutools import / {fault_name}");
    if let Fault::Body(_) = fault {
        assert!(
            matches!(result, Err(DocutoolsError::AppliedUnread { .. })),
            "docutools import / {fault_name}: an answer that came says the import was applied: {result:?}"
        );
    }
}

/// One module a fault, one test an operation: `faults::http_503::office_import`.
macro_rules! fault_matrix {
    ($($name:ident => $fault:expr;)*) => {$(
        mod $name {
            use super::*;

            fn fault() -> Fault {
                $fault
            }

            #[tokio::test]
            async fn office_import() {
                super::office_import(stringify!($name), fault()).await;
            }

            #[tokio::test]
            async fn work_locations() {
                super::work_locations(stringify!($name), fault()).await;
            }

            #[tokio::test]
            async fn directory_user() {
                super::directory_user(stringify!($name), fault()).await;
            }

            #[tokio::test]
            async fn directory_update() {
                super::directory_update(stringify!($name), fault()).await;
            }

            #[tokio::test]
            async fn docutools_upload() {
                super::docutools_upload(stringify!($name), fault()).await;
            }

            #[tokio::test]
            async fn docutools_import() {
                super::docutools_import(stringify!($name), fault()).await;
            }
        }
    )*};
}

fn status(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    }
}

fault_matrix! {
    latency_beyond_the_timeout => Fault::Delay(Duration::from_millis(1500));
    reset_before_handling => Fault::DropBeforeHandling;
    reset_after_handling => Fault::DropAfterHandling;
    http_408 => status(408, None);
    http_429 => status(429, None);
    http_429_retry_after_seconds => status(429, Some("0"));
    http_429_retry_after_date => status(429, Some("Thu, 01 Jan 1970 00:00:00 GMT"));
    http_500 => status(500, None);
    http_502 => status(502, None);
    http_503 => status(503, None);
    http_504 => status(504, None);
    html_error_page => Fault::Html { status: 502 };
    truncated_json => Fault::Body("{\"summaryId\": \"51564472-08cc".into());
    empty_body => Fault::Body(String::new());
    body_of_the_wrong_shape => Fault::Body("[1, 2]".into());
    cut_mid_body => Fault::CutMidBody;
}

/// Connection refused: the import is not sent, a read fails after its retries.
#[tokio::test]
async fn connection_refused() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let config = roster::LuccaConfig::new(&closed, roster::LuccaApiKey::new("k"))
        .unwrap()
        .with_retries(quick_reads());
    let office: office::Client = config.client().unwrap();
    let result = office
        .import_user_locations(CsvSource::rows(rows()))
        .mode(ImportMode::Create)
        .send()
        .await;
    assert!(
        matches!(
            result,
            Err(roster::office::ImportError::Upload {
                source: roster::office::UploadError::NotSent(_),
                ..
            })
        ),
        "{result:?}"
    );
    let result = office.get_office_api_work_locations().send().await;
    assert!(
        matches!(result, Err(roster::HttpError::NotSent { .. })),
        "{result:?}"
    );
}
