//! The accepted API surface of each generated module (`openapi/surface/`)
//! and the breaking-change report of a spec edit.

use crate::generate::{APIS, Api, generate_from};
use crate::surface::{Kind, compare};

fn spec_text(api: &Api) -> String {
    std::fs::read_to_string(api.file).unwrap()
}

fn listing(api: &Api, text: &str) -> String {
    generate_from(api, api.file, text).unwrap().1
}

/// The accepted listings match what the vendored specs generate. After a
/// deliberate spec change: `ROSTER_ACCEPT_SURFACE=1 cargo test --test it surface`.
#[test]
fn the_accepted_surfaces_match_the_specs() {
    let accept = std::env::var_os("ROSTER_ACCEPT_SURFACE").is_some();
    for api in APIS {
        let path = format!("openapi/surface/{}.txt", api.module);
        let current = listing(&api, &spec_text(&api));
        let accepted = std::fs::read_to_string(&path).unwrap_or_default();
        let changes = compare(api.module, &accepted, &current);
        if accept {
            std::fs::write(&path, &current).unwrap();
            continue;
        }
        let report: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert!(
            report.is_empty(),
            "{path} is not the surface the spec generates:\n{}\n\
             Accept it with `ROSTER_ACCEPT_SURFACE=1 cargo test --test it surface`.",
            report.join("\n")
        );
    }
}

fn office_with(edit: impl FnOnce(&mut serde_yaml_ng::Value)) -> String {
    let api = APIS[0];
    let mut spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    edit(&mut spec);
    listing(&api, &serde_yaml_ng::to_string(&spec).unwrap())
}

#[test]
fn a_removed_field_a_changed_type_and_a_new_optional_field_are_two_breaking_and_one_additive() {
    let api = APIS[0];
    assert_eq!(api.module, "office");
    let before = listing(&api, &spec_text(&api));

    let after = office_with(|spec| {
        let schemas = &mut spec["components"]["schemas"];
        let results = schemas["ImportResults"]["properties"]
            .as_mapping_mut()
            .unwrap();
        results.remove("errorFileUri");
        results.insert(
            "note".into(),
            serde_yaml_ng::from_str("{type: string}").unwrap(),
        );
        schemas["Floor"]["properties"]["position"] =
            serde_yaml_ng::from_str("{type: string}").unwrap();
    });

    let changes = compare("office", &before, &after);
    let lines: Vec<String> = changes
        .iter()
        .filter(|change| change.kind != Kind::Rewrite)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "breaking: `office::types::Floor::position` changed: `Option<i32>` → `Option<String>`",
            "breaking: `office::types::ImportResults::error_file_uri` removed (field)",
            "additive: `office::types::ImportResults::note` added (field, `Option<String>`)",
        ]
    );
    assert_eq!(
        changes
            .iter()
            .filter(|change| change.kind == Kind::Breaking)
            .count(),
        2
    );
}

#[test]
fn no_change_no_output_and_operations_and_variants_are_named() {
    let api = APIS[0];
    let before = listing(&api, &spec_text(&api));
    assert!(compare("office", &before, &before).is_empty());

    let after = office_with(|spec| {
        let paths = spec["paths"].as_mapping_mut().unwrap();
        paths.remove("/work-locations/public/api/user-locations/{id}");
        let position = &mut spec["components"]["schemas"]["Position"]["enum"];
        position
            .as_sequence_mut()
            .unwrap()
            .retain(|value| value != "SecondHalf");
        let progress = &mut spec["paths"]["/work-locations/public/api/imports/user-locations/progress"]
            ["get"]["parameters"];
        progress.as_sequence_mut().unwrap().push(
            serde_yaml_ng::from_str(
                "{name: tenant, in: query, required: true, schema: {type: string}}",
            )
            .unwrap(),
        );
    });

    let lines: Vec<String> = compare("office", &before, &after)
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "breaking: `office::Client::get_office_api_user_locations_id()` removed (operation)",
        "breaking: `office::types::Position::SecondHalf` removed (enum variant)",
        "breaking: `office::Client::get_office_api_imports_user_locations_progress().tenant()` added as a required parameter (`String (required)`)",
    ] {
        assert!(
            lines.iter().any(|line| line == expected),
            "{expected}\nin\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn what_is_new_inside_a_new_type_or_operation_is_additive_and_a_loosened_but_retyped_parameter_breaks()
 {
    let before = "op get_a -> A\nparam get_a.id: i64 (required)\ntype A\nfield A.x: i32\n";
    let after = "op get_a -> A\nparam get_a.id: Option<String> (optional)\ntype A\nfield A.x: i32\n\
                 type B\nfield B.y: bool\nop get_b -> B\nparam get_b.id: i64 (required)\n";

    let lines: Vec<String> = compare("m", before, after)
        .iter()
        .map(ToString::to_string)
        .collect();

    assert_eq!(
        lines,
        [
            "breaking: `m::Client::get_a().id()` changed: `i64 (required)` → `Option<String> (optional)`",
            "additive: `m::Client::get_b().id()` added (parameter, `i64 (required)`)",
            "additive: `m::Client::get_b()` added (operation, `B`)",
            "additive: `m::types::B::y` added (field, `bool`)",
            "additive: `m::types::B` added (type)",
        ]
    );
    let loosened = compare(
        "m",
        before,
        &before.replace("i64 (required)", "Option<i64> (optional)"),
    );
    assert_eq!(loosened.len(), 1);
    assert_eq!(loosened[0].kind, Kind::Additive, "{}", loosened[0]);
}
