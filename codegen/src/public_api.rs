//! The public API of the handwritten layer, listed from rustdoc's JSON: one
//! line per public item defined in `src/` (types, their fields and
//! variants, functions and methods with their signatures, constants, the
//! traits a type implements by hand; not the derived ones), sorted. Checked in beside the tests and
//! compared, it makes every change of the API a reviewed one, as the
//! generated surface is.
//!
//! Read generically (`serde_json::Value`), so that a newer rustdoc's format
//! needs no new dependency; the fields read are those of format 57.

use std::collections::BTreeSet;

use serde_json::Value;

/// The listing of the items of the crate in `doc` (rustdoc's JSON) whose
/// source is under `src_prefix` (`src/`), each at the path a user writes
/// (through the crate's re-exports): generated code is left out.
pub fn listing(doc: &Value, src_prefix: &str) -> String {
    let index = &doc["index"];
    let mut public = Vec::new();
    if let Some(root) = doc["root"].as_u64() {
        walk(index, root, "roster", &mut public, 0);
    }
    let mut lines = BTreeSet::new();
    let handwritten = |item: &Value| {
        item["span"]["filename"]
            .as_str()
            .is_some_and(|file| file.starts_with(src_prefix))
    };
    for (path, item) in public {
        let Some(kind) = item["inner"]
            .as_object()
            .and_then(|inner| inner.keys().next())
            .cloned()
        else {
            continue;
        };
        if handwritten(item) {
            lines.insert(item_line(&kind, &path, item));
            for member in members(item, index) {
                if let Some(line) = member_line(&path, member, index) {
                    lines.insert(line);
                }
            }
        }
        // Inherent methods and trait impls written in `src/`, on any type
        // (the generated clients' handwritten operations among them).
        for impl_id in impls(item) {
            let Some(block) = index.get(impl_id.to_string()) else {
                continue;
            };
            if !handwritten(block) {
                continue;
            }
            let inner = &block["inner"]["impl"];
            if inner["is_synthetic"].as_bool() == Some(true)
                || !inner["blanket_impl"].is_null()
                || derived(block)
            {
                continue;
            }
            match inner["trait"]["path"].as_str() {
                Some(name) => {
                    lines.insert(format!("impl {name} for {path}"));
                }
                None => {
                    for method in inner["items"].as_array().into_iter().flatten() {
                        let Some(method) = index.get(method.to_string()) else {
                            continue;
                        };
                        if method["visibility"].as_str() == Some("public") {
                            lines.insert(function_line(&path, method));
                        }
                    }
                }
            }
        }
    }
    let mut text = lines.into_iter().collect::<Vec<_>>().join("\n");
    text.push('\n');
    text
}

/// What changed from the `accepted` listing to `listing`: each line removed
/// (`- …`), then each added (`+ …`); empty when they are the same.
pub fn changes(accepted: &str, listing: &str) -> Vec<String> {
    let old: BTreeSet<&str> = accepted.lines().collect();
    let new: BTreeSet<&str> = listing.lines().collect();
    old.difference(&new)
        .map(|line| format!("- {line}"))
        .chain(new.difference(&old).map(|line| format!("+ {line}")))
        .collect()
}

/// Whether an impl block was written by a `#[derive]` (its lines are not
/// the API's names and signatures).
fn derived(block: &Value) -> bool {
    block["attrs"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|attr| attr.to_string().contains("automatically_derived"))
}

/// Every public item under the module `id`, at `prefix::name`, following
/// `pub use` (globs included) and public modules.
fn walk<'a>(
    index: &'a Value,
    id: u64,
    prefix: &str,
    found: &mut Vec<(String, &'a Value)>,
    depth: usize,
) {
    let Some(module) = index.get(id.to_string()) else {
        return;
    };
    if depth > 16 {
        return;
    }
    for item_id in id_list(&module["inner"]["module"]["items"]) {
        let Some(item) = index.get(item_id.to_string()) else {
            continue;
        };
        if item["visibility"].as_str() != Some("public") {
            continue;
        }
        let inner = &item["inner"];
        if let Some(reexport) = inner.get("use") {
            let Some(target_id) = reexport["id"].as_u64() else {
                continue;
            };
            let Some(target) = index.get(target_id.to_string()) else {
                continue;
            };
            let is_module = target["inner"].get("module").is_some();
            if reexport["is_glob"].as_bool() == Some(true) {
                walk(index, target_id, prefix, found, depth + 1);
            } else {
                let name = reexport["name"].as_str().unwrap_or("_");
                let path = format!("{prefix}::{name}");
                if is_module {
                    walk(index, target_id, &path, found, depth + 1);
                } else {
                    found.push((path, target));
                }
            }
            continue;
        }
        let name = item["name"].as_str().unwrap_or("_");
        let path = format!("{prefix}::{name}");
        // progenitor's `prelude` repeats the client's own paths.
        if inner.get("module").is_some() && name != "prelude" {
            walk(index, item_id, &path, found, depth + 1);
        } else {
            found.push((path, item));
        }
    }
}

fn impls(item: &Value) -> Vec<u64> {
    let inner = &item["inner"];
    ["struct", "enum", "union"]
        .iter()
        .flat_map(|kind| id_list(&inner[kind]["impls"]))
        .collect()
}

/// The item ids of a JSON list (a tuple struct's list may hold `null` for
/// a field it hides: left out).
fn id_list(list: &Value) -> Vec<u64> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect()
}

/// A struct's fields, an enum's variants.
fn members<'a>(item: &'a Value, index: &'a Value) -> Vec<&'a Value> {
    let inner = &item["inner"];
    let ids: Vec<u64> = match (&inner["struct"], &inner["enum"]) {
        (Value::Object(structure), _) => match &structure["kind"] {
            Value::Object(kind) if kind.contains_key("plain") => id_list(&kind["plain"]["fields"]),
            Value::Object(kind) if kind.contains_key("tuple") => id_list(&kind["tuple"]),
            _ => Vec::new(),
        },
        (_, Value::Object(enumeration)) => id_list(&enumeration["variants"]),
        _ => Vec::new(),
    };
    ids.into_iter()
        .filter_map(|id| index.get(id.to_string()))
        .collect()
}

fn item_line(kind: &str, path: &str, item: &Value) -> String {
    let inner = &item["inner"];
    let non_exhaustive = item["attrs"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|attr| attr.to_string().contains("non_exhaustive"));
    let marker = if non_exhaustive {
        " #[non_exhaustive]"
    } else {
        ""
    };
    match kind {
        "function" => function_line(path.rsplit_once("::").map_or("", |(at, _)| at), item),
        "constant" => format!("const {path}: {}", render(&inner["constant"]["type"])),
        "type_alias" => format!("type {path} = {}", render(&inner["type_alias"]["type"])),
        "struct" | "enum" | "trait" | "union" => {
            format!(
                "{kind} {path}{}{marker}",
                generics(&inner[kind]["generics"])
            )
        }
        other => format!("{other} {path}"),
    }
}

fn member_line(owner: &str, member: &Value, index: &Value) -> Option<String> {
    let name = member["name"].as_str().unwrap_or("_");
    let inner = &member["inner"];
    if let Some(field) = inner.get("struct_field") {
        if member["visibility"].as_str() != Some("public") {
            return None;
        }
        return Some(format!("field {owner}::{name}: {}", render(field)));
    }
    let variant = inner.get("variant")?;
    let fields = match &variant["kind"] {
        Value::Object(kind) if kind.contains_key("struct") => {
            let names: Vec<String> = kind["struct"]["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| index.get(id.to_string()))
                .map(|field| {
                    format!(
                        "{}: {}",
                        field["name"].as_str().unwrap_or("_"),
                        render(&field["inner"]["struct_field"])
                    )
                })
                .collect();
            format!(" {{ {} }}", names.join(", "))
        }
        Value::Object(kind) if kind.contains_key("tuple") => {
            let types: Vec<String> = kind["tuple"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|id| {
                    index.get(id.to_string()).map_or("_".to_owned(), |field| {
                        render(&field["inner"]["struct_field"])
                    })
                })
                .collect();
            format!("({})", types.join(", "))
        }
        _ => String::new(),
    };
    Some(format!("variant {owner}::{name}{fields}"))
}

fn function_line(owner: &str, function: &Value) -> String {
    let name = function["name"].as_str().unwrap_or("_");
    let inner = &function["inner"]["function"];
    let header = &inner["header"];
    let asyncness = if header["is_async"].as_bool() == Some(true) {
        "async "
    } else {
        ""
    };
    let inputs: Vec<String> = inner["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|input| {
            let name = input[0].as_str().unwrap_or("_");
            let ty = render(&input[1]);
            match (name, ty.as_str()) {
                ("self", "Self") => "self".to_owned(),
                ("self", "&Self") => "&self".to_owned(),
                ("self", "&mut Self") => "&mut self".to_owned(),
                _ => format!("{name}: {ty}"),
            }
        })
        .collect();
    let output = match &inner["sig"]["output"] {
        Value::Null => String::new(),
        output => format!(" -> {}", render(output)),
    };
    let path = if owner.is_empty() {
        name.to_owned()
    } else {
        format!("{owner}::{name}")
    };
    format!(
        "{asyncness}fn {path}{}({}){output}",
        generics(&inner["generics"]),
        inputs.join(", ")
    )
}

fn generics(generics: &Value) -> String {
    let params: Vec<String> = generics["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|param| {
            // `impl Trait` arguments show where they stand.
            param["kind"]["type"]["is_synthetic"].as_bool() != Some(true)
        })
        .map(|param| {
            let name = param["name"].as_str().unwrap_or("_").to_owned();
            let bounds: Vec<String> = param["kind"]["type"]["bounds"]
                .as_array()
                .into_iter()
                .flatten()
                .map(bound)
                .collect();
            match bounds.is_empty() {
                true => name,
                false => format!("{name}: {}", bounds.join(" + ")),
            }
        })
        .collect();
    match params.is_empty() {
        true => String::new(),
        false => format!("<{}>", params.join(", ")),
    }
}

fn bound(bound: &Value) -> String {
    match (&bound["trait_bound"], &bound["outlives"]) {
        (Value::Object(_), _) => path_text(&bound["trait_bound"]["trait"]),
        (_, Value::String(lifetime)) => lifetime.clone(),
        _ => "_".to_owned(),
    }
}

/// A path with its generic arguments (`Result<T, E>`).
fn path_text(path: &Value) -> String {
    let name = path["path"].as_str().unwrap_or("_").to_owned();
    let args = &path["args"];
    if let Some(angle) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = angle["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| match arg {
                Value::Object(map) if map.contains_key("type") => render(&arg["type"]),
                Value::Object(map) if map.contains_key("lifetime") => {
                    arg["lifetime"].as_str().unwrap_or("'_").to_owned()
                }
                _ => "_".to_owned(),
            })
            .collect();
        for constraint in angle["constraints"].as_array().into_iter().flatten() {
            let name = constraint["name"].as_str().unwrap_or("_");
            let ty = render(&constraint["binding"]["equality"]["type"]);
            parts.push(format!("{name} = {ty}"));
        }
        if !parts.is_empty() {
            return format!("{name}<{}>", parts.join(", "));
        }
    }
    if let Some(parenthesized) = args.get("parenthesized") {
        let inputs: Vec<String> = parenthesized["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(render)
            .collect();
        let output = match &parenthesized["output"] {
            Value::Null => String::new(),
            output => format!(" -> {}", render(output)),
        };
        return format!("{name}({}){output}", inputs.join(", "));
    }
    name
}

/// A type as Rust writes it (near enough to tell two apart).
fn render(ty: &Value) -> String {
    let Some((kind, inner)) = ty.as_object().and_then(|map| map.iter().next()) else {
        return match ty {
            Value::String(text) => text.clone(),
            _ => "_".to_owned(),
        };
    };
    match kind.as_str() {
        "resolved_path" => path_text(inner),
        "generic" | "primitive" => inner.as_str().unwrap_or("_").to_owned(),
        "borrowed_ref" => {
            let lifetime = inner["lifetime"]
                .as_str()
                .map(|lifetime| format!("{lifetime} "))
                .unwrap_or_default();
            let mutable = if inner["is_mutable"].as_bool() == Some(true) {
                "mut "
            } else {
                ""
            };
            format!("&{lifetime}{mutable}{}", render(&inner["type"]))
        }
        "tuple" => {
            let items: Vec<String> = inner.as_array().into_iter().flatten().map(render).collect();
            format!("({})", items.join(", "))
        }
        "slice" => format!("[{}]", render(inner)),
        "array" => format!(
            "[{}; {}]",
            render(&inner["type"]),
            inner["len"].as_str().unwrap_or("_")
        ),
        "impl_trait" => {
            let bounds: Vec<String> = inner.as_array().into_iter().flatten().map(bound).collect();
            format!("impl {}", bounds.join(" + "))
        }
        "dyn_trait" => {
            let traits: Vec<String> = inner["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| path_text(&item["trait"]))
                .collect();
            format!("dyn {}", traits.join(" + "))
        }
        "qualified_path" => format!(
            "<{} as {}>::{}",
            render(&inner["self_type"]),
            path_text(&inner["trait"]),
            inner["name"].as_str().unwrap_or("_")
        ),
        "raw_pointer" => format!("*const {}", render(&inner["type"])),
        other => other.to_owned(),
    }
}
