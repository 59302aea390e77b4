//! The variant matrix: every operation of the SDK against every vendor
//! variant the local servers can play (`roster_emulator::Knobs`), one test
//! per variant (`variants::<variant>`), every operation in each. Each cell
//! must parse; the irreversible ones (the Office creation, the Docutools
//! import) must end with their outcome.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use futures_util::{StreamExt, TryStreamExt};
use roster::directory::{self, Fields, UserPatch, UserQuery};
use roster::docutools::types::UserAttribute;
use roster::docutools::{self, ColumnMap, CsvEncoding, UsersCsv};
use roster::office;
use roster::office::types::Position;
use roster::office::{CheckedImport, CsvSource, UserLocationRow};
use roster_emulator::{
    DocutoolsSetup, EchoedDate, Envelope, Fraction, Headers, IdCasing, Knobs, LocalDocutools,
    LocalLucca, Profile, Setup, Timestamps, Zone,
};

use crate::support::{LocalConfig, fast, login_config};

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 15).unwrap() + Days::new(offset)
}

/// Every operation of the Lucca APIs against a server playing `knobs`.
async fn lucca_operations(knobs: &Knobs) {
    let setup = Setup {
        import_duration: Duration::from_millis(20),
        ..Setup::default()
    }
    .with_knobs(knobs.clone());
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let config = lucca.config().with_rate_limit(None);
    let office: office::Client = config.client().unwrap();
    let directory: directory::Client = config.client().unwrap();

    // A checked import whose simulation has an error line: rejected, read.
    let rows = vec![
        UserLocationRow::new("jdupont", "Paris", day(0), Position::FullDay).area("B1"),
        UserLocationRow::new("nobody", "Paris", day(1), Position::FullDay),
    ];
    let rejected = office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast())
        .execute()
        .await
        .unwrap_or_else(|error| panic!("{knobs:?}: the checked import with errors: {error:?}"));
    let CheckedImport::Rejected { analysis } = rejected else {
        panic!("{knobs:?}: expected a rejection: {rejected:?}");
    };
    let line = analysis.error_lines[0].line.as_ref().unwrap();
    assert_eq!(line.login.as_deref(), Some("nobody"));
    assert_eq!(
        line.date.as_ref().and_then(roster::EchoedDate::date),
        Some(day(1))
    );

    // A clean checked import: created, its results read.
    let rows = vec![
        UserLocationRow::new("jdupont", "Paris", day(0), Position::FullDay).area("B1"),
        UserLocationRow::new("mlefevre", "Remote", day(0), Position::SecondHalf),
    ];
    let created = office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast())
        .execute()
        .await
        .unwrap_or_else(|error| panic!("{knobs:?}: the clean checked import: {error:?}"));
    let CheckedImport::Created { results, .. } = created else {
        panic!("{knobs:?}: expected a creation: {created:?}");
    };
    assert_eq!(
        results.user_locations_created_summary.unwrap().count,
        Some(2)
    );
    assert_eq!(lucca.imports_applied(), 1);

    // Listings and single reads.
    let places = office.get_office_api_work_locations().send().await;
    let places = places.unwrap_or_else(|error| panic!("{knobs:?}: work locations: {error:?}"));
    assert!(places.items.iter().any(|place| place.name == "Paris"));
    let locations = office.get_office_api_user_locations().send().await;
    let locations =
        locations.unwrap_or_else(|error| panic!("{knobs:?}: user locations: {error:?}"));
    assert_eq!(locations.items.len(), 2);
    let first = &locations.items[0];
    assert!(first.created_at.is_some(), "{knobs:?}");
    let one = office
        .get_office_api_user_locations_id()
        .id(first.id)
        .send()
        .await;
    let one = one.unwrap_or_else(|error| panic!("{knobs:?}: one user location: {error:?}"));
    assert_eq!(one.owner_id, first.owner_id);

    let user = directory
        .user(416)
        .fields(
            Fields::new()
                .with("id")
                .with("login")
                .with("modifiedAt")
                .with("cultureID")
                .with("dtContractStart"),
        )
        .send()
        .await
        .unwrap_or_else(|error| panic!("{knobs:?}: a user: {error:?}"));
    assert_eq!(
        (user.id, user.culture_id),
        (Some(416), Some(1036)),
        "{knobs:?}"
    );
    let listed: Vec<_> = directory
        .users(UserQuery::new().fields(Fields::new().with("id").with("login")))
        .stream()
        .collect()
        .await;
    let listed: Result<Vec<_>, _> = listed.into_iter().collect();
    let listed = listed.unwrap_or_else(|error| panic!("{knobs:?}: the users: {error:?}"));
    assert_eq!(listed.len(), 4, "{knobs:?}");
}

/// The Docutools import against a server playing `knobs`.
async fn docutools_operations(knobs: &Knobs) {
    let setup = DocutoolsSetup {
        knobs: knobs.clone(),
        ..DocutoolsSetup::default()
    };
    let local = LocalDocutools::start_with(setup).await.unwrap();
    let client: docutools::Client = login_config(&local).client().unwrap();
    let csv = UsersCsv::from_bytes(
        b"Email Address,Name\r\nada@acme.example,Ada Lovelace\r\n",
        CsvEncoding::Detect,
    )
    .unwrap();
    let mapping = ColumnMap::new()
        .map("Email Address", UserAttribute::Email)
        .map("Name", UserAttribute::Name);
    let file = client
        .upload_users_file(&csv)
        .send()
        .await
        .unwrap_or_else(|error| panic!("{knobs:?}: the upload: {error:?}"));
    assert!(file.saved_until.is_some(), "{knobs:?}");
    let users = client
        .import_users_csv(&csv, &mapping)
        .execute()
        .await
        .unwrap_or_else(|error| panic!("{knobs:?}: the import: {error:?}"));
    assert_eq!(users.len(), 1, "{knobs:?}");
    assert_eq!(users[0].email.as_deref(), Some("ada@acme.example"));
    assert_eq!(local.imports_applied(), 1);
}

async fn every_operation(knobs: Knobs) {
    lucca_operations(&knobs).await;
    docutools_operations(&knobs).await;
}

macro_rules! variants {
    ($($name:ident: $knobs:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                every_operation($knobs).await;
            }
        )*
    };
}

fn knobs(change: impl FnOnce(&mut Knobs)) -> Knobs {
    let mut knobs = Knobs::default();
    change(&mut knobs);
    knobs
}

variants! {
    documented: Knobs::default();
    zone_none: knobs(|k| k.zone = Zone::None);
    zone_utc: knobs(|k| k.zone = Zone::Utc);
    zone_offset: knobs(|k| k.zone = Zone::Offset(120));
    zone_negative_offset: knobs(|k| k.zone = Zone::Offset(-90));
    fraction_never: knobs(|k| k.fraction = Fraction::Never);
    fraction_millis: knobs(|k| k.fraction = Fraction::Millis);
    fraction_ticks: knobs(|k| k.fraction = Fraction::Ticks);
    nulls_for_empty: knobs(|k| k.nulls_for_empty = true);
    echoed_dates_slashes: knobs(|k| k.echoed_dates = EchoedDate::Slashes);
    echoed_dates_midnight: knobs(|k| k.echoed_dates = EchoedDate::Midnight);
    echoed_dates_as_sent: knobs(|k| k.echoed_dates = EchoedDate::AsSent);
    no_floors: knobs(|k| k.floors = false);
    id_casing_camel: knobs(|k| k.id_casing = IdCasing::CamelCase);
    envelope_bare: knobs(|k| k.envelope = Envelope::Bare);
    office_paging_bound_10: knobs(|k| k.office_max_limit = 10);
    unknown_fields: knobs(|k| k.unknown_fields = true);
    unknown_enum_values: knobs(|k| k.unknown_enum_values = true);
    timestamps_local: knobs(|k| k.timestamps = Timestamps::LocalDateTime);
    timestamps_epoch_millis: knobs(|k| k.timestamps = Timestamps::EpochMillis);
    headers_refused: knobs(|k| k.headers = Headers::Refused);
    docutools_limit_binary: knobs(|k| k.docutools_max_file = roster_emulator::DOCUTOOLS_LIMIT_BINARY);
    profile_strict: Profile::Strict.knobs();
    profile_dotnet: Profile::Dotnet.knobs();
    profile_drifted: Profile::Drifted.knobs();
}

#[tokio::test]
async fn a_partial_update_against_partial_bodies() {
    let lucca = LocalLucca::start().await.unwrap();
    let directory: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let updated = directory
        .update_user(417, UserPatch::new().job_title("Engineer"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.id, Some(417));
}

#[tokio::test]
async fn a_creation_answer_cut_mid_body_is_an_unknown_outcome_never_a_failure() {
    let mut knobs = Knobs::default();
    knobs.cut_creation_answer = true;
    let setup = Setup {
        import_duration: Duration::from_millis(20),
        ..Setup::default()
    }
    .with_knobs(knobs);
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let rows = vec![UserLocationRow::new(
        "jdupont",
        "Paris",
        day(0),
        Position::FullDay,
    )];

    let error = office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast())
        .execute()
        .await
        .unwrap_err();

    assert!(
        matches!(
            &error,
            roster::office::ImportError::Upload {
                mode: roster::office::ImportMode::Create,
                source: roster::office::UploadError::OutcomeUnknown { .. },
            }
        ),
        "{error:?}"
    );
    let chain = crate::support::error_chain(&error);
    assert!(chain.contains("may have been applied"), "{chain}");
    assert_eq!(
        lucca.received_imports().len(),
        2,
        "sent once each: simulation, creation"
    );
}

/// The two readings of the `PUT`, against the two servers.
mod update_modes {
    use super::*;
    use roster::directory::{DirectoryError, UpdateMode};
    use roster_emulator::{Fault, PutBodies, Route};

    async fn server(bodies: PutBodies) -> (LocalLucca, directory::Client) {
        let mut knobs = Knobs::default();
        knobs.put_bodies = bodies;
        let lucca = LocalLucca::start_with(Setup::default().with_knobs(knobs))
            .await
            .unwrap();
        let directory = lucca.config().with_rate_limit(None).client().unwrap();
        (lucca, directory)
    }

    async fn update(
        directory: &directory::Client,
        mode: UpdateMode,
    ) -> Result<directory::types::User, DirectoryError> {
        directory
            .update_user(417, UserPatch::new().job_title("Engineer"))
            .mode(mode)
            .fields(Fields::new().with("id").with("jobTitle").with("lastName"))
            .send()
            .await
    }

    #[tokio::test]
    async fn whole_bodies_take_a_complete_update_and_refuse_a_partial_one_saying_why() {
        let (lucca, directory) = server(PutBodies::Whole).await;

        let error = update(&directory, UpdateMode::Partial).await.unwrap_err();
        let DirectoryError::PartialRefused {
            user,
            missing,
            source,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((*user, missing.len()), (417, 14));
        assert_eq!(source.status().map(|status| status.as_u16()), Some(400));
        assert!(error.to_string().contains("the complete mode"), "{error}");

        let updated = update(&directory, UpdateMode::Complete).await.unwrap();
        assert_eq!(updated.job_title.as_deref(), Some("Engineer"));
        assert_eq!(
            updated.last_name.as_deref(),
            Some("Lefevre"),
            "fields on the PUT"
        );
        let sent = &lucca.received_updates()[0].1;
        for name in roster::directory::required_fields() {
            assert!(sent.get(name).is_some(), "{name} was sent");
        }
        // What the record holds is sent as read, never cleared.
        for name in [
            "firstName",
            "login",
            "mail",
            "dtContractStart",
            "legalEntityId",
            "employeeNumber",
            "departmentId",
            "cultureID",
            "calendarId",
            "rolePrincipalId",
        ] {
            assert!(!sent[name].is_null(), "{name} was sent as read: {sent}");
        }
        assert_eq!(sent["lastName"], "Lefevre", "untouched fields sent as read");
    }

    #[tokio::test]
    async fn partial_bodies_take_both() {
        let (lucca, directory) = server(PutBodies::Partial).await;

        update(&directory, UpdateMode::Partial).await.unwrap();
        update(&directory, UpdateMode::Complete).await.unwrap();

        let sent = lucca.received_updates();
        assert_eq!(sent[0].1, serde_json::json!({ "jobTitle": "Engineer" }));
        assert_eq!(sent[1].1.as_object().unwrap().len(), 15);
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_between_the_read_and_the_write_is_refused_not_overwritten() {
        let (lucca, directory) = server(PutBodies::Whole).await;
        let other: directory::Client = lucca.config().with_rate_limit(None).client().unwrap();
        // The complete update's first read is answered late; meanwhile
        // someone else changes the user.
        lucca
            .faults()
            .inject(Route::Users, Fault::Delay(Duration::from_secs(10)));
        let ours = tokio::spawn(async move { update(&directory, UpdateMode::Complete).await });
        while lucca.faults().requests(Route::Users) == 0 {
            tokio::task::yield_now().await;
        }
        other
            .update_user(417, UserPatch::new().last_name("Martin"))
            .mode(UpdateMode::Complete)
            .send()
            .await
            .unwrap();

        let error = ours.await.unwrap().unwrap_err();

        assert!(
            matches!(error, DirectoryError::ConcurrentChange { user: 417, .. }),
            "{error:?}"
        );
        let person = lucca.person(417).unwrap();
        assert_eq!(
            (person["lastName"].as_str(), person["jobTitle"].as_str()),
            (Some("Martin"), None)
        );
        assert_eq!(
            lucca.received_updates().len(),
            1,
            "only the other update was written"
        );
    }
}

/// The Office pager under both documented `limit` bounds.
mod paging {
    use super::*;
    use roster_emulator::{DayPart, Route, StoredLocation};

    async fn server(max_limit: u32, locations: usize) -> (LocalLucca, office::Client) {
        let mut knobs = Knobs::default();
        knobs.office_max_limit = max_limit;
        let user_locations = (0..locations)
            .map(|index| StoredLocation {
                id: 9001 + index as i64,
                owner_id: 416,
                work_location_id: 1,
                area_id: None,
                date: day(index as u64),
                position: DayPart::FullDay,
                created_at: day(0).and_hms_opt(8, 0, 0).unwrap(),
            })
            .collect();
        let setup = Setup {
            user_locations,
            ..Setup::default()
        }
        .with_knobs(knobs);
        let lucca = LocalLucca::start_with(setup).await.unwrap();
        let office = lucca.config().with_rate_limit(None).client().unwrap();
        (lucca, office)
    }

    #[tokio::test]
    async fn every_item_once_in_order_under_the_newer_bound() {
        let (lucca, office) = server(1000, 25).await;

        let all: Vec<_> = office
            .all_user_locations()
            .stream()
            .try_collect()
            .await
            .unwrap();

        let ids: Vec<i64> = all.iter().map(|location| location.id).collect();
        assert_eq!(ids, (9001..9026).collect::<Vec<_>>());
        assert_eq!(lucca.faults().requests(Route::Lists), 1, "one page of 1000");

        let paged: Vec<_> = office
            .all_user_locations()
            .page_size(7)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(paged.len(), 25);
        assert_eq!(
            lucca.faults().requests(Route::Lists),
            1 + 4,
            "pages of 7, 7, 7, 4"
        );
    }

    #[tokio::test]
    async fn under_the_older_bound_it_falls_back_to_pages_of_10() {
        let (lucca, office) = server(10, 25).await;

        let all: Vec<_> = office
            .all_user_locations()
            .stream()
            .try_collect()
            .await
            .unwrap();

        let ids: Vec<i64> = all.iter().map(|location| location.id).collect();
        assert_eq!(ids, (9001..9026).collect::<Vec<_>>());
        assert_eq!(
            lucca.faults().requests(Route::Lists),
            1 + 3,
            "refused, then 10, 10, 5"
        );
        let places: Vec<_> = office
            .all_work_locations()
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(places.len(), 3);
    }
}
