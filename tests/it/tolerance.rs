//! Vendors add enum values and fields: responses must still parse, and the
//! generated models publish their JSON schema.

use roster::{Open, directory, docutools, office};
use serde_json::json;

#[test]
fn an_unknown_enum_value_is_kept_not_fatal() {
    let location: office::types::UserLocation = serde_json::from_value(json!({
        "id": 1, "ownerId": 2, "workLocationId": 3, "date": "2023-12-25",
        "position": "Evening", "status": "Archived", "areaId": null
    }))
    .unwrap();

    assert_eq!(location.position, Open::Unknown("Evening".to_owned()));
    assert_eq!(location.status, Some(Open::Unknown("Archived".to_owned())));
}

#[test]
fn a_known_enum_value_stays_typed_and_round_trips() {
    let user: directory::types::User =
        serde_json::from_value(json!({ "id": 1, "gender": "Female" })).unwrap();

    assert_eq!(
        user.gender,
        Some(Open::Known(directory::types::Gender::Female))
    );
    assert_eq!(serde_json::to_value(&user).unwrap()["gender"], "Female");
}

#[test]
fn unknown_fields_are_ignored() {
    let file: docutools::types::ImportedFile = serde_json::from_value(json!({
        "id": "4954a286-13d4-4d49-9939-042b736a210c",
        "columns": ["Email"],
        "checksum": "sha256:abc",
        "nested": { "any": [1, 2] }
    }))
    .unwrap();

    assert_eq!(file.columns, ["Email"]);
}

#[test]
fn an_unknown_permission_in_a_list_does_not_fail_the_user() {
    let user: docutools::types::User = serde_json::from_value(json!({
        "userId": "1f0e1c8a-8f7e-4a52-9d3e-6b0b2b0f4d11",
        "username": "a@b.example",
        "permissions": ["ViewUsers", "LaunchRockets"]
    }))
    .unwrap();

    assert_eq!(
        user.permissions,
        [
            Open::Known(docutools::types::Permission::ViewUsers),
            Open::Unknown("LaunchRockets".to_owned())
        ]
    );
}

#[test]
fn models_publish_their_json_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(directory::types::UserUpdate)).unwrap();

    let properties = &schema["properties"];
    assert_eq!(properties["cultureID"]["format"], "int32", "{schema}");
    assert_eq!(
        properties["dtContractStart"]["format"], "date-time",
        "{schema}"
    );
    assert!(properties.get("gender").is_some(), "{schema}");
}

#[test]
fn ids_sent_as_text_and_nulls_for_empty_read_into_the_generated_models() {
    let location: office::types::UserLocation = serde_json::from_str(
        r#"{"id": "9001", "ownerID": "416", "workLocationId": 1, "date": "2025-09-15",
            "position": "FullDay", "areaId": "", "createdAt": "2025-09-15T08:00:00+02:00"}"#,
    )
    .unwrap();
    assert_eq!(
        (location.id, location.owner_id, location.area_id),
        (9001, 416, None)
    );
    let created = location.created_at.unwrap();
    assert_eq!(
        created.offset().map(|offset| offset.local_minus_utc()),
        Some(7200)
    );

    let results: office::types::ImportResults = serde_json::from_str(
        r#"{"summaryId": "s", "userLocationsCreatedSummary": {"count": "2", "descriptions": null},
            "errorLines": null, "warningLines": [{"line": {"isDeletion": null, "date": "20/09/2025"}}]}"#,
    )
    .unwrap();
    let created = results.user_locations_created_summary.unwrap();
    assert_eq!((created.count, created.descriptions.len()), (Some(2), 0));
    assert!(results.error_lines.is_empty());
    let line = results.warning_lines[0].line.as_ref().unwrap();
    assert!(!line.is_deletion);
    assert_eq!(
        line.date,
        Some(roster::EchoedDate::Text("20/09/2025".into()))
    );
}
