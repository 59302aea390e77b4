//! Docutools user import against the local Docutools server: tokens that
//! refresh themselves, the size limit, the splitter, legacy encodings, and
//! mappings checked before the import.

use std::time::Duration;

use crate::support::LocalConfig;
use roster::AuthError;
use roster::docutools::PasswordGrant;
use roster::docutools::types::UserAttribute;
use roster::docutools::{
    self, ColumnMap, CsvEncoding, DocutoolsError, MAX_FILE_SIZE, UsersCsv, UsersCsvError,
};
use roster_emulator::{Fault, LocalDocutools, Route};

fn mapping() -> ColumnMap {
    ColumnMap::new()
        .map("Email Address", UserAttribute::Email)
        .map("Name", UserAttribute::Name)
        .map("Department", UserAttribute::Department)
}

pub(crate) fn users_csv(rows: usize) -> UsersCsv {
    let mut text = String::from("Email Address,Name,Department\r\n");
    for index in 0..rows {
        text.push_str(&format!(
            "user{index}@acme.example,User {index},Support\r\n"
        ));
    }
    UsersCsv::from_bytes(text.as_bytes(), CsvEncoding::Detect).unwrap()
}

async fn logged_in() -> (LocalDocutools, docutools::Client) {
    let local = LocalDocutools::start().await.unwrap();
    let client = crate::support::login_config(&local).client().unwrap();
    (local, client)
}

#[tokio::test]
async fn upload_then_import_creates_the_users() {
    let (local, client) = logged_in().await;

    let file = client
        .upload_users_file(&users_csv(3))
        .language("german")
        .send()
        .await
        .unwrap();
    let (report, users) = client.import_users(&file, &mapping()).send().await.unwrap();

    assert_eq!(file.columns, ["Email Address", "Name", "Department"]);
    assert_eq!(file.file_encoding.as_deref(), Some("UTF-8"));
    assert!(report.unmapped.is_empty());
    assert_eq!(users.len(), 3);
    assert_eq!(users[1].username.as_deref(), Some("user1@acme.example"));
    assert_eq!(users[1].first_name.as_deref(), Some("User"));
    assert_eq!(users[1].last_name.as_deref(), Some("1"));
    assert_eq!(local.imports_applied(), 1);
    let upload = &local.uploads()[0];
    assert_eq!(
        upload.query.get("langauge").map(String::as_str),
        Some("german")
    );
    assert_eq!(
        upload.query.get("language").map(String::as_str),
        Some("german")
    );
    assert_eq!(upload.content_type.as_deref(), Some("text/csv"));
    assert_eq!(upload.file_name.as_deref(), Some("users.csv"));
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_without_the_callers_help() {
    let (local, client) = logged_in().await;
    local.set_token_lifetime(Duration::from_secs(1));

    client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();
    client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();

    let grants = local.grants();
    assert_eq!((grants.password, grants.refresh), (1, 1));
    assert_eq!(local.unauthorized(), 0);
}

#[tokio::test]
async fn a_refused_token_is_refreshed_and_the_upload_sent_again() {
    let (local, client) = logged_in().await;
    client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();
    local.revoke_access_tokens();

    let file = client
        .upload_users_file(&users_csv(2))
        .send()
        .await
        .unwrap();

    assert_eq!(file.size_in_bytes, Some(users_csv(2).len() as i64));
    assert_eq!(local.unauthorized(), 1);
    assert_eq!(local.grants().refresh, 1);
}

#[tokio::test]
async fn an_import_refused_with_401_is_not_sent_again() {
    let (local, client) = logged_in().await;
    let file = client
        .upload_users_file(&users_csv(2))
        .send()
        .await
        .unwrap();
    local.revoke_access_tokens();

    let error = client
        .import_users(&file, &mapping())
        .send()
        .await
        .unwrap_err();

    let DocutoolsError::Import { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.status().map(|status| status.as_u16()), Some(401));
    assert_eq!(local.unauthorized(), 1, "sent once");
    assert_eq!(local.imports_applied(), 0);
    let (_, users) = client.import_users(&file, &mapping()).send().await.unwrap();
    assert_eq!(users.len(), 2, "the next call has a fresh token");
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_before_any_byte_is_sent() {
    let (local, client) = logged_in().await;
    let csv = users_csv(78_000);
    assert!(csv.len() > 3_300_000, "{}", csv.len());

    let error = client.upload_users_file(&csv).send().await.unwrap_err();

    let DocutoolsError::Csv(UsersCsvError::TooLarge { size, limit }) = error else {
        panic!("{error:?}")
    };
    assert_eq!((size, limit), (csv.len(), MAX_FILE_SIZE));
    assert!(local.uploads().is_empty());
    assert_eq!(local.grants().password, 0, "not even a token was asked for");
}

/// Records of a CSV text after its header, as strings.
fn records(text: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn split_parts_are_under_the_limit_and_hold_every_row_once() {
    let mut text = String::from("Email Address,Name,Notes\r\n");
    for index in 0..40_000 {
        let notes = if index % 7 == 0 {
            format!("\"line one\r\nline two, {index}\"")
        } else {
            format!("n{index}")
        };
        text.push_str(&format!("u{index}@acme.example,User {index},{notes}\r\n"));
    }
    let csv = UsersCsv::from_bytes(text.as_bytes(), CsvEncoding::Utf8).unwrap();
    let limit = 300_000;

    let parts = csv.split(limit).unwrap();

    assert!(parts.len() >= 5, "{} parts", parts.len());
    let mut rows = Vec::new();
    for part in &parts {
        assert!(part.len() <= limit, "{} > {limit}", part.len());
        assert!(part.text().starts_with(b"Email Address,Name,Notes\r\n"));
        rows.extend(records(part.text()));
    }
    assert_eq!(rows, records(text.as_bytes()));
    assert_eq!(rows.len(), 40_000);
    let count = parts.len();
    assert_eq!(
        parts[0].file_name().as_str(),
        format!("users (part 1 of {count}).csv"),
        "the extension stays last"
    );
}

#[test]
fn a_record_larger_than_the_limit_cannot_be_split() {
    let text = format!("Email,Notes\r\na@b.example,\"{}\"\r\n", "x".repeat(500));
    let csv = UsersCsv::from_bytes(text.as_bytes(), CsvEncoding::Utf8).unwrap();

    let error = csv.split(200).unwrap_err();

    assert!(error.to_string().starts_with("2: "), "{error}");
}

#[tokio::test]
async fn a_large_file_is_split_and_imported_part_after_part() {
    let (local, client) = logged_in().await;
    let csv = users_csv(80_000);
    assert!(csv.len() > MAX_FILE_SIZE);

    let users = client
        .import_users_csv(&csv, &mapping())
        .execute()
        .await
        .unwrap();

    assert_eq!(users.len(), 80_000);
    let uploads = local.uploads();
    assert!(uploads.len() >= 2);
    assert!(
        uploads
            .iter()
            .all(|upload| upload.bytes.len() <= MAX_FILE_SIZE)
    );
    assert_eq!(local.imports_applied() as usize, uploads.len());
}

#[tokio::test]
async fn a_file_in_parts_refused_at_its_second_part_says_the_first_was_applied() {
    let (local, client) = logged_in().await;
    let csv = users_csv(80_000);
    // The first part's import is handled; the second's refused unhandled.
    local
        .faults()
        .inject(Route::UsersImport, Fault::Delay(Duration::ZERO));
    local.faults().inject(
        Route::UsersImport,
        Fault::Status {
            status: 400,
            retry_after: None,
        },
    );

    let error = client
        .import_users_csv(&csv, &mapping())
        .execute()
        .await
        .unwrap_err();

    let DocutoolsError::PartlyImported(roster::AppliedInPart {
        applied, part, of, ..
    }) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*part, *of), (2, local.uploads().len()));
    assert_eq!(local.imports_applied(), 1);
    assert!(!applied.is_empty(), "the first part's users");
    assert!(error.to_string().contains("applied: 1"), "{error}");
}

#[tokio::test]
async fn a_windows_1252_file_with_accents_imports_intact() {
    let (local, client) = logged_in().await;
    let text = "Email Address,Name,Department\r\nzoe@acme.example,Zoë Müller,Qualité\r\nfr@acme.example,François Ångström,Nº 1\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture really is Windows-1252"
    );

    let csv = UsersCsv::from_bytes(&bytes, CsvEncoding::Detect).unwrap();
    let file = client.upload_users_file(&csv).send().await.unwrap();
    let (_, users) = client.import_users(&file, &mapping()).send().await.unwrap();

    assert_eq!(csv.read_as(), CsvEncoding::Windows1252);
    let names: Vec<(Option<String>, Option<String>, Option<String>)> = users
        .iter()
        .map(|user| {
            (
                user.first_name.clone(),
                user.last_name.clone(),
                user.department.clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (
                Some("Zoë".into()),
                Some("Müller".into()),
                Some("Qualité".into())
            ),
            (
                Some("François".into()),
                Some("Ångström".into()),
                Some("Nº 1".into())
            ),
        ]
    );
    assert_eq!(local.users()[0]["lastName"], "Müller");
}

#[test]
fn a_file_declared_utf8_that_is_not_says_where() {
    let bytes = b"Email,Name\r\na@b.example,Zo\xEB\r\n";

    let error = UsersCsv::from_bytes(bytes, CsvEncoding::Utf8).unwrap_err();

    let UsersCsvError::NotUtf8 { line, offset } = error else {
        panic!("{error:?}")
    };
    assert_eq!((line, offset), (2, 26));
}

#[tokio::test]
async fn a_mapping_naming_a_missing_column_is_refused_before_the_import() {
    let (local, client) = logged_in().await;
    let file = client
        .upload_users_file(&users_csv(2))
        .send()
        .await
        .unwrap();
    local.faults().inject(
        Route::UsersImport,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );
    let mapping = ColumnMap::new().map("E-mail", UserAttribute::Email);

    let error = client
        .import_users(&file, &mapping)
        .send()
        .await
        .unwrap_err();

    let DocutoolsError::Csv(UsersCsvError::MissingColumn { column, available }) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(column, "E-mail");
    assert_eq!(available, &file.columns);
    assert!(error.to_string().contains("nothing was imported"));
    assert_eq!(local.faults().pending(), 1, "no import request was sent");
}

#[tokio::test]
async fn a_mapping_without_email_or_username_is_refused() {
    let (_local, client) = logged_in().await;
    let file = client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();
    let mapping = ColumnMap::new().map("Name", UserAttribute::Name);

    let error = client
        .import_users(&file, &mapping)
        .send()
        .await
        .unwrap_err();

    assert!(
        matches!(error, DocutoolsError::Csv(UsersCsvError::NoIdentity)),
        "{error:?}"
    );
}

#[tokio::test]
async fn unmapped_columns_are_reported() {
    let (_local, client) = logged_in().await;
    let file = client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();
    let mapping = ColumnMap::new().map("Email Address", UserAttribute::Email);

    let (report, users) = client.import_users(&file, &mapping).send().await.unwrap();

    assert_eq!(report.unmapped, ["Name", "Department"]);
    assert_eq!(users.len(), 1);
}

#[tokio::test]
async fn an_expired_file_cannot_be_imported() {
    let (local, client) = logged_in().await;
    local.set_file_lifetime(Duration::ZERO);
    let file = client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();

    let error = client
        .import_users(&file, &mapping())
        .send()
        .await
        .unwrap_err();

    let DocutoolsError::Import { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.status().map(|status| status.as_u16()), Some(400));
    assert_eq!(local.imports_applied(), 0);
}

#[tokio::test]
async fn a_wrong_password_is_a_typed_error_without_the_password() {
    let local = LocalDocutools::start().await.unwrap();
    let grant = PasswordGrant::new(
        "roster",
        "local-client-secret",
        "admin@acme.example",
        "hunter2-wrong",
    );
    let config = roster::docutools::DocutoolsLoginConfig::new(&local.base_url(), grant).unwrap();
    let client: docutools::Client = config.client().unwrap();

    let error = client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap_err();

    let DocutoolsError::Upload(roster::HttpError::Auth { source, .. }) = &error else {
        panic!("{error:?}")
    };
    let AuthError::Refused { grant, reason, .. } = source.as_ref() else {
        panic!("{error:?}")
    };
    assert_eq!(*grant, "password");
    assert!(reason.contains("invalid_grant"), "{reason}");
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{config:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("local-client-secret"), "{shown}");
    }
    assert!(local.uploads().is_empty());
}

#[tokio::test]
async fn a_static_token_works_too() {
    let local = LocalDocutools::start().await.unwrap();
    let client: docutools::Client = local.config().client().unwrap();

    let file = client
        .upload_users_file(&users_csv(1))
        .send()
        .await
        .unwrap();

    assert_eq!(file.columns.len(), 3);
    assert_eq!(local.grants().password, 0);
}
