//! The import request on the wire, byte for byte: one multipart
//! `Content-Type` with its boundary, the `files` part, its quoted file name
//! and `text/csv`, the BOM and the header row; every source is the same
//! file, with one BOM.

use chrono::NaiveDate;
use roster::office::types::Position;
use roster::office::{CsvSource, ExistingLocations, ImportMode, UserLocationRow, rows_to_csv};
use roster::{CsvFileName, FileError, LuccaApiKey, LuccaConfig, office};

use crate::capture::{Captured, serve_once};

const ACCEPTED: &str = r#"{"summaryId": "51564472-08cc-4410-94cc-a2b67f77f980"}"#;

fn rows() -> Vec<UserLocationRow> {
    let day = NaiveDate::from_ymd_opt(2025, 9, 18).unwrap();
    vec![
        UserLocationRow::new("jdupont", "Paris", day, Position::FullDay).area("Service Client"),
        UserLocationRow::new("mlefevre", "Nantes", day, Position::SecondHalf).comment("a;b"),
    ]
}

async fn send(upload: CsvSource, mode: ImportMode, existing: ExistingLocations) -> Captured {
    let (base_url, request) = serve_once(200, ACCEPTED).await;
    let office: office::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("key"))
        .unwrap()
        .client()
        .unwrap();
    let started = office
        .import_user_locations(upload)
        .mode(mode)
        .existing(existing)
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.summary_id.to_string(),
        "51564472-08cc-4410-94cc-a2b67f77f980"
    );
    assert_eq!(started.mode, mode);
    request.await.unwrap()
}

/// The boundary of the one multipart `Content-Type`.
fn boundary(request: &Captured) -> String {
    let content_types = request.header_values("content-type");
    assert_eq!(content_types.len(), 1, "{content_types:?}");
    let boundary = content_types[0]
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{}", content_types[0]));
    assert!(
        boundary.len() >= 32,
        "boundary {boundary:?} is too short to be random"
    );
    boundary.to_owned()
}

fn expected_body(boundary: &str, file_name: &str, csv: &[u8]) -> Vec<u8> {
    [
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
        csv,
        format!("\r\n--{boundary}--\r\n").as_bytes(),
    ]
    .concat()
}

#[tokio::test]
async fn the_multipart_request_is_exactly_as_documented() {
    let csv = rows_to_csv(&rows()).unwrap();

    let request = send(
        CsvSource::bytes(csv.clone()),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;

    assert_eq!(
        request.request_line,
        "POST /work-locations/public/api/imports/user-locations?create=false&overrideUserLocations=false HTTP/1.1"
    );
    let boundary = boundary(&request);
    assert_eq!(
        request.body,
        expected_body(&boundary, "user-locations.csv", &csv)
    );
    assert_eq!(
        request.header_values("content-length"),
        [request.body.len().to_string()]
    );
    let csv_start = request
        .body
        .windows(3)
        .position(|w| w == b"\xEF\xBB\xBF")
        .unwrap();
    assert!(
        request.body[csv_start + 3..]
            .starts_with(b"login;workLocationName;areaName;date;position;comment;isDeletion\r\n")
    );
}

#[tokio::test]
async fn create_and_replace_are_named_choices_on_the_query() {
    let request = send(
        CsvSource::bytes(rows_to_csv(&rows()).unwrap()),
        ImportMode::Create,
        ExistingLocations::Replace,
    )
    .await;

    assert!(
        request
            .request_line
            .contains("?create=true&overrideUserLocations=true "),
        "{}",
        request.request_line
    );
}

#[tokio::test]
async fn each_request_gets_its_own_random_boundary() {
    let first = send(
        CsvSource::bytes(rows_to_csv(&rows()).unwrap()),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;
    let second = send(
        CsvSource::bytes(rows_to_csv(&rows()).unwrap()),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;

    assert_ne!(boundary(&first), boundary(&second));
}

#[tokio::test]
async fn rows_are_sent_as_the_file_they_write_with_its_length() {
    let request = send(
        CsvSource::rows(rows()),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;

    assert_eq!(
        request.header_values("content-length"),
        [request.body.len().to_string()]
    );
    let boundary = boundary(&request);
    assert_eq!(
        request.body,
        expected_body(
            &boundary,
            "user-locations.csv",
            &rows_to_csv(&rows()).unwrap()
        )
    );
}

#[tokio::test]
async fn a_file_streams_with_its_length_and_name_and_gets_a_bom_if_it_lacks_one() {
    let dir = std::env::temp_dir().join(format!("roster-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let with_bom = rows_to_csv(&rows()).unwrap();
    let path = dir.join("équipe; week 38.csv");
    std::fs::write(&path, &with_bom[3..]).unwrap();

    let request = send(
        CsvSource::path(&path),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;

    let boundary = boundary(&request);
    assert_eq!(
        request.body,
        expected_body(&boundary, "%C3%A9quipe; week 38.csv", &with_bom)
    );
    assert_eq!(
        request.header_values("content-length"),
        [request.body.len().to_string()]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn any_reader_is_read_too() {
    let csv = rows_to_csv(&rows()).unwrap();
    let reader = std::io::Cursor::new(csv.clone());

    let request = send(
        CsvSource::reader(reader),
        ImportMode::Simulate,
        ExistingLocations::Keep,
    )
    .await;

    let boundary = boundary(&request);
    assert_eq!(
        request.body,
        expected_body(&boundary, "user-locations.csv", &csv)
    );
}

#[tokio::test]
async fn every_source_sends_exactly_one_bom() {
    let csv = rows_to_csv(&rows()).unwrap();
    let without = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap().to_vec();
    let dir = std::env::temp_dir().join(format!("roster-bom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in [("with", &csv), ("without", &without)] {
        let path = dir.join(format!("{name}.csv"));
        std::fs::write(&path, content).unwrap();
        let sources = [
            CsvSource::bytes(content.clone()),
            CsvSource::path(&path),
            CsvSource::reader(std::io::Cursor::new(content.clone())),
            CsvSource::windows_1252(content),
        ];
        for (index, upload) in sources.into_iter().enumerate() {
            let request = send(upload, ImportMode::Simulate, ExistingLocations::Keep).await;
            let boundary = boundary(&request);
            let file_name = if index == 1 {
                format!("{name}.csv")
            } else {
                "user-locations.csv".into()
            };
            assert_eq!(
                request.body,
                expected_body(&boundary, &file_name, &csv),
                "source {index}, file {name} its BOM"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn file_names_are_escaped_in_the_header() {
    let name = CsvFileName::new("a \"b\" 100%; ünï.csv").unwrap();
    let upload = CsvSource::bytes(rows_to_csv(&rows()).unwrap()).with_file_name(name);

    let request = send(upload, ImportMode::Simulate, ExistingLocations::Keep).await;

    let head = String::from_utf8_lossy(&request.body[..200.min(request.body.len())]).into_owned();
    assert!(
        head.contains("filename=\"a %22b%22 100%25; %C3%BCn%C3%AF.csv\"\r\n"),
        "{head}"
    );
}

#[test]
fn file_names_with_control_characters_or_paths_are_refused() {
    let cases = [
        (
            "evil\r\nContent-Type: text/html.csv",
            "a control character",
            5,
        ),
        ("tab\there.csv", "a control character", 4),
        ("../etc/passwd", "a path separator", 3),
        ("dir\\file.csv", "a path separator", 4),
    ];
    for (name, what, position) in cases {
        match CsvFileName::new(name) {
            Err(FileError::NameForbidden {
                what: got,
                position: at,
                ..
            }) => {
                assert_eq!((got, at), (what, position), "{name:?}");
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    assert!(matches!(CsvFileName::new(""), Err(FileError::NameEmpty)));
    assert!(matches!(
        CsvFileName::new("x".repeat(256)),
        Err(FileError::NameTooLong { length: 256 })
    ));
}

#[tokio::test]
async fn a_path_that_is_not_there_says_which() {
    let office: office::Client = LuccaConfig::new("http://127.0.0.1:9", LuccaApiKey::new("key"))
        .unwrap()
        .client()
        .unwrap();
    let error = office
        .import_user_locations(CsvSource::path("/nonexistent/roster.csv"))
        .send()
        .await
        .unwrap_err();

    assert!(
        error.to_string().contains("/nonexistent/roster.csv"),
        "{error}"
    );
}
