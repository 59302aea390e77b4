//! What goes on the wire: the `Authorization` header of each API, and that
//! no `Debug` shows a key.

use roster::docutools::{BearerToken, DocutoolsConfig};
use roster::{Credentials, LuccaApiKey, LuccaConfig};
use roster::{directory, docutools, office};

use crate::capture::serve_once;

const KEY: &str = "k3y-SECRET-9f8e7d";
const TOKEN: &str = "eyJhbGciOi.TOKEN-SECRET.sig";

#[tokio::test]
async fn office_sends_the_lucca_application_header() {
    let (base_url, request) = serve_once(200, r#"{"progress": 42}"#).await;
    let config = LuccaConfig::new(&base_url, LuccaApiKey::new(KEY)).unwrap();
    let office: office::Client = config.client().unwrap();

    let progress = office
        .get_office_api_imports_user_locations_progress()
        .summary_id("51564472-08cc-4410-94cc-a2b67f77f980")
        .send()
        .await
        .unwrap();

    assert_eq!(progress.progress, 42);
    let request = request.await.unwrap();
    assert_eq!(
        request.request_line,
        "GET /work-locations/public/api/imports/user-locations/progress?summaryId=51564472-08cc-4410-94cc-a2b67f77f980 HTTP/1.1"
    );
    assert_eq!(
        request.header_values("authorization"),
        [format!("lucca application={KEY}")]
    );
    assert_eq!(
        request.header_values("user-agent"),
        [roster::DEFAULT_USER_AGENT]
    );
}

#[tokio::test]
async fn directory_sends_the_lucca_application_header() {
    let (base_url, request) = serve_once(200, r#"{"data": {"id": 416, "name": "John Doe"}}"#).await;
    let config = LuccaConfig::new(&base_url, LuccaApiKey::new(KEY)).unwrap();
    let directory: directory::Client = config.client().unwrap();

    let user = directory
        .get_user()
        .id(416)
        .fields("id,name")
        .send()
        .await
        .unwrap();

    assert_eq!(user.data.id, Some(416));
    let request = request.await.unwrap();
    assert_eq!(
        request.request_line,
        "GET /api/v3/users/416?fields=id%2Cname HTTP/1.1"
    );
    assert_eq!(
        request.header_values("authorization"),
        [format!("lucca application={KEY}")]
    );
}

#[tokio::test]
async fn docutools_sends_a_bearer_token() {
    let (base_url, request) = serve_once(200, "[]").await;
    let config = DocutoolsConfig::new(&base_url, BearerToken::new(TOKEN)).unwrap();
    let docutools: docutools::Client = config.client().unwrap();
    let mapping = docutools::types::ColumnMapping::from(std::collections::HashMap::from([(
        "Email Address".to_owned(),
        docutools::types::UserAttribute::Email,
    )]));

    let users = docutools
        .import_users_from_file()
        .file_id(uuid::Uuid::nil())
        .body(mapping)
        .send()
        .await
        .unwrap();

    assert!(users.is_empty());
    let request = request.await.unwrap();
    assert_eq!(
        request.header_values("authorization"),
        [format!("Bearer {TOKEN}")]
    );
}

#[test]
fn authorization_headers_are_marked_sensitive() {
    let lucca = LuccaApiKey::new(KEY).authorization().unwrap().unwrap();
    let bearer = BearerToken::new(TOKEN).authorization().unwrap().unwrap();

    assert!(lucca.is_sensitive());
    assert!(bearer.is_sensitive());
    assert_eq!(lucca.to_str().unwrap(), format!("lucca application={KEY}"));
    assert_eq!(bearer.to_str().unwrap(), format!("Bearer {TOKEN}"));
    assert!(!format!("{lucca:?}").contains(KEY));
}

#[test]
fn a_key_a_header_cannot_carry_is_refused_without_showing_it() {
    let error = LuccaApiKey::new("line\nbreak-SECRET")
        .authorization()
        .unwrap_err();

    assert!(matches!(
        error,
        roster::ConfigError::InvalidCredentials { .. }
    ));
    assert!(!error.to_string().contains("SECRET"));
    assert!(!format!("{error:?}").contains("SECRET"));
}

#[test]
fn no_debug_shows_a_secret() {
    let lucca = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new(KEY)).unwrap();
    let docs = DocutoolsConfig::new("https://docu.example", BearerToken::new(TOKEN)).unwrap();
    let office: office::Client = lucca.client().unwrap();
    let directory: directory::Client = lucca.client().unwrap();
    let docutools: docutools::Client = docs.client().unwrap();

    let shown = [
        format!("{lucca:?}"),
        format!("{docs:?}"),
        format!("{:?}", lucca.credentials()),
        format!("{office:?}"),
        format!("{directory:?}"),
        format!("{docutools:?}"),
        format!("{:?}", lucca.http_client().unwrap()),
    ];
    for text in &shown {
        assert!(!text.contains(KEY), "key shown in {text}");
        assert!(!text.contains(TOKEN), "token shown in {text}");
    }
    assert!(shown[0].contains("https://acme.ilucca.net"), "{}", shown[0]);
    assert!(shown[0].contains("LuccaApiKey([redacted])"), "{}", shown[0]);
}
