//! The `roster` command line as a process (feature `cli`), against the
//! local servers: exit codes, `--json` shapes, output without a terminal,
//! the irreversible step refused without `--yes`, and no secret in any
//! output.

use std::process::Output;

use roster_emulator::{Fault, LocalLucca, Route};

/// Runs `roster args…` with the local server's variables (and no terminal).
async fn roster(lucca: Option<&LocalLucca>, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(args)
        .env_remove("LUCCA_HOST")
        .env_remove("LUCCA_API_KEY");
    if let Some(lucca) = lucca {
        for (name, value) in lucca.env() {
            command.env(name, value);
        }
    }
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    if let Some(lucca) = lucca {
        let key = lucca.api_key();
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains(key),
                "the key leaked: {args:?}"
            );
        }
    }
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file(name: &str, content: &str) -> String {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("\u{feff}{content}")).unwrap();
    path.display().to_string()
}

const GOOD: &str = "examples/data/office-import.csv";

#[tokio::test]
async fn check_lists_every_located_problem_and_exits_1_or_0() {
    let bad = file(
        "bad.csv",
        "login;workLocationName;date;position\r\na;Paris;2025/13/01;FullDay\r\n;Paris;2025/01/01;Evening\r\n",
    );

    let output = roster(None, &["office", "check", &bad]).await;

    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    let located: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(":line "))
        .collect();
    assert_eq!(located.len(), 3, "{stdout}");
    assert!(located[0].contains("line 2, column 3 (date)"), "{stdout}");
    assert!(text(&output.stderr).contains("3 problem(s) found"));

    let clean = roster(None, &["office", "check", GOOD]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));

    let json = roster(None, &["office", "check", &bad, "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["problems"], 3);
    assert_eq!(report["files"][0]["problems"][0]["field"], "date");
    assert_eq!(report["files"][0]["problems"][0]["line"], 2);
}

#[tokio::test]
async fn a_simulation_shows_the_analysis_and_creates_nothing() {
    let lucca = LocalLucca::start().await.unwrap();

    let output = roster(Some(&lucca), &["office", "import", GOOD, "--json"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["created"], false);
    assert_eq!(answer["userLocationsToCreate"], 2);
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn without_a_terminal_a_creation_needs_yes() {
    let lucca = LocalLucca::start().await.unwrap();

    let refused = roster(Some(&lucca), &["office", "import", GOOD, "--create"]).await;

    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("add --yes"),
        "{}",
        text(&refused.stderr)
    );
    assert!(lucca.received_imports().is_empty(), "nothing was sent");

    let created = roster(
        Some(&lucca),
        &["office", "import", GOOD, "--create", "--yes", "--json"],
    )
    .await;

    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(
        (
            answer["created"].clone(),
            answer["userLocationsCreated"].clone()
        ),
        (true.into(), 2.into())
    );
    assert_eq!(lucca.imports_applied(), 1);
}

#[tokio::test]
async fn a_simulation_with_errors_exits_1_and_creates_nothing() {
    let lucca = LocalLucca::start().await.unwrap();
    let unknown = file(
        "unknown.csv",
        "login;workLocationName;date;position\r\nnobody;Paris;2025/09/18;FullDay\r\n",
    );

    let output = roster(
        Some(&lucca),
        &["office", "import", &unknown, "--create", "--yes"],
    )
    .await;

    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).contains("User doesn't exist"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn a_lost_creation_answer_exits_3_and_says_what_to_check() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca
        .faults()
        .inject(Route::Create, Fault::DropAfterHandling);

    let output = roster(
        Some(&lucca),
        &["office", "import", GOOD, "--create", "--yes"],
    )
    .await;

    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("check Lucca Office's imports"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        lucca.received_imports().len(),
        2,
        "sent once: simulation, creation"
    );
}

#[tokio::test]
async fn without_credentials_it_is_a_usage_error_and_lists_are_json() {
    let missing = roster(None, &["office", "work-locations"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("LUCCA_HOST"));

    let lucca = LocalLucca::start().await.unwrap();
    let listed = roster(Some(&lucca), &["office", "work-locations", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let places: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(places[0]["name"], "Paris");

    let usage = roster(None, &["office", "import"]).await;
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn spec_diff_prints_the_breaking_change_report_and_exits_1_on_a_breaking_change() {
    let old = "openapi/lucca-office.yaml";
    let spec = std::fs::read_to_string(old).unwrap();
    let dir = std::env::temp_dir().join(format!("roster-cli-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let new = dir.join("lucca-office.yaml");
    let edited = spec.replacen(
        "        errorFileUri:\n          type: string\n          format: nullable\n    ImportAnalysis:",
        "        note:\n          type: string\n    ImportAnalysis:",
        1,
    );
    assert_ne!(edited, spec, "the edit applies");
    std::fs::write(&new, edited).unwrap();
    let new = new.display().to_string();

    let output = roster(None, &["spec", "diff", old, &new]).await;

    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("breaking: `office::types::ImportResults::error_file_uri` removed (field)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("additive: `office::types::ImportResults::note` added"),
        "{stdout}"
    );
    let same = roster(None, &["spec", "diff", old, old, "--json"]).await;
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&same.stdout).unwrap(),
        serde_json::json!([])
    );
}
