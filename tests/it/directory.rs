//! Lucca v3 users: paging, filters, both answer shapes, finding by login,
//! partial updates on the wire, retries, and bulk updates within the limit.

use std::collections::HashSet;
use std::time::Duration;

use crate::support::LocalConfig;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use roster::directory::{self, DirectoryError, Fields, Range, Text, UserPatch, UserQuery, UserRef};
use roster::{Backoff, HttpError, LuccaApiKey, LuccaConfig};
use roster_emulator::{Fault, LocalLucca, RequestLimit, Route, Setup};

use crate::capture::serve_once;

fn quick() -> Backoff {
    Backoff {
        attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

async fn local(extra: usize) -> (LocalLucca, directory::Client) {
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(extra))
        .await
        .unwrap();
    let client = lucca.config().with_rate_limit(None).client().unwrap();
    (lucca, client)
}

#[tokio::test]
async fn paging_returns_every_user_exactly_once() {
    let (_lucca, directory) = local(250).await;
    let query = UserQuery::new()
        .fields(Fields::new().with("id").with("login"))
        .page_size(40);

    let users: Vec<_> = directory.users(query).stream().try_collect().await.unwrap();

    assert_eq!(users.len(), 254);
    let ids: HashSet<i64> = users.iter().filter_map(|user| user.id).collect();
    assert_eq!(ids.len(), 254);
    assert!(ids.contains(&416) && ids.contains(&1249));
    assert!(
        users.iter().all(|user| user.login.is_some()),
        "fields were applied"
    );
}

#[tokio::test]
async fn a_page_size_that_divides_the_total_still_ends() {
    let (_lucca, directory) = local(36).await;

    let users: Vec<_> = directory
        .users(UserQuery::new().page_size(20))
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(users.len(), 40);
}

#[tokio::test]
async fn filters_are_sent_as_lucca_expects() {
    let (base_url, request) = serve_once(200, r#"{"data": {"items": []}}"#).await;
    let directory: directory::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .client()
        .unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    let query = UserQuery::new()
        .fields(
            Fields::new()
                .with("id")
                .nested("manager", Fields::new().with("id").with("name")),
        )
        .login(Text::IsNot("admin".into()))
        .mail(Text::Like("@corp.com".into()))
        .contract_start(Range::Between(day(1, 1), day(6, 30)))
        .former_employees(true)
        .page_size(250);

    let users: Vec<_> = directory.users(query).stream().try_collect().await.unwrap();

    assert!(users.is_empty());
    let line = request.await.unwrap().request_line;
    let query = line.split(['?', ' ']).nth(2).unwrap();
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("dtContractStart", "between,2024-01-01,2024-06-30"),
            // The first page also asks the total, so the pager knows where
            // the listing ends.
            ("fields", "id,manager[id,name],collection.count"),
            ("formerEmployees", "true"),
            ("login", "notequal,admin"),
            ("mail", "like,@corp.com"),
            ("orderBy", "id,asc"),
            ("paging", "0,250"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
    );
}

#[tokio::test]
async fn filters_select_users_on_the_local_server() {
    let (lucca, directory) = local(0).await;
    directory
        .update_user(
            417,
            UserPatch::new()
                .dt_contract_start(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap().into())
                .clone(),
        )
        .retries(quick())
        .send()
        .await
        .unwrap();

    let since_2024 = UserQuery::new()
        .fields(Fields::sync())
        .contract_start(Range::Since(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()));
    let recent: Vec<_> = directory
        .users(since_2024)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let by_mail: Vec<_> = directory
        .users(
            UserQuery::new()
                .fields(Fields::sync())
                .mail(Text::Like("DUR".into())),
        )
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        recent.iter().map(|user| user.id).collect::<Vec<_>>(),
        [Some(417)]
    );
    assert_eq!(
        by_mail.iter().map(|user| user.id).collect::<Vec<_>>(),
        [Some(419)]
    );
    assert_eq!(lucca.received_updates().len(), 1);
}

#[tokio::test]
async fn one_user_with_a_fields_selection() {
    let (_lucca, directory) = local(0).await;
    let fields = Fields::new()
        .with("id")
        .with("login")
        .with("dtContractStart")
        .nested("manager", Fields::new().with("id"))
        .extended_data();

    let user = directory.user(417).fields(fields).send().await.unwrap();

    assert_eq!(user.login.as_deref(), Some("mlefevre"));
    assert_eq!(
        user.dt_contract_start.map(|at| at.to_string()),
        Some("2020-01-01T00:00:00".to_owned())
    );
    assert_eq!(user.first_name, None, "not asked for");
    assert_eq!(user.extended_data, Some(Default::default()));
}

#[tokio::test]
async fn a_bare_object_is_accepted_as_well_as_the_envelope() {
    let (base_url, _request) =
        serve_once(200, r#"{"id": 416, "name": "John Doe", "cultureId": 1036}"#).await;
    let directory: directory::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .client()
        .unwrap();

    let user = directory.user(416).send().await.unwrap();

    assert_eq!(user.id, Some(416));
    assert_eq!(user.name.as_deref(), Some("John Doe"));
}

#[tokio::test]
async fn a_bare_list_is_accepted_too() {
    let (base_url, _request) = serve_once(200, r#"{"items": [{"id": 7, "login": "x"}]}"#).await;
    let directory: directory::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .client()
        .unwrap();

    assert_eq!(directory.find_user_id("x").send().await.unwrap(), 7);
}

#[tokio::test]
async fn finding_by_login() {
    let (_lucca, directory) = local(0).await;

    assert_eq!(directory.find_user_id("pmartin").send().await.unwrap(), 418);
    let error = directory.find_user_id("ghost").send().await.unwrap_err();
    assert!(
        matches!(&error, DirectoryError::UnknownLogin { login } if login == "ghost"),
        "{error:?}"
    );
}

#[tokio::test]
async fn two_users_with_one_login_is_an_error_not_a_guess() {
    let body = r#"{"data": {"items": [{"id": 7, "login": "x"}, {"id": 8, "login": "x"}]}}"#;
    let (base_url, _request) = serve_once(200, body).await;
    let directory: directory::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .client()
        .unwrap();

    let error = directory.find_user_id("x").send().await.unwrap_err();

    assert!(
        matches!(error, DirectoryError::AmbiguousLogin { count: 2, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_update_sends_exactly_the_touched_fields() {
    let (base_url, request) =
        serve_once(200, r#"{"data": {"id": 416, "lastName": "Smith"}}"#).await;
    let directory: directory::Client = LuccaConfig::new(&base_url, LuccaApiKey::new("k"))
        .unwrap()
        .client()
        .unwrap();
    let patch = UserPatch::new()
        .last_name("Smith")
        .clear_manager_id()
        .culture_id(1033)
        .dt_contract_end(NaiveDate::from_ymd_opt(2026, 6, 30).unwrap().into());

    let user = directory
        .update_user(416, patch)
        .retries(quick())
        .send()
        .await
        .unwrap();

    assert_eq!(user.last_name.as_deref(), Some("Smith"));
    let request = request.await.unwrap();
    assert_eq!(request.request_line, "PUT /api/v3/users/416 HTTP/1.1");
    assert_eq!(request.header_values("content-type"), ["application/json"]);
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({
            "lastName": "Smith",
            "managerId": null,
            "cultureID": 1033,
            "dtContractEnd": "2026-06-30T00:00:00",
        })
    );
}

#[tokio::test]
async fn set_clear_and_untouched_land_on_the_server() {
    let (lucca, directory) = local(0).await;
    directory
        .update_user(
            416,
            UserPatch::new().manager_id(417).job_title("Lead").clone(),
        )
        .retries(quick())
        .send()
        .await
        .unwrap();

    directory
        .update_user(
            416,
            UserPatch::new()
                .clear_manager_id()
                .first_name("Johnny")
                .clone(),
        )
        .retries(quick())
        .send()
        .await
        .unwrap();

    let person = lucca.person(416).unwrap();
    assert_eq!(person["managerId"], serde_json::Value::Null);
    assert_eq!(person["firstName"], "Johnny");
    assert_eq!(
        person["jobTitle"], "Lead",
        "untouched fields keep their value"
    );
    assert_eq!(person["name"], "Johnny Dupont");
}

#[tokio::test]
async fn an_invalid_value_is_refused_before_anything_is_sent() {
    let (lucca, directory) = local(0).await;
    let cases = [
        (UserPatch::new().first_name(""), "firstName"),
        (UserPatch::new().calendar_id(0), "calendarId"),
        (UserPatch::new().culture_id(1024), "cultureID"),
    ];
    for (patch, field) in cases {
        let error = directory
            .update_user(416, patch)
            .retries(quick())
            .send()
            .await
            .unwrap_err();
        let DirectoryError::Patch { user: 416, source } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(source.field, field);
    }
    assert!(UserPatch::new().culture_id(58380).to_json().is_ok());
    let error = directory
        .update_user(0, UserPatch::new().last_name("x"))
        .retries(quick())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, DirectoryError::InvalidId { id: 0 }));
    assert!(lucca.received_updates().is_empty());
}

#[tokio::test]
async fn the_server_names_a_value_it_refuses() {
    let (_lucca, directory) = local(0).await;

    let error = directory
        .update_user(416, UserPatch::new().login("mlefevre"))
        .retries(quick())
        .send()
        .await
        .unwrap_err();

    let DirectoryError::Http(HttpError::Status { status, body, .. }) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(status.as_u16(), 400);
    let message = body.message().unwrap_or_default();
    assert!(message.contains("already used"), "{body}");
}

#[tokio::test]
async fn an_update_is_retried_on_transient_answers_only() {
    let (lucca, directory) = local(0).await;
    lucca.faults().inject(
        Route::Users,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    lucca.faults().inject(
        Route::Users,
        Fault::Status {
            status: 429,
            retry_after: Some("0".into()),
        },
    );
    lucca
        .faults()
        .inject(Route::Users, Fault::DropBeforeHandling);

    directory
        .update_user(416, UserPatch::new().job_title("Dev"))
        .retries(quick())
        .send()
        .await
        .unwrap();

    assert_eq!(lucca.faults().pending(), 0);
    assert_eq!(lucca.received_updates().len(), 1);

    lucca.faults().inject_n(
        Route::Users,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        2,
    );
    let error = directory
        .update_user(416, UserPatch::new().job_title("Ops"))
        .retries(quick())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DirectoryError::Http(HttpError::Status { status, .. }) if status.as_u16() == 500),
        "{error:?}"
    );
    assert_eq!(lucca.faults().pending(), 1, "a 500 is not retried");

    lucca.faults().clear();
    lucca.faults().inject_n(
        Route::Users,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        10,
    );
    let error = directory
        .update_user(416, UserPatch::new().job_title("Ops"))
        .retries(quick())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DirectoryError::Http(HttpError::Status { status, .. }) if status.as_u16() == 503),
        "{error:?}"
    );
    assert_eq!(lucca.faults().pending(), 6, "4 attempts, then it gave up");
}

#[tokio::test]
async fn a_bulk_update_of_500_users_with_the_limit_on_gets_no_429() {
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(500))
        .await
        .unwrap();
    let server = RequestLimit {
        requests: 50,
        per: Duration::from_millis(400),
    };
    lucca.set_rate_limit(Some(server));
    let client_side = crate::support::client_budget(server);
    let directory: directory::Client = lucca
        .config()
        .with_rate_limit(Some(client_side))
        .client()
        .unwrap();
    let updates: Vec<(UserRef, UserPatch)> = (0..500)
        .map(|index| {
            (
                UserRef::Id(1000 + index),
                UserPatch::new().job_title(format!("Title {index}")),
            )
        })
        .collect();

    let report = directory
        .bulk_update(updates)
        .concurrency(8)
        .retries(quick())
        .execute()
        .await;

    assert_eq!(report.succeeded().count(), 500);
    assert_eq!(lucca.rate_limited(), 0);
    assert_eq!(lucca.received_updates().len(), 500);
    assert_eq!(lucca.person(1499).unwrap()["jobTitle"], "Title 499");
}

#[tokio::test]
async fn without_the_limiter_the_same_burst_is_refused() {
    let lucca = LocalLucca::start_with(Setup::default().with_generated_employees(60))
        .await
        .unwrap();
    lucca.set_rate_limit(Some(RequestLimit {
        requests: 50,
        per: Duration::from_secs(60),
    }));
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let updates: Vec<(UserRef, UserPatch)> = (0..60)
        .map(|index| (UserRef::Id(1000 + index), UserPatch::new().job_title("x")))
        .collect();

    let report = directory
        .bulk_update(updates)
        .concurrency(8)
        .retries(Backoff::NONE)
        .execute()
        .await;

    assert!(lucca.rate_limited() > 0);
    assert_eq!(report.failed().count() as u64, lucca.rate_limited());
}

#[tokio::test]
async fn one_failing_user_does_not_stop_the_others() {
    let (_lucca, directory) = local(20).await;
    let mut updates: Vec<(UserRef, UserPatch)> = (0..20)
        .map(|index| {
            (
                UserRef::Login(format!("user{index:04}")),
                UserPatch::new().job_title("Analyst"),
            )
        })
        .collect();
    updates.insert(
        5,
        (
            UserRef::Login("ghost".into()),
            UserPatch::new().job_title("x"),
        ),
    );
    updates.insert(9, (UserRef::Id(1003), UserPatch::new().login("jdupont")));

    let report = directory
        .bulk_update(updates)
        .concurrency(8)
        .retries(quick())
        .execute()
        .await;

    assert_eq!(report.outcomes.len(), 22);
    assert_eq!(report.succeeded().count(), 20);
    let failed: Vec<&UserRef> = report.failed().map(|outcome| &outcome.user).collect();
    assert_eq!(
        failed,
        [&UserRef::Login("ghost".into()), &UserRef::Id(1003)]
    );
    assert!(matches!(
        report.outcomes[5].result,
        Err(DirectoryError::UnknownLogin { .. })
    ));
    assert!(matches!(
        report.outcomes[9].result,
        Err(DirectoryError::Http(HttpError::Status { .. }))
    ));
}

#[tokio::test]
async fn the_limiter_is_shared_by_every_client_of_a_configuration() {
    let lucca = LocalLucca::start().await.unwrap();
    let server = RequestLimit {
        requests: 5,
        per: Duration::from_millis(300),
    };
    lucca.set_rate_limit(Some(server));
    let config = lucca
        .config()
        .with_rate_limit(Some(crate::support::client_budget(server)));
    let office: roster::office::Client = config.client().unwrap();
    let directory: directory::Client = config.client().unwrap();

    for _ in 0..6 {
        office.get_office_api_work_locations().send().await.unwrap();
        directory.user(416).send().await.unwrap();
    }

    assert_eq!(lucca.rate_limited(), 0);
}

#[tokio::test]
async fn extension_fields_and_axis_values_are_written_and_read_back() {
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let blood = roster::directory::ExtensionKey::new("e_bloodType").unwrap();
    assert!(roster::directory::ExtensionKey::new("bloodType").is_err());
    assert!(roster::directory::ExtensionKey::new("e_").is_err());

    directory
        .update_user(
            416,
            UserPatch::new()
                .extension(&blood, "AB")
                .axis_value(2, 35)
                .personal_card("4970 1000 0000 0063")
                .full_time_equivalent(serde_json::json!({ "ratio": 0.8 })),
        )
        .send()
        .await
        .unwrap();

    let sent = &lucca.received_updates()[0].1;
    assert_eq!(sent["e_bloodType"], "AB");
    assert_eq!(sent["userAxisValues_2"], serde_json::json!({ "id": 35 }));
    assert_eq!(sent["personalCard"], "4970 1000 0000 0063");
    assert_eq!(sent["fullTimeEquivalent"]["ratio"], 0.8);
    let (user, extensions) = directory
        .user(416)
        .fields(
            Fields::new()
                .with("id")
                .with("e_bloodType")
                .with("userAxisValues_2"),
        )
        .send_with_extensions()
        .await
        .unwrap();
    assert_eq!(user.id, Some(416));
    assert_eq!(extensions.fields["e_bloodType"], "AB");
    assert_eq!(extensions.axis_values[&2], Some(35));
    let refused = UserPatch::new().full_time_equivalent(serde_json::json!(0.8));
    assert!(refused.to_json().is_err(), "an object, not a number");
}

#[tokio::test]
async fn filters_by_id_null_and_bounds_in_a_stable_order() {
    use roster::directory::{OrderBy, Range};
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let ids = |query: UserQuery| {
        let directory = &directory;
        async move {
            let users: Vec<_> = directory
                .users(query.fields(Fields::new().with("id")))
                .stream()
                .try_collect()
                .await
                .unwrap();
            users
                .into_iter()
                .map(|user| user.id.unwrap())
                .collect::<Vec<i64>>()
        }
    };

    assert_eq!(ids(UserQuery::new().ids([418, 416])).await, [416, 418]);
    assert_eq!(
        ids(UserQuery::new().order_by(OrderBy::Property {
            name: "id".into(),
            ascending: false
        }))
        .await,
        [419, 418, 417, 416]
    );
    assert_eq!(
        ids(UserQuery::new().contract_end(Range::Null)).await.len(),
        4
    );
    assert!(
        ids(UserQuery::new().contract_end(Range::NotNull))
            .await
            .is_empty()
    );
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    assert!(
        ids(UserQuery::new().contract_start(Range::After(start)))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(UserQuery::new().contract_start(Range::AtOrAfter(start)))
            .await
            .len(),
        4
    );
}
