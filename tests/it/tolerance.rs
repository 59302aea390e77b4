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
