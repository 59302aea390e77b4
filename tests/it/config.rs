//! Base URLs (https, or http on loopback only), environment variables,
//! timeouts.

use std::collections::HashMap;
use std::time::Duration;

use roster::docutools::DocutoolsConfig;
use roster::{BaseUrl, ConfigError, LuccaConfig};

#[test]
fn https_and_loopback_http_are_accepted() {
    let accepted = [
        ("https://acme.ilucca.net", "https://acme.ilucca.net"),
        ("https://acme.ilucca.net/", "https://acme.ilucca.net"),
        ("acme.ilucca-test.net", "https://acme.ilucca-test.net"),
        (
            "https://acme-sbx.sandbox.eu1.luccasoftware.com:8443/",
            "https://acme-sbx.sandbox.eu1.luccasoftware.com:8443",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.10.0.3", "http://127.10.0.3"),
        ("http://localhost:3000/api", "http://localhost:3000/api"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ];
    for (input, expected) in accepted {
        let url = BaseUrl::parse(input).unwrap_or_else(|error| panic!("{input}: {error}"));
        assert_eq!(url.as_str(), expected, "{input}");
    }
}

#[test]
fn plain_http_to_another_host_is_refused() {
    for input in [
        "http://acme.ilucca.net",
        "http://10.0.0.8",
        "http://192.168.1.2:8080",
        "http://localhost.evil.example",
        "http://[::2]",
    ] {
        let error = BaseUrl::parse(input).unwrap_err();
        assert!(
            matches!(error, ConfigError::InsecureBaseUrl { .. }),
            "{input}: {error:?}"
        );
        assert!(error.to_string().contains("must use https"), "{error}");
    }
}

#[test]
fn plain_http_to_docutools_only_on_an_explicit_opt_in() {
    let token = || roster::docutools::BearerToken::new("t");
    let refused = DocutoolsConfig::new("http://dev.docu.solutions", token()).unwrap_err();
    assert!(
        matches!(refused, ConfigError::InsecureBaseUrl { .. }),
        "{refused:?}"
    );

    let config = DocutoolsConfig::new_allowing_http("http://dev.docu.solutions", token()).unwrap();
    assert_eq!(config.base_url().as_str(), "http://dev.docu.solutions");
    // The opt-in is about the scheme only: the other checks hold.
    let error = DocutoolsConfig::new_allowing_http("http://user:pw@dev.docu.solutions", token())
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::UnsupportedBaseUrl { .. }),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains("pw"));
}

#[test]
fn unusable_base_urls_are_refused_with_the_reason() {
    let cases = [
        ("ftp://acme.ilucca.net", "scheme"),
        ("https://acme.ilucca.net/?x=1", "query"),
        ("https://acme.ilucca.net/#top", "fragment"),
        (
            "https://user:hunter2@acme.ilucca.net",
            "user name or password",
        ),
    ];
    for (input, reason) in cases {
        let error = BaseUrl::parse(input).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(reason), "{input}: {text}");
        assert!(!text.contains("hunter2"), "password shown: {text}");
    }
    let error = BaseUrl::parse("https://exa mple.com").unwrap_err();
    assert!(
        matches!(error, ConfigError::InvalidBaseUrl { .. }),
        "{error:?}"
    );
}

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn lucca_config_comes_from_its_variables() {
    let config = LuccaConfig::from_vars(vars(&[
        ("LUCCA_HOST", "acme.ilucca-test.net"),
        ("LUCCA_API_KEY", "env-key-123"),
        ("DOCUTOOLS_TOKEN", "not-this-one"),
    ]))
    .unwrap();

    assert_eq!(config.base_url().as_str(), "https://acme.ilucca-test.net");
    assert!(!format!("{config:?}").contains("env-key-123"));
}

#[test]
fn docutools_config_comes_from_its_variables() {
    let config = DocutoolsConfig::from_vars(vars(&[
        ("DOCUTOOLS_HOST", "http://127.0.0.1:7000"),
        ("DOCUTOOLS_TOKEN", "tok"),
    ]))
    .unwrap();

    assert_eq!(config.base_url().as_str(), "http://127.0.0.1:7000");
}

#[test]
fn a_missing_or_empty_variable_is_named() {
    let missing_key =
        LuccaConfig::from_vars(vars(&[("LUCCA_HOST", "acme.ilucca.net")])).unwrap_err();
    let empty_host = DocutoolsConfig::from_vars(vars(&[
        ("DOCUTOOLS_HOST", "  "),
        ("DOCUTOOLS_TOKEN", "tok"),
    ]))
    .unwrap_err();

    assert!(matches!(
        missing_key,
        ConfigError::MissingVariable {
            name: "LUCCA_API_KEY"
        }
    ));
    assert_eq!(
        missing_key.to_string(),
        "environment variable `LUCCA_API_KEY` is not set"
    );
    assert!(matches!(
        empty_host,
        ConfigError::MissingVariable {
            name: "DOCUTOOLS_HOST"
        }
    ));
}

#[test]
fn timeouts_are_the_callers_to_set() {
    let config =
        LuccaConfig::new("https://acme.ilucca.net", roster::LuccaApiKey::new("k")).unwrap();
    assert_eq!(config.timeout(), roster::DEFAULT_TIMEOUT);
    assert!(roster::DEFAULT_TIMEOUT > Duration::from_secs(15));

    let config = config
        .with_timeout(Duration::from_secs(900))
        .unwrap()
        .with_connect_timeout(Duration::from_secs(3))
        .unwrap()
        .with_user_agent("acme-sync/2.1");

    assert_eq!(config.timeout(), Duration::from_secs(900));
    assert_eq!(config.connect_timeout(), Duration::from_secs(3));
    assert_eq!(config.user_agent(), "acme-sync/2.1");
    let zero = config.clone().with_timeout(Duration::ZERO).unwrap_err();
    assert!(matches!(
        zero,
        ConfigError::ZeroTimeout { which: "request" }
    ));
}

#[tokio::test]
async fn the_request_timeout_applies() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let config = LuccaConfig::new(&base_url, roster::LuccaApiKey::new("k"))
        .unwrap()
        .with_timeout(Duration::from_millis(200))
        .unwrap();
    let office: roster::office::Client = config.client().unwrap();

    let error = office
        .get_office_api_work_locations()
        .send()
        .await
        .unwrap_err();

    match error {
        roster::HttpError::NoAnswer { source, .. } => assert!(source.is_timeout(), "{source}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    drop(listener);
}
