//! Directory sync as plan and apply, counted by the local server; and the
//! pager's safety at scale (offsets ignored, capped pages, 408s, long lists,
//! commas, every filter under its own parameter).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use futures_util::TryStreamExt;
use roster::HttpError;
use roster::directory::{
    self, Applied, DesiredUsers, DirectoryError, Fields, Range, Strategy, SyncError, Text,
    UpdateMode, UserQuery, UserRef,
};
use roster_emulator::{Employee, Fault, Knobs, LocalLucca, Route, Setup};
use serde_json::{Value, json};

use crate::support::LocalConfig;

const LIST: &str = "GET /api/v3/users";
const PUT: &str = "PUT /api/v3/users/{id}";

/// A tenant of exactly `count` employees (`user0000`… with ids from 1000).
async fn tenant(count: usize) -> (LocalLucca, directory::Client) {
    let setup = Setup {
        employees: Vec::new(),
        ..Setup::default()
    }
    .with_generated_employees(count);
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let client = lucca.config().with_rate_limit(None).client().unwrap();
    (lucca, client)
}

/// An export of users `0..count` as the tenant holds them, with a job title
/// for the users in `changed`.
fn export(count: usize, changed: &[usize]) -> Vec<u8> {
    let mut csv = String::from("login;firstName;lastName;mail;employeeNumber;jobTitle\n");
    for index in 0..count {
        let title = if changed.contains(&index) {
            "Engineer"
        } else {
            ""
        };
        csv.push_str(&format!(
            "user{index:04};Test;User {index:04};user{index:04}@example.test;{:06};{title}\n",
            1000 + index
        ));
    }
    csv.into_bytes()
}

const TEN: [usize; 10] = [3, 97, 150, 233, 400, 512, 640, 777, 901, 999];

/// A bulk update goes through the same update path as a sync: an update
/// applied whose answer does not read is reported applied there too.
#[tokio::test]
async fn a_bulk_update_applied_whose_answer_does_not_read_is_applied_not_failed() {
    let (lucca, directory) = tenant(5).await;
    lucca
        .faults()
        .inject(Route::Users, Fault::Body("{\"data\": [1, 2".into()));

    let report = directory
        .bulk_update(vec![(
            UserRef::Id(1002),
            directory::UserPatch::new().job_title("Engineer"),
        )])
        .execute()
        .await;

    assert!(
        matches!(
            report.outcomes[0].result,
            Ok(Applied::AnswerUnread(HttpError::InvalidAnswer { .. }))
        ),
        "{report:?}"
    );
    assert_eq!(report.outcomes[0].id, Some(1002));
    assert_eq!(lucca.requests_of(PUT), 1, "sent once");
    assert_eq!(lucca.person(1002).unwrap()["jobTitle"], json!("Engineer"));
}

#[tokio::test]
async fn an_update_applied_whose_answer_does_not_read_is_applied_not_failed() {
    let (lucca, directory) = tenant(5).await;
    let desired = DesiredUsers::from_csv_bytes(&export(5, &[2])).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    assert_eq!(plan.changes.len(), 1);
    // The PUT is handled, then answered 200 with a body that is no user.
    lucca
        .faults()
        .inject(Route::Users, Fault::Body("{\"data\": [1, 2".into()));

    let report = directory.apply_sync(&plan).execute().await.unwrap();

    assert_eq!(report.succeeded().count(), 1, "{report:?}");
    assert!(
        matches!(
            report.outcomes[0].result,
            Ok(Applied::AnswerUnread(HttpError::InvalidAnswer { .. }))
        ),
        "{report:?}"
    );
    assert_eq!(lucca.requests_of(PUT), 1, "sent once");
    assert_eq!(lucca.person(1002).unwrap()["jobTitle"], json!("Engineer"));
}

#[tokio::test]
async fn a_sync_of_1000_employees_with_10_differences_applies_exactly_those_10() {
    let (lucca, directory) = tenant(1000).await;
    let desired = DesiredUsers::from_csv_bytes(&export(1000, &TEN)).unwrap();

    let plan = directory
        .plan_sync(desired.clone())
        .execute()
        .await
        .unwrap();
    assert_eq!(plan.changes.len(), 10, "{:?}", plan.changes);
    assert_eq!(plan.untouched, 990);
    assert_eq!(
        plan.reading.strategy,
        Strategy::Listing,
        "{}",
        plan.reading.reason
    );
    assert_eq!(plan.cost.requests, 10);
    let change = &plan.changes[0];
    assert_eq!((change.login.as_str(), change.id), ("user0003", 1003));
    assert_eq!(change.fields[0].field, "jobTitle");
    assert_eq!(
        (&change.fields[0].now, &change.fields[0].wanted),
        (&Value::Null, &json!("Engineer"))
    );
    assert_eq!(lucca.requests_of(PUT), 0, "planning writes nothing");

    let report = directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(report.succeeded().count(), 10);
    assert_eq!(lucca.requests_of(PUT), 10);
    let updated: HashSet<i64> = lucca.received_updates().iter().map(|(id, _)| *id).collect();
    let expected: HashSet<i64> = TEN.iter().map(|index| 1000 + *index as i64).collect();
    assert_eq!(updated, expected);
    assert!(
        lucca
            .received_updates()
            .iter()
            .all(|(_, body)| *body == json!({ "jobTitle": "Engineer" })),
        "only the differing field is sent"
    );
    let total = lucca.requests_total();
    assert!(
        total <= 1 + 10 + 1,
        "{total} requests: {:?}",
        lucca.requests_by_operation()
    );

    // A re-run is a no-op.
    let again = directory.plan_sync(desired).execute().await.unwrap();
    assert!(again.is_empty(), "{:?}", again.changes);
    assert_eq!(again.untouched, 1000);
}

#[tokio::test]
async fn the_complete_mode_reads_the_changed_users_in_one_list_and_refuses_a_moved_one() {
    let (lucca, directory) = tenant(1000).await;
    let desired = DesiredUsers::from_csv_bytes(&export(1000, &TEN)).unwrap();
    let plan = directory
        .plan_sync(desired)
        .mode(UpdateMode::Complete)
        .execute()
        .await
        .unwrap();
    assert_eq!(plan.cost.requests, 11, "10 PUTs and one fresh read");

    // Someone changes user0097 between the plan and its application.
    let bystander = lucca
        .config()
        .with_rate_limit(None)
        .client::<directory::Client>()
        .unwrap();
    bystander
        .update_user(1097, directory::UserPatch::new().quote("moved"))
        .send()
        .await
        .unwrap();
    lucca.reset_request_counts();

    let report = directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(report.succeeded().count(), 9);
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].user, UserRef::Login("user0097".into()));
    assert_eq!(failed[0].id, Some(1097));
    assert!(matches!(
        failed[0].result,
        Err(DirectoryError::ConcurrentChange { user: 1097, .. })
    ));
    let person = lucca.person(1097).unwrap();
    assert_eq!(person["jobTitle"], Value::Null, "not overwritten");
    assert_eq!(
        lucca.requests_of(LIST),
        1,
        "{:?}",
        lucca.received_queries(LIST)
    );
    assert_eq!(lucca.requests_of(PUT), 9);
    let updates = lucca.received_updates();
    let body = &updates.last().unwrap().1;
    assert_eq!(body["jobTitle"], "Engineer");
    assert!(body.get("legalEntityId").is_some(), "a whole body: {body}");
}

#[tokio::test]
async fn five_employees_of_1000_are_read_with_one_list_request() {
    let (lucca, directory) = tenant(1000).await;
    let mut desired = DesiredUsers::with_columns(["jobTitle"]).unwrap();
    for index in [5, 50, 500, 750, 998] {
        desired
            .push(format!("user{index:04}"), ["Engineer"])
            .unwrap();
    }
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    assert_eq!(
        plan.reading.strategy,
        Strategy::LoginLists,
        "{}",
        plan.reading.reason
    );
    assert_eq!(plan.reading.requests, 1);
    assert_eq!(lucca.requests_total(), 1);
    assert_eq!(plan.changes.len(), 5);
    let query = &lucca.received_queries(LIST)[0];
    assert!(query.contains("login=user0005%2Cuser0050"), "{query}");
    assert!(
        query.contains("fields=id%2Clogin%2CmodifiedAt%2CdtContractEnd%2CjobTitle"),
        "only the compared fields (and the end date: who is active): {query}"
    );
}

#[tokio::test]
async fn a_plan_says_unknown_and_repeated_logins_refused_cells_managers_and_extensions() {
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let csv = "\u{feff}login,manager,dtContractEnd,e_costCenter,cultureID,mail\n\
               jdupont,mlefevre,2030-06-30,CC-42,1036,jdupont@example.test\n\
               mlefevre,,,,12,mlefevre@example.test\n\
               nobody,,,,,\n\
               pmartin,ghost,,,,pmartin@example.test\n\
               adurand,,,,,\n\
               adurand,,,,,\n";
    let desired = DesiredUsers::from_csv_bytes(csv.as_bytes()).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();

    // An employee no user has: a new hire, refused for lacking what a
    // creation requires.
    assert!(plan.creations.is_empty());
    assert_eq!(plan.duplicates.len(), 1);
    assert_eq!(plan.duplicates[0].lines, [6, 7]);
    let refused: Vec<_> = plan
        .refused
        .iter()
        .map(|value| {
            (
                value.key.as_str(),
                value.line,
                value.column,
                value.field.as_str(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("mlefevre", 3, 5, "cultureID"),
            ("nobody", 4, 1, "login"),
            ("pmartin", 5, 2, "manager"),
            ("pmartin", 5, 5, "cultureID"), // empty: cultureID cannot be cleared
        ],
        "{:?}",
        plan.refused
    );
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    let fields: Vec<(&str, &Value)> = plan.changes[0]
        .fields
        .iter()
        .map(|change| (change.field.as_str(), &change.wanted))
        .collect();
    assert_eq!(
        fields,
        [
            ("managerId", &json!(417)),
            ("dtContractEnd", &json!("2030-06-30T00:00:00")),
            ("e_costCenter", &json!("CC-42")),
        ]
    );
    let report = directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(report.succeeded().count(), 1);
    let person = lucca.person(416).unwrap();
    assert_eq!(
        (&person["managerId"], &person["e_costCenter"]),
        (&json!(417), &json!("CC-42"))
    );
    let text = serde_json::to_value(&plan).unwrap();
    assert_eq!(
        text["changes"][0]["fields"][0]["wanted"], 417,
        "the plan is JSON"
    );
}

#[tokio::test]
async fn an_empty_cell_clears_and_a_column_no_document_names_is_refused_before_any_read() {
    let error = DesiredUsers::from_csv_bytes(b"login;jobTitel\njdupont;Lead\n").unwrap_err();
    assert!(
        matches!(error, SyncError::UnknownColumn { column: 2, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "1:2: `jobTitel` is no field of a Lucca user (did you mean `jobTitle`?)"
    );
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    // No column of the key: refused when planned, nothing read.
    let keyless = DesiredUsers::from_csv_bytes(b"mail\nx@y\n").unwrap();
    let refused = directory.plan_sync(keyless).execute().await.unwrap_err();
    assert!(
        matches!(refused, SyncError::NoKeyColumn { .. }),
        "{refused:?}"
    );
    assert_eq!(lucca.requests_total(), 0);
    directory
        .update_user(418, directory::UserPatch::new().job_title("Lead"))
        .send()
        .await
        .unwrap();
    let desired = DesiredUsers::from_csv_bytes(b"login;jobTitle\npmartin;\n").unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    assert_eq!(plan.changes[0].fields[0].wanted, Value::Null);
    directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(lucca.person(418).unwrap()["jobTitle"], Value::Null);
}

#[tokio::test]
async fn a_plan_applies_only_to_its_tenant() {
    let (first, directory) = tenant(3).await;
    let (_second, other) = tenant(3).await;
    let mut desired = DesiredUsers::with_columns(["jobTitle"]).unwrap();
    desired.push("user0001", ["Lead"]).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    let error = other.apply_sync(&plan).execute().await.unwrap_err();
    assert!(matches!(error, SyncError::OtherTenant { .. }), "{error:?}");
    assert_eq!(first.requests_of(PUT), 0);
}

#[tokio::test]
async fn a_server_that_compares_login_lists_whole_is_read_by_listing() {
    let (lucca, directory) = tenant(20).await;
    let mut knobs = Knobs::default();
    knobs.login_lists = false;
    lucca.set_knobs(knobs);
    let mut desired = DesiredUsers::with_columns(["jobTitle"]).unwrap();
    desired.push("user0001", ["Lead"]).unwrap();
    desired.push("user0002", ["Lead"]).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    assert_eq!(
        plan.reading.strategy,
        Strategy::Listing,
        "{}",
        plan.reading.reason
    );
    assert_eq!(plan.changes.len(), 2);
    assert!(plan.creations.is_empty() && plan.refused.is_empty());
}

// The pager.

async fn all_ids(directory: &directory::Client, query: UserQuery) -> Vec<i64> {
    let users: Vec<_> = tokio::time::timeout(
        Duration::from_secs(20),
        directory.users(query).stream().try_collect::<Vec<_>>(),
    )
    .await
    .expect("the listing ends")
    .unwrap();
    users.iter().filter_map(|user| user.id).collect()
}

fn assert_each_once(ids: &[i64], count: usize) {
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a user given twice");
    assert_eq!(ids.len(), count);
}

#[tokio::test]
async fn the_pager_ends_with_every_user_once_against_a_server_that_ignores_the_offset() {
    let (lucca, directory) = tenant(25).await;
    let mut knobs = Knobs::default();
    knobs.ignore_offset = true;
    lucca.set_knobs(knobs);
    let ids = all_ids(&directory, UserQuery::new().page_size(10)).await;
    assert_each_once(&ids, 25);
    // A full page of repeats, then by id: 10, 10 (repeated), 10, 5.
    assert!(
        lucca.requests_of(LIST) <= 5,
        "{:?}",
        lucca.received_queries(LIST)
    );
}

#[tokio::test]
async fn the_pager_goes_on_past_pages_a_server_caps() {
    let (lucca, directory) = tenant(25).await;
    let mut knobs = Knobs::default();
    knobs.page_cap = Some(7);
    lucca.set_knobs(knobs);
    let ids = all_ids(&directory, UserQuery::new()).await;
    assert_each_once(&ids, 25);
    assert_eq!(
        lucca.requests_of(LIST),
        4,
        "7 + 7 + 7 + 4, no empty page asked"
    );
}

#[tokio::test]
async fn a_page_answered_408_is_halved_and_the_listing_is_complete() {
    let (lucca, directory) = tenant(700).await;
    let mut knobs = Knobs::default();
    knobs.timeout_rows = Some(300);
    lucca.set_knobs(knobs);
    let ids = all_ids(&directory, UserQuery::new()).await;
    assert_each_once(&ids, 700);
    let pagings: Vec<String> = lucca
        .received_queries(LIST)
        .iter()
        .filter_map(|query| {
            query
                .split('&')
                .find(|pair| pair.starts_with("paging="))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        pagings,
        [
            "paging=0%2C1000",
            "paging=0%2C500",
            "paging=0%2C250",
            "paging=250%2C250",
            "paging=500%2C250"
        ]
    );
}

#[tokio::test]
async fn a_long_id_list_is_split_under_the_bound() {
    let (lucca, directory) = tenant(400).await;
    let ids: Vec<i64> = (1000..1400).collect();
    let read = all_ids(
        &directory,
        UserQuery::new().ids(ids.clone()).max_query_bytes(1024),
    )
    .await;
    assert_each_once(&read, 400);
    let queries = lucca.received_queries(LIST);
    assert!(queries.len() >= 3, "{} requests", queries.len());
    for query in &queries {
        assert!(query.len() <= 1024, "{} bytes: {query}", query.len());
    }
    // The default bound, 4 KiB: fewer requests, each under it.
    lucca.reset_request_counts();
    assert_each_once(&all_ids(&directory, UserQuery::new().ids(ids)).await, 400);
    assert!(
        lucca
            .received_queries(LIST)
            .iter()
            .all(|query| query.len() <= 4096)
    );
    assert_eq!(lucca.requests_of(LIST), 1);
}

#[tokio::test]
async fn a_comma_in_a_value_is_a_typed_error_and_nothing_is_sent() {
    let (lucca, directory) = tenant(3).await;
    for query in [
        UserQuery::new().logins(["user0001", "a,b"]),
        UserQuery::new().login(Text::Is("a,b".into())),
        UserQuery::new().mail(Text::Like("x,y".into())),
    ] {
        let error = directory
            .users(query)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(matches!(error, DirectoryError::Invalid(_)), "{error:?}");
    }
    assert_eq!(lucca.requests_total(), 0);
}

#[tokio::test]
async fn every_user_query_filter_reaches_its_own_query_parameter() {
    let day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let moment = NaiveDateTime::parse_from_str("2020-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").unwrap();
    let cases: [(&str, UserQuery); 7] = [
        (
            "login=jdupont",
            UserQuery::new().login(Text::Is("jdupont".into())),
        ),
        (
            "login=jdupont%2Cpmartin",
            UserQuery::new().logins(["jdupont", "pmartin"]),
        ),
        (
            "mail=like%2C%40example",
            UserQuery::new().mail(Text::Like("@example".into())),
        ),
        (
            "dtContractStart=since%2C2020-01-01",
            UserQuery::new().contract_start(Range::Since(day)),
        ),
        (
            "dtContractEnd=null",
            UserQuery::new().contract_end(Range::Null),
        ),
        (
            "modifiedAt=greaterthan%2C2020-01-01T00%3A00%3A00",
            UserQuery::new().modified_at(Range::After(moment)),
        ),
        ("id=416%2C417", UserQuery::new().ids([416, 417])),
    ];
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    for (expected, query) in cases {
        lucca.reset_request_counts();
        all_ids(&directory, query.fields(Fields::new().with("id"))).await;
        let sent = lucca.received_queries(LIST);
        assert_eq!(sent.len(), 1, "{expected}");
        let pairs: Vec<&str> = sent[0].split('&').collect();
        assert!(pairs.contains(&expected), "{expected} not in {}", sent[0]);
        let name = expected.split('=').next().unwrap();
        let filters = [
            "login",
            "mail",
            "dtContractStart",
            "dtContractEnd",
            "modifiedAt",
            "id",
        ];
        for other in filters.iter().filter(|other| **other != name) {
            assert!(
                !pairs
                    .iter()
                    .any(|pair| pair.starts_with(&format!("{other}="))),
                "{expected} also sent {other}: {}",
                sent[0]
            );
        }
    }
}

#[tokio::test]
async fn a_former_employee_named_by_the_export_is_found() {
    let mut setup = Setup::default();
    setup
        .employees
        .push(Employee::new(500, "gone", "Old", "Timer"));
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    directory
        .update_user(
            500,
            directory::UserPatch::new().dt_contract_end(
                NaiveDateTime::parse_from_str("2001-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    let mut desired = DesiredUsers::with_columns(["jobTitle"]).unwrap();
    desired.push("gone", ["Retired"]).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    assert!(plan.creations.is_empty() && plan.refused.is_empty());
    assert_eq!(plan.changes.len(), 1);
}

/// References by name: `department` (a name or a code) and `establishment`
/// columns are resolved with one read of each table (Lucca's organization
/// lists, pages of the largest size), whatever a name's case; an unknown
/// name is refused with its line, column and the nearest names, and nothing
/// about that user is written. A re-run plans nothing.
#[tokio::test]
async fn departments_and_establishments_by_name_are_read_once_and_resolved() {
    let (lucca, directory) = tenant(5).await;
    let csv = "login;department;establishment\n\
               user0000;engineering;Nantes\n\
               user0001;D01;Paris\n\
               user0002;Enginering;Paris\n";
    let desired = DesiredUsers::from_csv_bytes(csv.as_bytes()).unwrap();

    let plan = directory
        .plan_sync(desired.clone())
        .execute()
        .await
        .unwrap();

    const DEPARTMENTS: &str = "GET /organization/structure/api/departments";
    const ESTABLISHMENTS: &str = "GET /organization/structure/api/establishments";
    assert_eq!(
        lucca.requests_of(DEPARTMENTS),
        1,
        "24 departments, one page"
    );
    assert_eq!(lucca.requests_of(ESTABLISHMENTS), 1);
    assert!(
        lucca
            .received_queries(DEPARTMENTS)
            .iter()
            .all(|query| query.contains("limit=99")),
        "pages of the largest size"
    );
    assert_eq!(plan.reading.requests, 1 + 2, "{}", plan.reading.reason);
    // user0000: Engineering (3) at Nantes (2); user0001 is where it is.
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    let change = &plan.changes[0];
    assert_eq!(change.login, "user0000");
    let wanted: Vec<(&str, &Value)> = change
        .fields
        .iter()
        .map(|field| (field.field.as_str(), &field.wanted))
        .collect();
    assert_eq!(
        wanted,
        [("departmentId", &json!(3)), ("legalEntityId", &json!(2))]
    );
    assert_eq!(plan.refused.len(), 1, "{:?}", plan.refused);
    let refused = &plan.refused[0];
    assert_eq!((refused.line, refused.column), (4, 2));
    assert!(
        refused.problem.contains("nearest: \"Engineering\""),
        "{}",
        refused.problem
    );

    let report = directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(report.succeeded().count(), 1, "{report:?}");
    let person = lucca.person(1000).unwrap();
    assert_eq!(person["departmentId"], 3);
    assert_eq!(person["legalEntityId"], 2);
    let again = directory.plan_sync(desired).execute().await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

/// The HR system's key: an export keyed by employee number (managers named
/// by it too) is matched to Lucca's users by it, read in one listing (no
/// documented filter takes it). A number the export names twice, or that
/// two Lucca users hold, is refused with its lines and ids and nothing
/// about it is planned; an unknown one is listed. By mail, case does not
/// matter.
#[tokio::test]
async fn an_export_keyed_by_employee_number_or_mail_is_matched_by_it() {
    let (lucca, directory) = tenant(6).await;
    // Lucca holds 001004 twice.
    directory
        .update_user(1005, directory::UserPatch::new().employee_number("001004"))
        .send()
        .await
        .unwrap();
    let csv = "employeeNumber;jobTitle;manager\n\
               001000;Lead;\n\
               001001;Dev;001000\n\
               001002;Dev;001999\n\
               001003;Ops;\n\
               001003;Ops;\n\
               001004;Ops;\n\
               009999;New;\n";
    let desired = DesiredUsers::from_csv_bytes(csv.as_bytes())
        .unwrap()
        .with_key(directory::Key::EmployeeNumber);
    let before = lucca.requests_total();

    let plan = directory.plan_sync(desired).execute().await.unwrap();

    assert_eq!(lucca.requests_total() - before, 1, "one listing page");
    assert_eq!(plan.reading.strategy, Strategy::Listing);
    let changed: Vec<(i64, Vec<(&str, &Value)>)> = plan
        .changes
        .iter()
        .map(|change| {
            let fields = change
                .fields
                .iter()
                .map(|field| (field.field.as_str(), &field.wanted))
                .collect();
            (change.id, fields)
        })
        .collect();
    assert_eq!(
        changed,
        [
            (1000, vec![("jobTitle", &json!("Lead"))]),
            (
                1001,
                vec![("jobTitle", &json!("Dev")), ("managerId", &json!(1000))]
            ),
            (1002, vec![("jobTitle", &json!("Dev"))]),
        ]
    );
    assert_eq!(plan.changes[1].login, "user0001", "the user's login, shown");
    assert_eq!(plan.refused.len(), 2, "{:?}", plan.refused);
    assert!(
        plan.refused[0]
            .problem
            .contains("no user has the employeeNumber \"001999\"")
    );
    let duplicates: Vec<(&str, &[u64], &[i64])> = plan
        .duplicates
        .iter()
        .map(|duplicate| {
            (
                duplicate.key.as_str(),
                &duplicate.lines[..],
                &duplicate.ids[..],
            )
        })
        .collect();
    assert_eq!(
        duplicates,
        [
            ("001003", &[5, 6][..], &[1003][..]),
            ("001004", &[7][..], &[1004, 1005][..])
        ]
    );
    // 009999: a new hire, refused for lacking what a creation requires.
    assert!(plan.creations.is_empty());
    assert!(
        plan.refused.iter().any(|value| value.key == "009999"
            && value.line == 8
            && value.problem.contains("a new hire")),
        "{:?}",
        plan.refused
    );

    let by_mail = DesiredUsers::from_csv_bytes(b"mail;jobTitle\nUSER0000@Example.TEST;Lead\n")
        .unwrap()
        .with_key(directory::Key::Mail);
    let plan = directory.plan_sync(by_mail).execute().await.unwrap();
    assert_eq!(plan.changes.len(), 1, "{plan:?}");
    assert_eq!(plan.changes[0].id, 1000);
}

/// The whole lifecycle from an HR export keyed by employee number: 1,000
/// employees in Lucca, departments and establishments by name, managers by
/// employee number; 5 changes, 2 leavers (an end date) and 3 new hires
/// (their creation checked for every required field, the defaults given
/// once). The plan lists exactly those; applied with `create_missing`, it
/// makes them; a re-run plans nothing. Requests, counted by the local
/// server: at most ⌈N/1000⌉ + one per reference table + one per change or
/// creation + 1.
#[tokio::test]
async fn an_hr_export_with_new_hires_leavers_and_names_is_planned_and_applied_at_the_fewest_requests()
 {
    let (lucca, directory) = tenant(1000).await;
    let mut csv = String::from(
        "employeeNumber;login;firstName;lastName;mail;department;establishment;manager;jobTitle;dtContractEnd;dtContractStart;birthDate\n",
    );
    for index in 0..1000 {
        let (department, establishment, manager, title, end) = match index {
            1..=4 => ("Direction", "Paris", "", "Engineer", ""),
            5 => ("engineering", "Paris", "001000", "Engineer", ""),
            6 | 7 => ("Direction", "Paris", "", "", "2026-12-31"),
            _ => ("Direction", "Paris", "", "", ""),
        };
        csv.push_str(&format!(
            "{:06};user{index:04};Test;User {index:04};user{index:04}@example.test;{department};{establishment};{manager};{title};{end};2020-01-01;\n",
            1000 + index
        ));
    }
    for hire in 1..=3 {
        csv.push_str(&format!(
            "{:06};newhire{hire};New;Hire {hire};newhire{hire}@example.test;Engineering;Nantes;001000;Developer;;2027-01-04;1990-0{hire}-15\n",
            5000 + hire
        ));
    }
    let desired = || {
        DesiredUsers::from_csv_bytes(csv.as_bytes())
            .unwrap()
            .with_key(directory::Key::EmployeeNumber)
    };
    let defaults = [
        ("rolePrincipalId", "55"),
        ("cultureID", "1036"),
        ("calendarId", "1"),
        ("habilitedRoles", "59"),
    ];
    let planned = || async {
        directory
            .plan_sync(desired())
            .create_missing(true)
            .creation_defaults(defaults)
            .unwrap()
            .execute()
            .await
            .unwrap()
    };
    let before = lucca.requests_total();

    let plan = planned().await;

    let changed: Vec<i64> = plan.changes.iter().map(|change| change.id).collect();
    assert_eq!(changed, [1001, 1002, 1003, 1004, 1005, 1006, 1007]);
    assert_eq!(plan.changes[4].fields.len(), 3, "{:?}", plan.changes[4]);
    let hires: Vec<&str> = plan
        .creations
        .iter()
        .map(|hire| hire.login.as_str())
        .collect();
    assert_eq!(hires, ["newhire1", "newhire2", "newhire3"]);
    let body = &plan.creations[0].body;
    assert_eq!(body["departmentId"], 3);
    assert_eq!(body["legalEntityId"], 2);
    assert_eq!(body["managerId"], 1000);
    assert_eq!(body["rolePrincipalId"], 55, "a default");
    assert!(
        plan.refused.is_empty() && plan.duplicates.is_empty(),
        "{plan:?}"
    );
    assert_eq!(plan.untouched, 1000 - 7);

    let report = directory.apply_sync(&plan).execute().await.unwrap();

    assert_eq!(report.failed().count(), 0, "{report:?}");
    let created = lucca.created_users();
    assert_eq!(created.len(), 3);
    assert!(
        created.iter().all(|(_, contract, _)| *contract),
        "contract=true"
    );
    assert_eq!(
        lucca.person(1006).unwrap()["dtContractEnd"],
        "2026-12-31T00:00:00"
    );
    let requests = lucca.requests_total() - before;
    let bound = 1000_u64.div_ceil(1000) + 2 + (7 + 3) + 1;
    assert!(requests <= bound, "{requests} requests, bound {bound}");
    eprintln!(
        "lifecycle sync of 1,000 employees (7 updates, 3 creations): {requests} requests (bound {bound})"
    );

    let again = planned().await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(again.creations.is_empty(), "{:?}", again.creations);
    assert_eq!(again.untouched, 1003);
}

/// A creation is sent once. Its answer lost after Lucca created the user:
/// reading the login back finds it, so it is reported created (with its
/// id) and a re-run plans nothing. Its request lost before Lucca read it:
/// the read-back finds nobody, so it is reported not created ("safe to run
/// again"), and the re-run creates it, once.
#[tokio::test]
async fn a_creation_whose_answer_is_lost_is_read_back_never_sent_twice() {
    let (lucca, directory) = tenant(3).await;
    let plan = || new_hire_plan(&directory);

    lucca
        .faults()
        .inject(Route::UserCreation, Fault::DropBeforeHandling);
    let report = directory.apply_sync(&plan().await).execute().await.unwrap();
    assert!(
        matches!(
            report.outcomes[0].result,
            Err(DirectoryError::NotCreated { .. })
        ),
        "{report:?}"
    );
    assert!(lucca.created_users().is_empty());

    lucca
        .faults()
        .inject(Route::UserCreation, Fault::DropAfterHandling);
    let report = directory.apply_sync(&plan().await).execute().await.unwrap();
    let created = lucca.created_users();
    assert_eq!(created.len(), 1);
    assert!(
        matches!(
            report.outcomes[0].result,
            Ok(Applied::CreatedFound { id, .. }) if id == created[0].0
        ),
        "{report:?}"
    );

    let again = plan().await;
    assert!(
        again.creations.is_empty() && again.changes.is_empty(),
        "{again:?}"
    );
    directory.apply_sync(&again).execute().await.unwrap();
    assert_eq!(lucca.created_users().len(), 1, "created once");
}

/// Leavers an export stops listing: users active in Lucca and absent from
/// a whole export are listed as not in the export, and ended only when
/// asked (`end_missing`), as an update of their end date; a user who
/// already left is not listed.
#[tokio::test]
async fn users_not_in_the_export_are_listed_and_ended_only_when_asked() {
    let (lucca, directory) = tenant(6).await;
    directory
        .update_user(
            1005,
            directory::UserPatch::new()
                .dt_contract_end(NaiveDate::from_ymd_opt(2020, 6, 30).unwrap().into()),
        )
        .send()
        .await
        .unwrap();
    // The export lists 0..=2: 3 and 4 are not in it; 5 left in 2020.
    let desired = || DesiredUsers::from_csv_bytes(&export(3, &[])).unwrap();
    // By login, 3 logins are one list request: the others are not read,
    // so not said.
    let by_login = directory.plan_sync(desired()).execute().await.unwrap();
    assert_eq!(by_login.reading.strategy, Strategy::LoginLists);
    assert!(by_login.not_in_export.is_empty());

    // By employee number, Lucca is read whole: they are said.
    let listed = directory
        .plan_sync(desired().with_key(directory::Key::EmployeeNumber))
        .execute()
        .await
        .unwrap();
    let absent: Vec<i64> = listed.not_in_export.iter().map(|user| user.id).collect();
    assert_eq!(absent, [1003, 1004]);
    assert!(listed.changes.is_empty(), "never ended by default");

    let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let plan = directory
        .plan_sync(desired())
        .end_missing(day)
        .execute()
        .await
        .unwrap();
    let ended: Vec<(i64, u64, &Value)> = plan
        .changes
        .iter()
        .map(|change| (change.id, change.line, &change.fields[0].wanted))
        .collect();
    assert_eq!(
        ended,
        [
            (1003, 0, &json!("2026-12-31T00:00:00")),
            (1004, 0, &json!("2026-12-31T00:00:00"))
        ]
    );
    directory.apply_sync(&plan).execute().await.unwrap();
    assert_eq!(
        lucca.person(1004).unwrap()["dtContractEnd"],
        "2026-12-31T00:00:00"
    );
    let again = directory
        .plan_sync(desired())
        .end_missing(day)
        .execute()
        .await
        .unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

/// A plan saved and applied later, as it is: a user changed in Lucca since
/// it was planned is refused (its `modifiedAt` moved), not overwritten; the
/// others are applied.
#[tokio::test]
async fn a_saved_plan_applied_later_refuses_a_user_changed_since() {
    let (lucca, directory) = tenant(5).await;
    let desired = DesiredUsers::from_csv_bytes(&export(5, &[1, 2, 3])).unwrap();
    let plan = directory.plan_sync(desired).execute().await.unwrap();
    let saved = serde_json::to_string(&plan).unwrap();
    // Someone edits user 1002 meanwhile.
    directory
        .update_user(1002, directory::UserPatch::new().job_title("Manager"))
        .send()
        .await
        .unwrap();
    let loaded: directory::SyncPlan = serde_json::from_str(&saved).unwrap();
    assert_eq!(loaded, plan, "the plan reads back as it was");

    let report = directory
        .apply_sync(&loaded)
        .unchanged_since_plan()
        .execute()
        .await
        .unwrap();

    let refused: Vec<Option<i64>> = report.failed().map(|outcome| outcome.id).collect();
    assert_eq!(refused, [Some(1002)]);
    assert!(matches!(
        report.failed().next().unwrap().result,
        Err(DirectoryError::ConcurrentChange { .. })
    ));
    assert_eq!(report.succeeded().count(), 2);
    assert_eq!(
        lucca.person(1002).unwrap()["jobTitle"],
        "Manager",
        "not overwritten"
    );
    assert_eq!(lucca.person(1001).unwrap()["jobTitle"], "Engineer");
}

/// Two runs of the same sync at once, each with its own handle on one
/// journal: each new hire is claimed before it leaves, so one run creates
/// it and the other is refused (the claim held), nothing sent twice.
#[cfg(feature = "journal")]
#[tokio::test]
async fn two_runs_creating_the_same_new_hire_create_it_once() {
    let (lucca, directory) = tenant(3).await;
    let other: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let path =
        std::env::temp_dir().join(format!("roster-sync-claims-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let journals = (
        roster::journal::ImportJournal::sqlite(&path).unwrap(),
        roster::journal::ImportJournal::sqlite(&path).unwrap(),
    );
    let (one, two) = (new_hire_plan(&directory).await, new_hire_plan(&other).await);
    // The first creation to arrive is answered late: its claim is held.
    lucca.faults().inject(
        Route::UserCreation,
        Fault::Delay(Duration::from_millis(500)),
    );

    let (first, second) = tokio::join!(
        directory.apply_sync(&one).journal(&journals.0).execute(),
        other.apply_sync(&two).journal(&journals.1).execute(),
    );

    let outcomes: Vec<_> = [first.unwrap(), second.unwrap()]
        .into_iter()
        .flat_map(|report| report.outcomes)
        .collect();
    let created = outcomes
        .iter()
        .filter(|outcome| matches!(outcome.result, Ok(Applied::Created(_))))
        .count();
    let claimed = outcomes
        .iter()
        .filter(|outcome| {
            matches!(&outcome.result, Err(DirectoryError::CreationClaimed { entry, .. }) if entry.is_held())
        })
        .count();
    assert_eq!((created, claimed), (1, 1), "{outcomes:?}");
    assert_eq!(lucca.created_users().len(), 1, "created once");
}

/// The plan of an export with one new hire (`newhire`), created when
/// applied, the defaults given.
async fn new_hire_plan(directory: &directory::Client) -> directory::SyncPlan {
    let csv = "login;firstName;lastName;mail;employeeNumber;department;establishment;manager;dtContractStart;birthDate\n\
               newhire;New;Hire;newhire@example.test;007001;Sales;Paris;;2027-01-04;\n";
    directory
        .plan_sync(DesiredUsers::from_csv_bytes(csv.as_bytes()).unwrap())
        .create_missing(true)
        .creation_defaults([
            ("rolePrincipalId", "55"),
            ("cultureID", "1036"),
            ("calendarId", "1"),
            ("habilitedRoles", "59"),
        ])
        .unwrap()
        .execute()
        .await
        .unwrap()
}
