//! The in-memory rewrites that turn a vendored spec into one progenitor 0.15
//! can generate from. The files in `openapi/` are never changed; every
//! rewrite here is listed, with its reason, in `openapi/README.md`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::spec_error::{NodeError, child};

/// The HTTP methods of an OpenAPI path item.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keys whose values are data (examples, defaults, enum values) rather than
/// spec structure: the rewrites never look inside them.
const DATA_KEYS: [&str; 5] = ["example", "examples", "default", "enum", "const"];

/// Keys whose values are schemas in a slot where an enum may be opened.
const SCHEMA_LIST_KEYS: [&str; 3] = ["allOf", "oneOf", "anyOf"];

/// Per-spec choices of the rewrite.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The result lines' `ImportedLine.date` (Lucca Office) echoes the row's
    /// date in several forms, or its raw cell: it becomes
    /// `roster::EchoedDate`.
    pub echoed_line_dates: bool,
    /// The object schema whose properties become the setters of a partial
    /// update (`UserUpdate`: `roster::directory::UserPatch`).
    pub patch_schema: Option<&'static str>,
}

/// The rewrites, in the order they run: each one's name and why
/// (`openapi/README.md` says more).
pub const REWRITES: [(&str, &str); 15] = [
    ("openapi-3.0", "progenitor 0.15 takes OpenAPI 3.0 only"),
    (
        "multipart-handwritten",
        "progenitor cannot build multipart bodies: the handwritten layer owns them",
    ),
    (
        "authorization-in-client",
        "auth is the client's, not every call's argument",
    ),
    (
        "error-responses-undeclared",
        "a declared error response loses its body in progenitor",
    ),
    (
        "response-strings-unconstrained",
        "a value a little longer than documented must not fail an answer",
    ),
    (
        "inline-enums-hoisted",
        "inline enums need a name to be opened",
    ),
    (
        "null-members-as-nullable",
        "3.1 `oneOf: [X, null]` is 3.0 `nullable`",
    ),
    (
        "type-arrays-as-nullable",
        "3.1 `type: [T, null]` is 3.0 `nullable`",
    ),
    (
        "exclusive-bounds-as-booleans",
        "3.1 numeric exclusive bounds are 3.0 booleans",
    ),
    (
        "format-nullable",
        "Lucca's `format: nullable` is a string that may be null",
    ),
    (
        "date-times-vendor",
        "date-times come with or without a zone: `roster::VendorDateTime`",
    ),
    (
        "echoed-line-dates",
        "result lines echo dates in any form: `roster::EchoedDate`",
    ),
    ("objects-open", "an unknown field must not fail an answer"),
    (
        "enums-open",
        "an enum value added later must not fail an answer: `roster::Open`",
    ),
    (
        "code-fences-tagged",
        "untagged code fences would be failing doctests",
    ),
];

/// The JSON pointers one rewrite changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    /// The rewrite's name (in [`REWRITES`]).
    pub name: &'static str,
    /// The nodes it changed, each once.
    pub pointers: Vec<String>,
}

/// Applies every rewrite to `doc`, or says which node makes the spec unusable.
#[allow(dead_code)] // The tests' entry point (`tests/it/codegen.rs`).
pub fn rewrite(doc: &mut Value, options: Options) -> Result<(), NodeError> {
    rewrite_traced(doc, options).map(drop)
}

/// Like [`rewrite`], and says which nodes each rewrite changed.
pub fn rewrite_traced(doc: &mut Value, options: Options) -> Result<Vec<Touched>, NodeError> {
    check_refs(doc, doc, "")?;
    let mut touched = Vec::new();
    let mut enums = BTreeSet::new();
    for (name, _) in REWRITES {
        let before = doc.clone();
        match name {
            "openapi-3.0" => downgrade_version(doc)?,
            "multipart-handwritten" => drop_multipart_operations(doc)?,
            "authorization-in-client" => drop_authorization_parameters(doc),
            "error-responses-undeclared" => drop_error_responses(doc),
            "response-strings-unconstrained" => relax_response_only_strings(doc),
            "inline-enums-hoisted" => enums = hoist_inline_enums(doc)?,
            shape => rewrite_node(doc, "", "", options, &enums, shape)?,
        }
        let mut pointers = Vec::new();
        changed_nodes(&before, doc, "", &mut pointers);
        touched.push(Touched { name, pointers });
    }
    check_no_3_1_keywords(doc, "", "")?;
    Ok(touched)
}

/// The pointers of the nodes that differ (an object whose own keys or
/// scalar values changed is named once; unchanged parts are not named).
fn changed_nodes(before: &Value, after: &Value, pointer: &str, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let own_change = old.keys().any(|key| !new.contains_key(key))
                || new.keys().any(|key| !old.contains_key(key))
                || old.iter().any(|(key, value)| {
                    !value.is_object() && !value.is_array() && new.get(key) != Some(value)
                });
            if own_change {
                out.push(if pointer.is_empty() {
                    "/".into()
                } else {
                    pointer.to_owned()
                });
            }
            for (key, value) in old {
                if let Some(other) = new.get(key)
                    && (value.is_object() || value.is_array())
                {
                    changed_nodes(value, other, &child(pointer, key), out);
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (index, (value, other)) in old.iter().zip(new).enumerate() {
                changed_nodes(value, other, &child(pointer, &index.to_string()), out);
            }
        }
        (old, new) if old != new => out.push(pointer.to_owned()),
        _ => {}
    }
}

/// JSON Schema 2020-12 (OpenAPI 3.1) keywords that OpenAPI 3.0 does not
/// have: one left after the rewrites fails the build with its pointer
/// (progenitor would ignore it, silently).
const KEYWORDS_3_1: [&str; 12] = [
    "$defs",
    "const",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contentMediaType",
    "contentEncoding",
];

fn check_no_3_1_keywords(node: &Value, parent: &str, pointer: &str) -> Result<(), NodeError> {
    match node {
        Value::Object(map) if NAMED_MAPS.contains(&parent) => {
            for (name, value) in map {
                check_no_3_1_keywords(value, "", &child(pointer, name))?;
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                let here = child(pointer, key);
                let schema_examples = key == "examples" && value.is_array();
                let type_array = key == "type" && value.is_array();
                if KEYWORDS_3_1.contains(&key.as_str()) || schema_examples || type_array {
                    return Err(NodeError::new(
                        here,
                        format!(
                            "`{key}` is an OpenAPI 3.1 keyword no rewrite converts to 3.0: progenitor would ignore it"
                        ),
                    ));
                }
                if (DATA_KEYS.contains(&key.as_str()) && key != "const") || key.starts_with("x-") {
                    continue;
                }
                check_no_3_1_keywords(value, key, &here)?;
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_no_3_1_keywords(item, "", &child(pointer, &index.to_string()))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Every `$ref` must be local and point at a node of the same document.
fn check_refs(root: &Value, node: &Value, pointer: &str) -> Result<(), NodeError> {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let here = child(pointer, key);
                if key == "$ref" {
                    let target = value
                        .as_str()
                        .ok_or_else(|| NodeError::new(&here, "`$ref` must be a string"))?;
                    let Some(local) = target.strip_prefix('#') else {
                        return Err(NodeError::new(
                            here,
                            format!("`{target}` is not a reference inside this file (`#/…`)"),
                        ));
                    };
                    if root.pointer(local).is_none() {
                        return Err(NodeError::new(
                            here,
                            format!("`{target}` points to nothing in this file"),
                        ));
                    }
                } else {
                    check_refs(root, value, &here)?;
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_refs(root, item, &child(pointer, &index.to_string()))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// progenitor takes OpenAPI 3.0 only; the 3.1 shapes are rewritten below.
fn downgrade_version(doc: &mut Value) -> Result<(), NodeError> {
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| NodeError::new("/openapi", "the `openapi` version is missing"))?;
    if version.starts_with("3.1.") {
        doc["openapi"] = json!("3.0.3");
    } else if !version.starts_with("3.0.") {
        return Err(NodeError::new(
            "/openapi",
            format!("OpenAPI {version} is not supported (3.0.x and 3.1.x are)"),
        ));
    }
    Ok(())
}

/// Follows a local `$ref`, if `node` is one.
pub(crate) fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|target| target.strip_prefix('#'))
        .and_then(|local| root.pointer(local))
        .unwrap_or(node)
}

/// Multipart bodies belong to the handwritten layer: their operations are not
/// generated. Their success responses must name a component schema, so that
/// the handwritten layer can parse them into a generated type.
fn drop_multipart_operations(doc: &mut Value) -> Result<(), NodeError> {
    let snapshot = doc.clone();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (path, item) in paths.iter_mut() {
        let path_pointer = child("/paths", path);
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let op_pointer = child(&path_pointer, method);
            if super::facts::multipart_schema(&snapshot, operation).is_none() {
                continue;
            }
            check_named_responses(&snapshot, operation, &op_pointer)?;
            item.remove(method);
        }
    }
    paths.retain(|_, item| METHODS.iter().any(|method| item.get(method).is_some()));
    Ok(())
}

fn check_named_responses(root: &Value, operation: &Value, pointer: &str) -> Result<(), NodeError> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Ok(());
    };
    for (status, response) in responses {
        if !status.starts_with('2') {
            continue;
        }
        let Some(content) = resolve(root, response)
            .get("content")
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (media, body) in content {
            let Some(schema) = body.get("schema") else {
                continue;
            };
            let names_component = schema
                .get("$ref")
                .and_then(Value::as_str)
                .is_some_and(|target| target.starts_with("#/components/schemas/"));
            if !names_component {
                let here = [
                    &child(pointer, "responses"),
                    status,
                    "content",
                    media,
                    "schema",
                ]
                .into_iter()
                .fold(String::new(), |acc, token| {
                    if acc.is_empty() {
                        token.to_owned()
                    } else {
                        child(&acc, token)
                    }
                });
                return Err(NodeError::new(
                    here,
                    "this operation has a multipart body, so it is left to the handwritten layer; \
                     its success response must be a `$ref` to a schema in `components/schemas`",
                ));
            }
        }
    }
    Ok(())
}

fn is_authorization_parameter(root: &Value, parameter: &Value) -> bool {
    let parameter = resolve(root, parameter);
    parameter.get("in").and_then(Value::as_str) == Some("header")
        && parameter
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|name| name.eq_ignore_ascii_case("authorization"))
}

/// Authentication lives in the client (a sensitive default header), not in
/// every operation's arguments.
fn drop_authorization_parameters(doc: &mut Value) {
    let snapshot = doc.clone();
    let retain = |list: &mut Value| {
        if let Some(parameters) = list.as_array_mut() {
            parameters.retain(|parameter| !is_authorization_parameter(&snapshot, parameter));
        }
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    retain(value);
                } else if METHODS.contains(&key.as_str())
                    && let Some(parameters) = value.get_mut("parameters")
                {
                    retain(parameters);
                }
            }
        }
    }
    if let Some(parameters) = doc
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        parameters.retain(|_, parameter| !is_authorization_parameter(&snapshot, parameter));
    }
}

/// progenitor answers a declared error response with `ResponseValue::empty`,
/// which drops its body. Without a declaration the answer reaches the caller
/// whole (`UnexpectedResponse`), and becomes `roster::HttpError::Status`
/// with its body. Only success responses are generated.
fn drop_error_responses(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for method in METHODS {
            if let Some(responses) = item
                .get_mut(method)
                .and_then(|operation| operation.get_mut("responses"))
                .and_then(Value::as_object_mut)
            {
                responses.retain(|status, _| status.starts_with('2'));
            }
        }
    }
}

/// The component schemas a node refers to, directly or not.
fn referenced_schemas(root: &Value, node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref"
                    && let Some(target) = value.as_str()
                {
                    if let Some(name) = target.strip_prefix("#/components/schemas/") {
                        if found.insert(name.to_owned())
                            && let Some(schema) = root.pointer(&target[1..])
                        {
                            referenced_schemas(root, schema, found);
                        }
                    } else if let Some(target) = target
                        .strip_prefix('#')
                        .and_then(|local| root.pointer(local))
                    {
                        referenced_schemas(root, target, found);
                    }
                } else if !DATA_KEYS.contains(&key.as_str()) {
                    referenced_schemas(root, value, found);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| referenced_schemas(root, item, found)),
        _ => {}
    }
}

/// Removes length and pattern constraints; `named` says that `node` is a
/// map of names (such as `properties`), whose keys are not keywords.
fn drop_string_constraints(node: &mut Value, named: bool) {
    match node {
        Value::Object(map) => {
            if !named {
                for key in ["minLength", "maxLength", "pattern"] {
                    map.remove(key);
                }
            }
            for (key, value) in map.iter_mut() {
                if named || !DATA_KEYS.contains(&key.as_str()) {
                    drop_string_constraints(value, !named && NAMED_MAPS.contains(&key.as_str()));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| drop_string_constraints(item, false)),
        _ => {}
    }
}

/// Length and pattern constraints of schemas that only answers use are
/// dropped: typify would make them checked newtypes, and a value a little
/// longer than documented would fail a whole answer (after an import was
/// applied, say). Schemas sent in request bodies keep them.
fn relax_response_only_strings(doc: &mut Value) {
    let mut sent = BTreeSet::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for method in METHODS {
                if let Some(body) = item
                    .get(method)
                    .and_then(|operation| operation.get("requestBody"))
                {
                    referenced_schemas(doc, body, &mut sent);
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if !sent.contains(name) {
                drop_string_constraints(schema, false);
            }
        }
    }
}

fn is_string_enum(schema: &Value) -> bool {
    let stringy = match schema.get("type") {
        Some(Value::String(kind)) => kind == "string",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
        _ => false,
    };
    stringy && schema.get("enum").is_some_and(Value::is_array)
}

fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Moves the string enums defined inline in component properties into
/// components of their own (named as typify would name them), so that they
/// can be opened to unknown values. Returns the names of all enum components.
fn hoist_inline_enums(doc: &mut Value) -> Result<BTreeSet<String>, NodeError> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(BTreeSet::new());
    };
    let existing: BTreeSet<String> = schemas.keys().cloned().collect();
    let mut hoisted = Map::new();
    for (owner, schema) in schemas.iter_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (property, slot) in properties.iter_mut() {
            let (slot, suffix) = match slot.get_mut("items") {
                Some(items) if items.get("enum").is_some() => (items, "Item"),
                _ => (slot, ""),
            };
            if !is_string_enum(slot) {
                continue;
            }
            let base = format!("{}{}{suffix}", pascal_case(owner), pascal_case(property));
            let name = (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}{n}")
                    }
                })
                .find(|name| !hoisted.contains_key(name))
                .unwrap_or(base);
            if existing.contains(&name) {
                // Pointing the property at the existing schema would give
                // it another type, silently.
                let pointer = child(
                    &child(&child("/components/schemas", owner), "properties"),
                    property,
                );
                let pointer = if suffix.is_empty() {
                    pointer
                } else {
                    child(&pointer, "items")
                };
                return Err(NodeError::new(
                    pointer,
                    format!(
                        "this inline enum would be named `{name}`, which is already a schema of this spec: rename one of them"
                    ),
                ));
            }
            let definition = std::mem::replace(
                slot,
                json!({ "$ref": format!("#/components/schemas/{name}") }),
            );
            hoisted.insert(name, definition);
        }
    }
    for (name, definition) in hoisted {
        schemas.insert(name, definition);
    }
    Ok(schemas
        .iter()
        .filter(|(_, schema)| is_string_enum(schema))
        .map(|(name, _)| name.clone())
        .collect())
}

/// Maps whose keys are names chosen by the spec's author (a property may be
/// called `default`, a response is): their entries are never data keys.
const NAMED_MAPS: [&str; 8] = [
    "properties",
    "responses",
    "schemas",
    "parameters",
    "paths",
    "content",
    "headers",
    "requestBodies",
];

/// Walks the document, rewriting each object node, then its children.
/// `parent` is the key under which `node` sits.
fn rewrite_node(
    node: &mut Value,
    parent: &str,
    pointer: &str,
    options: Options,
    enums: &BTreeSet<String>,
    step: &str,
) -> Result<(), NodeError> {
    match node {
        Value::Object(map) if NAMED_MAPS.contains(&parent) => {
            for (name, value) in map.iter_mut() {
                rewrite_node(value, "", &child(pointer, name), options, enums, step)?;
            }
        }
        Value::Object(map) => {
            rewrite_schema_shapes(map, pointer, options, step)?;
            for (key, value) in map.iter_mut() {
                if DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-") {
                    continue;
                }
                if key == "description" || key == "summary" {
                    if step == "code-fences-tagged"
                        && let Some(text) = value.as_str()
                    {
                        *value = Value::String(tag_code_fences(text));
                    }
                    continue;
                }
                if step == "enums-open" {
                    open_enums_in_slot(key, value, enums);
                }
                rewrite_node(value, key, &child(pointer, key), options, enums, step)?;
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let here = child(pointer, &index.to_string());
                rewrite_node(item, "", &here, options, enums, step)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The schema rewrites of one node: 3.1 shapes to 3.0, `format: nullable`,
/// zone-less date-times, closed objects.
fn rewrite_schema_shapes(
    map: &mut Map<String, Value>,
    pointer: &str,
    options: Options,
    step: &str,
) -> Result<(), NodeError> {
    // `oneOf: [X, {type: 'null'}]` (3.1) becomes `nullable` + `allOf: [X]` (3.0).
    let null_members = if step == "null-members-as-nullable" {
        &["oneOf", "anyOf"][..]
    } else {
        &[]
    };
    for key in null_members {
        let key = *key;
        let Some(members) = map.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        let before = members.len();
        members.retain(|member| member.get("type").and_then(Value::as_str) != Some("null"));
        if members.len() == before {
            continue;
        }
        if members.is_empty() {
            return Err(NodeError::new(
                child(pointer, key),
                "only `null` is allowed here",
            ));
        }
        map.insert("nullable".into(), json!(true));
        if map[key]
            .as_array()
            .is_some_and(|members| members.len() == 1)
        {
            let members = map.remove(key).unwrap_or_default();
            map.insert("allOf".into(), members);
        }
    }

    // `type: [T, 'null']` (3.1) becomes `type: T` + `nullable: true` (3.0).
    if step == "type-arrays-as-nullable"
        && let Some(Value::Array(kinds)) = map.get("type")
    {
        let nullable = kinds.iter().any(|kind| kind == "null");
        let others: Vec<Value> = kinds
            .iter()
            .filter(|kind| *kind != "null")
            .cloned()
            .collect();
        let [kind] = others.as_slice() else {
            return Err(NodeError::new(
                child(pointer, "type"),
                "a schema of several types (other than one type and `null`) cannot be generated",
            ));
        };
        map.insert("type".into(), kind.clone());
        if nullable {
            map.insert("nullable".into(), json!(true));
        }
    }

    // Numeric `exclusiveMinimum: n` (3.1) becomes `minimum: n` + `exclusiveMinimum: true`.
    let bounds = if step == "exclusive-bounds-as-booleans" {
        &[
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ][..]
    } else {
        &[]
    };
    for &(exclusive, bound) in bounds {
        if let Some(value) = map
            .get(exclusive)
            .filter(|value| value.is_number())
            .cloned()
        {
            map.insert(bound.into(), value);
            map.insert(exclusive.into(), json!(true));
        }
    }

    // The Lucca spec's `format: nullable` means "a string that may be null".
    if step == "format-nullable" && map.get("format").and_then(Value::as_str) == Some("nullable") {
        map.remove("format");
        map.insert("nullable".into(), json!(true));
    }

    // Date-times come with or without a zone and fractional seconds (and,
    // from Docutools, maybe as epoch milliseconds): `roster::VendorDateTime`
    // reads them all and keeps the offset when one was sent.
    if step == "date-times-vendor"
        && map.get("type").and_then(Value::as_str) == Some("string")
        && map.get("format").and_then(Value::as_str) == Some("date-time")
    {
        map.remove("format");
        map.insert(
            "x-rust-type".into(),
            json!({ "crate": "roster", "version": "*", "path": "roster::VendorDateTime" }),
        );
    }

    // A result line's `date` is a date, a date-time or the raw cell.
    if step == "echoed-line-dates"
        && options.echoed_line_dates
        && pointer == "/components/schemas/ImportedLine/properties/date"
    {
        map.remove("format");
        map.insert(
            "x-rust-type".into(),
            json!({ "crate": "roster", "version": "*", "path": "roster::EchoedDate" }),
        );
    }

    // Unknown fields in a response must not fail it: objects stay open.
    if step == "objects-open" && map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    Ok(())
}

/// A `$ref` to a string enum, as a property, an array item or a member of a
/// composition, becomes `roster::Open<Enum>`, which keeps unknown values.
fn open_enums_in_slot(key: &str, value: &mut Value, enums: &BTreeSet<String>) {
    let slots: Vec<&mut Value> = match key {
        "properties" => value
            .as_object_mut()
            .map(|properties| properties.values_mut().collect())
            .unwrap_or_default(),
        "items" => vec![value],
        key if SCHEMA_LIST_KEYS.contains(&key) => value
            .as_array_mut()
            .map(|members| members.iter_mut().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    for slot in slots {
        let Some(target) = slot.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        let is_enum = target
            .strip_prefix("#/components/schemas/")
            .is_some_and(|name| enums.contains(name));
        if !is_enum {
            continue;
        }
        let mut opened = json!({
            "x-rust-type": {
                "crate": "roster",
                "version": "*",
                "path": "roster::Open",
                "parameters": [{ "$ref": target }],
            }
        });
        if let Some(description) = slot.get("description") {
            opened["description"] = description.clone();
        }
        *slot = opened;
    }
}

/// Code blocks without a language would become failing doctests of the
/// generated docs: they are marked `text`.
pub fn tag_code_fences(text: &str) -> String {
    let mut inside = false;
    text.split_inclusive('\n')
        .map(|line| {
            let trimmed = line.trim_start();
            let Some(info) = trimmed.strip_prefix("```") else {
                return line.to_owned();
            };
            if inside {
                inside = false;
                return line.to_owned();
            }
            inside = true;
            if info.trim().is_empty() {
                let indent = &line[..line.len() - trimmed.len()];
                format!("{indent}```text{info}")
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// A date-time as the vendors send it: with or without fractional seconds
/// and a zone (what `roster::VendorDateTime` reads).
#[allow(dead_code)] // Used by the Prism contract (`tests/it/contract.rs`).
pub const DATE_TIME_PATTERN: &str =
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$";

/// The copy of a spec an independent validator (Stoplight Prism) checks the
/// SDK's traffic against: the document as vendored, with the readings the
/// build script also applies to it, and nothing else. `format: nullable` is
/// a string that may be `null`; `format: date-time` takes the forms the
/// vendors send (with or without a zone, Lucca v3 has none), as a pattern.
#[allow(dead_code)] // Used by the Prism contract (`tests/it/contract.rs`).
pub fn prism_copy(doc: &mut Value) {
    prism_node(doc, "");
}

#[allow(dead_code)]
fn prism_node(node: &mut Value, parent: &str) {
    match node {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("nullable") {
                map.remove("format");
                let kind = map.remove("type").unwrap_or_else(|| json!("string"));
                let kinds = match kind {
                    Value::Array(mut kinds) => {
                        kinds.push(json!("null"));
                        kinds
                    }
                    kind => vec![kind, json!("null")],
                };
                map.insert("type".into(), Value::Array(kinds));
            }
            if map.get("format").and_then(Value::as_str) == Some("date-time") {
                map.remove("format");
                map.insert("pattern".into(), json!(DATE_TIME_PATTERN));
            }
            for (key, value) in map.iter_mut() {
                if !DATA_KEYS.contains(&key.as_str()) || NAMED_MAPS.contains(&parent) {
                    prism_node(value, key);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                prism_node(item, "");
            }
        }
        _ => {}
    }
}
