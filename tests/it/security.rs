//! Keys, tokens and passwords never show in logs, errors or `Debug`; the
//! `Authorization` header does not follow a redirect to another host;
//! answers are bounded.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::LocalConfig;
use chrono::NaiveDate;
use roster::directory::{self, UserPatch};
use roster::docutools::PasswordGrant;
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ColumnMap, CsvEncoding, UsersCsv};
use roster::office::types::Position;
use roster::office::{self, CsvSource, UserLocationRow, WaitOptions};
use roster::{LuccaApiKey, LuccaConfig};
use roster_emulator::{DocutoolsSetup, LocalDocutools, LocalLucca};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::capture::{serve_once, serve_once_with};

/// Every log line written while the guard lives.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buffer);
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error} / {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_an_error_or_a_debug() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown = Vec::new();

    // Lucca: a checked import, a user update, a refused key.
    let lucca = LocalLucca::start().await.unwrap();
    let lucca_key = "local-lucca-key";
    let office: office::Client = lucca.config().client().unwrap();
    let rows = vec![UserLocationRow::new(
        "jdupont",
        "Paris",
        NaiveDate::from_ymd_opt(2025, 9, 15).unwrap(),
        Position::FullDay,
    )];
    let fast = WaitOptions {
        min_delay: std::time::Duration::from_millis(5),
        ..WaitOptions::default()
    };
    let outcome = office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast)
        .execute()
        .await
        .unwrap();
    shown.push(format!("{outcome:?} {office:?} {:?}", lucca.config()));
    let directory: directory::Client = lucca.config().client().unwrap();
    directory
        .update_user(416, UserPatch::new().job_title("Lead"))
        .send()
        .await
        .unwrap();
    let wrong: directory::Client =
        LuccaConfig::new(&lucca.base_url(), LuccaApiKey::new("wrong-SECRET-key"))
            .unwrap()
            .client()
            .unwrap();
    shown.push(chain(&wrong.user(416).send().await.unwrap_err()));

    // Docutools: a password grant, a refresh after a 401, a wrong password.
    let setup = DocutoolsSetup::default();
    let (client_secret, password) = (
        setup.client_secret.clone(),
        setup.accounts[0].password.clone(),
    );
    let local = LocalDocutools::start_with(setup).await.unwrap();
    let client: docutools::Client = crate::support::login_config(&local).client().unwrap();
    let csv = UsersCsv::from_bytes(b"Email\r\na@acme.example\r\n", CsvEncoding::Detect).unwrap();
    let file = client.upload_users_file(&csv).send().await.unwrap();
    local.revoke_access_tokens();
    shown.push(chain(
        &client
            .import_users(&file, &ColumnMap::new().map("Email", UserAttribute::Email))
            .send()
            .await
            .unwrap_err(),
    ));
    client.upload_users_file(&csv).send().await.unwrap();
    shown.push(format!(
        "{client:?} {:?}",
        crate::support::login_config(&local)
    ));
    let bad = PasswordGrant::new(
        "roster",
        client_secret.clone(),
        "admin@acme.example",
        "wrong-SECRET-password",
    );
    let bad: docutools::Client =
        roster::docutools::DocutoolsLoginConfig::new(&local.base_url(), bad)
            .unwrap()
            .client()
            .unwrap();
    shown.push(chain(
        &bad.upload_users_file(&csv).send().await.unwrap_err(),
    ));

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.lines().count() > 20, "the flow logged: {logged}");
    let mut secrets = vec![
        lucca_key.to_owned(),
        "wrong-SECRET-key".into(),
        client_secret,
        password,
        "wrong-SECRET-password".into(),
    ];
    secrets.extend(local.issued_tokens());
    assert!(secrets.len() >= 9, "tokens were issued: {secrets:?}");
    for secret in &secrets {
        assert!(!logged.contains(secret.as_str()), "a secret is in the logs");
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "a secret is in {text}");
        }
    }
}

#[tokio::test]
async fn authorization_does_not_follow_a_redirect_to_another_host() {
    let (elsewhere, landed) = serve_once(200, r#"{"data": {"id": 416}}"#).await;
    let other_host = elsewhere.replace("127.0.0.1", "localhost");
    let location: &'static str =
        Box::leak(format!("location: {other_host}/api/v3/users/416\r\n").into_boxed_str());
    let (first, redirected) = serve_once_with(307, location, "").await;
    let directory: directory::Client = LuccaConfig::new(&first, LuccaApiKey::new("k3y-SECRET"))
        .unwrap()
        .client()
        .unwrap();

    let user = directory.user(416).send().await.unwrap();

    assert_eq!(user.id, Some(416));
    let redirected = redirected.await.unwrap();
    assert_eq!(
        redirected.header_values("authorization"),
        ["lucca application=k3y-SECRET"]
    );
    let landed = landed.await.unwrap();
    assert!(
        landed.header_values("authorization").is_empty(),
        "{:?}",
        landed.headers
    );
}

#[tokio::test]
async fn an_endless_answer_is_cut_at_the_limit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0_u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n[";
        socket.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0_u64;
        while socket.write_all(&chunk).await.is_ok() {
            sent += chunk.len() as u64;
        }
        sent
    });
    let config = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .with_max_response_size(1024 * 1024)
        .with_retries(roster::Backoff {
            attempts: 1,
            ..roster::Backoff::DEFAULT
        });
    let office: office::Client = config.client().unwrap();

    let error = office
        .get_office_api_work_locations()
        .send()
        .await
        .unwrap_err();

    assert!(
        matches!(error, roster::HttpError::AnswerTooLarge { .. }),
        "{error:?}"
    );
    drop(office);
    let sent = server.await.unwrap();
    assert!(
        sent < 512 * 1024 * 1024,
        "the client read {sent} bytes of a 1 GiB answer"
    );
}
