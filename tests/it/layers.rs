//! The library's layers, as `ARCHITECTURE.md` declares them, checked on the
//! code, file by file:
//!
//! - every name a file of `src/` takes from another (`crate::…`,
//!   `super::…`, a child module's, grouped imports `use a::{b, c::d}`, and
//!   paths written inline) is an edge to the file that defines it, followed
//!   through re-exports (`pub use`) to the defining file;
//! - the files form no circle;
//! - an edge between two top-level modules goes down the declared list (or
//!   stays on one line of it).
//!
//! Comments and the unit tests at the end of a file are left out.

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
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        // The unit tests: `#[cfg(test)]`, or a `cfg` naming `test` (with a
        // feature) right before `mod tests`.
        let before_tests = lines
            .peek()
            .is_some_and(|next| next.trim_start().starts_with("mod tests"));
        if trimmed.starts_with("#[cfg(test)]")
            || (trimmed.starts_with("#[cfg(") && trimmed.contains("test") && before_tests)
        {
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

/// A module path (`["office", "wait"]`).
type Module = Vec<String>;

/// The module a file of `src/` is (`office/mod.rs` → `office`).
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Module = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "mod.rs" | "lib.rs" => {}
        file => parts.push(file.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// `use` trees expanded into paths: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`,
/// `a::c::e` (a `self` in a group is the group's own path; `as` names are
/// dropped).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(|item| {
            expand(item).into_iter().map(|path| match path.as_str() {
                "self" => prefix.to_owned(),
                _ if prefix.is_empty() => path,
                _ => format!("{prefix}::{path}"),
            })
        })
        .collect()
}

/// A file's `use` statements, each as (whether it is a re-export, its
/// expanded paths), and the paths written inline in its code.
fn paths(code: &str) -> (Vec<(bool, Vec<String>)>, Vec<String>) {
    let flat = code.replace('\n', " ");
    let mut uses = Vec::new();
    let mut rest = String::new();
    for statement in flat.split_inclusive(';') {
        let trimmed = statement.trim_start();
        // Attributes before the statement (`#[cfg(…)] use …`).
        let body = trimmed.rsplit(']').next().unwrap_or(trimmed).trim_start();
        let (export, tree) = if let Some(tree) = body.strip_prefix("use ") {
            (false, tree)
        } else if let Some(tree) = body
            .strip_prefix("pub use ")
            .or_else(|| body.strip_prefix("pub(crate) use "))
        {
            (true, tree)
        } else {
            rest.push_str(statement);
            continue;
        };
        uses.push((export, expand(tree.trim_end_matches(';'))));
    }
    let mut inline = Vec::new();
    for start in ["crate::", "super::"] {
        for (at, _) in rest.match_indices(start) {
            let before = rest[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = rest[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            inline.push(path.trim_end_matches(':').to_owned());
        }
    }
    (uses, inline)
}

/// The library's files, what each re-exports, and what each takes.
struct Library {
    /// Module → its file.
    files: BTreeMap<Module, PathBuf>,
    /// (module, name) → the path it re-exports, as written there.
    exports: BTreeMap<(Module, String), (Module, String)>,
    /// Module → the paths it takes, as written there.
    takes: BTreeMap<Module, Vec<String>>,
}

impl Library {
    fn read(src: &Path) -> Self {
        let mut all = Vec::new();
        files(src, &mut all);
        let mut library = Self {
            files: BTreeMap::new(),
            exports: BTreeMap::new(),
            takes: BTreeMap::new(),
        };
        for file in all {
            if file.strip_prefix(src).unwrap().starts_with("bin") {
                continue;
            }
            let module = module_of(src, &file);
            let (uses, inline) = paths(&code(&std::fs::read_to_string(&file).unwrap()));
            let mut takes = inline;
            for (export, paths) in uses {
                for path in paths {
                    if export {
                        let name = path.rsplit("::").next().unwrap_or_default().to_owned();
                        library
                            .exports
                            .insert((module.clone(), name), (module.clone(), path));
                    } else {
                        takes.push(path);
                    }
                }
            }
            library.takes.insert(module.clone(), takes);
            library.files.insert(module, file);
        }
        library
    }

    /// The module that defines what `path`, written in `from`, names; `None`
    /// for another crate's.
    fn resolve(&self, from: &Module, path: &str, depth: usize) -> Option<Module> {
        if depth > 16 {
            return None;
        }
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let (mut at, mut rest): (Module, &[&str]) = match segments.first() {
            Some(&"crate") => (Vec::new(), &segments[1..]),
            Some(&"self") => (from.clone(), &segments[1..]),
            Some(&"super") => {
                let mut at = from.clone();
                let mut rest = &segments[..];
                while rest.first() == Some(&"super") {
                    at.pop();
                    rest = &rest[1..];
                }
                (at, rest)
            }
            // A child module of `from`, or another crate.
            Some(first) => {
                let mut child = from.clone();
                child.push((*first).to_owned());
                if !self.files.contains_key(&child) {
                    return None;
                }
                (from.clone(), &segments[..])
            }
            None => return None,
        };
        while let Some(next) = rest.first() {
            let mut child = at.clone();
            child.push((*next).to_owned());
            if self.files.contains_key(&child) {
                at = child;
                rest = &rest[1..];
                continue;
            }
            // A name `at` re-exports: followed to where it comes from.
            if let Some((there, path)) = self.exports.get(&(at.clone(), (*next).to_owned())) {
                return self.resolve(there, path, depth + 1).or(Some(at));
            }
            break;
        }
        Some(at)
    }

    /// Each file's edges to the other files it takes names from.
    fn edges(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut edges = BTreeMap::new();
        for (module, takes) in &self.takes {
            let targets: &mut BTreeSet<Module> = edges.entry(module.clone()).or_default();
            for path in takes {
                if let Some(target) = self.resolve(module, path, 0)
                    && &target != module
                    && !target.is_empty()
                {
                    targets.insert(target);
                }
            }
        }
        edges.remove(&Vec::new());
        edges
    }
}

/// A cycle in `edges`, as the modules along it, if there is one.
fn cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|at| at == node).unwrap_or(0);
                let mut found: Vec<String> = path[start..].iter().map(|m| m.join("/")).collect();
                found.push(node.join("/"));
                return Some(found);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Open);
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, marks, path) {
                return Some(found);
            }
        }
        path.pop();
        marks.insert(node.clone(), Mark::Done);
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

/// The layers `ARCHITECTURE.md` declares, top first: each line's modules.
fn declared_layers(architecture: &str) -> Vec<Vec<String>> {
    let section = architecture
        .split("## Layers of the library")
        .nth(1)
        .expect("ARCHITECTURE.md has a section `Layers of the library`");
    let block = section
        .split("```")
        .nth(1)
        .expect("the section has a block");
    block
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            // The modules, then three spaces or more, then what they are.
            let names = line.split("   ").next().unwrap_or_default();
            names
                .split([',', ' '])
                .map(|name| name.trim().trim_end_matches('/'))
                .filter(|name| !name.is_empty() && !name.starts_with('('))
                .filter(|name| !["feature", "redis)"].contains(name))
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn library() -> (Library, BTreeMap<Module, BTreeSet<Module>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let library = Library::read(&src);
    let edges = library.edges();
    (library, edges)
}

#[test]
fn the_library_s_files_form_no_circle() {
    let (library, edges) = library();
    assert!(library.files.len() > 40, "{}", library.files.len());
    // The graph is the code's: two edges it must see.
    let wait = vec!["office".to_owned(), "wait".to_owned()];
    let outcome = vec!["office".to_owned(), "outcome".to_owned()];
    assert!(edges[&wait].contains(&outcome), "{:?}", edges[&wait]);
    let pager = vec!["directory".to_owned(), "pager".to_owned()];
    assert!(edges[&pager].contains(&vec!["directory".to_owned(), "error".to_owned()]));
    if let Some(found) = cycle(&edges) {
        panic!("a circle of imports: {}", found.join(" → "));
    }
}

#[test]
fn edges_between_top_level_modules_go_down_the_declared_layers() {
    let architecture =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let layers = declared_layers(&architecture);
    let level = |name: &str| {
        layers
            .iter()
            .position(|line| line.iter().any(|n| n == name))
    };
    let (library, edges) = library();
    let mut undeclared = BTreeSet::new();
    let mut upward = Vec::new();
    for (from, targets) in &edges {
        for target in targets {
            let (a, b) = (&from[0], &target[0]);
            if a == b {
                continue;
            }
            match (level(a), level(b)) {
                (Some(x), Some(y)) if x > y => {
                    upward.push(format!("{} → {}", from.join("/"), target.join("/")))
                }
                (Some(_), Some(_)) => {}
                (None, _) => {
                    undeclared.insert(a.clone());
                }
                (_, None) => {
                    undeclared.insert(b.clone());
                }
            }
        }
    }
    let top: BTreeSet<&String> = library.files.keys().filter_map(|m| m.first()).collect();
    for name in top {
        if level(name).is_none() {
            undeclared.insert(name.clone());
        }
    }
    assert!(
        undeclared.is_empty(),
        "modules ARCHITECTURE.md does not place: {undeclared:?}"
    );
    assert!(
        upward.is_empty(),
        "edges up the declared layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn a_circle_between_two_files_is_found() {
    let grouped = expand("super::{outcome::{read_outcome, Descriptions as D}, types, self}");
    assert_eq!(
        grouped,
        [
            "super::outcome::read_outcome",
            "super::outcome::Descriptions",
            "super::types",
            "super"
        ]
    );
    let module = |path: &str| -> Module { path.split('/').map(str::to_owned).collect() };
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    edges
        .entry(module("office/wait"))
        .or_default()
        .insert(module("office/outcome"));
    edges
        .entry(module("office/outcome"))
        .or_default()
        .insert(module("error"));
    assert_eq!(cycle(&edges), None);
    edges
        .entry(module("office/outcome"))
        .or_default()
        .insert(module("office/wait"));
    assert_eq!(
        cycle(&edges),
        Some(vec![
            "office/outcome".into(),
            "office/wait".into(),
            "office/outcome".into()
        ])
    );
}

/// The import code knows the journal only through its store trait: no
/// feature switches it (SQLite, Redis or none is the caller's choice).
#[test]
fn the_import_code_has_no_feature_switch() {
    for file in ["import.rs", "source.rs", "snapshot.rs", "upload.rs"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/office")
            .join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let switches: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("cfg(") && !line.contains("cfg(test)"))
            .collect();
        assert!(switches.is_empty(), "{file}: {switches:?}");
    }
}
