//! The build script: each rewrite, the located errors of unusable specs, and
//! that a spec change changes the generated code.

use serde_json::{Value, json};

use crate::generate::{APIS, Api, generate};
use crate::rewrite::{Options, rewrite, tag_code_fences};

const OFFICE: Options = Options {
    echoed_line_dates: true,
    patch_schema: None,
};

fn doc(paths: Value, components: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": { "title": "t", "version": "1" },
        "paths": paths,
        "components": components,
    })
}

fn schemas(schemas: Value) -> Value {
    doc(json!({}), json!({ "schemas": schemas }))
}

fn rewritten(mut doc: Value, options: Options) -> Value {
    rewrite(&mut doc, options).unwrap();
    doc
}

#[test]
fn the_version_becomes_3_0() {
    let doc = rewritten(schemas(json!({})), Options::default());
    assert_eq!(doc["openapi"], "3.0.3");
}

#[test]
fn type_arrays_with_null_become_nullable() {
    let doc = rewritten(
        schemas(json!({ "A": { "type": "object", "properties": {
            "n": { "type": ["integer", "null"], "format": "int32" },
            "s": { "type": ["string"] },
        }}})),
        Options::default(),
    );
    let properties = &doc["components"]["schemas"]["A"]["properties"];
    assert_eq!(
        properties["n"],
        json!({ "type": "integer", "format": "int32", "nullable": true })
    );
    assert_eq!(properties["s"], json!({ "type": "string" }));
}

#[test]
fn one_of_with_null_becomes_a_nullable_all_of() {
    let doc = rewritten(
        schemas(json!({
            "B": { "type": "object" },
            "A": { "type": "object", "properties": {
                "b": { "oneOf": [{ "$ref": "#/components/schemas/B" }, { "type": "null" }] }
            }},
        })),
        Options::default(),
    );
    assert_eq!(
        doc["components"]["schemas"]["A"]["properties"]["b"],
        json!({ "allOf": [{ "$ref": "#/components/schemas/B" }], "nullable": true })
    );
}

#[test]
fn numeric_exclusive_bounds_become_3_0_booleans() {
    let doc = rewritten(
        schemas(
            json!({ "N": { "type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10 } }),
        ),
        Options::default(),
    );
    assert_eq!(
        doc["components"]["schemas"]["N"],
        json!({ "type": "integer", "minimum": 0, "exclusiveMinimum": true,
                "maximum": 10, "exclusiveMaximum": true })
    );
}

#[test]
fn format_nullable_means_a_nullable_string() {
    let doc = rewritten(
        schemas(json!({ "S": { "type": "string", "format": "nullable" } })),
        Options::default(),
    );
    assert_eq!(
        doc["components"]["schemas"]["S"],
        json!({ "type": "string", "nullable": true })
    );
}

#[test]
fn date_times_read_with_or_without_a_zone_and_line_dates_in_any_form() {
    let spec = schemas(json!({
        "T": { "type": ["string", "null"], "format": "date-time" },
        "ImportedLine": { "type": "object", "properties": { "date": { "type": "string", "format": "date" } } },
    }));

    let office = rewritten(spec.clone(), OFFICE);
    let other = rewritten(spec, Options::default());

    let t = &office["components"]["schemas"]["T"];
    assert_eq!(t["x-rust-type"]["path"], "roster::VendorDateTime");
    assert_eq!(t.get("format"), None);
    assert_eq!(t["nullable"], true);
    assert_eq!(
        other["components"]["schemas"]["T"]["x-rust-type"]["path"],
        "roster::VendorDateTime"
    );
    let date =
        |doc: &Value| doc["components"]["schemas"]["ImportedLine"]["properties"]["date"].clone();
    assert_eq!(date(&office)["x-rust-type"]["path"], "roster::EchoedDate");
    assert_eq!(date(&other)["format"], "date");
}

#[test]
fn closed_objects_are_opened_to_unknown_fields() {
    let doc = rewritten(
        schemas(json!({ "O": { "type": "object", "additionalProperties": false } })),
        Options::default(),
    );
    assert_eq!(
        doc["components"]["schemas"]["O"],
        json!({ "type": "object" })
    );
}

#[test]
fn inline_enums_are_named_and_opened() {
    let doc = rewritten(
        schemas(json!({ "Line": { "type": "object", "properties": {
            "position": { "type": "string", "enum": ["FullDay", "FirstHalf"] },
            "tags": { "type": "array", "items": { "type": "string", "enum": ["a"] } },
        }}})),
        Options::default(),
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["LinePosition"]["enum"],
        json!(["FullDay", "FirstHalf"])
    );
    assert_eq!(schemas["LineTagsItem"]["enum"], json!(["a"]));
    let position = &schemas["Line"]["properties"]["position"]["x-rust-type"];
    assert_eq!(position["path"], "roster::Open");
    assert_eq!(
        position["parameters"],
        json!([{ "$ref": "#/components/schemas/LinePosition" }])
    );
    assert_eq!(
        schemas["Line"]["properties"]["tags"]["items"]["x-rust-type"]["parameters"],
        json!([{ "$ref": "#/components/schemas/LineTagsItem" }])
    );
}

#[test]
fn a_property_named_like_a_keyword_is_still_rewritten() {
    let doc = rewritten(
        schemas(json!({ "A": { "type": "object", "properties": {
            "default": { "type": ["string", "null"] },
            "example": { "type": "string", "format": "nullable" },
        }}})),
        Options::default(),
    );
    let properties = &doc["components"]["schemas"]["A"]["properties"];
    assert_eq!(properties["default"]["nullable"], true);
    assert_eq!(properties["example"]["nullable"], true);
}

#[test]
fn examples_and_defaults_are_left_as_they_are() {
    let doc = rewritten(
        schemas(json!({ "A": {
            "type": "object",
            "default": { "type": ["x", "null"] },
            "example": { "format": "nullable" },
        }})),
        Options::default(),
    );
    assert_eq!(
        doc["components"]["schemas"]["A"]["default"],
        json!({ "type": ["x", "null"] })
    );
    assert_eq!(
        doc["components"]["schemas"]["A"]["example"],
        json!({ "format": "nullable" })
    );
}

#[test]
fn authorization_parameters_are_dropped_everywhere() {
    let auth = json!({ "name": "Authorization", "in": "header", "required": true, "schema": { "type": "string" } });
    let spec = doc(
        json!({ "/a": {
            "parameters": [{ "$ref": "#/components/parameters/Authorization" }],
            "get": {
                "operationId": "a",
                "parameters": [
                    { "name": "authorization", "in": "header", "schema": { "type": "string" } },
                    { "name": "q", "in": "query", "schema": { "type": "string" } },
                ],
                "responses": { "200": { "description": "ok" } },
            },
        }}),
        json!({ "parameters": { "Authorization": auth } }),
    );
    let doc = rewritten(spec, Options::default());
    assert_eq!(doc["paths"]["/a"]["parameters"], json!([]));
    assert_eq!(
        doc["paths"]["/a"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(doc["paths"]["/a"]["get"]["parameters"][0]["name"], "q");
    assert_eq!(doc["components"]["parameters"], json!({}));
}

fn multipart_operation(response_schema: Value) -> Value {
    json!({
        "operationId": "upload",
        "requestBody": { "content": { "multipart/form-data": { "schema": { "type": "object" } } } },
        "responses": { "200": { "description": "ok", "content": { "application/json": { "schema": response_schema } } } },
    })
}

#[test]
fn multipart_operations_are_left_to_the_handwritten_layer() {
    let spec = doc(
        json!({
            "/upload": { "post": multipart_operation(json!({ "$ref": "#/components/schemas/Done" })) },
            "/both": {
                "post": multipart_operation(json!({ "$ref": "#/components/schemas/Done" })),
                "get": { "operationId": "kept", "responses": { "200": { "description": "ok" } } },
            },
        }),
        json!({ "schemas": { "Done": { "type": "object" } } }),
    );
    let doc = rewritten(spec, Options::default());
    assert_eq!(doc["paths"].get("/upload"), None);
    assert_eq!(doc["paths"]["/both"].get("post"), None);
    assert_eq!(doc["paths"]["/both"]["get"]["operationId"], "kept");
    assert!(doc["components"]["schemas"].get("Done").is_some());
}

#[test]
fn a_multipart_operation_with_an_inline_response_is_refused_where_it_stands() {
    let mut spec = doc(
        json!({ "/up/load": { "post": multipart_operation(json!({ "type": "object" })) } }),
        json!({}),
    );
    let error = rewrite(&mut spec, Options::default()).unwrap_err();
    assert_eq!(
        error.pointer,
        "/paths/~1up~1load/post/responses/200/content/application~1json/schema"
    );
    assert!(
        error.message.contains("components/schemas"),
        "{}",
        error.message
    );
}

#[test]
fn code_fences_without_a_language_become_text() {
    let text = "Example:\n```\n--b\n```\nand\n```json\n{}\n```\n  ```\nx\n  ```";
    assert_eq!(
        tag_code_fences(text),
        "Example:\n```text\n--b\n```\nand\n```json\n{}\n```\n  ```text\nx\n  ```"
    );
}

#[test]
fn descriptions_everywhere_get_their_fences_tagged() {
    let spec = doc(
        json!({ "/a": { "get": {
            "operationId": "a",
            "description": "```\nx\n```",
            "responses": { "200": { "description": "ok" } },
        }}}),
        json!({ "schemas": { "S": { "type": "string", "description": "```\ny\n```" } } }),
    );
    let doc = rewritten(spec, Options::default());
    assert_eq!(doc["paths"]["/a"]["get"]["description"], "```text\nx\n```");
    assert_eq!(
        doc["components"]["schemas"]["S"]["description"],
        "```text\ny\n```"
    );
}

#[test]
fn a_dangling_reference_is_named_by_its_pointer() {
    let mut spec = doc(
        json!({ "/a": { "get": {
            "operationId": "a",
            "responses": { "200": { "description": "ok", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Missing" }
            }}}},
        }}}),
        json!({}),
    );
    let error = rewrite(&mut spec, Options::default()).unwrap_err();
    assert_eq!(
        error.pointer,
        "/paths/~1a/get/responses/200/content/application~1json/schema/$ref"
    );
    assert!(
        error.message.contains("#/components/schemas/Missing"),
        "{}",
        error.message
    );
}

#[test]
fn unsupported_shapes_are_named_by_their_pointer() {
    let mut several_types = schemas(json!({ "X": { "type": ["string", "integer"] } }));
    let error = rewrite(&mut several_types, Options::default()).unwrap_err();
    assert_eq!(error.pointer, "/components/schemas/X/type");

    let mut swagger = json!({ "openapi": "2.0", "paths": {} });
    let error = rewrite(&mut swagger, Options::default()).unwrap_err();
    assert_eq!(error.pointer, "/openapi");
    assert!(error.message.contains("2.0"));
}

fn office() -> Api {
    APIS.into_iter().find(|api| api.module == "office").unwrap()
}

fn spec_text(api: &Api) -> String {
    std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), api.file)).unwrap()
}

#[test]
fn adding_a_response_field_changes_the_generated_type() {
    let api = office();
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    spec["components"]["schemas"]["ImportProgress"]["properties"]["etaSeconds"] =
        json!({ "type": ["integer", "null"], "format": "int32" });

    let before = generate(&api, &spec_text(&api)).unwrap();
    let after = generate(&api, &serde_yaml_ng::to_string(&spec).unwrap()).unwrap();

    assert!(!before.contains("eta_seconds"));
    assert!(
        after.contains("pub eta_seconds: ::std::option::Option<i32>"),
        "field not generated"
    );
}

#[test]
fn an_unusable_spec_fails_with_its_file_and_pointer() {
    let api = office();
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    spec["components"]["schemas"]["Office"]["properties"]["floors"]["items"] =
        json!({ "$ref": "#/components/schemas/Storey" });

    let error = generate(&api, &serde_yaml_ng::to_string(&spec).unwrap()).unwrap_err();

    assert_eq!(
        error.to_string(),
        "openapi/lucca-office.yaml at #/components/schemas/Office/properties/floors/items/$ref: \
         `#/components/schemas/Storey` points to nothing in this file"
    );
}

#[test]
fn an_inline_enum_whose_hoisted_name_collides_fails_with_its_file_and_pointer() {
    let api = office();
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    // `WorkLocation.type` is an inline enum hoisted as `WorkLocationType`.
    spec["components"]["schemas"]["WorkLocationType"] = json!({ "type": "integer" });

    let error = generate(&api, &serde_yaml_ng::to_string(&spec).unwrap()).unwrap_err();

    assert_eq!(
        error.to_string(),
        "openapi/lucca-office.yaml at #/components/schemas/WorkLocation/properties/type: \
         this inline enum would be named `WorkLocationType`, which is already a schema of this spec: \
         rename one of them"
    );
}

#[test]
fn a_spec_that_is_not_yaml_names_its_file_and_line() {
    let error = generate(&office(), "openapi: 3.1.0\npaths: [unclosed\n").unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("openapi/lucca-office.yaml: not readable YAML"),
        "{text}"
    );
    assert!(text.contains("line"), "{text}");
}

#[test]
fn a_spec_that_is_not_openapi_names_the_node() {
    let spec = json!({
        "openapi": "3.0.3",
        "info": { "title": "t", "version": "1" },
        "paths": { "/a": { "get": { "operationId": "a", "responses": { "200": 7 } } } },
    });
    let error = generate(&office(), &serde_yaml_ng::to_string(&spec).unwrap()).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("openapi/lucca-office.yaml at #/paths/~1a/get/responses/200: "),
        "{text}"
    );
}

#[test]
fn string_constraints_stay_on_what_is_sent_and_leave_what_is_received() {
    let spec = doc(
        json!({ "/a": { "post": {
            "operationId": "a",
            "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Sent" } } } },
            "responses": { "200": { "description": "ok", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Received" }
            }}}},
        }}}),
        json!({ "schemas": {
            "Sent": { "type": "object", "properties": { "name": { "type": "string", "maxLength": 5 }, "inner": { "$ref": "#/components/schemas/Inner" } } },
            "Inner": { "type": "string", "minLength": 1 },
            "Received": { "type": "object", "properties": {
                "name": { "type": "string", "maxLength": 5, "pattern": "^a" },
                "pattern": { "type": "string" },
            }},
        }}),
    );
    let doc = rewritten(spec, Options::default());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Sent"]["properties"]["name"]["maxLength"], 5);
    assert_eq!(schemas["Inner"]["minLength"], 1);
    assert_eq!(
        schemas["Received"]["properties"]["name"],
        json!({ "type": "string" })
    );
    assert_eq!(
        schemas["Received"]["properties"]["pattern"],
        json!({ "type": "string" }),
        "a property named like a keyword stays"
    );
}

#[test]
fn every_generated_call_sends_through_the_one_request_path() {
    // progenitor's hooks are gone (they could hand a failure back only as a
    // string); each builder's `send` reads `answer`, which hands the request
    // to `Transport::call`, as `open` does.
    for code in [
        include_str!(concat!(env!("OUT_DIR"), "/office.rs")),
        include_str!(concat!(env!("OUT_DIR"), "/directory.rs")),
        include_str!(concat!(env!("OUT_DIR"), "/docutools.rs")),
    ] {
        for glue in [
            "ClientHooks",
            "ClientInfo",
            "ResponseValue",
            "OperationInfo",
            "api-version",
        ] {
            assert!(!code.contains(glue), "{glue} is left in the generated code");
        }
        // Compared without white space: prettyplease breaks long lines.
        let code: String = code.split_whitespace().collect();
        let sends = code.matches("pubasyncfnsend(self").count();
        assert!(sends > 0);
        assert_eq!(code.matches("self.answer().await?.json()").count(), sends);
        assert_eq!(
            code.matches("crate::transport::Outgoing::new(operation,request)")
                .count(),
            sends,
            "each builder describes its request for the transport once"
        );
        // `answer` and `open` hand it to the transport.
        assert_eq!(code.matches(".call(").count(), 2 * sends);
    }
}

#[test]
fn error_responses_are_not_generated_so_their_bodies_reach_the_caller() {
    let spec = doc(
        json!({ "/a": { "get": {
            "operationId": "a",
            "responses": {
                "200": { "description": "ok" },
                "401": { "description": "no" },
                "default": { "description": "other" },
            },
        }}}),
        json!({}),
    );
    let doc = rewritten(spec, Options::default());
    let statuses: Vec<&String> = doc["paths"]["/a"]["get"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(statuses, ["200"]);
}

#[test]
fn the_prism_copy_reads_nullable_strings_and_date_times_with_or_without_a_zone() {
    let mut doc = schemas(json!({
        "S": { "type": "string", "format": "nullable", "example": "x" },
        "T": { "type": "string", "format": "date-time", "example": "2014-09-01T00:00:00" },
    }));
    doc["components"]["examples"] = json!({ "E": { "value": { "format": "nullable" } } });

    crate::rewrite::prism_copy(&mut doc);

    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["S"],
        json!({ "type": ["string", "null"], "example": "x" })
    );
    let pattern = regex::Regex::new(schemas["T"]["pattern"].as_str().unwrap()).unwrap();
    let pattern = |text: &str| pattern.is_match(text);
    for accepted in [
        "2014-09-01T00:00:00",
        "2015-09-07T10:20:06.583",
        "2023-11-07T05:31:56Z",
        "2023-11-07T07:31:56.5+02:00",
    ] {
        assert!(pattern(accepted), "{accepted}");
    }
    assert!(!pattern("2023-11-07"));
    assert_eq!(
        doc["components"]["examples"]["E"]["value"]["format"], "nullable",
        "data untouched"
    );
}

/// `UserPatch`'s setters are the spec's `UserUpdate`: one per property
/// (a property added to the spec gets its setter, with the bounds it
/// gives), a clearer for each that takes `null`, and a shape roster cannot
/// take fails the build at its pointer.
#[test]
fn user_patch_setters_are_generated_from_the_spec_s_user_update() {
    let api = APIS[1];
    assert_eq!(api.module, "directory");
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    let fields = roster_codegen::patch::patch_fields(&spec, "UserUpdate").unwrap();
    let properties: std::collections::BTreeSet<&str> = spec["components"]["schemas"]["UserUpdate"]
        ["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let setters: std::collections::BTreeSet<&str> =
        roster::directory::UserPatch::KEYS.iter().copied().collect();
    assert_eq!(properties, setters);
    assert!(fields.contains(r#"culture_id: "cultureID", i32, |value| whole(i64::from(value), Some(1025), Some(58380));"#), "{fields}");
    assert!(
        fields.contains(r#"manager_id / clear_manager_id: "managerId", i64,"#),
        "{fields}"
    );
    assert!(fields.contains(r#"profile_figgo / clear_profile_figgo: "profile_figgo", i64, |value| Ok(id_object(value));"#), "{fields}");
    // The one table of the update's fields: shape, null, whole-body required.
    assert!(fields.contains(r#"Field { key: "cultureID", shape: Shape::Integer { min: Some(1025), max: Some(58380) }, nullable: false, required: true },"#), "{fields}");
    assert!(fields.contains(r#"Field { key: "jobTitle", shape: Shape::Text { min: 1, max: None }, nullable: true, required: false },"#), "{fields}");
    assert!(fields.contains(r#"Field { key: "habilitedRoles", shape: Shape::IdObjects, nullable: false, required: true },"#), "{fields}");
    let mut unknown = spec.clone();
    unknown["components"]["schemas"]["UserUpdate"]["x-roster-whole-body-required"] =
        json!(["firstName", "nickName"]);
    let error = roster_codegen::patch::patch_fields(&unknown, "UserUpdate").unwrap_err();
    assert_eq!(
        error.pointer,
        "/components/schemas/UserUpdate/x-roster-whole-body-required"
    );

    let update = &mut spec["components"]["schemas"]["UserUpdate"]["properties"];
    update["badgeNumber"] = json!({ "type": ["string", "null"], "minLength": 3, "maxLength": 8 });
    let fields = roster_codegen::patch::patch_fields(&spec, "UserUpdate").unwrap();
    assert!(
        fields.contains(r#"badge_number / clear_badge_number: "badgeNumber", impl Into<String>, |value| text(value, 3, Some(8));"#),
        "{fields}"
    );
    // OpenAPI 3.0's exclusive bound, a float bound, a keyword's name.
    let update = &mut spec["components"]["schemas"]["UserUpdate"]["properties"];
    update["seats"] =
        json!({ "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10.0 });
    update["type"] = json!({ "type": "string" });
    let fields = roster_codegen::patch::patch_fields(&spec, "UserUpdate").unwrap();
    assert!(
        fields.contains(r#"seats: "seats", i64, |value| whole(value, Some(1), Some(10));"#),
        "{fields}"
    );
    assert!(
        fields.contains(r#"type_: "type", impl Into<String>,"#),
        "{fields}"
    );
    spec["components"]["schemas"]["UserUpdate"]["properties"]["odd"] =
        json!({ "type": ["string", "integer"] });
    let error = roster_codegen::patch::patch_fields(&spec, "UserUpdate").unwrap_err();
    assert_eq!(
        error.pointer,
        "/components/schemas/UserUpdate/properties/odd"
    );
}

/// The names the handwritten layer sends the multipart operations with
/// come from the spec: a query parameter renamed there is renamed in the
/// generated names (and the handwritten code that used the old one no
/// longer compiles); every operation is a variant of `roster::Operation`.
#[test]
fn multipart_names_and_operations_come_from_the_spec() {
    let api = office();
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    let generated =
        roster_codegen::generate::generate_api(&api, api.file, &spec_text(&api)).unwrap();
    assert!(
        generated.code.contains(
            r#"pub(crate) const OVERRIDE_USER_LOCATIONS: &str = "overrideUserLocations";"#
        )
    );
    assert!(
        generated
            .code
            .contains(r#"pub(crate) const FILES: &str = "files";"#)
    );
    let import = generated
        .operations
        .iter()
        .find(|row| row.multipart)
        .unwrap();
    assert_eq!(import.variant(), "PostOfficeApiImportsUserLocations");
    assert_eq!(
        roster::Operation::PostOfficeApiImportsUserLocations.path(),
        import.path
    );
    // Office 7, Directory 7 (users 4, organization 3), Docutools 2 and
    // its token exchange.
    assert_eq!(roster::Operation::ALL.len(), 17);
    // A page's bound: the `limit` parameter's `maximum`.
    assert!(
        generated
            .code
            .contains("pub(crate) const LIMIT_MAXIMUM: u32 = 1000;")
    );
    assert_eq!(roster::office::NEWER_MAX_LIMIT, 1000);
    let mut smaller = spec.clone();
    smaller["components"]["parameters"]["Limit"]["schema"]["maximum"] = json!(500);
    let text = serde_yaml_ng::to_string(&smaller).unwrap();
    let bounded = roster_codegen::generate::generate_api(&api, api.file, &text).unwrap();
    assert!(
        bounded
            .code
            .contains("pub(crate) const LIMIT_MAXIMUM: u32 = 500;")
    );

    let parameters =
        spec["paths"]["/work-locations/public/api/imports/user-locations"]["post"]["parameters"]
            .as_array_mut()
            .unwrap();
    for parameter in parameters.iter_mut() {
        if parameter["name"] == "overrideUserLocations" {
            parameter["name"] = json!("replaceUserLocations");
        }
    }
    let text = serde_yaml_ng::to_string(&spec).unwrap();
    let renamed = roster_codegen::generate::generate_api(&api, api.file, &text).unwrap();
    assert!(!renamed.code.contains("OVERRIDE_USER_LOCATIONS"));
    assert!(
        renamed
            .code
            .contains(r#"pub(crate) const REPLACE_USER_LOCATIONS: &str = "replaceUserLocations";"#)
    );
}

/// The import file's columns come from the spec's `x-roster-csv-*`
/// extensions, and each schema's property names from the schema: a
/// required column the columns do not list is a build error at the part.
#[test]
fn the_file_s_columns_and_the_schemas_property_names_come_from_the_spec() {
    let api = office();
    let spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    let generated =
        roster_codegen::generate::generate_api(&api, api.file, &spec_text(&api)).unwrap();
    let code: String = generated.code.split_whitespace().collect();
    assert!(
        code.contains(
            "pub(crate)constHEADER:[&str;7]=[LOGIN,WORK_LOCATION_NAME,AREA_NAME,DATE,POSITION,COMMENT,IS_DELETION,];"
        ) || code.contains(
            "pub(crate)constHEADER:[&str;7]=[LOGIN,WORK_LOCATION_NAME,AREA_NAME,DATE,POSITION,COMMENT,IS_DELETION];"
        ),
        "no HEADER"
    );
    assert!(
        generated
            .code
            .contains(r#"pub(crate) const WORK_LOCATION_NAME: &str = "workLocationName";"#)
    );
    assert!(
        generated
            .code
            .contains(r#"pub(crate) const ERROR_LINES: &str = "errorLines";"#)
    );

    let files = "/paths/~1work-locations~1public~1api~1imports~1user-locations/post/requestBody/content/multipart~1form-data/schema/properties/files";
    let mut stray = spec.clone();
    stray.pointer_mut(files).unwrap()["x-roster-csv-required"] = json!(["login", "badge"]);
    let text = serde_yaml_ng::to_string(&stray).unwrap();
    let error = roster_codegen::generate::generate_api(&api, api.file, &text).unwrap_err();
    assert!(error.to_string().contains("`badge`"), "{error}");
}

#[test]
fn the_fields_a_complete_update_sends_are_in_the_spec() {
    let api = APIS[1];
    let spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    let properties = spec["components"]["schemas"]["UserUpdate"]["properties"]
        .as_object()
        .unwrap();
    // The 14 fields the reference page marks required (the complete update
    // sends them) are properties of the spec, and named in its description.
    let description = spec["components"]["schemas"]["UserUpdate"]["description"]
        .as_str()
        .unwrap();
    let declared: Vec<&str> =
        spec["components"]["schemas"]["UserUpdate"]["x-roster-whole-body-required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
    let mut required: Vec<&str> = roster::directory::required_fields().collect();
    required.sort_unstable();
    let mut expected = declared.clone();
    expected.sort_unstable();
    assert_eq!(required, expected, "the spec's extension is the list");
    assert_eq!(required.len(), 14);
    for name in roster::directory::required_fields() {
        assert!(
            properties.contains_key(name),
            "{name} is not a UserUpdate property"
        );
        assert!(
            description.contains(&format!("`{name}`")),
            "{name} is not in the description"
        );
    }
}

#[test]
fn an_openapi_3_1_keyword_left_unconverted_fails_with_its_pointer() {
    let api = office();
    let mut spec: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();
    spec["components"]["schemas"]["Floor"]["properties"]["name"]["const"] = json!("Ground");

    let error = generate(&api, &serde_yaml_ng::to_string(&spec).unwrap()).unwrap_err();

    assert_eq!(
        error.to_string(),
        "openapi/lucca-office.yaml at #/components/schemas/Floor/properties/name/const: \
         `const` is an OpenAPI 3.1 keyword no rewrite converts to 3.0: progenitor would ignore it"
    );
}

#[test]
fn every_rewrite_is_named_and_says_which_nodes_it_touched() {
    let api = office();
    let mut doc: Value = serde_yaml_ng::from_str(&spec_text(&api)).unwrap();

    let touched = crate::rewrite::rewrite_traced(&mut doc, api.options).unwrap();

    let names: Vec<&str> = touched.iter().map(|rewrite| rewrite.name).collect();
    let listed: Vec<&str> = crate::rewrite::REWRITES
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(names, listed, "every rewrite runs, in the listed order");
    let of = |name: &str| {
        &touched
            .iter()
            .find(|rewrite| rewrite.name == name)
            .unwrap()
            .pointers
    };
    assert_eq!(of("openapi-3.0"), &["/"]);
    assert!(
        of("type-arrays-as-nullable")
            .contains(&"/components/schemas/Area/properties/floorKey".to_owned())
    );
    assert!(
        of("date-times-vendor")
            .contains(&"/components/schemas/UserLocation/properties/createdAt".to_owned())
    );
    assert!(
        of("objects-open").is_empty(),
        "nothing is closed in this spec"
    );
}
