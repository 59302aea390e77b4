//! The fault matrix: every operation against every fault of the local
//! servers, with the typed error the caller gets, how many requests reached
//! the server, and what the server did. Imports are applied at most once in
//! every case; idempotent calls recover when the fault is transient.

use std::time::Duration;

use chrono::NaiveDate;
use roster::directory::{self, ClientExtraUsersExt, Fields, UpdateOptions, UserPatch};
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ClientExtraUserImportExt, ColumnMap, CsvEncoding, UsersCsv};
use roster::emulator::{Fault, LocalDocutools, LocalLucca, Route};
use roster::office::types::Position;
use roster::office::{
    self, ClientExtraImportExt, CsvUpload, ImportMode, ImportStarted, UserLocationRow, WaitOptions,
};
use roster::retry::Backoff;

const TIMEOUT: Duration = Duration::from_millis(400);

fn quick_reads() -> Backoff {
    Backoff {
        attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

/// Every fault of the matrix, with a name for the report.
fn faults() -> Vec<(&'static str, Fault)> {
    let status = |status: u16, retry_after: Option<&str>| Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    };
    vec![
        (
            "latency beyond the timeout",
            Fault::Delay(Duration::from_millis(1500)),
        ),
        ("reset before the body was read", Fault::DropBeforeHandling),
        ("reset after it was handled", Fault::DropAfterHandling),
        ("408", status(408, None)),
        ("429", status(429, None)),
        ("429 Retry-After seconds", status(429, Some("0"))),
        (
            "429 Retry-After date",
            status(429, Some("Thu, 01 Jan 1970 00:00:00 GMT")),
        ),
        ("500", status(500, None)),
        ("502", status(502, None)),
        ("503", status(503, None)),
        ("504", status(504, None)),
        ("HTML error page", Fault::Html { status: 502 }),
        (
            "truncated JSON",
            Fault::Body("{\"summaryId\": \"51564472-08cc".into()),
        ),
        ("empty body", Fault::Body(String::new())),
        ("body of the wrong shape", Fault::Body("[1, 2]".into())),
    ]
}

/// Whether a fault goes away on a second try of an idempotent call.
fn transient(fault: &Fault, retries_500: bool) -> bool {
    match fault {
        Fault::Body(_) => false,
        Fault::Status { status: 500, .. } => retries_500,
        _ => true,
    }
}

/// One cell of the matrix.
struct Cell {
    operation: &'static str,
    fault: &'static str,
    outcome: String,
    requests: usize,
    applied: u64,
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
        .with_read_retries(quick_reads())
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

#[tokio::test]
async fn the_fault_matrix() {
    let mut cells = Vec::new();
    for (fault_name, fault) in faults() {
        // The creation of an import: never sent twice.
        let local = lucca().await;
        let office: office::Client = lucca_config(&local).client().unwrap();
        local.faults().inject(Route::Create, fault.clone());
        let result = office
            .import_user_locations(CsvUpload::from_rows(rows()))
            .mode(ImportMode::Create)
            .send()
            .await;
        settle(&local, &office).await;
        let requests = local.faults().requests(Route::Create);
        let applied = local.imports_applied();
        assert_eq!(requests, 1, "create / {fault_name}: sent {requests} times");
        let handled = matches!(
            fault,
            Fault::DropAfterHandling | Fault::Delay(_) | Fault::Body(_)
        );
        assert_eq!(
            applied,
            u64::from(handled),
            "create / {fault_name}: applied {applied} times"
        );
        assert!(
            result.is_err(),
            "create / {fault_name} must not look like a success"
        );
        cells.push(Cell {
            operation: "office import (create)",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied,
        });

        // Reads: tried again on transient faults.
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
        cells.push(Cell {
            operation: "office work locations (GET)",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied: 0,
        });

        let local = lucca().await;
        let directory: directory::Client = lucca_config(&local).client().unwrap();
        local.faults().inject(Route::Users, fault.clone());
        let result = directory.user(416, &Fields::new().with("id")).await;
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
        cells.push(Cell {
            operation: "directory user (GET)",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied: 0,
        });

        // An idempotent write: tried again, but not on a 500.
        let local = lucca().await;
        let directory: directory::Client = lucca_config(&local).client().unwrap();
        local.faults().inject(Route::Users, fault.clone());
        let options = UpdateOptions {
            base_delay: Duration::from_millis(5),
            ..UpdateOptions::default()
        };
        let result = directory
            .update_user(416, &UserPatch::new().job_title("Lead"), options)
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
            recovered || handled,
            "update user / {fault_name}"
        );
        cells.push(Cell {
            operation: "directory update (PUT)",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied: 0,
        });

        // Docutools: the upload and the import are sent once.
        let local = LocalDocutools::start().await.unwrap();
        let client: docutools::Client = local
            .token_config()
            .with_timeout(TIMEOUT)
            .unwrap()
            .client()
            .unwrap();
        let csv =
            UsersCsv::from_bytes(b"Email\r\na@acme.example\r\n", CsvEncoding::Detect).unwrap();
        local.faults().inject(Route::UsersUpload, fault.clone());
        let result = client.upload_users_file(&csv, None).await;
        let requests = local.faults().requests(Route::UsersUpload);
        assert_eq!(requests, 1, "upload / {fault_name}");
        assert!(result.is_err(), "upload / {fault_name}");
        cells.push(Cell {
            operation: "docutools upload",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied: 0,
        });

        let file = client.upload_users_file(&csv, None).await.unwrap();
        local.faults().inject(Route::UsersImport, fault.clone());
        let mapping = ColumnMap::new().map("Email", UserAttribute::Email);
        let result = client.import_users(&file, &mapping, true).await;
        let requests = local.faults().requests(Route::UsersImport);
        let applied = u64::from(local.imports_applied());
        assert_eq!(requests, 1, "docutools import / {fault_name}");
        assert_eq!(
            applied,
            u64::from(handled),
            "docutools import / {fault_name}"
        );
        assert!(result.is_err(), "docutools import / {fault_name}");
        cells.push(Cell {
            operation: "docutools import",
            fault: fault_name,
            outcome: kind(&result),
            requests,
            applied,
        });
    }

    // Connection refused, for every client.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let config = roster::LuccaConfig::new(&closed, roster::LuccaApiKey::new("k"))
        .unwrap()
        .with_read_retries(quick_reads());
    let office: office::Client = config.client().unwrap();
    let result = office
        .import_user_locations(CsvUpload::from_rows(rows()))
        .mode(ImportMode::Create)
        .send()
        .await;
    assert!(
        matches!(result, Err(roster::office::UploadError::NotSent(_))),
        "{result:?}"
    );
    cells.push(Cell {
        operation: "office import (create)",
        fault: "connection refused",
        outcome: kind(&result),
        requests: 0,
        applied: 0,
    });
    let result = office.get_office_api_work_locations().send().await;
    assert!(
        matches!(result, Err(office::Error::CommunicationError(_))),
        "{result:?}"
    );
    cells.push(Cell {
        operation: "office work locations (GET)",
        fault: "connection refused",
        outcome: kind(&result),
        requests: 0,
        applied: 0,
    });

    let report: Vec<String> = cells
        .iter()
        .map(|cell| {
            format!(
                "{:<28} | {:<30} | {:<24} | {} | {}",
                cell.operation, cell.fault, cell.outcome, cell.requests, cell.applied
            )
        })
        .collect();
    println!(
        "fault matrix ({} cells):\n{}",
        cells.len(),
        report.join("\n")
    );
    assert_eq!(cells.len(), 15 * 6 + 2);
    assert!(
        cells.iter().all(|cell| cell.applied <= 1),
        "an import was applied twice"
    );
}
