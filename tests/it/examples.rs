//! Every request and response example of the vendored specs deserializes
//! into the generated type its operation declares, `null`s and zone-less
//! date-times included.

use chrono::{NaiveDate, NaiveDateTime};
use roster::{Open, directory, docutools, office};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One example: where it stands, the schema it illustrates, its value.
struct Example {
    pointer: String,
    schema: String,
    value: Value,
}

fn load(file: &str) -> Value {
    let path = format!("{}/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(target) => root.pointer(&target[1..]).expect("the reference resolves"),
        None => node,
    }
}

/// `Name` for `$ref: …/Name`, `[Name]` for an array of them.
fn schema_key(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return target.rsplit('/').next().unwrap().to_owned();
    }
    match schema.get("items") {
        Some(items) => format!("[{}]", schema_key(items)),
        None => panic!("examples must illustrate a named schema: {schema}"),
    }
}

fn media_examples(root: &Value, content: &Value, pointer: &str, found: &mut Vec<Example>) {
    let Some(json) = content.get("application/json") else {
        return;
    };
    let schema = schema_key(&json["schema"]);
    if let Some(value) = json.get("example") {
        found.push(Example {
            pointer: format!("{pointer}/example"),
            schema: schema.clone(),
            value: value.clone(),
        });
    }
    for (name, example) in json
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        found.push(Example {
            pointer: format!("{pointer}/examples/{name}"),
            schema: schema.clone(),
            value: resolve(root, example)["value"].clone(),
        });
    }
}

fn examples(root: &Value) -> Vec<Example> {
    let mut found = Vec::new();
    for (path, item) in root["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{path} {method}");
            if let Some(content) = operation.pointer("/requestBody/content") {
                media_examples(root, content, &format!("{at} request"), &mut found);
            }
            for (status, response) in operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(content) = resolve(root, response).get("content") {
                    media_examples(root, content, &format!("{at} {status}"), &mut found);
                }
            }
        }
    }
    found
}

fn parse<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(value.clone())
        .map(drop)
        .map_err(|error| error.to_string())
}

fn check(module: &str, example: &Example) -> Result<(), String> {
    match (module, example.schema.as_str()) {
        ("office", "ImportResults") => parse::<office::types::ImportResults>(&example.value),
        ("office", "ImportAnalysis") => parse::<office::types::ImportAnalysis>(&example.value),
        ("office", "ImportProgress") => parse::<office::types::ImportProgress>(&example.value),
        ("office", "WorkLocationList") => parse::<office::types::WorkLocationList>(&example.value),
        ("office", "UserLocationList") => parse::<office::types::UserLocationList>(&example.value),
        ("office", "UserLocation") => parse::<office::types::UserLocation>(&example.value),
        ("directory", "UserEnvelope") => parse::<directory::types::UserEnvelope>(&example.value),
        ("directory", "UserListEnvelope") => {
            parse::<directory::types::UserListEnvelope>(&example.value)
        }
        ("directory", "UserUpdate") => parse::<directory::types::UserUpdate>(&example.value),
        ("docutools", "ImportedFile") => parse::<docutools::types::ImportedFile>(&example.value),
        ("docutools", "ColumnMapping") => parse::<docutools::types::ColumnMapping>(&example.value),
        ("docutools", "[User]") => parse::<Vec<docutools::types::User>>(&example.value),
        (module, schema) => Err(format!(
            "no generated type is registered for {module} {schema}"
        )),
    }
}

fn check_all(module: &str, file: &str, at_least: usize) {
    let root = load(file);
    let examples = examples(&root);
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|example| {
            check(module, example)
                .err()
                .map(|error| format!("{file} {} ({}): {error}", example.pointer, example.schema))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        examples.len() >= at_least,
        "only {} examples found in {file}",
        examples.len()
    );
}

#[test]
fn every_office_example_parses() {
    check_all("office", "lucca-office.yaml", 6);
}

#[test]
fn every_directory_example_parses() {
    check_all("directory", "lucca-directory-v3.yaml", 5);
}

#[test]
fn every_docutools_example_parses() {
    check_all("docutools", "docutools-users.yaml", 3);
}

fn example_value(file: &str, pointer: &str) -> Value {
    load(file)
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer}"))
        .clone()
}

#[test]
fn the_published_results_example_keeps_its_values() {
    let value = example_value(
        "lucca-office.yaml",
        "/components/responses/ResultsResponse/content/application~1json/examples/AnalysisResponse/value",
    );
    let results: office::types::ImportResults = serde_json::from_value(value).unwrap();

    assert_eq!(
        results
            .user_locations_created_summary
            .as_ref()
            .unwrap()
            .count,
        Some(42)
    );
    assert_eq!(
        results.global_error_summary.as_deref(),
        Some("2 errors lines detected")
    );
    let first = &results.error_lines[0];
    assert_eq!(first.line_number, Some(3));
    let line = first.line.as_ref().unwrap();
    assert_eq!(
        line.date.as_ref().and_then(roster::EchoedDate::date),
        NaiveDate::from_ymd_opt(2025, 9, 20)
    );
    assert_eq!(
        line.position,
        Some(Open::Known(office::types::ImportedLinePosition::FullDay))
    );
    assert!(results.warning_lines[0].line.as_ref().unwrap().is_deletion);
    assert_eq!(results.warning_lines[0].is_conflict, Some(true));
}

#[test]
fn nulls_parse_as_none() {
    let value = example_value(
        "lucca-office.yaml",
        "/paths/~1work-locations~1public~1api~1imports~1user-locations~1analysis/get/responses/200/content/application~1json/examples/AnalysisResponse/value",
    );
    let analysis: office::types::ImportAnalysis = serde_json::from_value(value).unwrap();

    assert_eq!(analysis.global_error_summary, None);
    assert_eq!(analysis.error_file_uri, None);
    assert_eq!(analysis.error_lines[0].line.as_ref().unwrap().comment, None);
}

#[test]
fn zone_less_date_times_parse() {
    let value = example_value(
        "lucca-directory-v3.yaml",
        "/components/examples/UserJohnDoe/value",
    );
    let user = serde_json::from_value::<directory::types::UserEnvelope>(value)
        .unwrap()
        .data;
    let at = |text: &str| {
        roster::VendorDateTime::from(
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").unwrap(),
        )
    };

    assert_eq!(user.modified_at, Some(at("2015-09-07T10:20:06.583")));
    assert_eq!(user.dt_contract_start, Some(at("2014-09-01T00:00:00")));
    assert_eq!(user.dt_contract_end, None);
    assert_eq!(user.culture_id, Some(1036));
    assert_eq!(
        user.user_work_cycles[2].ends_on,
        Some(at("9999-12-31T00:00:00"))
    );
    assert_eq!(
        user.manager.as_ref().unwrap().name.as_deref(),
        Some("Roger Smith")
    );
}

#[test]
fn zone_less_date_times_are_sent_without_a_zone() {
    let update = directory::types::UserUpdate::builder().dt_contract_start(Some(
        roster::VendorDateTime::from(
            NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        ),
    ));
    let update = directory::types::UserUpdate::try_from(update).unwrap();

    let sent = serde_json::to_value(&update).unwrap();

    assert_eq!(
        sent,
        serde_json::json!({ "dtContractStart": "2025-01-01T00:00:00" })
    );
}
