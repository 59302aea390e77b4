//! The `roster` command line as a process, against the local servers: exit
//! codes, `--json` shapes, output without a terminal, the irreversible step
//! refused without `--yes`, Ctrl-C, and no secret in any output. Paths are
//! the workspace's (`examples/data/…`): every test runs at its root.

// The Redis server the tests of the shared journal start, shared with
// roster's own tests.
// (This binary uses only part of it.)
#[path = "../../tests/it/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::process::Output;

use roster_emulator::{Fault, LineNumbers, LocalDocutools, LocalLucca, Route};

/// Makes the workspace's root the current directory (the same for every
/// test, so that tests running at once agree).
fn at_root() {
    static ROOT: std::sync::LazyLock<()> = std::sync::LazyLock::new(|| {
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .expect("the workspace root");
    });
    std::sync::LazyLock::force(&ROOT);
}

/// Runs `roster args…` with the local server's variables (and no terminal).
async fn roster(lucca: Option<&LocalLucca>, args: &[&str]) -> Output {
    let (env, secrets) = match lucca {
        Some(lucca) => (lucca.env().to_vec(), vec![lucca.api_key().to_owned()]),
        None => (Vec::new(), Vec::new()),
    };
    run(&env, &secrets, args).await
}

/// Runs `roster args…` with only `env` of the variables the SDK reads, no
/// terminal and no `NO_COLOR`; checks that no secret and no colour is in
/// any output.
async fn run(env: &[(&'static str, String)], secrets: &[String], args: &[&str]) -> Output {
    run_fed(env, secrets, args, None).await
}

/// [`run`], with `input` on standard input.
async fn run_fed(
    env: &[(&'static str, String)],
    secrets: &[String],
    args: &[&str],
    input: Option<&str>,
) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(args)
        .env_remove("NO_COLOR")
        // A data directory of its own: the default import journal is never
        // shared between runs unless a test passes `--journal`. And a config
        // directory of its own: a developer's profiles are never used.
        .env("XDG_DATA_HOME", fresh_dir("data"))
        .env("XDG_CONFIG_HOME", fresh_dir("config-home"));
    for (name, _) in std::env::vars() {
        if name.starts_with("LUCCA_")
            || name.starts_with("DOCUTOOLS_")
            || name.starts_with("ROSTER_")
        {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let input = input.map(str::to_owned);
    let output = tokio::task::spawn_blocking(move || match input {
        None => command.output().unwrap(),
        Some(input) => {
            command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = command.spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
            drop(stdin);
            child.wait_with_output().unwrap()
        }
    })
    .await
    .unwrap();
    for stream in [&output.stdout, &output.stderr] {
        let stream = String::from_utf8_lossy(stream);
        for secret in secrets {
            assert!(
                !stream.contains(secret.as_str()),
                "a secret leaked: {args:?}"
            );
        }
        assert!(
            !stream.contains('\u{1b}'),
            "colour without a terminal: {args:?}"
        );
        assert!(!stream.contains("panicked"), "{args:?}: {stream}");
    }
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file(name: &str, content: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("\u{feff}{content}")).unwrap();
    // Its owner's only: the command line refuses secret and env files
    // others can read.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.display().to_string()
}

/// A new empty directory for this test process.
fn fresh_dir(kind: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let index = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("roster-cli-{}-{kind}-{index}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of `content` exactly (no BOM).
fn plain_file(name: &str, content: &str) -> String {
    let path = file(name, "");
    std::fs::write(&path, content).unwrap();
    path
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

const GOOD: &str = "examples/data/office-import.csv";

/// `docutools import` of the sample export (`;` separated: found, not
/// given), its email column mapped, confirmed.
const DOCUTOOLS_IMPORT: [&str; 6] = [
    "docutools",
    "import",
    "examples/data/users-export.csv",
    "--map",
    "Email Address=Email",
    "--yes",
];

/// A creation of `GOOD`, confirmed, without the journal.
const CREATE_WITHOUT_JOURNAL: [&str; 6] = [
    "office",
    "import",
    GOOD,
    "--create",
    "--yes",
    "--no-journal",
];

#[tokio::test]
async fn check_lists_every_located_problem_and_exits_1_or_0() {
    at_root();
    let bad = file(
        "bad.csv",
        "login;workLocationName;date;position\r\na;Paris;2025/13/01;FullDay\r\n;Paris;2025/01/01;Evening\r\n",
    );

    let output = roster(None, &["office", "check", &bad]).await;

    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    let located: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("bad.csv:"))
        .collect();
    assert_eq!(located.len(), 3, "{stdout}");
    // `file:line:column: field: message`, as editors and CI read them.
    assert!(
        located[0]
            .ends_with("bad.csv:2:3: date: `2025/13/01` is not a date as YYYY/MM/DD or YYYY-MM-DD"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("3 problem(s) found"));

    let clean = roster(None, &["office", "check", GOOD]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));

    let json = roster(None, &["office", "check", &bad, "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["problems"], 3);
    assert_eq!(report["files"][0]["problems"][0]["field"], "date");
    assert_eq!(report["files"][0]["problems"][0]["line"], 2);

    // Standard input, and a Windows-1252 file checked as the UTF-8 it is
    // sent as (`--encoding auto`).
    let piped = run_fed(
        &[],
        &[],
        &["office", "check", "-"],
        Some(&std::fs::read_to_string(GOOD).unwrap()),
    )
    .await;
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
    let latin = fresh_dir("check").join("latin.csv");
    std::fs::write(
        &latin,
        b"login;workLocationName;date;position;comment\r\njdupont;Paris;2025/09/18;FullDay;R\xE9union\r\n",
    )
    .unwrap();
    let latin = latin.display().to_string();
    let auto = roster(None, &["office", "check", &latin]).await;
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto.stdout));
    let strict = roster(None, &["office", "check", &latin, "--encoding", "utf-8"]).await;
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stdout));
}

#[tokio::test]
async fn a_simulation_shows_the_analysis_and_creates_nothing() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();

    let output = roster(Some(&lucca), &["office", "import", GOOD, "--json"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["created"], false);
    assert_eq!(answer["userLocationsToCreate"], 2);
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn a_simulation_of_a_file_the_check_refuses_sends_nothing() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let comma = file(
        "comma.csv",
        "login,workLocationName,date,position\r\njdupont,Paris,2025/09/18,FullDay\r\n",
    );
    // "Lefèvre" in Windows-1252: `è` is the one byte 0xE8, not UTF-8.
    let latin = std::env::temp_dir().join(format!("roster-cli-latin-{}.csv", std::process::id()));
    let mut bytes = b"login;workLocationName;date;position\r\nm".to_vec();
    bytes.extend_from_slice(b"lef\xe8vre;Paris;2025/09/18;FullDay\r\n");
    std::fs::write(&latin, bytes).unwrap();

    // Asked to be UTF-8, the Windows-1252 file is refused (auto reads it:
    // `windows_1252_exports_are_read_…`).
    for (path, located, what) in [
        (comma.as_str(), "comma.csv:1: ", "separated by `,`"),
        (
            latin.to_str().unwrap(),
            ".csv:2: ",
            "`--encoding windows-1252`",
        ),
    ] {
        let output = roster(
            Some(&lucca),
            &["office", "import", path, "--encoding", "utf-8"],
        )
        .await;

        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(located) && stderr.contains(what),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        assert_eq!(
            lucca.requests_total(),
            0,
            "nothing sent for {path}: {stderr}"
        );
    }
    let _ = std::fs::remove_file(latin);
}

#[tokio::test]
async fn without_a_terminal_a_creation_needs_yes() {
    at_root();
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
    at_root();
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
    at_root();
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
    at_root();
    let missing = roster(None, &["office", "work-locations"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("LUCCA_HOST"));

    let lucca = LocalLucca::start().await.unwrap();
    let listed = roster(Some(&lucca), &["office", "work-locations", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let places = json_lines(&listed.stdout);
    assert_eq!(places.len(), 3, "one JSON line a work location");
    assert_eq!(places[0]["name"], "Paris");

    let usage = roster(None, &["office", "import"]).await;
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn spec_diff_prints_the_breaking_change_report_and_exits_1_on_a_breaking_change() {
    at_root();
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

#[tokio::test]
async fn error_lines_go_to_a_csv_of_the_file_s_own_rows_to_fix_and_resend() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let rows = "login;workLocationName;date;position\r\njdupont;Paris;2025/09/18;FullDay\r\nnobody;Paris;2025/09/18;FirstHalf\r\n";
    let input = file("with-errors.csv", rows);

    let output = roster(
        Some(&lucca),
        &["office", "import", &input, "--errors-csv", "--json"],
    )
    .await;

    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let written = input.replace("with-errors.csv", "with-errors.errors.csv");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["errorsCsv"], written.as_str());
    assert_eq!(answer["errors"][0]["line"], 3);
    let errors = std::fs::read_to_string(&written).unwrap();
    assert_eq!(
        errors,
        "\u{feff}login;workLocationName;date;position;error\r\nnobody;Paris;2025/09/18;FirstHalf;User doesn't exist\r\n",
        "the input's header and row as they were, plus the error"
    );

    // A path of one's own, and the analysis as a table without a terminal.
    let own = input.replace("with-errors.csv", "to-fix.csv");
    let shown = roster(
        Some(&lucca),
        &["office", "import", &input, "--errors-csv", &own],
    )
    .await;
    assert_eq!(shown.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&own).unwrap(), errors);
    let stdout = text(&shown.stdout);
    let table: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(table.contains(&vec!["to", "create", "1"]), "{stdout}");
    assert!(table.contains(&vec!["error", "lines", "1"]), "{stdout}");
    assert!(
        table
            .iter()
            .any(|row| row.starts_with(&["3", "nobody", "2025-09-18"])),
        "{stdout}"
    );

    // Lucca counting data rows instead (first row = 1): the same row.
    let mut knobs = lucca.knobs();
    knobs.line_numbers = LineNumbers::DataRow;
    lucca.set_knobs(knobs);
    let rows_counted = input.replace("with-errors.csv", "data-rows.csv");
    let counted = roster(
        Some(&lucca),
        &[
            "office",
            "import",
            &input,
            "--errors-csv",
            &rows_counted,
            "--json",
        ],
    )
    .await;
    let answer: serde_json::Value = serde_json::from_slice(&counted.stdout).unwrap();
    assert_eq!(answer["errors"][0]["line"], 2, "the knob took");
    assert_eq!(std::fs::read_to_string(&rows_counted).unwrap(), errors);
    // One login a day: the neighbouring row of the other reading has the
    // same login, and the day tells them apart.
    let same_login = file(
        "same-login.csv",
        "login;workLocationName;date;position\r\njdupont;Paris;2025/09/22;FullDay\r\njdupont;Atlantis;2025/09/23;FullDay\r\n",
    );
    let picked = input.replace("with-errors.csv", "same-login.errors.csv");
    let output = roster(
        Some(&lucca),
        &["office", "import", &same_login, "--errors-csv", &picked],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(&picked).unwrap();
    assert!(
        written.contains("\r\njdupont;Atlantis;2025/09/23;FullDay;")
            && !written.contains("2025/09/22"),
        "{written}"
    );
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn user_locations_are_json_lines_filtered_by_day() {
    at_root();
    let lucca = with_locations().await;
    let all = roster(Some(&lucca), &["office", "user-locations", "--json"]).await;
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let all = json_lines(&all.stdout);
    assert!(all.len() >= 2, "{all:?}");
    let last_day = all
        .iter()
        .filter_map(|location| location["date"].as_str())
        .max()
        .unwrap()
        .to_owned();

    let from = roster(
        Some(&lucca),
        &["office", "user-locations", "--from", &last_day, "--json"],
    )
    .await;
    let from = json_lines(&from.stdout);
    assert!(!from.is_empty() && from.len() < all.len());
    assert!(
        from.iter()
            .all(|location| location["date"] == last_day.as_str())
    );

    let backwards = roster(
        Some(&lucca),
        &[
            "office",
            "user-locations",
            "--from",
            "2025-09-20",
            "--to",
            "2025-09-19",
        ],
    )
    .await;
    assert_eq!(backwards.status.code(), Some(2));
    let bad_date = roster(
        Some(&lucca),
        &["office", "user-locations", "--from", "2025/13/01"],
    )
    .await;
    assert_eq!(bad_date.status.code(), Some(2));
}

#[tokio::test]
async fn users_list_picks_fields_and_sync_shows_then_applies_only_the_differences() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let listed = roster(
        Some(&lucca),
        &[
            "users",
            "list",
            "--login",
            "mlefevre",
            "--fields",
            "login,firstName",
            "--json",
        ],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    assert_eq!(
        json_lines(&listed.stdout),
        vec![serde_json::json!({ "login": "mlefevre", "firstName": "Marie" })]
    );
    // A field a user does not have: the nearest one, nothing sent.
    let before = lucca.requests_total();
    let typo = roster(
        Some(&lucca),
        &["users", "list", "--fields", "login,jobTitel"],
    )
    .await;
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).contains("did you mean `jobTitle`?"),
        "{}",
        text(&typo.stderr)
    );
    assert_eq!(lucca.requests_total(), before);

    let export = file(
        "employees.csv",
        "login,firstName,jobTitle\njdupont,Jean,Head of support\nmlefevre,Mariette,\n",
    );
    // The plan as a table with its cost; nothing written.
    let shown = roster(Some(&lucca), &["users", "sync", &export]).await;
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    let table = text(&shown.stdout);
    assert!(
        table.contains("jdupont")
            && table.contains("Head of support")
            && table.contains("Mariette"),
        "{table}"
    );
    assert!(
        table.contains("2 updates: 2 requests, about 0 s at 50 per 63s"),
        "the cost before anything is written: {table}"
    );
    let dry = roster(
        Some(&lucca),
        &["users", "sync", &export, "--json", "--rate", "20/min"],
    )
    .await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let fields: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|change| {
            change["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |field| {
                    (
                        change["login"].as_str().unwrap(),
                        field["field"].as_str().unwrap(),
                    )
                })
        })
        .collect();
    assert_eq!(fields, [("jdupont", "jobTitle"), ("mlefevre", "firstName")]);
    // The plan as CSV: the same differences, one record each.
    let csv = roster(Some(&lucca), &["users", "sync", &export, "--format", "csv"]).await;
    assert_eq!(csv.status.code(), Some(0), "{}", text(&csv.stderr));
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["login", "id", "field", "now", "wanted"]
    );
    let records: Vec<(String, String)> = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[0].to_owned(), record[2].to_owned())
        })
        .collect();
    assert_eq!(
        records,
        fields
            .iter()
            .map(|(login, field)| (login.to_string(), field.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(plan["cost"]["requests"], 2);
    assert_eq!(
        plan["cost"]["rate"], "20 a minute",
        "--rate is the plan's rate"
    );
    // 2 updates after the plan's 1 read: the window has room, no wait.
    assert_eq!(plan["cost"]["seconds"], 0.0);
    assert_eq!(plan["reading"]["requests"], 1);
    let slow = roster(
        Some(&lucca),
        &["users", "sync", &export, "--json", "--rate", "2/min"],
    )
    .await;
    let slow: serde_json::Value = serde_json::from_slice(&slow.stdout).unwrap();
    assert_eq!(
        slow["cost"]["seconds"], 60.0,
        "1 read and 1 update fill the window; the second update waits it out"
    );
    assert!(
        lucca.received_updates().is_empty(),
        "a dry run sends nothing"
    );
    let greedy = roster(
        Some(&lucca),
        &["users", "sync", &export, "--rate", "60/min"],
    )
    .await;
    assert_eq!(greedy.status.code(), Some(2), "more than Lucca allows");

    let applied = roster(
        Some(&lucca),
        &["users", "sync", &export, "--apply", "--yes", "--json"],
    )
    .await;
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let bodies: Vec<(i64, serde_json::Value)> = lucca.received_updates();
    assert_eq!(
        bodies,
        vec![
            (416, serde_json::json!({ "jobTitle": "Head of support" })),
            (417, serde_json::json!({ "firstName": "Mariette" })),
        ]
    );
    let report: serde_json::Value = serde_json::from_slice(&applied.stdout).unwrap();
    assert_eq!(report["applied"].as_array().unwrap().len(), 2);
    assert!(
        report["applied"]
            .as_array()
            .unwrap()
            .iter()
            .all(|user| user["updated"] == true)
    );

    let again = roster(Some(&lucca), &["users", "sync", &export, "--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["untouched"], 2, "in step now");
    assert_eq!(report["changes"], serde_json::json!([]));

    let unknown = file("unknown-login.csv", "login,firstName\nnobody,X\n");
    let refused = roster(Some(&lucca), &["users", "sync", &unknown]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stdout).contains("\"nobody\": a new hire, but a creation needs"));
    let bad_column = file("bad-column.csv", "login,salary\njdupont,1\n");
    let bad = roster(Some(&lucca), &["users", "sync", &bad_column]).await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("bad-column.csv:1:2: `salary` is no field of a Lucca user"),
        "{}",
        text(&bad.stderr)
    );
}

#[tokio::test]
async fn a_creation_killed_while_waiting_is_resumed_by_the_same_command() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    lucca.set_import_duration(std::time::Duration::from_secs(2));
    let journal_path = fresh_dir("resume").join("imports.sqlite3");
    let journal_arg = journal_path.display().to_string();
    let create = [
        "office",
        "import",
        GOOD,
        "--create",
        "--yes",
        "--journal",
        &journal_arg,
    ];
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(create)
        .env_remove("ROSTER_REDIS_URL")
        .envs(lucca.env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until the journal holds the creation as accepted: the worker is then
    // waiting for it.
    until(
        &mut worker,
        "the journal holds the creation as accepted",
        async || journal_state(&journal_path).await == Some(roster::office::JournalState::Accepted),
    )
    .await;
    worker.kill().unwrap();
    worker.wait().unwrap();

    let again = roster(Some(&lucca), &create).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let shown = text(&again.stdout);
    assert!(shown.contains("resumed, nothing sent again"), "{shown}");
    assert!(shown.contains("created 2 user location(s)"), "{shown}");
    assert_eq!(creations(&lucca), 1, "one creation at the server");
    assert_eq!(lucca.user_locations().len(), 2);

    // The journal lists it, done, with its file and summaryId.
    let listed = roster(
        Some(&lucca),
        &["office", "journal", "--journal", &journal_arg, "--json"],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let entries: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["state"], "done");
    assert_eq!(entry["file"], GOOD);
    // The tenant, in its one spelling (a loopback address is `localhost`).
    assert_eq!(
        entry["tenant"],
        lucca.base_url().replace("127.0.0.1", "localhost")
    );
    assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);
    let summary_id = entry["summaryId"].as_str().unwrap().to_owned();
    let table = roster(
        Some(&lucca),
        &["office", "journal", "--journal", &journal_arg],
    )
    .await;
    assert!(
        text(&table.stdout).contains(&summary_id),
        "{}",
        text(&table.stdout)
    );

    // Its status, from the summaryId alone.
    let status = roster(Some(&lucca), &["office", "status", &summary_id, "--json"]).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let outcome: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        (
            outcome["created"].clone(),
            outcome["userLocationsCreated"].clone()
        ),
        (serde_json::json!(true), serde_json::json!(2))
    );

    // A third run resumes again (done within the window): still one creation.
    let third = roster(Some(&lucca), &create).await;
    assert_eq!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert_eq!(creations(&lucca), 1);
}

#[tokio::test]
async fn office_status_shows_a_simulation_s_analysis() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let simulated = roster(Some(&lucca), &["office", "import", GOOD, "--json"]).await;
    assert_eq!(
        simulated.status.code(),
        Some(0),
        "{}",
        text(&simulated.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&simulated.stdout).unwrap();
    let summary_id = answer["summaryId"].as_str().unwrap();
    let status = roster(Some(&lucca), &["office", "status", summary_id]).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(
        text(&status.stdout).contains("2 user location(s) to create, 0 error line(s)"),
        "{}",
        text(&status.stdout)
    );
    let unknown = roster(Some(&lucca), &["office", "status", "not-an-id"]).await;
    assert_eq!(unknown.status.code(), Some(2));
}

#[tokio::test]
async fn docutools_import_maps_columns_needs_yes_and_reads_secrets_from_a_file() {
    at_root();
    let docutools = LocalDocutools::start().await.unwrap();
    let token = docutools.issue_token();
    let export = "examples/data/users-export.csv";
    let args = [
        "docutools",
        "import",
        export,
        "--delimiter",
        ";",
        "--map",
        "Email Address=Email",
        "--map",
        "Name=Name",
    ];
    let env = [("DOCUTOOLS_HOST", docutools.base_url())];
    let secrets = [token.clone()];

    let refused = run(
        &[
            ("DOCUTOOLS_HOST", docutools.base_url()),
            ("DOCUTOOLS_TOKEN", token.clone()),
        ],
        &secrets,
        &args,
    )
    .await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("Importing 3 user row(s)"));
    assert!(docutools.uploads().is_empty(), "nothing was sent");

    // The token from a file, never from a flag.
    let token_file = file("docutools-token", &token);
    let mut with_file: Vec<&str> = args.to_vec();
    with_file.extend(["--yes", "--json", "--api-key-file", &token_file]);
    let imported = run(&env, &secrets, &with_file).await;
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(answer["imported"], 3);
    assert_eq!(docutools.imports_applied(), 1);

    let unknown_attribute = run(
        &env,
        &secrets,
        &[
            "docutools",
            "import",
            export,
            "--map",
            "Name=Nickname",
            "--yes",
        ],
    )
    .await;
    assert_eq!(unknown_attribute.status.code(), Some(2));
    let unmapped = run(
        &[
            ("DOCUTOOLS_HOST", docutools.base_url()),
            ("DOCUTOOLS_TOKEN", token.clone()),
        ],
        &secrets,
        &[
            "docutools",
            "import",
            export,
            "--delimiter",
            ";",
            "--map",
            "Phone=Phone",
            "--yes",
        ],
    )
    .await;
    assert_eq!(
        unmapped.status.code(),
        Some(1),
        "no Email or Username column: refused"
    );
    assert_eq!(docutools.imports_applied(), 1);
}

#[tokio::test]
async fn the_password_grant_and_an_env_file_work_and_leak_nothing() {
    at_root();
    let docutools = LocalDocutools::start().await.unwrap();
    let lucca = LocalLucca::start().await.unwrap();
    let setup = docutools.setup();
    let account = &setup.accounts[0];
    let mut lines = format!(
        "LUCCA_HOST={}\nLUCCA_API_KEY={}\n",
        lucca.base_url(),
        lucca.api_key()
    );
    for (name, value) in [
        ("DOCUTOOLS_HOST", docutools.base_url()),
        ("DOCUTOOLS_CLIENT_ID", setup.client_id.clone()),
        ("DOCUTOOLS_CLIENT_SECRET", setup.client_secret.clone()),
        ("DOCUTOOLS_USERNAME", account.username.clone()),
        ("DOCUTOOLS_PASSWORD", account.password.clone()),
    ] {
        lines.push_str(&format!("{name}={value}\n"));
    }
    let env_file = plain_file("roster.env", &lines);
    let env_file = env_file.as_str();
    let secrets = [
        lucca.api_key().to_owned(),
        setup.client_secret.clone(),
        account.password.clone(),
    ];

    let listed = run(
        &[],
        &secrets,
        &["--env-file", env_file, "office", "work-locations"],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    // One data directory for both runs: one journal.
    let data = [(
        "XDG_DATA_HOME",
        fresh_dir("docutools-data").display().to_string(),
    )];
    let import: Vec<&str> = ["--env-file", env_file]
        .into_iter()
        .chain(DOCUTOOLS_IMPORT)
        .collect();
    let imported = run(&data, &secrets, &import).await;
    assert_eq!(
        imported.status.code(),
        Some(0),
        "{}",
        text(&imported.stderr)
    );
    assert_eq!(docutools.imports_applied(), 1);
    let previewed = text(&imported.stdout);
    assert!(previewed.contains("Email Address -> Email"), "{previewed}");
    assert!(previewed.contains("not imported (no --map)"), "{previewed}");

    // The same file again: refused with what was imported and when, one
    // import at the server; --allow-repeat imports it again.
    let again = run(&data, &secrets, &import).await;
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not imported again: an import of the same users file"),
        "{stderr}"
    );
    assert_eq!(docutools.imports_applied(), 1, "one import at the server");
    let mut repeat = import.clone();
    repeat.push("--allow-repeat");
    let repeated = run(&data, &secrets, &repeat).await;
    assert_eq!(
        repeated.status.code(),
        Some(0),
        "{}",
        text(&repeated.stderr)
    );
    assert_eq!(docutools.imports_applied(), 2);
    let tokens = docutools.issued_tokens();
    assert!(!tokens.is_empty());
    for output in [&listed, &imported] {
        for token in &tokens {
            assert!(!text(&output.stdout).contains(token.as_str()));
            assert!(!text(&output.stderr).contains(token.as_str()));
        }
    }
}

#[tokio::test]
async fn a_reader_that_goes_away_ends_a_listing_without_a_panic() {
    at_root();
    use roster_emulator::Setup;
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(3000))
        .await
        .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(["users", "list"])
        .envs(lucca.env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0; 16];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        drop(stdout);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"));
}

/// Runs `roster args…` on a pseudo-terminal (`script`, from util-linux),
/// with `input` typed in; what the terminal showed.
async fn on_terminal(lucca: &LocalLucca, args: &str, input: &str, no_color: bool) -> String {
    let mut lines = String::new();
    for (name, value) in lucca.env() {
        lines.push_str(&format!("{name}={value}\n"));
    }
    let env_file = plain_file(
        &format!("tty-{}.env", lucca.base_url().len() + args.len()),
        &lines,
    );
    let line = format!(
        "{} --env-file {env_file} {args}",
        env!("CARGO_BIN_EXE_roster")
    );
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        // The default journal of a data directory of its own: a port reused
        // within 24 hours must not find an earlier run's import.
        .env("XDG_DATA_HOME", fresh_dir("tty"))
        .env("XDG_CONFIG_HOME", fresh_dir("tty-config"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    if no_color {
        command.env("NO_COLOR", "1");
    }
    let input = input.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("script (util-linux) runs");
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        drop(stdin);
        output
    })
    .await
    .unwrap();
    let shown = text(&output.stdout);
    assert!(!shown.contains(lucca.api_key()));
    shown
}

/// On a terminal, an answer slower than a few seconds gets a line: a
/// silent host is never silence.
#[tokio::test]
async fn on_a_terminal_a_slow_answer_is_said() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.faults().inject(
        Route::Lists,
        Fault::Delay(std::time::Duration::from_secs(4)),
    );
    let shown = on_terminal(&lucca, "office work-locations", "", true).await;
    assert!(
        shown.contains(
            "still waiting for the answer to GET /work-locations/public/api/work-locations"
        ),
        "{shown}"
    );
    assert!(shown.contains("Paris"), "the answer came: {shown}");
}

#[tokio::test]
async fn on_a_terminal_it_asks_first_colours_tables_and_honours_no_color() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();

    let declined = on_terminal(
        &lucca,
        &format!("office import {GOOD} --create"),
        "n\n",
        false,
    )
    .await;
    assert!(
        declined.contains("Creating 2 user location(s) from examples/data/office-import.csv"),
        "{declined}"
    );
    assert!(declined.contains("Go on? [y/N]"), "{declined}");
    // Consent comes after the preview: the simulation's analysis is shown
    // before the question.
    let (shown, asked) = (declined.find("to create"), declined.find("Go on?"));
    assert!(
        shown.is_some() && shown < asked,
        "the analysis before the question: {declined}"
    );
    assert!(
        declined.contains("not confirmed: nothing was changed"),
        "{declined}"
    );
    assert_eq!(lucca.imports_applied(), 0, "nothing was created");
    assert!(
        lucca.received_imports().iter().all(|import| !import.create),
        "only the simulation was sent"
    );

    let confirmed = on_terminal(
        &lucca,
        &format!("office import {GOOD} --create"),
        "y\n",
        false,
    )
    .await;
    assert_eq!(lucca.imports_applied(), 1, "{confirmed}");
    assert!(confirmed.contains('┆'), "boxed on a terminal: {confirmed}");

    // Colour is SGR (`ESC[…m`); the bar's cursor moves are not colour.
    let sgr = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    assert!(sgr.is_match(&confirmed), "coloured rows: {confirmed}");
    let plain = on_terminal(&lucca, &format!("office import {GOOD}"), "", true).await;
    assert!(plain.contains("to create"), "{plain}");
    assert!(!sgr.is_match(&plain), "NO_COLOR: {plain}");
}

#[tokio::test]
async fn serve_prints_its_variables_as_json_with_json() {
    at_root();
    let shown = tokio::task::spawn_blocking(|| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["--json", "serve"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        line
    })
    .await
    .unwrap();
    let variables: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&shown).unwrap();
    let names: Vec<&str> = variables.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "DOCUTOOLS_HOST",
            "DOCUTOOLS_TOKEN",
            "LUCCA_API_KEY",
            "LUCCA_HOST"
        ]
    );
}

#[tokio::test]
async fn two_processes_creating_the_same_file_apply_it_once() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let journal = fresh_dir("journal").join("imports.sqlite3");
    let journal = journal.display().to_string();
    let args = [
        "office",
        "import",
        GOOD,
        "--create",
        "--yes",
        "--journal",
        &journal,
    ];

    let (one, two) = tokio::join!(roster(Some(&lucca), &args), roster(Some(&lucca), &args));

    // The loser is refused: exit 1 when the winner's creation is recorded
    // as accepted or done, 4 while the winner holds it (sending it now).
    let (won, refused) = if one.status.code() == Some(0) {
        (&one, &two)
    } else {
        (&two, &one)
    };
    assert_eq!(won.status.code(), Some(0), "{}", text(&won.stderr));
    assert!(
        matches!(refused.status.code(), Some(1 | 4)),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        text(&refused.stderr).contains("not created again: an import of the same file"),
        "{}",
        text(&refused.stderr)
    );
    let creations = creations(&lucca);
    assert_eq!(creations, 1);
}

#[tokio::test]
async fn a_worker_killed_after_sending_leaves_an_unknown_outcome_until_resolved() {
    at_root();
    let journal = fresh_dir("journal").join("imports.sqlite3");
    killed_worker(Journal {
        args: vec!["--journal".into(), journal.display().to_string()],
        env: Vec::new(),
    })
    .await;
}

#[tokio::test]
async fn a_worker_killed_after_sending_leaves_an_unknown_outcome_in_redis_too() {
    at_root();
    let Some(redis) = crate::redis_server::RedisServer::start("killed worker, redis") else {
        return;
    };
    killed_worker(Journal {
        args: Vec::new(),
        env: vec![("ROSTER_REDIS_URL", redis.url())],
    })
    .await;
}

/// Where a test's import journal is: a SQLite file given with `--journal`,
/// or the Redis of `ROSTER_REDIS_URL`.
struct Journal {
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
}

impl Journal {
    /// `roster args… <journal args>` against `lucca`.
    async fn run(&self, lucca: &LocalLucca, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.args.iter().map(String::as_str));
        let mut env = lucca.env().to_vec();
        env.extend(self.env.iter().cloned());
        run(&env, &[lucca.api_key().to_owned()], &all).await
    }
}

async fn killed_worker(journal: Journal) {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    // The creation is handled (applied), then its answer is held.
    lucca.faults().inject(
        Route::Create,
        Fault::Delay(std::time::Duration::from_secs(600)),
    );
    let create = ["office", "import", GOOD, "--create", "--yes"];
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(create)
        .args(&journal.args)
        .env_remove("ROSTER_REDIS_URL")
        .envs(lucca.env())
        .envs(journal.env.iter().cloned())
        .env("XDG_DATA_HOME", fresh_dir("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut worker = command.spawn().unwrap();
    // Wait until the server has the creation (a state, not a duration).
    until(&mut worker, "the server has the creation", async || {
        lucca.received_imports().iter().any(|import| import.create)
    })
    .await;
    worker.kill().unwrap();
    worker.wait().unwrap();

    // Killed with its creation in flight: its claim's lease has not run
    // out, so the next run is told a run holds it (it may be sending it
    // still, or Lucca still reading it), exit 4, nothing sent.
    let again = journal.run(&lucca, &create).await;
    assert_eq!(again.status.code(), Some(4), "{}", text(&again.stderr));
    let stderr = text(&again.stderr);
    assert!(stderr.contains("holds it until"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let sha256 = stderr
        .split("roster office resolve ")
        .nth(1)
        .and_then(|rest| rest.split(['`', ' ', ':']).next())
        .unwrap()
        .to_owned();

    // "Not applied" too early (the body may still be read by Lucca) is
    // refused while the lease runs; "applied" is safe at any time.
    let early = journal
        .run(&lucca, &["office", "resolve", &sha256, "--not-applied"])
        .await;
    assert_eq!(early.status.code(), Some(4), "{}", text(&early.stderr));
    assert!(
        text(&early.stderr).contains("not resolved"),
        "{}",
        text(&early.stderr)
    );
    let resolved = journal
        .run(&lucca, &["office", "resolve", &sha256, "--applied"])
        .await;
    assert_eq!(
        resolved.status.code(),
        Some(0),
        "{}",
        text(&resolved.stderr)
    );
    let done = journal.run(&lucca, &create).await;
    assert_eq!(done.status.code(), Some(1), "{}", text(&done.stderr));
    assert!(text(&done.stderr).contains("was applied"));
    let creations = creations(&lucca);
    assert_eq!(creations, 1, "nothing sent again");
}

/// Resolving by reading: a creation applied by Lucca whose answer was lost.
/// Once its claim's lease has run out (`ROSTER_JOURNAL_LEASE`, short here),
/// `resolve --not-applied` reads Lucca, finds the file's rows created since
/// the claim and refuses (exit 1, saying what it read); `resolve` alone
/// reads and marks it applied. One creation in all.
#[tokio::test]
async fn a_lost_creation_is_resolved_by_reading_lucca() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    lucca
        .faults()
        .inject(Route::Create, Fault::DropAfterHandling);
    let path = fresh_dir("journal").join("imports.sqlite3");
    let journal = path.display().to_string();
    let mut env = lucca.env().to_vec();
    env.push(("ROSTER_JOURNAL_LEASE", "1s".to_owned()));
    let secrets = [lucca.api_key().to_owned()];
    let create = [
        "office",
        "import",
        GOOD,
        "--create",
        "--yes",
        "--journal",
        &journal,
    ];

    let lost = run(&env, &secrets, &create).await;
    assert_eq!(lost.status.code(), Some(3), "{}", text(&lost.stderr));
    // Applied at the server (a state, polled), and the lease run out.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let entries = roster::office::ImportJournal::sqlite(&path)
            .unwrap()
            .entries()
            .await
            .unwrap();
        if lucca.imports_applied() == 1 && entries.iter().all(|entry| !entry.is_held()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not applied, or still held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let again = run(&env, &secrets, &create).await;
    assert_eq!(again.status.code(), Some(3), "{}", text(&again.stderr));
    let stderr = text(&again.stderr);
    let sha256 = stderr
        .split("roster office resolve ")
        .nth(1)
        .and_then(|rest| rest.split(['`', ' ', ':']).next())
        .unwrap()
        .to_owned();

    let refused = run(
        &env,
        &secrets,
        &[
            "office",
            "resolve",
            &sha256,
            "--not-applied",
            "--journal",
            &journal,
        ],
    )
    .await;
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Lucca shows it was applied"), "{stderr}");
    assert!(stderr.contains("created at"), "{stderr}");

    let resolved = run(
        &env,
        &secrets,
        &["office", "resolve", &sha256, "--journal", &journal],
    )
    .await;
    assert_eq!(
        resolved.status.code(),
        Some(0),
        "{}",
        text(&resolved.stderr)
    );
    let stdout = text(&resolved.stdout);
    assert!(stdout.contains("-> applied"), "{stdout}");
    assert!(stdout.contains("user location"), "what it read: {stdout}");
    let done = run(&env, &secrets, &create).await;
    assert_eq!(done.status.code(), Some(1), "{}", text(&done.stderr));
    let creations = creations(&lucca);
    assert_eq!(creations, 1, "nothing sent again");
}

/// The creations the server received.
fn creations(lucca: &LocalLucca) -> usize {
    lucca
        .received_imports()
        .iter()
        .filter(|import| import.create)
        .count()
}

/// Polls `ready` until it holds while `child` runs: fails if the child ends
/// first, or after 30 s.
async fn until(child: &mut std::process::Child, what: &str, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready().await {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended ({status}) before {what}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not after 30 s: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The state of the newest entry of the SQLite journal at `path`, if any.
async fn journal_state(path: &std::path::Path) -> Option<roster::office::JournalState> {
    if !path.exists() {
        return None;
    }
    let journal = roster::office::ImportJournal::sqlite(path).ok()?;
    let entries = journal.entries().await.ok()?;
    entries.first().map(|entry| entry.state)
}

/// A local Lucca without a request limit whose imports take `duration`.
async fn slow_lucca(duration: std::time::Duration) -> LocalLucca {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    lucca.set_import_duration(duration);
    lucca
}

/// `roster office import GOOD --create --yes --journal …`, sent SIGINT once
/// `ready` holds; its output, and the journal's file.
async fn interrupted_import(
    lucca: &LocalLucca,
    name: &str,
    what: &str,
    ready: impl AsyncFnMut(&std::path::Path) -> bool,
) -> (Output, std::path::PathBuf) {
    let mut ready = ready;
    let journal_path = fresh_dir(name).join("imports.sqlite3");
    let journal_arg = journal_path.display().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .args([
            "office",
            "import",
            GOOD,
            "--create",
            "--yes",
            "--journal",
            &journal_arg,
        ])
        .env_remove("ROSTER_REDIS_URL")
        .envs(lucca.env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    until(&mut child, what, async || ready(&journal_path).await).await;
    (interrupt(child).await, journal_path)
}

/// Sends SIGINT to `child` (with the shell's own `kill`: no other program
/// needed), and its output once it has ended.
async fn interrupt(child: std::process::Child) -> Output {
    let sent = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_before_the_creation_left_sends_nothing_and_exits_130() {
    at_root();
    let lucca = slow_lucca(std::time::Duration::from_secs(30)).await;
    let (output, journal_path) = interrupted_import(
        &lucca,
        "interrupted-simulation",
        "the server has the simulation",
        async |_| !lucca.received_imports().is_empty(),
    )
    .await;

    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("nothing was created"), "{stderr}");
    assert!(lucca.received_imports().iter().all(|import| !import.create));
    assert_eq!(journal_state(&journal_path).await, None);
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_after_the_creation_left_says_what_the_journal_holds_and_exits_130() {
    at_root();
    let lucca = slow_lucca(std::time::Duration::from_secs(3)).await;
    let (output, journal_path) = interrupted_import(
        &lucca,
        "interrupted-creation",
        "the journal holds the creation as accepted",
        async |path| journal_state(path).await == Some(roster::office::JournalState::Accepted),
    )
    .await;

    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("after the creation left"), "{stderr}");
    assert!(stderr.contains("`accepted`"), "{stderr}");
    assert!(stderr.contains("roster office status"), "{stderr}");
    assert_eq!(
        journal_state(&journal_path).await,
        Some(roster::office::JournalState::Accepted)
    );
    let creations = creations(&lucca);
    assert_eq!(creations, 1);
}

/// A local Lucca server holding the user locations of `GOOD`, created by
/// the command line.
async fn with_locations() -> LocalLucca {
    let lucca = LocalLucca::start().await.unwrap();
    let created = roster(
        Some(&lucca),
        &["office", "import", GOOD, "--create", "--yes"],
    )
    .await;
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    lucca
}

/// The `info.version` of a vendored spec, read from its text.
fn spec_version(file: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text
        .lines()
        .find(|line| line.starts_with("  version:"))
        .unwrap();
    line["  version:".len()..]
        .trim()
        .trim_matches('\'')
        .to_owned()
}

#[tokio::test]
async fn version_names_the_vendored_specs_and_man_and_completions_are_written() {
    at_root();
    let version = roster(None, &["--version"]).await;
    assert_eq!(version.status.code(), Some(0));
    let version = text(&version.stdout);
    for (name, file) in [
        ("Lucca Office", "openapi/lucca-office.yaml"),
        ("Lucca Directory", "openapi/lucca-directory-v3.yaml"),
        ("Docutools users", "openapi/docutools-users.yaml"),
    ] {
        let wanted = format!("{name} {}", spec_version(file));
        assert!(version.contains(&wanted), "{wanted:?} in {version}");
    }

    let man = roster(None, &["man"]).await;
    assert_eq!(man.status.code(), Some(0));
    let man = text(&man.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH roster"),
        "{man}"
    );
    assert!(man.contains("completions"), "the subcommands are listed");
    for section in [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES"] {
        assert!(man.contains(section), "{section} in the manual page");
    }
    assert!(man.contains("LUCCA_API_KEY") && man.contains("config.toml"));

    // Help for people: the global options in a section of their own,
    // examples, and `serve` with only its own flags.
    let help = text(&roster(None, &["office", "import", "--help"]).await.stdout);
    let (own, global) = (help.find("\nOptions:"), help.find("\nGlobal options:"));
    assert!(own.is_some() && own < global, "{help}");
    assert!(help.contains("Examples:\n  roster office import"), "{help}");
    let serve = roster(None, &["serve", "--help"]).await;
    assert_eq!(serve.status.code(), Some(0));
    let serve = text(&serve.stdout);
    assert!(serve.contains("--seed-users"), "{serve}");
    for global in ["--profile", "--api-key-file", "--timeout", "--rate "] {
        assert!(!serve.contains(global), "{global} in {serve}");
    }

    // "Did you mean" for a command and for a user's field.
    let typo = roster(None, &["user", "list"]).await;
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).contains("'users'"),
        "{}",
        text(&typo.stderr)
    );

    // The bash script, sourced by bash, registers `roster`.
    let script = roster(None, &["completions", "bash"]).await;
    assert_eq!(script.status.code(), Some(0));
    let path = fresh_dir("completions").join("roster.bash");
    std::fs::write(&path, &script.stdout).unwrap();
    let registered = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p roster", path.display()))
        .output()
        .unwrap();
    assert_eq!(
        registered.status.code(),
        Some(0),
        "{}",
        text(&registered.stderr)
    );
    assert!(
        text(&registered.stdout).trim_end().ends_with(" roster"),
        "{}",
        text(&registered.stdout)
    );
    let unknown = roster(None, &["completions", "tcsh"]).await;
    assert_eq!(unknown.status.code(), Some(2));
}

#[tokio::test]
async fn verbose_shows_one_line_a_request_without_a_secret_or_a_query() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let before = lucca.requests_total();
    let day = "2025-09-19";
    let listed = roster(
        Some(&lucca),
        &[
            "-v",
            "office",
            "user-locations",
            "--from",
            day,
            "--to",
            day,
            "--json",
        ],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let sent = lucca.requests_total() - before;
    let stderr = text(&listed.stderr);
    // One plain line a request: method, path, status, ms, attempt; and
    // nothing else (no span's internals).
    let plain =
        regex::Regex::new(r"^(GET|POST|PUT) /\S+ (\d{3}|no answer) \d+ ms, attempt \d+$").unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|line| plain.is_match(line)).collect();
    assert_eq!(lines.len() as u64, sent, "{stderr}");
    assert_eq!(stderr.lines().count(), lines.len(), "{stderr}");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("GET /work-locations/public/api/user-locations 200 ")),
        "{stderr}"
    );
    assert!(!stderr.contains(day), "no query: {stderr}");
    // The run checks that no secret is in any output.

    let quiet = roster(Some(&lucca), &["office", "user-locations", "--json"]).await;
    assert!(!plain.is_match(text(&quiet.stderr).lines().next().unwrap_or_default()));
}

#[tokio::test]
async fn timeout_bounds_a_request_that_does_not_answer() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    lucca.faults().inject(
        roster_emulator::Route::Lists,
        roster_emulator::Fault::Delay(std::time::Duration::from_secs(60)),
    );
    let started = std::time::Instant::now();
    let listed = roster(
        Some(&lucca),
        &["--timeout", "1s", "office", "work-locations", "--json"],
    )
    .await;
    assert_eq!(
        listed.status.code(),
        Some(exit_transient()),
        "{}",
        text(&listed.stderr)
    );
    // The timeout as given: not the 5 s an attempt gets at a waiter's
    // deadline.
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_millis(4500),
        "{took:?}: {}",
        text(&listed.stderr)
    );
    assert!(
        text(&listed.stderr).contains("no answer"),
        "{}",
        text(&listed.stderr)
    );
    let bad = roster(
        Some(&lucca),
        &["--timeout", "soon", "office", "work-locations"],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
}

/// The exit code of a transient failure.
fn exit_transient() -> i32 {
    4
}

#[tokio::test]
async fn a_listing_as_csv_holds_the_same_rows_as_json() {
    at_root();
    let lucca = with_locations().await;
    let lines = roster(Some(&lucca), &["office", "user-locations", "--json"]).await;
    let lines = json_lines(&lines.stdout);
    let csv = roster(
        Some(&lucca),
        &["office", "user-locations", "--format", "csv"],
    )
    .await;
    assert_eq!(csv.status.code(), Some(0), "{}", text(&csv.stderr));
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.get(0), Some("id"));
    assert_eq!(header.get(2), Some("date"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), lines.len());
    assert!(!records.is_empty());
    // People and places by name: the owner's login, the work location's
    // name (one read of the work locations, one of the owners' logins).
    for (record, line) in records.iter().zip(&lines) {
        assert_eq!(record.get(0), Some(line["id"].to_string().as_str()));
        assert!(line["ownerLogin"].is_string(), "{line}");
        assert!(line["workLocationName"].is_string(), "{line}");
        assert_eq!(record.get(1), line["ownerLogin"].as_str());
        assert_eq!(record.get(2), line["date"].as_str());
        assert_eq!(record.get(4), line["workLocationName"].as_str());
    }
    // `--from`/`--to` take the import files' own YYYY/MM/DD.
    let day = lines[0]["date"].as_str().unwrap().to_owned();
    let slashed = day.replace('-', "/");
    let one_day = roster(
        Some(&lucca),
        &[
            "office",
            "user-locations",
            "--from",
            &slashed,
            "--to",
            &slashed,
            "--json",
        ],
    )
    .await;
    assert_eq!(one_day.status.code(), Some(0), "{}", text(&one_day.stderr));
    let one_day = json_lines(&one_day.stdout);
    assert!(!one_day.is_empty() && one_day.iter().all(|line| line["date"] == day.as_str()));

    // `--format json`: one array, the same items.
    let array = roster(
        Some(&lucca),
        &["office", "user-locations", "--format", "json"],
    )
    .await;
    let array: Vec<serde_json::Value> = serde_json::from_slice(&array.stdout).unwrap();
    assert_eq!(array, lines);
    let both = roster(
        Some(&lucca),
        &["office", "user-locations", "--json", "--format", "csv"],
    )
    .await;
    assert_eq!(both.status.code(), Some(2));
}

#[tokio::test]
async fn roster_api_reaches_an_endpoint_the_specs_do_not_describe() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let answer = roster(
        Some(&lucca),
        &["-v", "api", "/organization/structure/api/departments"],
    )
    .await;
    assert_eq!(answer.status.code(), Some(0), "{}", text(&answer.stderr));
    let departments: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    let items = departments["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{departments}");
    assert!(
        items
            .iter()
            .all(|item| item["id"].is_i64() && item["name"].is_string())
    );
    assert_eq!(
        lucca.requests_of("GET /organization/structure/api/departments"),
        1
    );
    let span = text(&answer.stderr);
    assert!(
        span.contains("GET /organization/structure/api/departments 200 "),
        "{span}"
    );
    assert!(!span.contains("unlisted"), "no operation id: {span}");
    assert!(
        span.contains("/organization/structure/api/departments"),
        "{span}"
    );

    // Not a path of the tenant's host: refused, nothing sent.
    let before = lucca.requests_total();
    for path in [
        "https://elsewhere.example/api",
        "//elsewhere.example/api",
        "api/v3",
    ] {
        let refused = roster(Some(&lucca), &["api", path]).await;
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{path}: {}",
            text(&refused.stderr)
        );
    }
    assert_eq!(lucca.requests_total(), before);

    // An error status is the command's failure, with the vendor's words.
    let missing = roster(Some(&lucca), &["api", "/api/v3/nothing-here"]).await;
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing.stderr));
}

/// `content` in `dir/roster/name`, readable by its owner only.
fn private_file(dir: &std::path::Path, name: &str, content: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("roster").join(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A config directory whose `roster/config.toml` names two tenants, `a`
/// and `b`, each with its key in a private file.
fn two_profiles(a: &LocalLucca, b: &LocalLucca) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh_dir("config");
    let config = dir.join("roster");
    std::fs::create_dir_all(&config).unwrap();
    let mut text = String::new();
    for (name, lucca) in [("a", a), ("b", b)] {
        let key = config.join(format!("{name}.key"));
        std::fs::write(&key, lucca.api_key()).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        text.push_str(&format!(
            "[profiles.{name}]\nlucca_host = {:?}\nlucca_api_key_file = {:?}\n\n",
            lucca.base_url(),
            key.display().to_string()
        ));
    }
    let file = config.join("config.toml");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    dir
}

#[tokio::test]
async fn profiles_reach_the_tenant_they_name_and_refuse_a_secret_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    at_root();
    let a = LocalLucca::start().await.unwrap();
    let b = LocalLucca::start().await.unwrap();
    let dir = two_profiles(&a, &b);
    let config = ("XDG_CONFIG_HOME", dir.display().to_string());
    let secrets = [a.api_key().to_owned(), b.api_key().to_owned()];

    // `--profile a` reaches a only; `ROSTER_PROFILE=b`, b only.
    let before = (a.requests_total(), b.requests_total());
    let listed = run(
        std::slice::from_ref(&config),
        &secrets,
        &["--profile", "a", "office", "work-locations", "--json"],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    assert!(a.requests_total() > before.0);
    assert_eq!(b.requests_total(), before.1);
    let by_variable = run(
        &[config.clone(), ("ROSTER_PROFILE", "b".to_owned())],
        &secrets,
        &["users", "list", "--json"],
    )
    .await;
    assert_eq!(
        by_variable.status.code(),
        Some(0),
        "{}",
        text(&by_variable.stderr)
    );
    assert!(b.requests_total() > before.1);
    let settled = a.requests_total() + b.requests_total();

    // `--host` beside a profile that names Lucca would send its key to
    // another host: refused, nothing sent.
    let flagged = run(
        std::slice::from_ref(&config),
        &secrets,
        &[
            "--profile",
            "a",
            "--host",
            "https://elsewhere.invalid",
            "office",
            "work-locations",
        ],
    )
    .await;
    assert_eq!(flagged.status.code(), Some(2));
    assert!(
        text(&flagged.stderr).contains("would go to another host"),
        "{}",
        text(&flagged.stderr)
    );
    // A profile naming a host without its key does not borrow the
    // environment's key (another tenant's).
    let half = private_file(
        &dir,
        "half.toml",
        &format!("[profiles.half]\nlucca_host = {:?}\n", a.base_url()),
    );
    let borrowed = run(
        &[
            ("ROSTER_CONFIG", half.display().to_string()),
            ("LUCCA_API_KEY", b.api_key().to_owned()),
        ],
        &secrets,
        &["--profile", "half", "office", "work-locations"],
    )
    .await;
    assert_eq!(
        borrowed.status.code(),
        Some(2),
        "{}",
        text(&borrowed.stderr)
    );
    assert!(
        text(&borrowed.stderr).contains("but not its secret"),
        "{}",
        text(&borrowed.stderr)
    );
    // A key written where a path belongs is never quoted back.
    let slip = private_file(
        &dir,
        "slip.toml",
        &format!("[profiles.slip]\nlucca_api_key = {:?}\n", a.api_key()),
    );
    let slipped = run(
        &[("ROSTER_CONFIG", slip.display().to_string())],
        &secrets,
        &["--profile", "slip", "profiles"],
    )
    .await;
    assert_eq!(slipped.status.code(), Some(2));
    assert!(
        text(&slipped.stderr).contains("slip.toml:2:1: "),
        "{}",
        text(&slipped.stderr)
    );
    assert_eq!(
        a.requests_total() + b.requests_total(),
        settled,
        "nothing sent by a refused run"
    );

    // `roster profiles` lists both, and where their keys live.
    let profiles = run(std::slice::from_ref(&config), &secrets, &["profiles"]).await;
    assert_eq!(
        profiles.status.code(),
        Some(0),
        "{}",
        text(&profiles.stderr)
    );
    let shown = text(&profiles.stdout);
    assert!(
        shown.contains(&a.base_url()) && shown.contains(&b.base_url()),
        "{shown}"
    );
    assert!(shown.contains("a.key"), "{shown}");

    // An unknown profile is a usage error naming the known ones.
    let unknown = run(
        std::slice::from_ref(&config),
        &secrets,
        &["--profile", "c", "profiles"],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("(profiles: a, b)"),
        "{}",
        text(&unknown.stderr)
    );

    // A secret file others can read is refused, saying why.
    let key = dir.join("roster").join("a.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = run(
        std::slice::from_ref(&config),
        &secrets,
        &["--profile", "a", "office", "work-locations"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2));
    let why = text(&refused.stderr);
    assert!(
        why.contains("can be read or written by others (mode 644)"),
        "{why}"
    );
    assert!(why.contains("a.key") && why.contains("chmod 600"), "{why}");

    // A config file others can read holds no secret: used, with a warning.
    // One others can write says where secrets go: refused.
    let file = dir.join("roster").join("config.toml");
    for (mode, code, said) in [(0o644, 0, "warning:"), (0o646, 2, "config file")] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let shown = run(
            std::slice::from_ref(&config),
            &secrets,
            &["--profile", "b", "profiles"],
        )
        .await;
        let stderr = text(&shown.stderr);
        assert_eq!(shown.status.code(), Some(code), "{mode:o}: {stderr}");
        assert!(
            stderr.contains(said) && stderr.contains(&format!("mode {mode:o}")),
            "{stderr}"
        );
    }
}

/// Profiles set up once: `profiles add` checks the key with one read
/// before it writes anything (0600), `profiles use` makes the default,
/// `profiles check` tells a key that works from one that does not, and the
/// completion script offers the names.
#[tokio::test]
async fn profiles_are_added_checked_and_chosen_once() {
    use std::os::unix::fs::PermissionsExt;
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    let dir = fresh_dir("setup");
    let config_path = dir.join("roster").join("config.toml");
    let config = ("XDG_CONFIG_HOME", dir.display().to_string());
    let secrets = [lucca.api_key().to_owned()];
    let within = async |args: &[&str]| run(std::slice::from_ref(&config), &secrets, args).await;

    // A wrong key: refused by the one read, nothing written.
    let before = lucca.requests_total();
    let wrong = run_fed(
        std::slice::from_ref(&config),
        &secrets,
        &["profiles", "add", "acme", "--lucca-host", &lucca.base_url()],
        Some("not-the-key\n"),
    )
    .await;
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));
    assert!(
        text(&wrong.stdout).contains("refused (401)"),
        "{}",
        text(&wrong.stdout)
    );
    assert!(!config_path.exists() && !dir.join("roster/acme.lucca-key").exists());
    assert_eq!(lucca.requests_total() - before, 1, "one read");

    // The right key: checked, then the profile and its key file, 0600.
    let added = run_fed(
        std::slice::from_ref(&config),
        &secrets,
        &["profiles", "add", "acme", "--lucca-host", &lucca.base_url()],
        Some(&format!("{}\n", lucca.api_key())),
    )
    .await;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    for written in [config_path.clone(), dir.join("roster/acme.lucca-key")] {
        let mode = std::fs::metadata(&written).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", written.display());
    }
    assert!(
        !std::fs::read_to_string(&config_path)
            .unwrap()
            .contains(lucca.api_key())
    );

    // No profile named and no host given: none is used until one is the
    // default.
    let none = within(&["users", "list", "--json"]).await;
    assert_eq!(none.status.code(), Some(2), "{}", text(&none.stderr));
    let chosen = within(&["profiles", "use", "acme"]).await;
    assert_eq!(chosen.status.code(), Some(0), "{}", text(&chosen.stderr));
    let listed = within(&["users", "list", "--json"]).await;
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let unknown = within(&["profiles", "use", "nope"]).await;
    assert_eq!(unknown.status.code(), Some(2));

    // `profiles check`: the key works; then, the key file changed, it does not.
    let checked = within(&["profiles", "check"]).await;
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
    assert!(
        text(&checked.stdout).contains("the key works"),
        "{}",
        text(&checked.stdout)
    );
    std::fs::write(dir.join("roster/acme.lucca-key"), "stale-key\n").unwrap();
    let stale = within(&["profiles", "check", "acme"]).await;
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale.stderr));
    assert!(
        text(&stale.stdout).contains("refused (401)"),
        "{}",
        text(&stale.stdout)
    );
    // A command with that key says whose key it is and for which host.
    let refused = within(&["users", "list"]).await;
    let said = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the key is refused: the profile acme's"),
        "{said}"
    );
    assert!(said.contains(&lucca.base_url()), "{said}");
    assert!(!said.contains("list_users"), "no operation id: {said}");

    // The completion script offers the profile's name.
    let script = within(&["completions", "bash"]).await;
    assert!(text(&script.stdout).contains("acme"), "the profile's name");
}

/// `-` is standard input, read once to its end: an Office simulation and a
/// users sync's plan read their file from it.
#[tokio::test]
async fn a_dash_reads_the_file_from_standard_input() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    // The server runs on this test's runtime: the command waits elsewhere.
    let with_stdin = async |args: &[&str], input: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
        command
            .args(args)
            .env_remove("ROSTER_REDIS_URL")
            .envs(lucca.env())
            .env("XDG_DATA_HOME", fresh_dir("data"))
            .stdin(std::fs::File::open(input).unwrap());
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    };
    let simulated = with_stdin(&["office", "import", "-"], GOOD).await;
    assert_eq!(
        simulated.status.code(),
        Some(0),
        "{}",
        text(&simulated.stderr)
    );
    let received = lucca.received_imports();
    assert_eq!(received.len(), 1);
    assert!(!received[0].create, "a simulation");

    let export = file(
        "employees-stdin.csv",
        "login,jobTitle\njdupont,Head of support\n",
    );
    let planned = with_stdin(&["users", "sync", "-", "--json"], &export).await;
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&planned.stdout).unwrap();
    assert_eq!(plan["changes"][0]["login"], "jdupont");
}

/// `--max-wait` bounds the wait for an import that stalls: the simulation's
/// wait ends at it, plainly said, exit 4 (nothing was created).
#[tokio::test]
async fn max_wait_bounds_a_stalled_import() {
    at_root();
    let mut knobs = roster_emulator::Knobs::default();
    knobs.import_fate = roster_emulator::ImportFate::StallsAt(50);
    let setup = roster_emulator::Setup {
        import_duration: std::time::Duration::ZERO,
        ..roster_emulator::Setup::default()
    }
    .with_knobs(knobs);
    let lucca = LocalLucca::start_with(setup).await.unwrap();

    let started = std::time::Instant::now();
    let stalled = roster(
        Some(&lucca),
        &["office", "import", GOOD, "--max-wait", "2s"],
    )
    .await;
    let took = started.elapsed();

    let stderr = text(&stalled.stderr);
    assert_eq!(stalled.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("progress stayed at 50 %"), "{stderr}");
    assert!(stderr.contains("nothing was created"), "{stderr}");
    // Bounded by the flag, not by the default 5 minutes without progress.
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
}

/// Exit codes follow the cause: a creation refused with `429` (nothing
/// done, safe to run again) exits 4; Docutools credentials the token
/// endpoint refuses are configuration, exit 2.
#[tokio::test]
async fn exit_codes_follow_the_cause() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.faults().inject(
        Route::Create,
        Fault::Status {
            status: 429,
            retry_after: None,
        },
    );
    let create = roster(Some(&lucca), &CREATE_WITHOUT_JOURNAL).await;
    let stderr = text(&create.stderr);
    assert_eq!(create.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("safe to run again"), "{stderr}");
    assert_eq!(lucca.imports_applied(), 0);

    let docutools = LocalDocutools::start().await.unwrap();
    let setup = docutools.setup();
    let account = &setup.accounts[0];
    let wrong = "not-the-client-secret".to_owned();
    let refused = run(
        &[
            ("DOCUTOOLS_HOST", docutools.base_url()),
            ("DOCUTOOLS_CLIENT_ID", setup.client_id.clone()),
            ("DOCUTOOLS_CLIENT_SECRET", wrong.clone()),
            ("DOCUTOOLS_USERNAME", account.username.clone()),
            ("DOCUTOOLS_PASSWORD", account.password.clone()),
        ],
        &[wrong, account.password.clone()],
        &DOCUTOOLS_IMPORT,
    )
    .await;
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check the credentials"), "{stderr}");
    assert!(docutools.uploads().is_empty());

    // An import id the tenant does not have (404): refused, not transient.
    let unknown = roster(
        Some(&lucca),
        &["office", "status", "0b7d2f1e-8a4c-4c3e-9d5a-6f1b2c3d4e5f"],
    )
    .await;
    let stderr = text(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no import 0b7d2f1e"), "{stderr}");

    // A host that refuses the connection: nothing sent, check the host.
    let at_host = async |host: String, args: &[&str]| {
        let env = [
            ("LUCCA_HOST", host),
            ("LUCCA_API_KEY", "local-key".to_owned()),
        ];
        run(&env, &[], args).await
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // So does a host whose name does not resolve.
    for host in [
        format!("http://127.0.0.1:{closed}"),
        "https://roster-nowhere.invalid".to_owned(),
    ] {
        let unreachable = at_host(host, &["office", "work-locations", "--timeout", "5s"]).await;
        let stderr = text(&unreachable.stderr);
        assert_eq!(unreachable.status.code(), Some(4), "{stderr}");
        assert!(stderr.contains("check the host"), "{stderr}");
    }
    // And a host that never takes the connection (its queue is full):
    // `--connect-timeout` bounds each try, not the default 10 s.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let full = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    let _queued = std::net::TcpStream::connect(full).unwrap();
    let started = std::time::Instant::now();
    let silent = at_host(
        format!("http://{full}"),
        &["office", "work-locations", "--connect-timeout", "1s"],
    )
    .await;
    let stderr = text(&silent.stderr);
    assert_eq!(silent.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("nothing was sent: check the host"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(9),
        "{stderr}"
    );
    drop(listener);
    // A read with no answer in time changed nothing, and says so.
    lucca.faults().inject(
        Route::Lists,
        Fault::Delay(std::time::Duration::from_secs(30)),
    );
    let slow_read = roster(
        Some(&lucca),
        &["office", "work-locations", "--timeout", "1s"],
    )
    .await;
    let stderr = text(&slow_read.stderr);
    assert_eq!(slow_read.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("a read: nothing was changed"), "{stderr}");
    assert!(!stderr.contains("may have acted"), "{stderr}");

    // An update (idempotent) with no answer in time: 4, safe to run again.
    lucca.set_rate_limit(None);
    lucca.faults().inject(
        Route::UserById,
        Fault::Delay(std::time::Duration::from_secs(30)),
    );
    let export = file("timeout.csv", "login,jobTitle\njdupont,Lead\n");
    let timed_out = roster(
        Some(&lucca),
        &[
            "users",
            "sync",
            &export,
            "--apply",
            "--yes",
            "--timeout",
            "1s",
        ],
    )
    .await;
    let stderr = text(&timed_out.stderr);
    assert_eq!(timed_out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("safe to run the same command again"),
        "{stderr}"
    );
}

/// `roster serve` as a fault lab: a fault given as a flag reaches the next
/// request of its route, and the counters are written when it stops.
#[cfg(unix)]
#[tokio::test]
async fn serve_takes_faults_and_reports_its_counters() {
    at_root();
    let dir = fresh_dir("lab");
    let (env_file, counters) = (dir.join("env"), dir.join("counters.json"));
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .args(["--rate-limit", "50/60s", "--import-duration", "0s"])
        .args(["--fault", "create=status:503*1"])
        .arg("--env-file")
        .arg(&env_file)
        .arg("--counters")
        .arg(&counters)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Ready once it wrote its variables (a state, polled).
    until(&mut server, "the servers listen", async || {
        env_file.is_file()
    })
    .await;
    let variables = std::fs::read_to_string(&env_file).unwrap();
    let env: Vec<(&'static str, String)> = variables
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter_map(|(name, value)| {
            let name: &'static str = match name {
                "LUCCA_HOST" => "LUCCA_HOST",
                "LUCCA_API_KEY" => "LUCCA_API_KEY",
                _ => return None,
            };
            Some((name, value.to_owned()))
        })
        .collect();
    let key = env[1].1.clone();

    let create = run(&env, std::slice::from_ref(&key), &CREATE_WITHOUT_JOURNAL).await;
    assert_ne!(
        create.status.code(),
        Some(0),
        "the 503 fault reached the creation"
    );

    // SIGTERM: the counters are written as it stops.
    let stopped = std::process::Command::new("kill")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(stopped.success());
    server.wait().unwrap();
    let counters: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&counters).unwrap()).unwrap();
    assert_eq!(counters["importsApplied"], 0, "{counters}");
    assert!(
        counters["requestsByOperation"]
            .as_object()
            .unwrap()
            .keys()
            .any(|operation| operation.starts_with("POST ")),
        "{counters}"
    );
    assert!(
        counters["mostInAnyWindow"].as_u64().unwrap() >= 2,
        "{counters}"
    );
}

/// An export keyed by employee number with a new hire, the defaults in a
/// file. Without `--yes` and no terminal, nothing is sent. With it, the
/// creation's answer is lost: the login is read back, so the new hire is
/// reported created; the same command again creates nobody. A plan with a
/// refused cell is applied only with `--allow-partial`.
#[tokio::test]
async fn users_sync_creates_a_new_hire_once_though_its_answer_is_lost() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let export = file(
        "hires.csv",
        "employeeNumber;login;firstName;lastName;mail;department;establishment;dtContractStart;manager\n\
         000416;jdupont;Jean;Dupont;jdupont@example.test;Direction;Paris;2020-01-01;\n\
         007001;newhire;New;Hire;newhire@example.test;Sales;Nantes;2027-01-04;000416\n",
    );
    let defaults = file(
        "defaults.txt",
        "# every new hire\nrolePrincipalId=55\ncultureID=1036\ncalendarId=1\nhabilitedRoles=59\nbirthDate=\n",
    );
    let sync = |yes: bool| {
        let mut args = vec![
            "users",
            "sync",
            export.as_str(),
            "--key",
            "employeeNumber",
            "--apply",
            "--create-missing",
            "--defaults",
            defaults.as_str(),
        ];
        if yes {
            args.push("--yes");
        }
        args
    };

    let unasked = roster(Some(&lucca), &sync(false)).await;
    assert_eq!(unasked.status.code(), Some(2), "{}", text(&unasked.stderr));
    assert!(
        text(&unasked.stdout).contains("007001: new hire"),
        "the plan first"
    );
    assert!(lucca.created_users().is_empty(), "nothing sent");

    lucca
        .faults()
        .inject(Route::UserCreation, Fault::DropAfterHandling);
    let lost = roster(Some(&lucca), &sync(true)).await;
    let stdout = text(&lost.stdout);
    assert_eq!(
        lost.status.code(),
        Some(0),
        "{}{stdout}",
        text(&lost.stderr)
    );
    assert!(
        stdout.contains("created (its answer was lost; read back)"),
        "{stdout}"
    );
    assert!(stdout.contains("summary: 1 created, 0 updated"), "{stdout}");
    let again = roster(Some(&lucca), &sync(true)).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(lucca.created_users().len(), 1, "created once");

    // A refused cell: the rest is applied only with --allow-partial.
    let partial = file(
        "partial.csv",
        "login,jobTitle,manager\njdupont,Lead,\nmlefevre,Lead,ghost\n",
    );
    let args = ["users", "sync", partial.as_str(), "--apply", "--yes"];
    let refused = roster(Some(&lucca), &args).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("--allow-partial"));
    assert!(lucca.received_updates().is_empty(), "nothing written");
    let mut allowed = args.to_vec();
    allowed.push("--allow-partial");
    let applied = roster(Some(&lucca), &allowed).await;
    assert_eq!(
        applied.status.code(),
        Some(1),
        "the refused cell is still said"
    );
    assert_eq!(
        lucca.received_updates().len(),
        2,
        "jdupont, and mlefevre's title"
    );
}

/// Ctrl-C during an apply: sending stops, what was in flight ends, and the
/// output lists what was written and what was not sent; exit 130.
#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_during_a_sync_apply_stops_sending_and_lists_what_was_written() {
    at_root();
    let setup = roster_emulator::Setup {
        employees: Vec::new(),
        ..roster_emulator::Setup::default()
    }
    .with_generated_employees(12);
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    lucca.set_rate_limit(None);
    lucca.faults().inject_n(
        Route::UserById,
        Fault::Delay(std::time::Duration::from_secs(2)),
        100,
    );
    let rows: String = (0..12)
        .map(|index| format!("user{index:04},Title\n"))
        .collect();
    let export = file("titles.csv", &format!("login,jobTitle\n{rows}"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["users", "sync", &export, "--apply", "--yes"])
        .env_remove("ROSTER_REDIS_URL")
        .envs(lucca.env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    until(&mut child, "the server has an update", async || {
        lucca.requests_of("PUT /api/v3/users/{id}") > 0
    })
    .await;
    let output = interrupt(child).await;
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}{stdout}",
        text(&output.stderr)
    );
    let written = lucca.received_updates().len();
    assert!(written < 12, "stopped sending: {written} written");
    assert!(stdout.contains("not sent: stopped"), "{stdout}");
    assert!(
        stdout.contains(&format!("summary: 0 created, {written} updated")),
        "{stdout}"
    );
}

/// `users sync --plan-out FILE` saves the plan (readable by its owner
/// only); `users apply FILE --yes` applies it as it is, refusing a user
/// changed in Lucca since (exit 1), the rest written.
#[tokio::test]
async fn a_saved_plan_is_applied_as_it_is_and_refuses_a_user_changed_since() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let export = file("saved.csv", "login,jobTitle\njdupont,Lead\nmlefevre,Lead\n");
    let plan = fresh_dir("plan").join("plan.json");
    let plan_arg = plan.display().to_string();
    let saved = roster(
        Some(&lucca),
        &["users", "sync", &export, "--plan-out", &plan_arg],
    )
    .await;
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&plan).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the plan holds people's data: {mode:o}");
    assert!(lucca.received_updates().is_empty(), "planned only");

    // Someone edits mlefevre meanwhile.
    let directory: roster::directory::Client =
        roster::LuccaConfig::new(&lucca.base_url(), roster::LuccaApiKey::new(lucca.api_key()))
            .unwrap()
            .with_rate_limit(None)
            .client()
            .unwrap();
    directory
        .update_user(417, roster::directory::UserPatch::new().job_title("CTO"))
        .send()
        .await
        .unwrap();
    let applied = roster(Some(&lucca), &["users", "apply", &plan_arg, "--yes"]).await;
    let stdout = text(&applied.stdout);
    assert_eq!(
        applied.status.code(),
        Some(1),
        "{}{stdout}",
        text(&applied.stderr)
    );
    assert!(stdout.contains("changed while being updated"), "{stdout}");
    let person = |id| lucca.person(id).unwrap()["jobTitle"].clone();
    assert_eq!(person(416), "Lead");
    assert_eq!(person(417), "CTO", "not overwritten");
}

/// French Excel's "CSV (séparateur: point-virgule)" is Windows-1252
/// without a BOM: `office import` and `users sync` read it (`--encoding
/// auto`, said on standard error), and the accented names reach the server
/// intact; a file mixing UTF-8 with other bytes is refused with where.
#[tokio::test]
async fn windows_1252_exports_are_read_and_their_names_reach_the_server_intact() {
    at_root();
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let dir = fresh_dir("excel");
    // Windows-1252: é is 0xE9, è is 0xE8.
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let office = write(
        "locations.csv",
        b"login;workLocationName;areaName;date;position;comment;isDeletion\n\
          jdupont;Paris;;2025-10-06;FullDay;R\xE9union d'\xE9quipe;false\n",
    );
    let simulated = roster(Some(&lucca), &["office", "import", &office]).await;
    assert_eq!(
        simulated.status.code(),
        Some(0),
        "{}",
        text(&simulated.stderr)
    );
    assert!(text(&simulated.stderr).contains("read as Windows-1252"));
    let received = lucca.received_imports();
    assert_eq!(received[0].rows[0].comment, "Réunion d'équipe");

    let users = write("users.csv", b"login;lastName\nmlefevre;Lef\xE8vre\n");
    let synced = roster(Some(&lucca), &["users", "sync", &users, "--apply", "--yes"]).await;
    assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    assert_eq!(
        lucca.received_updates(),
        vec![(417, serde_json::json!({ "lastName": "Lefèvre" }))]
    );

    let mixed = dir.join("mixed.csv");
    std::fs::write(
        &mixed,
        b"login;lastName\nmlefevre;Lef\xC3\xA8vre\njdupont;Andr\xE9\n",
    )
    .unwrap();
    let mixed = mixed.display().to_string();
    let refused = roster(Some(&lucca), &["users", "sync", &mixed]).await;
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mixed.csv:3:13: the byte 0xE9"), "{stderr}");
    let office_mixed = roster(Some(&lucca), &["office", "import", &mixed]).await;
    let stderr = text(&office_mixed.stderr);
    assert_eq!(office_mixed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(":3:13:"), "{stderr}");
}
