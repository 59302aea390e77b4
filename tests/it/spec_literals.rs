//! The spec is the one source of what it describes: no string literal in
//! `src/` is a property, a parameter or a path of a vendored spec. Those
//! come from the generated models, `roster::Operation`, each API's
//! generated `names`, and `FIELDS`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

/// Literals allowed: the file, the literal, and why it is no restatement.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "src/docutools/import.rs",
        "language",
        "the correct spelling of the import's documented `langauge` query \
         parameter, sent beside it: the spec has only the misspelling",
    ),
    (
        "src/token.rs",
        "username",
        "the OAuth 2 password grant's form field (RFC 6749, 4.3.2), not the \
         Docutools property of the same name",
    ),
    (
        "src/token.rs",
        "code",
        "the Docutools token exchange's second-factor form field, not the \
         Lucca department property of the same name",
    ),
    (
        "src/error.rs",
        "error",
        "the message key of any vendor's error body (OAuth's `error`), read \
         leniently; no one schema's property",
    ),
    (
        "src/journal/sqlite.rs",
        "file",
        "a column of roster's own journal table",
    ),
    (
        "src/journal/sqlite.rs",
        "owner",
        "a column of roster's own journal table",
    ),
];

/// Lines whose literals are names of roster's own, never sent: `Debug`
/// fields, span fields, attributes (`feature = "office"`), the API a
/// generated client is included for, JSON schemas of roster's types.
fn own_names(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("#[")
        || line.starts_with("crate::generated_api!(")
        || line.starts_with(".field(")
        || line.contains("span.record(")
        || line.contains("json_schema!(")
}

/// Every property name, parameter name and path of the vendored specs.
fn spec_names() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let mut names = BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|ext| ext.to_str()) != Some("yaml") {
            continue;
        }
        let spec: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(paths) = spec.get("paths").and_then(Value::as_mapping) {
            for path in paths.keys().filter_map(Value::as_str) {
                names.insert(path.to_owned(), format!("{file}: path"));
            }
        }
        collect(&spec, &file, &mut names);
    }
    names
}

/// The names under `properties` and the `name` of each parameter, anywhere.
fn collect(value: &Value, file: &str, names: &mut BTreeMap<String, String>) {
    match value {
        Value::Mapping(map) => {
            if let Some(properties) = map.get("properties").and_then(Value::as_mapping) {
                for name in properties.keys().filter_map(Value::as_str) {
                    names.insert(name.to_owned(), format!("{file}: property"));
                }
            }
            if map.get("in").and_then(Value::as_str).is_some()
                && let Some(name) = map.get("name").and_then(Value::as_str)
            {
                names.insert(name.to_owned(), format!("{file}: parameter"));
            }
            for child in map.values() {
                collect(child, file, names);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect(item, file, names)),
        _ => {}
    }
}

/// The string literals of a Rust file outside comments and test modules,
/// with their line.
fn literals(text: &str) -> Vec<(usize, String)> {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let bytes = text.as_bytes();
    let (mut found, mut at, mut line) = (Vec::new(), 0, 1);
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => line += 1,
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'\'' => {
                // A char literal (`'"'`) or a lifetime.
                if bytes.get(at + 2) == Some(&b'\'') {
                    at += 3;
                    continue;
                }
                if bytes.get(at + 1) == Some(&b'\\') {
                    while at + 1 < bytes.len() && bytes[at + 1] != b'\'' {
                        at += 1;
                    }
                    at += 2;
                    continue;
                }
            }
            b'"' => {
                let start = at + 1;
                let raw = at > 0 && (bytes[at - 1] == b'r' || bytes[at - 1] == b'#');
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'"' {
                    if bytes[end] == b'\\' && !raw {
                        end += 1;
                    }
                    end += 1;
                }
                let literal = &text[start..end.min(text.len())];
                found.push((line, literal.to_owned()));
                line += literal.matches('\n').count();
                at = end + 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    found
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().and_then(|ext| ext.to_str()) == Some("rs") {
            files.push(path);
        }
    }
}

#[test]
fn no_literal_in_src_restates_the_specs() {
    let names = spec_names();
    let allowed: BTreeSet<(&str, &str)> = ALLOWED
        .iter()
        .map(|(file, literal, _)| (*file, *literal))
        .collect();
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    let mut restated = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let relative = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (line, literal) in literals(&text) {
            let Some(what) = names.get(&literal) else {
                continue;
            };
            if own_names(lines[line - 1])
                || allowed.contains(&(relative.as_str(), literal.as_str()))
            {
                continue;
            }
            restated.push(format!("{relative}:{line}: {literal:?} ({what})"));
        }
    }
    assert!(
        restated.is_empty(),
        "{} literals restate the specs:\n{}",
        restated.len(),
        restated.join("\n")
    );
}

#[test]
fn the_scanner_finds_literals_and_skips_comments_chars_and_tests() {
    let text = "let a = \"login\"; // \"comment\"\nlet b = '\"'; let c = r#\"raw\"#;\nlet d = \"x\\\"y\";\n#[cfg(test)]\nmod tests { \"tested\" }";
    let found: Vec<(usize, String)> = literals(text);
    assert_eq!(
        found,
        [(1, "login".into()), (2, "raw".into()), (3, "x\\\"y".into())]
    );
}
