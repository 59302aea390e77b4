//! Files that are not files: a FIFO (which would block its reader until a
//! writer comes) and a device such as `/dev/zero` (which never ends). Every
//! reader of the library refuses them at once, says which and what, and
//! sends nothing. And files with nothing to import: a header alone.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use roster::FileError;
use roster::directory::{DesiredUsers, SyncError};
use roster::docutools::{CsvEncoding, UsersCsv, UsersCsvError};
use roster::office::{CsvSource, ImportError};
use roster_emulator::LocalLucca;

use crate::support::{LocalConfig, fast};

/// A FIFO no one writes into.
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("export.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    path
}

/// A link named like an export, to `/dev/zero`.
fn zeros(dir: &Path) -> PathBuf {
    let path = dir.join("zeros.csv");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    path
}

/// The refusal, with the path and what it is. A reader that blocked or
/// read on would not come back: the bound only turns that hang into a
/// failure.
async fn refused<T: std::fmt::Debug, E: std::fmt::Debug>(
    read: impl Future<Output = Result<T, E>>,
    file: impl Fn(&E) -> Option<&FileError>,
    path: &Path,
    what: &str,
) {
    let result = tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the reader waited on the special file");
    let error = result.expect_err("a special file was read");
    match file(&error) {
        Some(FileError::NotAFile {
            path: named,
            what: said,
        }) => {
            assert_eq!((named.as_path(), *said), (path, what));
        }
        other => panic!("expected NotAFile, got {other:?} from {error:?}"),
    }
}

fn office_file(error: &ImportError) -> Option<&FileError> {
    match error {
        ImportError::File(file) => Some(file),
        _ => None,
    }
}

fn docutools_file(error: &UsersCsvError) -> Option<&FileError> {
    match error {
        UsersCsvError::File(file) => Some(file),
        _ => None,
    }
}

fn sync_file(error: &SyncError) -> Option<&FileError> {
    match error {
        SyncError::File(file) => Some(file),
        _ => None,
    }
}

#[tokio::test]
async fn an_office_import_refuses_a_fifo_and_a_device_and_sends_nothing() {
    let lucca = LocalLucca::start().await.unwrap();
    let office: roster::office::Client = lucca.config().client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (path, what) in [
        (fifo(dir.path()), "a FIFO"),
        (zeros(dir.path()), "a device"),
    ] {
        let checked = office
            .checked_import(CsvSource::path(&path))
            .wait_options(fast())
            .execute();
        refused(checked, office_file, &path, what).await;
        let plain = office.import_user_locations(CsvSource::path(&path)).send();
        refused(plain, office_file, &path, what).await;
    }
    assert_eq!(lucca.requests_total(), 0);
}

#[tokio::test]
async fn a_docutools_users_file_refuses_a_fifo_and_a_device() {
    let dir = tempfile::tempdir().unwrap();
    for (path, what) in [
        (fifo(dir.path()), "a FIFO"),
        (zeros(dir.path()), "a device"),
    ] {
        let read = UsersCsv::from_path(&path, CsvEncoding::Detect);
        refused(read, docutools_file, &path, what).await;
    }
}

#[tokio::test]
async fn a_users_export_refuses_a_fifo_and_a_device() {
    let dir = tempfile::tempdir().unwrap();
    for (path, what) in [
        (fifo(dir.path()), "a FIFO"),
        (zeros(dir.path()), "a device"),
    ] {
        let read = async { DesiredUsers::from_csv_path(&path) };
        refused(read, sync_file, &path, what).await;
    }
}

/// A file with a header and no row imports nothing: it is refused before
/// anything is sent, by Office (plain and checked) and by Docutools.
#[tokio::test]
async fn a_file_with_no_row_sends_nothing() {
    let lucca = LocalLucca::start().await.unwrap();
    let office: roster::office::Client = lucca.config().client().unwrap();
    let header_only = roster::office::rows_to_csv([]).unwrap();
    let checked = office
        .checked_import(CsvSource::bytes(header_only.clone()))
        .wait_options(fast())
        .execute()
        .await;
    assert!(matches!(checked, Err(ImportError::NoRows)), "{checked:?}");
    let plain = office
        .import_user_locations(CsvSource::bytes(header_only))
        .send()
        .await;
    assert!(matches!(plain, Err(ImportError::NoRows)), "{plain:?}");
    assert_eq!(lucca.requests_total(), 0);

    let docutools_server = roster_emulator::LocalDocutools::start().await.unwrap();
    let docutools: roster::docutools::Client = docutools_server.config().client().unwrap();
    let csv = UsersCsv::from_bytes(b"Email,Name\r\n\r\n", CsvEncoding::Utf8).unwrap();
    let mapping = roster::docutools::ColumnMap::new()
        .map("Email", roster::docutools::types::UserAttribute::Email);
    let imported = docutools.import_users_csv(&csv, &mapping).execute().await;
    assert!(
        matches!(
            imported,
            Err(roster::docutools::DocutoolsError::Csv(
                UsersCsvError::NoRows
            ))
        ),
        "{imported:?}"
    );
    assert!(docutools_server.uploads().is_empty());
    assert_eq!(docutools_server.imports_applied(), 0);
}
