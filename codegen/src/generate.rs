//! From a spec's text to formatted Rust source: parse, rewrite, generate
//! with progenitor (builder style), format with prettyplease.

use progenitor::{CrateVers, GenerationSettings, Generator, InterfaceStyle, TagStyle};
use serde_json::Value;

use super::facts::{self, OperationRow};
use super::rewrite::{Options, rewrite_traced};
use super::spec_error::{NodeError, SpecError, child};

/// One vendored API: its spec file and the module it is generated into.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// The spec, relative to the crate root.
    pub file: &'static str,
    /// The name of the generated file in `OUT_DIR` (`{module}.rs`).
    pub module: &'static str,
    /// The rewrite's choices for this spec.
    pub options: Options,
}

/// The vendored specs, in `openapi/`.
pub const APIS: [Api; 3] = [
    Api {
        file: "openapi/lucca-office.yaml",
        module: "office",
        options: Options {
            echoed_line_dates: true,
            patch_schema: None,
        },
    },
    Api {
        file: "openapi/lucca-directory-v3.yaml",
        module: "directory",
        options: Options {
            echoed_line_dates: false,
            patch_schema: Some("UserUpdate"),
        },
    },
    Api {
        file: "openapi/docutools-users.yaml",
        module: "docutools",
        options: Options {
            echoed_line_dates: false,
            patch_schema: None,
        },
    },
];

/// Generates the client of `api` from the spec's text.
#[allow(dead_code)] // The tests' entry point (`tests/it/codegen.rs`).
pub fn generate(api: &Api, text: &str) -> Result<String, SpecError> {
    generate_from(api, api.file, text).map(|(code, _)| code)
}

/// The client of `api` from the spec's text read from `file` (the vendored
/// copy, or a newer one in `ROSTER_SPECS_DIR`: errors name it), and the
/// listing of its API surface (`surface.rs`).
pub fn generate_from(api: &Api, file: &str, text: &str) -> Result<(String, String), SpecError> {
    generate_api(api, file, text).map(|generated| (generated.code, generated.surface))
}

/// Everything made from one spec.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client's module: progenitor's code, and the names of the
    /// multipart operations (`facts.rs`).
    pub code: String,
    /// The listing of its API surface.
    pub surface: String,
    /// Its operations (variants of `roster::Operation`:
    /// [`operation_enum`](super::facts::operation_enum)).
    pub operations: Vec<OperationRow>,
    /// The `fields!` invocation of its partial update, for an API whose
    /// options name one (`patch.rs`).
    pub patch: Option<String>,
}

/// Everything made from the spec of `api`, read from `file`.
pub fn generate_api(api: &Api, file: &str, text: &str) -> Result<Generated, SpecError> {
    let mut doc: Value = serde_yaml_ng::from_str(text)
        .map_err(|error| SpecError::whole(file, format!("not readable YAML: {error}")))?;
    let written = doc.clone();
    let operations =
        facts::operations(api.module, &written).map_err(|node| SpecError::at(file, node))?;
    let names =
        facts::name_modules(&written, &operations).map_err(|node| SpecError::at(file, node))?;
    let patch = api
        .options
        .patch_schema
        .map(|schema| super::patch::patch_fields(&written, schema))
        .transpose()
        .map_err(|node| SpecError::at(file, node))?;
    let touched =
        rewrite_traced(&mut doc, api.options).map_err(|node| SpecError::at(file, node))?;

    let spec: openapiv3::OpenAPI = serde_path_to_error::deserialize(&doc).map_err(|error| {
        let node = deepest_invalid_part(&doc).unwrap_or_else(|| {
            let message = format!("not a valid OpenAPI document: {}", error.inner());
            NodeError::new(pointer_of(error.path()), message)
        });
        SpecError::at(file, node)
    })?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_crate("chrono", CrateVers::Any, None)
        .with_crate("roster", CrateVers::Any, None)
        .with_inner_type(quote::quote!(crate::Transport));
    let tokens = Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|error| {
            SpecError::whole(file, format!("progenitor cannot generate it: {error}"))
        })?;
    let mut syntax: syn::File = syn::parse2(tokens).map_err(|error| {
        SpecError::whole(file, format!("generated code does not parse: {error}"))
    })?;
    super::tolerate::tolerate(&mut syntax);
    let surface = super::surface::listing(&syntax, &touched);
    super::calls::route(&mut syntax).map_err(|reason| {
        SpecError::whole(
            file,
            format!("progenitor's output is not of the shape roster routes: {reason}"),
        )
    })?;
    let code = prettyplease::unparse(&syntax);
    // Every generated operation is named as the enum names it.
    let generated = operations.iter().filter(|row| {
        !row.multipart
            && written
                .pointer(&child(
                    &child("/paths", &row.path),
                    &row.method.to_ascii_lowercase(),
                ))
                .is_some()
    });
    for row in generated {
        if !code.contains(&format!("crate::Operation::{};", row.variant())) {
            let pointer = child(
                &child(
                    &child("/paths", &row.path),
                    &row.method.to_ascii_lowercase(),
                ),
                "operationId",
            );
            return Err(SpecError::at(
                file,
                NodeError::new(
                    pointer,
                    format!(
                        "progenitor did not name this operation `{}`: the transport could not name its calls",
                        row.name
                    ),
                ),
            ));
        }
    }
    let names: syn::File = syn::parse_str(&names).map_err(|error| {
        SpecError::whole(file, format!("the operations' names do not parse: {error}"))
    })?;
    let names = prettyplease::unparse(&names);
    Ok(Generated {
        code: format!(
            "// Generated by roster's build script from `{file}`. Do not edit: change the spec.\n\n{code}\n{names}"
        ),
        surface,
        operations,
        patch,
    })
}

/// The JSON pointer of a serde path (`paths./x.get` → `/paths/~1x/get`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .fold(String::new(), |pointer, segment| match segment {
            Segment::Seq { index } => child(&pointer, &index.to_string()),
            Segment::Map { key } => child(&pointer, key),
            Segment::Enum { .. } | Segment::Unknown => pointer,
        })
}

/// The deepest part of `doc` that is not valid OpenAPI, when serde's own
/// path stops short (the document types flatten their maps).
fn deepest_invalid_part(doc: &Value) -> Option<NodeError> {
    use openapiv3::{Operation, PathItem, ReferenceOr, Response, Schema};

    fn check<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Option<NodeError> {
        serde_path_to_error::deserialize::<_, T>(value)
            .err()
            .map(|error| {
                let inner = pointer_of(error.path());
                NodeError::new(
                    format!("{pointer}{inner}"),
                    format!("not a valid OpenAPI document: {}", error.inner()),
                )
            })
    }
    fn entries<'a>(doc: &'a Value, pointer: &str) -> Vec<(String, &'a Value)> {
        doc.pointer(pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(key, value)| (child(pointer, key), value))
            .collect()
    }

    for (pointer, schema) in entries(doc, "/components/schemas") {
        if let Some(error) = check::<ReferenceOr<Schema>>(schema, &pointer) {
            return Some(error);
        }
    }
    for (path_pointer, item) in entries(doc, "/paths") {
        for (op_pointer, operation) in entries(doc, &path_pointer) {
            for (pointer, response) in entries(doc, &child(&op_pointer, "responses")) {
                if let Some(error) = check::<ReferenceOr<Response>>(response, &pointer) {
                    return Some(error);
                }
            }
            if operation.get("responses").is_some()
                && let Some(error) = check::<Operation>(operation, &op_pointer)
            {
                return Some(error);
            }
        }
        if let Some(error) = check::<PathItem>(item, &path_pointer) {
            return Some(error);
        }
    }
    None
}
