//! The library's modules form no cycle: each top-level module of `src/`
//! (a file `src/x.rs` or a directory `src/x/`) may name others through
//! `crate::`, and following those names never comes back. Read from the
//! code: comments and the unit tests at the end of a file are left out, and
//! a name the crate root re-exports (`crate::HttpError`) counts as its own
//! module's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file, without comments and without its unit tests.
fn code(text: &str) -> String {
    let mut kept = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let line = line.split(" // ").next().unwrap_or_default();
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The names the crate root re-exports, and their modules
/// (`pub use error::{HttpError, …}`).
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let flat = code(lib).replace('\n', " ");
    for statement in flat.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    names
}

/// Each module's `crate::` names of other modules.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let reexported = reexports(&lib);
    let mut all = Vec::new();
    files(src, &mut all);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in all {
        let relative = file.strip_prefix(src).unwrap();
        let mut parts = relative.components();
        let first = parts
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        if first == "lib.rs" || first == "bin" {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_owned();
        let text = code(&std::fs::read_to_string(&file).unwrap());
        let targets = edges.entry(module.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let target = reexported.get(&name).cloned().unwrap_or(name);
            if !target.is_empty() && target != module {
                targets.insert(target);
            }
        }
    }
    edges
}

/// A cycle in `edges`, as the modules along it, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|at| at == node).unwrap_or(0);
                let mut found = path[start..].to_vec();
                found.push(node.to_owned());
                return Some(found);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, marks, path) {
                return Some(found);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if let Some(found) = visit(node, edges, &mut marks, &mut Vec::new()) {
            return Some(found);
        }
    }
    None
}

#[test]
fn the_library_s_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(edges.len() > 10, "{edges:?}");
    if let Some(found) = cycle(&edges) {
        panic!(
            "the modules import each other in a circle: {}\nevery module's imports: {edges:#?}",
            found.join(" -> ")
        );
    }
}

#[test]
fn error_credentials_and_retry_are_leaves() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    let allowed = |module: &str| -> &[&str] {
        match module {
            "error" => &["retry", "operation"],
            "credentials" => &["error", "rate"],
            _ => &[],
        }
    };
    for module in ["error", "credentials", "retry", "rate", "operation"] {
        let uses: Vec<&String> = edges[module]
            .iter()
            .filter(|target| !allowed(module).contains(&target.as_str()))
            .collect();
        assert!(uses.is_empty(), "{module} knows {uses:?}");
    }
}

#[test]
fn the_check_finds_a_cycle_it_is_shown() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let edge = |edges: &mut BTreeMap<String, BTreeSet<String>>, from: &str, to: &str| {
        edges
            .entry(from.to_owned())
            .or_default()
            .insert(to.to_owned());
    };
    edge(&mut edges, "config", "transport");
    edge(&mut edges, "transport", "error");
    assert_eq!(cycle(&edges), None);
    edge(&mut edges, "error", "config");
    let found = cycle(&edges).expect("config -> transport -> error -> config");
    assert_eq!(found.first(), found.last());
    assert_eq!(found.len(), 4, "{found:?}");
}
