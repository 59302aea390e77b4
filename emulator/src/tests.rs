//! One test per knob: the server's default answer has the form of the
//! documented example it stands for, and with the knob turned (on the same
//! server, between two requests) it has the variant's form and nothing else
//! changed.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::*;

/// The example of the results page (seed `001`), its error line.
const DOCUMENTED_ERROR_LINE: &str = r#"{"line": {"login": "jsmith", "firstname": "John",
    "lastname": "Smith", "worklocationName": "Paris", "areaName": "B1", "date": "2025-09-20",
    "position": "FullDay", "comment": "", "isDeletion": false}, "lineNumber": 3,
    "error": "User doesn't exist"}"#;
/// A user location as the published page renders it (its `createdAt`
/// carries a zone; `Zone::Utc` plays it).
const DOCUMENTED_USER_LOCATION: &str = r#"{"id": 1, "ownerId": 416, "workLocationId": 1,
    "date": "2023-12-25", "position": "FullDay", "status": "Confirmed", "areaId": null,
    "createdAt": "2023-11-07T05:31:56Z", "deletedAt": null}"#;
/// An area and a floor as the published page renders them.
const DOCUMENTED_AREA: &str = r#"{"id": 10, "name": "<string>", "capacity": 30, "floorKey": 123}"#;
/// The user of the `PUT /api/v3/users/{id}` reference page (seed `002`), in part.
const DOCUMENTED_USER: &str = r#"{"data": {"id": 416, "modifiedAt": "2015-09-07T10:20:06.583",
    "dtContractStart": "2014-09-01T00:00:00", "cultureID": 1036,
    "userWorkCycles": [{"id": 288, "ownerID": 416, "workCycleID": 6,
    "startsOn": "1900-01-01T00:00:00", "endsOn": "2015-03-09T00:00:00"}]}}"#;

fn documented(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The form of a text: every digit a `9` (`2023-11-07T05:31:56Z` →
/// `9999-99-99T99:99:99Z`).
fn form(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not text: {value}"));
    text.chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect()
}

/// Every key of `documented` is in `answered`, with a value of the same
/// JSON kind (or `null` on either side), recursively.
fn assert_like(documented: &Value, answered: &Value, at: &str) {
    match (documented, answered) {
        (Value::Object(expected), Value::Object(got)) => {
            for (key, value) in expected {
                let inner = got
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key} is missing from {answered}"));
                assert_like(value, inner, &format!("{at}.{key}"));
            }
        }
        (Value::Array(expected), Value::Array(got)) => {
            if let (Some(expected), Some(got)) = (expected.first(), got.first()) {
                assert_like(expected, got, &format!("{at}[0]"));
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (expected, got) => assert_eq!(
            std::mem::discriminant(expected),
            std::mem::discriminant(got),
            "{at}: {got} is not of the kind of {expected}"
        ),
    }
}

fn location() -> StoredLocation {
    StoredLocation {
        id: 9001,
        owner_id: 416,
        work_location_id: 1,
        area_id: None,
        date: NaiveDate::from_ymd_opt(2023, 12, 25).unwrap(),
        position: DayPart::FullDay,
        created_at: NaiveDateTime::parse_from_str("2023-11-07T05:31:56.25", "%Y-%m-%dT%H:%M:%S%.f")
            .unwrap(),
    }
}

struct Lucca {
    server: LocalLucca,
    http: reqwest::Client,
}

impl Lucca {
    async fn start() -> Self {
        let setup = Setup {
            import_duration: Duration::ZERO,
            user_locations: vec![location()],
            ..Setup::default()
        };
        Self {
            server: LocalLucca::start_with(setup).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    fn turn(&self, change: impl FnOnce(&mut Knobs)) {
        let mut knobs = self.server.knobs();
        change(&mut knobs);
        self.server.set_knobs(knobs);
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.server.base_url()))
            .header(
                "authorization",
                format!("lucca application={}", self.server.api_key()),
            )
    }

    async fn get(&self, path: &str) -> Value {
        let answer = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "GET {path}");
        answer.json().await.unwrap()
    }

    async fn status(&self, path: &str) -> StatusCode {
        let answer = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        answer.status()
    }

    /// Posts an import of `rows` (after the documented header).
    async fn import(&self, rows: &str, create: bool) -> reqwest::Response {
        let file = format!(
            "\u{feff}login;workLocationName;areaName;date;position;comment;isDeletion\n{rows}"
        );
        let part = Part::bytes(file.into_bytes())
            .file_name("office-import.csv")
            .mime_str("text/csv")
            .unwrap();
        self.request(
            reqwest::Method::POST,
            "/work-locations/public/api/imports/user-locations",
        )
        .query(&[("create", create), ("overrideUserLocations", false)])
        .multipart(Form::new().part("files", part))
        .send()
        .await
        .unwrap()
    }

    /// A simulation of `rows`, run to its end; its summary id.
    async fn simulated(&self, rows: &str) -> String {
        let answer: Value = self.import(rows, false).await.json().await.unwrap();
        let id = answer["summaryId"].as_str().unwrap().to_owned();
        let progress =
            format!("/work-locations/public/api/imports/user-locations/progress?summaryId={id}");
        for _ in 0..1000 {
            if self.get(&progress).await["progress"] == 100 {
                return id;
            }
            tokio::task::yield_now().await;
        }
        panic!("the simulation never finished");
    }

    async fn analysis(&self, id: &str) -> Value {
        self.get(&format!(
            "/work-locations/public/api/imports/user-locations/analysis?summaryId={id}"
        ))
        .await
    }
}

const USER_LOCATION: &str = "/work-locations/public/api/user-locations/9001";
const WORK_LOCATIONS: &str = "/work-locations/public/api/work-locations";
const USER: &str = "/api/v3/users/416?fields=id,modifiedAt,dtContractStart,cultureID,userWorkCycles,habilitedRoles,allowsElectronicPayslip,gender";

#[tokio::test]
async fn zone_documented_utc_none_and_offset() {
    let lucca = Lucca::start().await;
    let office = documented(DOCUMENTED_USER_LOCATION);
    let answered = lucca.get(USER_LOCATION).await;
    assert_like(&office, &answered, "userLocation");
    assert_eq!(form(&answered["createdAt"]), "9999-99-99T99:99:99");
    let user = documented(DOCUMENTED_USER);
    let answered = lucca.get(USER).await;
    assert_like(&user, &answered, "user");
    assert_eq!(
        form(&answered["data"]["dtContractStart"]),
        form(&user["data"]["dtContractStart"])
    );

    lucca.turn(|knobs| knobs.zone = Zone::Utc);
    let zoned = lucca.get(USER_LOCATION).await;
    assert_eq!(form(&zoned["createdAt"]), form(&office["createdAt"]));
    assert_eq!(
        form(&lucca.get(USER).await["data"]["dtContractStart"]),
        "9999-99-99T99:99:99Z"
    );
    lucca.turn(|knobs| knobs.zone = Zone::None);
    assert_eq!(
        form(&lucca.get(USER_LOCATION).await["createdAt"]),
        "9999-99-99T99:99:99"
    );
    lucca.turn(|knobs| knobs.zone = Zone::Offset(120));
    let shifted = lucca.get(USER_LOCATION).await;
    assert_eq!(shifted["createdAt"], "2023-11-07T07:31:56+02:00");
    lucca.turn(|knobs| knobs.zone = Zone::Offset(-90));
    assert_eq!(
        lucca.get(USER_LOCATION).await["createdAt"],
        "2023-11-07T04:01:56-01:30"
    );
}

#[tokio::test]
async fn fraction_documented_never_millis_and_ticks() {
    let lucca = Lucca::start().await;
    let user = documented(DOCUMENTED_USER);
    let answered = lucca.get(USER).await;
    assert_eq!(
        form(&answered["data"]["modifiedAt"]),
        form(&user["data"]["modifiedAt"])
    );
    assert_eq!(
        lucca.get(USER_LOCATION).await["createdAt"],
        "2023-11-07T05:31:56"
    );

    lucca.turn(|knobs| knobs.fraction = Fraction::Never);
    assert_eq!(
        form(&lucca.get(USER).await["data"]["modifiedAt"]),
        "9999-99-99T99:99:99"
    );
    lucca.turn(|knobs| knobs.fraction = Fraction::Millis);
    assert_eq!(
        lucca.get(USER_LOCATION).await["createdAt"],
        "2023-11-07T05:31:56.250"
    );
    lucca.turn(|knobs| knobs.fraction = Fraction::Ticks);
    assert_eq!(
        lucca.get(USER_LOCATION).await["createdAt"],
        "2023-11-07T05:31:56.2500000"
    );
}

#[tokio::test]
async fn nulls_for_empty_lists_false_and_empty_text() {
    let lucca = Lucca::start().await;
    let id = lucca
        .simulated("nobody;Paris;;2025-09-20;FullDay;;false\n")
        .await;
    let before = lucca.analysis(&id).await;
    let line = documented(DOCUMENTED_ERROR_LINE);
    assert_like(&line, &before["errorLines"][0], "errorLines[0]");
    assert_eq!(before["errorLines"][0]["line"]["comment"], "");
    assert_eq!(
        before["validUserLocationsToCreateSummary"]["descriptions"],
        json!([])
    );

    lucca.turn(|knobs| knobs.nulls_for_empty = true);
    let after = lucca.analysis(&id).await;
    let nulled = &after["errorLines"][0]["line"];
    for key in ["comment", "areaName", "isDeletion"] {
        assert_eq!(nulled.get(key), Some(&Value::Null), "{key}");
    }
    assert_eq!(
        after["validUserLocationsToCreateSummary"].get("descriptions"),
        Some(&Value::Null)
    );
    assert_eq!(after.get("warningLines"), Some(&Value::Null));
    assert_eq!(nulled["login"], before["errorLines"][0]["line"]["login"]);
    assert_eq!(after["errorLines"][0]["lineNumber"], 2);
}

#[tokio::test]
async fn echoed_dates_dashes_slashes_midnight_and_as_sent() {
    let lucca = Lucca::start().await;
    let id = lucca
        .simulated(
            "nobody;Paris;;2025/09/20;FullDay;;false\nnobody;Paris;;20/09/2025;FullDay;;false\n",
        )
        .await;
    let line = documented(DOCUMENTED_ERROR_LINE);
    let date_of = |analysis: &Value, at: usize| analysis["errorLines"][at]["line"]["date"].clone();
    let answered = lucca.analysis(&id).await;
    assert_eq!(date_of(&answered, 0), line["line"]["date"]);
    assert_eq!(
        date_of(&answered, 1),
        Value::Null,
        "a date that did not parse is left out"
    );

    lucca.turn(|knobs| knobs.echoed_dates = EchoedDate::Slashes);
    assert_eq!(date_of(&lucca.analysis(&id).await, 0), "2025/09/20");
    lucca.turn(|knobs| knobs.echoed_dates = EchoedDate::Midnight);
    assert_eq!(
        date_of(&lucca.analysis(&id).await, 0),
        "2025-09-20T00:00:00"
    );
    lucca.turn(|knobs| knobs.echoed_dates = EchoedDate::AsSent);
    let raw = lucca.analysis(&id).await;
    assert_eq!(
        (date_of(&raw, 0), date_of(&raw, 1)),
        (json!("2025/09/20"), json!("20/09/2025"))
    );
}

#[tokio::test]
async fn line_numbers_count_the_file_s_lines_or_the_data_rows() {
    let lucca = Lucca::start().await;
    let id = lucca
        .simulated(
            "nobody;Paris;;2025/09/20;FullDay;;false\nghost;Paris;;2025/09/20;FullDay;;false\n",
        )
        .await;
    let numbers = |analysis: &Value| {
        (
            analysis["errorLines"][0]["lineNumber"].clone(),
            analysis["errorLines"][1]["lineNumber"].clone(),
        )
    };
    assert_eq!(
        numbers(&lucca.analysis(&id).await),
        (json!(2), json!(3)),
        "header = line 1"
    );
    lucca.turn(|knobs| knobs.line_numbers = LineNumbers::DataRow);
    assert_eq!(
        numbers(&lucca.analysis(&id).await),
        (json!(1), json!(2)),
        "first row = 1"
    );
}

#[tokio::test]
async fn floors_with_integer_keys_or_none() {
    let lucca = Lucca::start().await;
    let area = documented(DOCUMENTED_AREA);
    let answered = lucca.get(WORK_LOCATIONS).await;
    let paris = &answered["items"][0]["office"];
    assert_like(&area, &paris["areas"][0], "areas[0]");
    assert!(paris["areas"][0]["floorKey"].is_i64());
    assert_eq!(paris["areas"][0]["floorKey"], paris["floors"][0]["key"]);

    lucca.turn(|knobs| knobs.floors = false);
    let answered = lucca.get(WORK_LOCATIONS).await;
    let paris = &answered["items"][0]["office"];
    assert_eq!(paris["areas"][0]["floorKey"], Value::Null);
    assert_eq!(paris["floors"], json!([]));
}

#[tokio::test]
async fn id_casing_documented_and_camel_case() {
    let lucca = Lucca::start().await;
    let user = documented(DOCUMENTED_USER);
    let answered = lucca.get(USER).await;
    assert_like(&user, &answered, "user");

    lucca.turn(|knobs| knobs.id_casing = IdCasing::CamelCase);
    let camel = lucca.get(USER).await;
    let data = &camel["data"];
    assert_eq!(data["cultureId"], answered["data"]["cultureID"]);
    assert_eq!(data.get("cultureID"), None);
    let cycle = &data["userWorkCycles"][0];
    assert_eq!(
        (cycle["ownerId"].clone(), cycle["workCycleId"].clone()),
        (json!(416), json!(9))
    );
    let asked = lucca.get("/api/v3/users/416?fields=cultureId").await;
    assert_eq!(
        asked["data"]["cultureId"], 1036,
        "it reads its own casing in `fields`"
    );
    let put = lucca
        .request(reqwest::Method::PUT, "/api/v3/users/416")
        .json(&json!({ "cultureId": 1033 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(lucca.get(USER).await["data"]["cultureId"], 1033);
}

#[tokio::test]
async fn envelope_data_and_bare() {
    let lucca = Lucca::start().await;
    let enveloped = lucca.get(USER).await;
    assert_like(&documented(DOCUMENTED_USER), &enveloped, "user");
    let listed = lucca.get("/api/v3/users?fields=id,collection.count").await;
    assert!(listed["data"]["items"].is_array());

    lucca.turn(|knobs| knobs.envelope = Envelope::Bare);
    assert_eq!(lucca.get(USER).await, enveloped["data"]);
    let bare = lucca.get("/api/v3/users?fields=id,collection.count").await;
    assert_eq!(bare, listed["data"]);
}

#[tokio::test]
async fn office_paging_bound_newer_and_older() {
    let lucca = Lucca::start().await;
    assert_eq!(
        lucca
            .status(&format!("{WORK_LOCATIONS}?page=1&limit=1000"))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        lucca
            .status(&format!("{WORK_LOCATIONS}?page=1&limit=1001"))
            .await,
        StatusCode::BAD_REQUEST
    );

    lucca.turn(|knobs| knobs.office_max_limit = 10);
    assert_eq!(
        lucca
            .status(&format!("{WORK_LOCATIONS}?page=1&limit=11"))
            .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        lucca
            .status(&format!("{WORK_LOCATIONS}?page=1&limit=10"))
            .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn office_count_only_when_fields_root_asks() {
    let lucca = Lucca::start().await;
    let plain = lucca.get(WORK_LOCATIONS).await;
    assert_eq!(plain.get("count"), None);
    let counted = lucca
        .get(&format!("{WORK_LOCATIONS}?fields.root=count"))
        .await;
    assert_eq!(counted["count"], 3);
    assert_eq!(counted["items"], plain["items"]);
}

#[tokio::test]
async fn unknown_fields_in_every_object() {
    let lucca = Lucca::start().await;
    let plain = lucca.get(USER).await;
    assert!(!plain.to_string().contains(UNKNOWN_FIELD));

    lucca.turn(|knobs| knobs.unknown_fields = true);
    let answered = lucca.get(USER).await;
    assert!(answered[UNKNOWN_FIELD].is_string());
    assert!(answered["data"][UNKNOWN_FIELD].is_string());
    assert!(answered["data"]["userWorkCycles"][0][UNKNOWN_FIELD].is_string());
    let places = lucca.get(WORK_LOCATIONS).await;
    assert!(places["items"][0]["office"]["areas"][0][UNKNOWN_FIELD].is_string());
    assert_like(&documented(DOCUMENTED_USER), &answered, "user");
}

#[tokio::test]
async fn unknown_enum_values() {
    let lucca = Lucca::start().await;
    let types = |places: &Value| -> Vec<Value> {
        places["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|place| place["type"].clone())
            .collect()
    };
    assert_eq!(
        types(&lucca.get(WORK_LOCATIONS).await),
        [json!("Office"), json!("Office"), json!("RemoteWork")]
    );
    assert_eq!(lucca.get(USER_LOCATION).await["status"], "Confirmed");

    lucca.turn(|knobs| knobs.unknown_enum_values = true);
    assert!(types(&lucca.get(WORK_LOCATIONS).await).contains(&json!("Travel")));
    assert_eq!(lucca.get(USER_LOCATION).await["status"], "Planned");
    assert_eq!(lucca.get(USER).await["data"]["gender"], "NonBinary");
}

#[tokio::test]
async fn put_bodies_partial_and_whole() {
    let lucca = Lucca::start().await;
    let put = |body: Value| {
        lucca
            .request(reqwest::Method::PUT, "/api/v3/users/417")
            .json(&body)
            .send()
    };
    // The users guide's body.
    assert_eq!(
        put(json!({ "lastName": "Smith" })).await.unwrap().status(),
        StatusCode::OK
    );

    lucca.turn(|knobs| knobs.put_bodies = PutBodies::Whole);
    let refused = put(json!({ "lastName": "Smith" })).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let message = refused.text().await.unwrap();
    assert!(
        message.contains("`habilitedRoles`") && message.contains("`cultureID`"),
        "{message}"
    );
    // The reference page's body, every required field in it.
    let whole = json!({
        "firstName": "John", "lastName": "Doe", "mail": "jdoe@corp.com", "login": "jdoe",
        "legalEntityId": 1, "dtContractStart": "2025-01-01T00:00:00", "calendarId": null,
        "employeeNumber": "000000452", "birthDate": "1989-12-22T00:00:00", "departmentId": 14,
        "managerId": 455, "rolePrincipalId": 55, "habilitedRoles": [{ "id": 59 }], "cultureID": 1040,
    });
    assert_eq!(put(whole).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn import_fates_complete_fail_never_start_and_stall() {
    let lucca = Lucca::start().await;
    let row = "jdupont;Paris;;2025-09-20;FullDay;;false\n";
    let id = lucca.simulated(row).await;
    assert!(lucca.analysis(&id).await["validUserLocationsToCreateSummary"]["count"] == 1);

    let progress_of = |id: &str| {
        format!("/work-locations/public/api/imports/user-locations/progress?summaryId={id}")
    };
    lucca.turn(|knobs| knobs.import_fate = ImportFate::OutcomeFails(500));
    let failed = lucca.simulated(row).await;
    assert_eq!(
        lucca
            .status(&format!(
                "/work-locations/public/api/imports/user-locations/analysis?summaryId={failed}"
            ))
            .await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    for (fate, expected) in [
        (ImportFate::NeverStarts, 0),
        (ImportFate::StallsAt(40), 40),
        (ImportFate::StallsAt(150), 150),
        (ImportFate::StallsAt(-1), -1),
    ] {
        lucca.turn(|knobs| knobs.import_fate = fate);
        let started: Value = lucca.import(row, false).await.json().await.unwrap();
        let id = started["summaryId"].as_str().unwrap();
        for _ in 0..3 {
            tokio::task::yield_now().await;
            assert_eq!(
                lucca.get(&progress_of(id)).await["progress"],
                expected,
                "{fate:?}"
            );
        }
        assert_eq!(
            lucca
                .status(&format!(
                    "/work-locations/public/api/imports/user-locations/analysis?summaryId={id}"
                ))
                .await,
            StatusCode::CONFLICT,
            "{fate:?}: no analysis ever"
        );
    }
}

#[tokio::test]
async fn a_creation_answer_cut_mid_body_after_the_import_was_accepted() {
    let lucca = Lucca::start().await;
    lucca.turn(|knobs| knobs.cut_creation_answer = true);
    let simulation = lucca
        .import("jdupont;Paris;;2025-09-20;FullDay;;false\n", false)
        .await;
    assert!(
        simulation.json::<Value>().await.is_ok(),
        "simulations are not cut"
    );

    let creation = lucca
        .import("jdupont;Paris;;2025-09-20;FullDay;;false\n", true)
        .await;
    assert_eq!(creation.status(), StatusCode::OK);
    assert!(creation.bytes().await.is_err(), "the body is cut");
    let received = lucca.server.received_imports();
    assert_eq!((received.len(), received[1].create), (2, true));
    // The creation runs (its duration is zero) and is applied.
    for _ in 0..1000 {
        if lucca.server.imports_applied() == 1 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the cut creation was never applied");
}

#[tokio::test]
async fn undocumented_headers_ignored_or_refused() {
    let lucca = Lucca::start().await;
    let with_version = || {
        lucca
            .request(reqwest::Method::GET, WORK_LOCATIONS)
            .header("api-version", "2024-11-01")
            .send()
    };
    assert_eq!(with_version().await.unwrap().status(), StatusCode::OK);

    lucca.turn(|knobs| knobs.headers = Headers::Refused);
    assert_eq!(
        with_version().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        lucca.status(WORK_LOCATIONS).await,
        StatusCode::OK,
        "documented headers pass"
    );
}

/// A Docutools server, a client and a live token.
async fn docutools() -> (LocalDocutools, reqwest::Client, String) {
    let server = LocalDocutools::start().await.unwrap();
    let token = server.issue_token();
    (server, reqwest::Client::new(), token)
}

async fn upload(
    server: &LocalDocutools,
    http: &reqwest::Client,
    token: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name("users.csv")
        .mime_str("text/csv")
        .unwrap();
    http.post(format!("{}/api/v2/users/imports/files", server.base_url()))
        .bearer_auth(token)
        .query(&[("delimiter", ";")])
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn docutools_timestamps_rfc3339_local_and_epoch_millis() {
    let (server, http, token) = docutools().await;
    let saved_until = |answer: Value| answer["savedUntil"].clone();
    let csv = b"Email;Name\nada@example.test;Ada Lovelace\n".to_vec();
    let answered = saved_until(
        upload(&server, &http, &token, csv.clone())
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(form(&answered), "9999-99-99T99:99:99Z");

    for (timestamps, check) in [
        (
            Timestamps::LocalDateTime,
            (|value: &Value| form(value) == "9999-99-99T99:99:99") as fn(&Value) -> bool,
        ),
        (Timestamps::EpochMillis, |value: &Value| {
            value
                .as_i64()
                .is_some_and(|millis| millis > 1_700_000_000_000)
        }),
    ] {
        server.set_knobs(Knobs {
            timestamps,
            ..Knobs::default()
        });
        let answered = saved_until(
            upload(&server, &http, &token, csv.clone())
                .await
                .json()
                .await
                .unwrap(),
        );
        assert!(check(&answered), "{timestamps:?}: {answered}");
    }
}

#[tokio::test]
async fn docutools_upload_limit_decimal_and_binary_megabytes() {
    let (server, http, token) = docutools().await;
    let mut file = b"Email\n".to_vec();
    file.resize(DOCUTOOLS_LIMIT_DECIMAL + 1, b'a');
    let refused = upload(&server, &http, &token, file.clone()).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(refused.text().await.unwrap().contains("3.2MB"));
    let mut largest = file.clone();
    largest.truncate(DOCUTOOLS_LIMIT_DECIMAL);
    assert_eq!(
        upload(&server, &http, &token, largest).await.status(),
        StatusCode::OK
    );

    server.set_knobs(Knobs {
        docutools_max_file: DOCUTOOLS_LIMIT_BINARY,
        ..Knobs::default()
    });
    assert_eq!(
        upload(&server, &http, &token, file).await.status(),
        StatusCode::OK
    );
}

#[test]
fn profiles_are_named_and_documented_is_the_default() {
    assert_eq!(Profile::default().knobs(), Knobs::default());
    for profile in Profile::ALL {
        assert_eq!(profile.name().parse::<Profile>(), Ok(profile));
        if profile != Profile::Documented {
            assert_ne!(profile.knobs(), Knobs::default(), "{profile}");
        }
    }
    assert!("legacy".parse::<Profile>().is_err());
    assert_eq!(Profile::Strict.knobs().put_bodies, PutBodies::Whole);
    assert_eq!(Profile::Dotnet.knobs().echoed_dates, EchoedDate::Midnight);
    assert_eq!(Profile::Drifted.knobs().envelope, Envelope::Bare);
}

#[tokio::test]
async fn docutools_query_booleans_are_true_or_false() {
    let (server, http, token) = docutools().await;
    let csv = b"Email;Name\nada@example.test;Ada Lovelace\n".to_vec();
    let uploaded: Value = upload(&server, &http, &token, csv)
        .await
        .json()
        .await
        .unwrap();
    let import = |skip: &'static str| {
        http.post(format!(
            "{}/api/v2/users/imports/{}",
            server.base_url(),
            uploaded["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .query(&[("delimiter", ";"), ("skipFirstRow", skip)])
        .json(&json!({ "Email": "Email" }))
        .send()
    };
    assert_eq!(
        import("yes").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(server.imports_applied(), 0);
    let created: Value = import("true").await.unwrap().json().await.unwrap();
    assert_eq!(created.as_array().map(Vec::len), Some(1));
}

/// The ids of a v3 list answer.
fn ids(answer: &Value) -> Vec<i64> {
    answer["data"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {answer}"))
        .iter()
        .map(|user| user["id"].as_i64().unwrap())
        .collect()
}

const USERS: &str = "/api/v3/users?fields=id,login&orderBy=id,asc";

#[tokio::test]
async fn v3_header_beside_data_or_none() {
    let lucca = Lucca::start().await;
    let plain = lucca.get(USERS).await;
    assert_eq!(plain.get("header"), None);

    lucca.turn(|knobs| knobs.v3_header = true);
    let headed = lucca.get(USERS).await;
    assert!(headed["header"]["generated"].is_string(), "{headed}");
    assert_eq!(headed["data"], plain["data"]);
    let one = lucca.get(USER).await;
    assert!(
        one["header"].is_object() && one["data"]["id"] == 416,
        "{one}"
    );
}

#[tokio::test]
async fn count_asked_alone_with_or_without_items() {
    let lucca = Lucca::start().await;
    let path = "/api/v3/users?fields=collection.count";
    let both = lucca.get(path).await;
    assert_eq!(both["data"]["count"], 4);
    assert!(both["data"]["items"].is_array());

    lucca.turn(|knobs| knobs.count_alone = true);
    let alone = lucca.get(path).await;
    assert_eq!(alone["data"], json!({ "count": 4 }));
    let with_id = lucca.get("/api/v3/users?fields=id,collection.count").await;
    assert_eq!(ids(&with_id).len(), 4, "asked with a property, items come");
}

#[tokio::test]
async fn unknown_field_names_left_out_or_refused() {
    let lucca = Lucca::start().await;
    let path = "/api/v3/users?fields=id,noSuchField";
    assert_eq!(
        lucca.get(path).await["data"]["items"][0],
        json!({ "id": 416 })
    );

    lucca.turn(|knobs| knobs.unknown_fields_refused = true);
    assert_eq!(lucca.status(path).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        lucca
            .status("/api/v3/users?fields=id,e_noSuchExtension")
            .await,
        StatusCode::BAD_REQUEST
    );
    for known in [
        "id,e_costCenter",
        "id,cultureId,manager[id,name]",
        "collection.count",
    ] {
        assert_eq!(
            lucca.status(&format!("/api/v3/users?fields={known}")).await,
            StatusCode::OK,
            "{known}"
        );
    }
}

#[tokio::test]
async fn pages_served_as_asked_or_capped() {
    let lucca = Lucca::start().await;
    let path = format!("{USERS}&paging=0,1000");
    assert_eq!(ids(&lucca.get(&path).await), [416, 417, 418, 419]);

    lucca.turn(|knobs| knobs.page_cap = Some(3));
    assert_eq!(ids(&lucca.get(&path).await), [416, 417, 418]);
    assert_eq!(
        ids(&lucca.get(&format!("{USERS}&paging=3,1000")).await),
        [419]
    );
}

#[tokio::test]
async fn offset_honoured_or_ignored() {
    let lucca = Lucca::start().await;
    let path = format!("{USERS}&paging=2,2");
    assert_eq!(ids(&lucca.get(&path).await), [418, 419]);

    lucca.turn(|knobs| knobs.ignore_offset = true);
    assert_eq!(ids(&lucca.get(&path).await), [416, 417]);
}

#[tokio::test]
async fn heavy_pages_answer_408_past_a_row_bound() {
    let lucca = Lucca::start().await;
    let heavy = format!("{USERS}&paging=0,1000");
    assert_eq!(lucca.status(&heavy).await, StatusCode::OK);

    lucca.turn(|knobs| knobs.timeout_rows = Some(500));
    assert_eq!(lucca.status(&heavy).await, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(
        lucca.status(&format!("{USERS}&paging=0,500")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_lists_are_an_in_or_compared_whole() {
    let lucca = Lucca::start().await;
    let path = format!("{USERS}&login=jdupont,pmartin");
    assert_eq!(ids(&lucca.get(&path).await), [416, 418]);
    assert_eq!(
        ids(&lucca.get(&format!("{USERS}&id=416,419")).await),
        [416, 419]
    );
    assert_eq!(
        ids(&lucca.get(&format!("{USERS}&id=greaterthan,417")).await),
        [418, 419],
        "the grammar's comparisons apply to ids too"
    );

    lucca.turn(|knobs| knobs.login_lists = false);
    assert_eq!(ids(&lucca.get(&path).await), Vec::<i64>::new());
    assert_eq!(
        ids(&lucca.get(&format!("{USERS}&login=jdupont")).await),
        [416]
    );
}

#[tokio::test]
async fn requests_are_counted_by_operation() {
    let lucca = Lucca::start().await;
    lucca.get(USERS).await;
    lucca.get(USERS).await;
    lucca.get(USER).await;
    assert_eq!(lucca.status("/api/v3/nothing").await, StatusCode::NOT_FOUND);
    assert_eq!(lucca.server.requests_of("GET /api/v3/users"), 2);
    assert_eq!(lucca.server.requests_of("GET /api/v3/users/{id}"), 1);
    assert_eq!(lucca.server.requests_of("GET /api/v3/nothing"), 1);
    assert_eq!(lucca.server.requests_total(), 4);
    assert_eq!(
        lucca.server.received_queries("GET /api/v3/users"),
        ["fields=id,login&orderBy=id,asc"; 2]
    );
    lucca.server.reset_request_counts();
    assert!(
        lucca
            .server
            .received_queries("GET /api/v3/users")
            .is_empty()
    );
    assert_eq!(lucca.server.requests_total(), 0);
}

/// What a schema-driven run (Schemathesis) found the server took or
/// refused against the documents: a zoned `seniorityDate` is a
/// `date-time`; `formerEmployees` is a boolean; `habilitedRoles` is a list
/// of `IdOnly`; `page` and `limit` are `int32`.
#[tokio::test]
async fn the_documents_types_hold_for_dates_booleans_role_lists_and_pages() {
    let lucca = Lucca::start().await;
    let put = |body: Value| {
        lucca
            .request(reqwest::Method::PUT, "/api/v3/users/417")
            .json(&body)
            .send()
    };
    let zoned = put(json!({ "seniorityDate": "2020-01-01T00:00:00Z" }))
        .await
        .unwrap();
    assert_eq!(zoned.status(), StatusCode::OK);
    for roles in [json!([{ "id": 0 }]), json!([59]), json!("59")] {
        let refused = put(json!({ "habilitedRoles": roles })).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{roles}");
    }
    let roles = put(json!({ "habilitedRoles": [{ "id": 59 }] }))
        .await
        .unwrap();
    assert_eq!(roles.status(), StatusCode::OK);

    assert_eq!(
        lucca.status("/api/v3/users?formerEmployees=abc").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        lucca.status("/api/v3/users?formerEmployees=true").await,
        StatusCode::OK
    );
    assert_eq!(
        lucca
            .status("/work-locations/public/api/work-locations?page=3000000000")
            .await,
        StatusCode::BAD_REQUEST
    );
}

/// What the server keeps of the imports it received is bounded: the last
/// `KEPT_IN_FULL` whole, the older ones without their bytes and rows (their
/// hash and mode stay), and each keeps its analysis.
#[tokio::test]
async fn the_server_keeps_the_contents_of_its_last_imports_only() {
    let lucca = Lucca::start().await;
    let mut first = None;
    for day in 0..crate::KEPT_IN_FULL + 2 {
        let row = format!("jdupont;Paris;;2025-10-{:02};FullDay;;false\n", day + 1);
        let id = lucca.simulated(&row).await;
        first.get_or_insert(id);
    }
    let received = lucca.server.received_imports();
    assert_eq!(received.len(), crate::KEPT_IN_FULL + 2);
    assert!(
        received[..2]
            .iter()
            .all(|import| import.file.is_empty() && import.rows.is_empty())
    );
    assert!(received[..2].iter().all(|import| import.sha256.len() == 64));
    assert!(
        received[2..]
            .iter()
            .all(|import| !import.file.is_empty() && import.rows.len() == 1)
    );
    // The oldest import's analysis still reads.
    let analysis = lucca.analysis(&first.unwrap()).await;
    assert_eq!(analysis["validUserLocationsToCreateSummary"]["count"], 1);
}

/// Lucca's organization lists (2026 migration guides): `{"items": […]}`,
/// 10 a page unless asked, `page` an index or a cursor the server gave,
/// `fields.root=prev,next,count` adding the cursors and the total; a
/// limit of 100 or more refused.
#[tokio::test]
async fn the_organization_lists_page_by_index_or_cursor() {
    let lucca = Lucca::start().await;
    let base = "/organization/structure/api/departments";
    let first = lucca.get(base).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 10);
    assert!(first.get("next").is_none(), "cursors only when asked");
    assert!(first["items"][0]["name"].is_string() && first["items"][0]["id"].is_i64());

    let asked = lucca
        .get(&format!("{base}?limit=20&fields.root=prev,next,count"))
        .await;
    assert_eq!(asked["count"], 24);
    assert_eq!(asked["prev"], Value::Null);
    let next = asked["next"].as_str().unwrap().to_owned();
    let second = lucca
        .get(&format!("{base}?limit=20&page={next}&fields.root=next"))
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 4);
    assert_eq!(second["next"], Value::Null, "the last page");
    let by_index = lucca.get(&format!("{base}?limit=20&page=2")).await;
    assert_eq!(by_index["items"], second["items"]);

    assert_eq!(
        lucca.status(&format!("{base}?limit=100")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        lucca.status(&format!("{base}?page=nonsense")).await,
        StatusCode::BAD_REQUEST
    );
    let establishments = lucca
        .get("/organization/structure/api/establishments")
        .await;
    assert!(establishments["items"][0]["legalUnitId"].is_i64());
    let units = lucca.get("/organization/structure/api/legal-units").await;
    assert_eq!(units["items"].as_array().unwrap().len(), 2);
}

/// `/api/v3/departments` and `/api/v3/legalentities` stopped responding in
/// September 2026: 404 today, and an answer on a tenant played as before.
#[tokio::test]
async fn the_retired_v3_organization_routes_answer_only_before_september_2026() {
    let lucca = Lucca::start().await;
    for route in ["/api/v3/departments", "/api/v3/legalentities"] {
        assert_eq!(lucca.status(route).await, StatusCode::NOT_FOUND, "{route}");
    }
    lucca.turn(|knobs| knobs.v3_organization = true);
    let departments = lucca.get("/api/v3/departments").await;
    assert_eq!(departments["data"]["items"][0]["name"], "Direction");
    let entities = lucca.get("/api/v3/legalentities").await;
    assert_eq!(entities["data"]["items"][0]["name"], "Paris");
}

/// The server keeps a bounded amount of what it judged: past the last
/// [`KEPT_IN_FULL`] finished imports, a job keeps only the lines its
/// answers show (errors and warnings, with their row numbers).
#[tokio::test]
async fn older_imports_keep_only_the_lines_their_answers_show() {
    let lucca = Lucca::start().await;
    // Two good rows and one of an unknown login, on line 4.
    let rows = "jdupont;Paris;;2025-10-06;FullDay;;false\n\
                mlefevre;Nantes;;2025-10-06;FullDay;;false\n\
                nobody;Paris;;2025-10-06;FullDay;;false\n";
    let first = lucca.simulated(rows).await;
    let before = lucca.analysis(&first).await["errorLines"].clone();
    for _ in 0..KEPT_IN_FULL {
        lucca.simulated(rows).await;
    }
    // The first job keeps its one error line, the others their 3 verdicts.
    assert_eq!(lucca.server.verdicts_kept(), 1 + 3 * KEPT_IN_FULL);
    let after = lucca.analysis(&first).await["errorLines"].clone();
    assert_eq!(after, before, "its answer unchanged");
    assert_eq!(after[0]["lineNumber"], 4);
}
