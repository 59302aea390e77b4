//! The facts of a spec the handwritten layer reads, generated so that none
//! is copied by hand: every operation (one [`OperationRow`] each, which
//! becomes a variant of `roster::Operation`), and, for the multipart
//! operations the generator leaves to the handwritten layer, their parts'
//! and query parameters' names.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use serde_json::Value;

use super::rewrite::{METHODS, resolve};
use super::spec_error::{NodeError, child};

/// One operation of a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    /// The module of the API it belongs to (`office`).
    pub api: &'static str,
    /// The spec's `operationId` (or, for a token exchange, the security
    /// scheme's name).
    pub spec_id: String,
    /// progenitor's name of it (`get_user`): what spans and errors show.
    pub name: String,
    /// Its method, upper case.
    pub method: String,
    /// Its path template, as the spec writes it.
    pub path: String,
    /// Whether its body is multipart (sent by the handwritten layer).
    pub multipart: bool,
}

impl OperationRow {
    /// The variant of `roster::Operation` (`GetUser`).
    pub fn variant(&self) -> String {
        self.name.to_upper_camel_case()
    }
}

/// progenitor's (typify's `sanitize(id, Case::Snake)`) name of an
/// operation id.
pub fn progenitor_name(id: &str) -> String {
    let cleaned: String = id
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned.to_snake_case()
}

/// Every operation of the spec `doc` (as written, before the rewrites), and
/// the token exchange of each OAuth2 password flow it declares.
pub fn operations(api: &'static str, doc: &Value) -> Result<Vec<OperationRow>, NodeError> {
    let mut rows = Vec::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let pointer = child(&child("/paths", path), method);
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                return Err(NodeError::new(
                    pointer,
                    "this operation has no `operationId`: roster names every call by it",
                ));
            };
            rows.push(OperationRow {
                api,
                spec_id: id.to_owned(),
                name: progenitor_name(id),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                multipart: multipart_schema(doc, operation).is_some(),
            });
        }
    }
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for (scheme, definition) in schemes.into_iter().flatten() {
        let Some(url) = definition
            .pointer("/flows/password/tokenUrl")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if !url.starts_with('/') || url.starts_with("//") {
            return Err(NodeError::new(
                ["flows", "password", "tokenUrl"].iter().fold(
                    child("/components/securitySchemes", scheme),
                    |pointer, token| child(&pointer, token),
                ),
                "roster takes a token URL relative to the API's host (`/oauth/token`)",
            ));
        }
        rows.push(OperationRow {
            api,
            spec_id: scheme.clone(),
            name: format!("{}_token", scheme.to_snake_case()),
            method: "POST".into(),
            path: url.to_owned(),
            multipart: false,
        });
    }
    Ok(rows)
}

/// Two operations of the enabled specs that would be one variant of
/// `roster::Operation` (the same `operationId` in two specs), said.
pub fn clashes(rows: &[OperationRow]) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<String, &OperationRow> = Default::default();
    let mut clashes = Vec::new();
    for row in rows {
        if let Some(first) = seen.insert(row.variant(), row) {
            clashes.push(format!(
                "`{}` ({}: {} {}) and `{}` ({}: {} {}) would both be `roster::Operation::{}`: rename one operationId",
                first.spec_id, first.api, first.method, first.path, row.spec_id, row.api, row.method, row.path, row.variant()
            ));
        }
    }
    clashes
}

/// `roster::Operation`, from every enabled API's rows.
pub fn operation_enum(rows: &[OperationRow]) -> String {
    let mut variants = String::new();
    let mut arms = [String::new(), String::new(), String::new(), String::new()];
    let mut from_name = String::new();
    for row in rows {
        let variant = row.variant();
        variants.push_str(&format!(
            "    /// `{} {}` ({}: `{}`).\n    {variant},\n",
            row.method,
            row.path,
            row.api,
            row.spec_id.replace('`', "'")
        ));
        arms[0].push_str(&format!("            Self::{variant} => {:?},\n", row.name));
        arms[1].push_str(&format!(
            "            Self::{variant} => {:?},\n",
            row.method
        ));
        arms[2].push_str(&format!("            Self::{variant} => {:?},\n", row.path));
        arms[3].push_str(&format!("            Self::{variant} => {:?},\n", row.api));
        from_name.push_str(&format!(
            "            {:?} => Some(Self::{variant}),\n",
            row.name
        ));
    }
    variants.push_str(
        "    /// A request the specs do not describe, made with a client's\n    \
         /// `request(method, path)`: its span shows its own path.\n    Unlisted,\n",
    );
    for (arm, value) in arms.iter_mut().zip(["unlisted", "", "", ""]) {
        arm.push_str(&format!("            Self::Unlisted => {value:?},\n"));
    }
    let [names, methods, paths, apis] = arms;
    format!(
        "// Generated by roster's build script from the enabled specs. Do not edit: change the spec.\n\n\
/// Each operation of the vendored specs (of the enabled APIs), as the spec\n\
/// declares it: what [`HttpError::operation`](crate::HttpError::operation)\n\
/// names and every request's span shows.\n\
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
#[non_exhaustive]\n\
pub enum Operation {{\n{variants}}}\n\n\
impl Operation {{\n\
    /// Every operation of the specs, in their order.\n\
    pub const ALL: &'static [Operation] = &[{all}];\n\n\
    /// Its name: progenitor's name of the spec's `operationId` (`get_user`).\n\
    pub const fn name(self) -> &'static str {{\n        match self {{\n{names}        }}\n    }}\n\n\
    /// Its HTTP method, upper case (empty for `Unlisted`).\n\
    pub const fn method(self) -> &'static str {{\n        match self {{\n{methods}        }}\n    }}\n\n\
    /// Its path template, as the spec writes it (`/api/v3/users/{{id}}`;\n\
    /// empty for `Unlisted`).\n\
    pub const fn path(self) -> &'static str {{\n        match self {{\n{paths}        }}\n    }}\n\n\
    /// The API it belongs to (`office`, `directory` or `docutools`; empty\n\
    /// for `Unlisted`).\n\
    pub const fn api(self) -> &'static str {{\n        match self {{\n{apis}        }}\n    }}\n\n\
    /// The operation progenitor names `name`.\n\
    pub fn from_name(name: &str) -> Option<Self> {{\n        match name {{\n{from_name}            _ => None,\n        }}\n    }}\n\
}}\n",
        all = rows
            .iter()
            .map(|row| format!("Self::{}", row.variant()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A parameter's vendor extension: the largest page its value may ask for.
const LIMIT_MAXIMUM: &str = "x-roster-limit-maximum";

/// The names the handwritten layer sends the operations of `rows` with
/// (the multipart ones, and the reads it streams): a module per operation,
/// holding the operation, its multipart parts' names (`parts::FILES`) and
/// its query parameters' names (`query::CREATE`).
pub fn name_modules(doc: &Value, rows: &[OperationRow]) -> Result<String, NodeError> {
    let mut out = String::from(
        "/// The names the handwritten layer sends operations with, from the spec.\n\
         pub(crate) mod names {\n",
    );
    for row in rows {
        let pointer = child(
            &child("/paths", &row.path),
            &row.method.to_ascii_lowercase(),
        );
        let Some(operation) = doc.pointer(&pointer) else {
            // A token exchange: declared by a security scheme, not a path.
            continue;
        };
        let (parts, csv) = match multipart_schema(doc, operation) {
            Some(schema) => (
                part_names(doc, schema, &pointer)?,
                csv_columns(doc, schema, &pointer)?,
            ),
            None => (String::new(), String::new()),
        };
        let (mut query, mut path_params) = (String::new(), String::new());
        // The query parameters as an enum (`Param::FormerEmployees`), with
        // each one's name.
        let (mut variants, mut names) = (String::new(), String::new());
        // The operation's parameters, and its path item's.
        let item = doc.pointer(&child("/paths", &row.path));
        let parameters = [operation, item.unwrap_or(&Value::Null)]
            .into_iter()
            .filter_map(|node| node.get("parameters").and_then(Value::as_array))
            .flatten();
        let mut seen = std::collections::BTreeSet::new();
        for parameter in parameters {
            let parameter = resolve(doc, parameter);
            let (Some(place), Some(name)) = (
                parameter.get("in").and_then(Value::as_str),
                parameter.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if !seen.insert((place, name)) {
                continue;
            }
            if place == "query" {
                let variant = name.replace('.', "_").to_upper_camel_case();
                variants.push_str(&format!(
                    "                /// `{name}`.\n                {variant},\n"
                ));
                names.push_str(&format!(
                    "                    Self::{variant} => {:?},\n",
                    name
                ));
            }
            let out = match place {
                "query" => &mut query,
                "path" => &mut path_params,
                _ => continue,
            };
            let constant = name.to_shouty_snake_case();
            out.push_str(&format!(
                "            /// The {place} parameter `{name}`.\n            pub(crate) const {constant}: &str = {name:?};\n",
            ));
            // Its bounds, where the spec gives them: the schema's
            // `maximum`, and the largest page a paging value may ask for
            // (`x-roster-limit-maximum`, for a bound the documents write
            // inside a value such as `{offset},{limit}`).
            let bounds = [
                ("MAXIMUM", parameter.pointer("/schema/maximum")),
                ("LIMIT_MAXIMUM", parameter.get(LIMIT_MAXIMUM)),
            ];
            for (suffix, bound) in bounds {
                let Some(bound) = bound else { continue };
                let Some(bound) = bound.as_u64().and_then(|bound| u32::try_from(bound).ok()) else {
                    return Err(NodeError::new(
                        pointer.clone(),
                        format!(
                            "the bound of the {place} parameter `{name}` is not a whole number from 0 to 2^32"
                        ),
                    ));
                };
                out.push_str(&format!(
                    "            /// The largest `{name}` the spec allows.\n            pub(crate) const {constant}_{suffix}: u32 = {bound};\n",
                ));
            }
        }
        if !variants.is_empty() {
            query.push_str(&format!(
                "            /// Its query parameters.\n\
                 #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
                 pub(crate) enum Param {{\n{variants}            }}\n\
                 impl Param {{\n\
                     /// Its name in the query string.\n\
                     pub(crate) const fn name(self) -> &'static str {{\n\
                         match self {{\n{names}                }}\n\
                     }}\n\
                 }}\n"
            ));
        }
        out.push_str(&format!(
            "    /// `{method} {path}` (`{id}`).\n\
             pub(crate) mod {module} {{\n\
                 /// The operation.\n\
                 pub(crate) const OPERATION: crate::Operation = crate::Operation::{variant};\n\
                 /// The parts of its multipart body, by name.\n\
                 pub(crate) mod parts {{\n{parts}{csv}        }}\n\
                 /// Its query parameters, by name.\n\
                 pub(crate) mod query {{\n{query}        }}\n\
                 /// Its path parameters, by name.\n\
                 pub(crate) mod path {{\n{path_params}        }}\n\
             }}\n",
            method = row.method,
            path = row.path,
            id = row.spec_id,
            module = row.name,
            variant = row.variant(),
        ));
    }
    out.push_str(&schema_names(doc));
    out.push_str("}\n");
    Ok(out)
}

/// A part's vendor extension: the columns of the CSV file it carries, in
/// the order they are written.
const CSV_COLUMNS: &str = "x-roster-csv-columns";
/// A part's vendor extension: the columns a CSV file it carries must have.
const CSV_REQUIRED: &str = "x-roster-csv-required";
/// A part's vendor extension: columns beyond those, documented and
/// tolerated (sent with a warning).
const CSV_TOLERATED: &str = "x-roster-csv-tolerated";

/// The property names of every schema of the spec's components, a module
/// per schema (`schemas::user::MODIFIED_AT`): the handwritten layer reads
/// raw records and bodies with these, never with names of its own.
fn schema_names(doc: &Value) -> String {
    let mut out = String::from(
        "    /// The properties of each schema, by name (the layer uses some).\n\
         #[allow(dead_code)]\n\
         pub(crate) mod schemas {\n",
    );
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (name, schema) in schemas {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let mut constants = String::new();
        for property in properties.keys() {
            constants.push_str(&format!(
                "            /// `{property}`.\n            pub(crate) const {}: &str = {property:?};\n",
                property.to_shouty_snake_case()
            ));
        }
        out.push_str(&format!(
            "        /// The schema `{name}`.\n        pub(crate) mod {} {{\n{constants}        }}\n",
            name.to_snake_case()
        ));
    }
    out.push_str("    }\n");
    out
}

/// The columns of a CSV part (`x-roster-csv-columns`, and those required,
/// `x-roster-csv-required`), as a `csv` module; empty when no part says.
fn csv_columns(doc: &Value, schema: &Value, pointer: &str) -> Result<String, NodeError> {
    let parts = resolve(doc, schema)
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (part, schema) in parts {
        let Some(columns) = schema.get(CSV_COLUMNS) else {
            continue;
        };
        let names = |value: Option<&Value>, what: &str| -> Result<Vec<String>, NodeError> {
            value
                .and_then(Value::as_array)
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    NodeError::new(
                        child(pointer, part),
                        format!("`{what}` is not a list of column names"),
                    )
                })
        };
        let columns = names(Some(columns), CSV_COLUMNS)?;
        let required = names(schema.get(CSV_REQUIRED), CSV_REQUIRED)?;
        let tolerated = match schema.get(CSV_TOLERATED) {
            Some(list) => names(Some(list), CSV_TOLERATED)?,
            None => Vec::new(),
        };
        if let Some(stray) = required.iter().find(|name| !columns.contains(name)) {
            return Err(NodeError::new(
                child(pointer, part),
                format!("the required column `{stray}` is not one of `{CSV_COLUMNS}`"),
            ));
        }
        let constant = |name: &String| name.to_shouty_snake_case();
        let mut out = String::new();
        for name in &columns {
            out.push_str(&format!(
                "                /// The column `{name}`.\n                pub(crate) const {}: &str = {name:?};\n",
                constant(name)
            ));
        }
        let list = |names: &[String]| names.iter().map(constant).collect::<Vec<_>>().join(", ");
        let quoted = |names: &[String]| {
            names
                .iter()
                .map(|name| format!("{name:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "                /// The columns, in the order they are written.\n\
                             pub(crate) const HEADER: [&str; {}] = [{}];\n\
                             /// The columns a file must have.\n\
                             pub(crate) const REQUIRED: [&str; {}] = [{}];\n\
                             /// Columns beyond those, documented and tolerated.\n\
                             pub(crate) const TOLERATED: [&str; {}] = [{}];\n",
            columns.len(),
            list(&columns),
            required.len(),
            list(&required),
            tolerated.len(),
            quoted(&tolerated),
        ));
        return Ok(format!(
            "            /// The columns of the CSV file of the part `{part}`.\n            pub(crate) mod csv {{\n{out}            }}\n"
        ));
    }
    Ok(String::new())
}

/// The part names of a multipart body's `schema`.
fn part_names(doc: &Value, schema: &Value, pointer: &str) -> Result<String, NodeError> {
    let parts = resolve(doc, schema)
        .get("properties")
        .and_then(Value::as_object)
        .filter(|parts| !parts.is_empty())
        .ok_or_else(|| {
            NodeError::new(
                child(pointer, "requestBody"),
                "a multipart body whose schema names no part: the handwritten layer cannot send it",
            )
        })?;
    let mut names = String::new();
    for part in parts.keys() {
        names.push_str(&format!(
                "            /// The part `{part}`.\n            pub(crate) const {}: &str = {part:?};\n",
                part.to_shouty_snake_case()
            ));
    }
    Ok(names)
}

/// The multipart schema of an operation's request body, if it has one.
pub(crate) fn multipart_schema<'a>(root: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let content = resolve(root, operation.get("requestBody")?)
        .get("content")?
        .as_object()?;
    content
        .iter()
        .find(|(media, _)| media.starts_with("multipart/"))
        .map(|(_, media)| media.get("schema").unwrap_or(&Value::Null))
}
