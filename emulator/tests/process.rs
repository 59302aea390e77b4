//! `roster-emulator` as a process, started as the README shows: the four
//! variables on standard output and in `--env-file`, the profile and the
//! seeded users in effect.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn variables(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_process_prints_and_writes_its_variables_and_plays_its_profile() {
    let env_file = std::env::temp_dir().join(format!("roster-emulator-{}.env", std::process::id()));
    let _ = std::fs::remove_file(&env_file);
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_roster-emulator"))
            .args([
                "--server-profile",
                "strict",
                "--seed-users",
                "3",
                "--env-file",
            ])
            .arg(&env_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = server.0.stdout.take().unwrap();
    // The four lines come once both servers listen.
    let printed: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(4)
        .map(Result::unwrap)
        .collect();
    let printed = variables(&printed.join("\n"));
    let names: Vec<&str> = printed.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "DOCUTOOLS_HOST",
            "DOCUTOOLS_TOKEN",
            "LUCCA_API_KEY",
            "LUCCA_HOST"
        ]
    );
    // The file was written before the lines were printed, whole.
    let written = variables(&std::fs::read_to_string(&env_file).unwrap());
    assert_eq!(written, printed);

    let http = reqwest::Client::new();
    let lucca = |path: &str| {
        http.get(format!("{}{path}", printed["LUCCA_HOST"]))
            .header(
                "authorization",
                format!("lucca application={}", printed["LUCCA_API_KEY"]),
            )
            .timeout(Duration::from_secs(10))
    };
    let users: serde_json::Value = lucca("/api/v3/users?fields=id,collection.count")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        users["data"]["count"],
        4 + 3,
        "the default four and three seeded"
    );
    let refused = lucca("/work-locations/public/api/work-locations")
        .header("api-version", "2024-11-01")
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        400,
        "the strict profile refuses an undocumented header"
    );
    let upload = http
        .post(format!(
            "{}/api/v2/users/imports/files",
            printed["DOCUTOOLS_HOST"]
        ))
        .bearer_auth(&printed["DOCUTOOLS_TOKEN"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        upload.status(),
        400,
        "the token is live: the request is judged, not refused with 401"
    );
    drop(server);
    let _ = std::fs::remove_file(&env_file);
}
