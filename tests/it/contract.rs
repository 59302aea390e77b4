//! The SDK against an independent reading of the specs: Stoplight Prism.
//!
//! `prism proxy` sits between the SDK and the local servers and validates
//! every request and every answer against the vendored spec (`--errors`
//! turns a violation into a failed call, with Prism's message); `prism mock`
//! answers from the specs' examples, which the SDK must parse. These tests
//! need Prism: `.ci/run` installs it and runs them with
//! `ROSTER_PRISM=<path to prism> cargo test --test it contract -- --ignored`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use roster::directory::{self, Fields, UserPatch, UserQuery};
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ColumnMap, CsvEncoding, UsersCsv};
use roster::docutools::{BearerToken, DocutoolsConfig};
use roster::office::types::Position;
use roster::office::{self, CheckedImport, CsvSource, UserLocationRow, WaitOptions};
use roster::{LuccaApiKey, LuccaConfig};
use roster_emulator::{LocalDocutools, LocalLucca};

/// A running Prism; killed when dropped.
struct Prism {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The copy of `openapi/{file}` Prism validates against, made by the build
/// script's own `prism_copy` (the readings the build applies, nothing else).
fn spec(file: &str) -> String {
    let vendored = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("openapi")
        .join(file);
    let mut doc: serde_json::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(vendored).unwrap()).unwrap();
    crate::rewrite::prism_copy(&mut doc);
    let dir = std::env::temp_dir().join(format!("roster-prism-specs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join(file);
    std::fs::write(&copy, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
    copy.display().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Prism {
    /// Starts `prism <args> -p <port>` and waits until it accepts connections.
    fn start(name: &str, args: &[String]) -> Prism {
        let prism = std::env::var("ROSTER_PRISM").expect("ROSTER_PRISM names the prism binary");
        let port = free_port();
        let log = std::env::temp_dir().join(format!("roster-prism-{name}-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(prism)
            .args(args)
            .args(["--errors", "-h", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap();
        let mut prism = Prism {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                prism.child.try_wait().unwrap().is_none(),
                "prism exited:\n{}",
                prism.output()
            );
            assert!(
                Instant::now() < deadline,
                "prism did not listen in 60 s:\n{}",
                prism.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        prism
    }

    fn proxy(name: &str, spec_file: &str, upstream: &str) -> Prism {
        Prism::start(name, &["proxy".into(), spec(spec_file), upstream.into()])
    }

    fn mock(name: &str, spec_file: &str) -> Prism {
        Prism::start(name, &["mock".into(), spec(spec_file)])
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Prism is still running and logged no violation.
    fn assert_clean(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "prism died:\n{}",
            self.output()
        );
        let output = self.output();
        let problems: Vec<&str> = output
            .lines()
            .filter(|line| line.contains("✖") || line.to_lowercase().contains("violation"))
            .collect();
        assert!(
            problems.is_empty(),
            "prism found violations:\n{}",
            problems.join("\n")
        );
        assert!(
            output.contains("Request received"),
            "prism saw no request:\n{output}"
        );
    }
}

fn fast() -> WaitOptions {
    WaitOptions {
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_wait: Duration::from_secs(20),
        ..WaitOptions::default()
    }
}

/// Prism's verdict must reach the test, not be retried away.
fn config(url: &str, key: LuccaApiKey) -> LuccaConfig {
    LuccaConfig::new(url, key)
        .unwrap()
        .with_retries(roster::Backoff {
            attempts: 1,
            ..roster::Backoff::DEFAULT
        })
}

fn rows() -> Vec<UserLocationRow> {
    let day = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
    vec![
        UserLocationRow::new("jdupont", "Paris", day, Position::FullDay).area("Service Client"),
        UserLocationRow::new("mlefevre", "Nantes", day, Position::FirstHalf)
            .comment("a; \"quoted\"\nline"),
        UserLocationRow::new("nobody", "Paris", day, Position::SecondHalf),
    ]
}

#[tokio::test]
#[ignore = "needs Prism (ROSTER_PRISM); run by .ci/run"]
async fn office_flows_pass_prism_validation() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(50));
    let mut prism = Prism::proxy("office", "lucca-office.yaml", &lucca.base_url());
    let office: office::Client = config(&prism.url, LuccaApiKey::new(lucca.api_key()))
        .client()
        .unwrap();

    let rejected = office
        .checked_import(CsvSource::rows(rows()))
        .wait_options(fast())
        .execute()
        .await
        .unwrap();
    let created = office
        .checked_import(CsvSource::rows(rows()[..2].to_vec()))
        .wait_options(fast())
        .execute()
        .await
        .unwrap();
    let places = office
        .get_office_api_work_locations()
        .page(1)
        .limit(10)
        .send()
        .await
        .unwrap();
    let locations = office
        .get_office_api_user_locations()
        .limit(100)
        .send()
        .await
        .unwrap();
    let one = office
        .get_office_api_user_locations_id()
        .id(locations.items[0].id)
        .send()
        .await
        .unwrap();

    assert!(matches!(rejected, CheckedImport::Rejected { .. }));
    assert!(matches!(created, CheckedImport::Created { .. }));
    assert_eq!(places.items.len(), 3);
    assert_eq!(locations.items.len(), 2);
    assert_eq!(one.id, locations.items[0].id);
    prism.assert_clean();
}

#[tokio::test]
#[ignore = "needs Prism (ROSTER_PRISM); run by .ci/run"]
async fn directory_flows_pass_prism_validation() {
    let lucca = LocalLucca::start().await.unwrap();
    let mut prism = Prism::proxy("directory", "lucca-directory-v3.yaml", &lucca.base_url());
    let directory: directory::Client = config(&prism.url, LuccaApiKey::new(lucca.api_key()))
        .client()
        .unwrap();

    let users: Vec<_> = directory
        .users(UserQuery::new().fields(Fields::sync()).page_size(2))
        .stream()
        .try_collect()
        .await
        .unwrap();
    let id = directory.find_user_id("mlefevre").send().await.unwrap();
    let user = directory
        .user(id)
        .fields(
            Fields::sync()
                .nested("manager", Fields::new().with("id").with("name"))
                .clone(),
        )
        .send()
        .await
        .unwrap();
    let patch = UserPatch::new()
        .job_title("Engineer")
        .clear_manager_id()
        .dt_contract_start(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap().into());
    let updated = directory.update_user(id, patch).send().await.unwrap();

    assert_eq!(users.len(), 4);
    assert_eq!(user.login.as_deref(), Some("mlefevre"));
    assert_eq!(updated.id, Some(id));
    prism.assert_clean();
}

#[tokio::test]
#[ignore = "needs Prism (ROSTER_PRISM); run by .ci/run"]
async fn docutools_flows_pass_prism_validation() {
    let local = LocalDocutools::start().await.unwrap();
    let mut prism = Prism::proxy("docutools", "docutools-users.yaml", &local.base_url());
    let config = DocutoolsConfig::new(&prism.url, BearerToken::new(local.issue_token())).unwrap();
    let client: docutools::Client = config.client().unwrap();
    let csv = UsersCsv::from_bytes(
        "Email Address;Name;Department\r\nzoe@acme.example;Zoë Müller;Qualité\r\n".as_bytes(),
        CsvEncoding::Detect,
    )
    .unwrap()
    .with_delimiter(';')
    .unwrap();
    let mapping = ColumnMap::new()
        .map("Email Address", UserAttribute::Email)
        .map("Name", UserAttribute::Name);

    let file = client
        .upload_users_file(&csv)
        .language("german")
        .send()
        .await
        .unwrap();
    let (_, users) = client.import_users(&file, &mapping).send().await.unwrap();

    assert_eq!(users[0].last_name.as_deref(), Some("Müller"));
    prism.assert_clean();
}

#[tokio::test]
#[ignore = "needs Prism (ROSTER_PRISM); run by .ci/run"]
async fn the_sdk_parses_every_documented_example_from_prism_mock() {
    let mut office_mock = Prism::mock("office-mock", "lucca-office.yaml");
    let office: office::Client = config(&office_mock.url, LuccaApiKey::new("k"))
        .client()
        .unwrap();
    let started = office
        .import_user_locations(CsvSource::rows(rows()))
        .send()
        .await
        .unwrap();
    let id = started.summary_id.to_string();
    let progress = office
        .get_office_api_imports_user_locations_progress()
        .summary_id(&id)
        .send()
        .await
        .unwrap();
    let analysis = office
        .get_office_api_imports_user_locations_analysis()
        .summary_id(&id)
        .send()
        .await
        .unwrap();
    let results = office
        .get_office_api_imports_user_locations_results()
        .summary_id(&id)
        .send()
        .await
        .unwrap();
    let places = office.get_office_api_work_locations().send().await.unwrap();
    let locations = office.get_office_api_user_locations().send().await.unwrap();
    let one = office
        .get_office_api_user_locations_id()
        .id(9002)
        .send()
        .await
        .unwrap();
    assert_eq!(progress.progress, 42);
    assert_eq!(analysis.error_lines[0].line_number, Some(3));
    assert_eq!(
        results.user_locations_created_summary.unwrap().count,
        Some(42)
    );
    assert_eq!(places.items[0].name, "Paris");
    assert_eq!(
        locations.items[0].date,
        NaiveDate::from_ymd_opt(2023, 12, 25).unwrap()
    );
    assert_eq!(one.area_id, Some(10));
    office_mock.assert_clean();

    let mut directory_mock = Prism::mock("directory-mock", "lucca-directory-v3.yaml");
    let directory: directory::Client = config(&directory_mock.url, LuccaApiKey::new("k"))
        .client()
        .unwrap();
    let users: Vec<_> = directory
        .users(UserQuery::new())
        .stream()
        .try_collect()
        .await
        .unwrap();
    let user = directory.user(416).send().await.unwrap();
    let updated = directory
        .update_user(416, UserPatch::new().last_name("Smith"))
        .send()
        .await
        .unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(user.culture_id, Some(1036));
    assert_eq!(updated.login.as_deref(), Some("jdoe"));
    directory_mock.assert_clean();

    let mut docutools_mock = Prism::mock("docutools-mock", "docutools-users.yaml");
    let client: docutools::Client =
        DocutoolsConfig::new(&docutools_mock.url, BearerToken::new("t"))
            .unwrap()
            .client()
            .unwrap();
    let csv = UsersCsv::from_bytes(
        b"Email Address,Name,Department\r\na@acme.example,A B,C\r\n",
        CsvEncoding::Detect,
    )
    .unwrap();
    let file = client.upload_users_file(&csv).send().await.unwrap();
    let mapping = ColumnMap::new().map("Email Address", UserAttribute::Email);
    let (_, imported) = client.import_users(&file, &mapping).send().await.unwrap();
    assert_eq!(file.columns, ["Email Address", "Name", "Department"]);
    assert_eq!(imported[0].first_name.as_deref(), Some("Jean"));
    docutools_mock.assert_clean();
}
