//! Nothing in the repository points outside it: a relative path written in
//! any of its text files (a doc's link, a comment's "see …", a build
//! script's input) resolves inside the repository, so a clone alone holds
//! everything a reader is sent to.

use std::path::{Component, Path, PathBuf};

/// The text files of the repository (not `target/` nor `.git/`).
fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | "node_modules") {
                files(&path, found);
            }
        } else if [".rs", ".md", ".toml", ".yaml", ".sh", ".txt", ".snap"]
            .iter()
            .any(|ending| name.ends_with(ending))
            || name == "run"
        {
            found.push(path);
        }
    }
}

/// Each relative path that starts with `../` in `text`.
fn upward_paths(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("../") {
        let before = rest[..at].chars().last();
        // `../x` itself, not the tail of `a/../x` or of a longer `.../`.
        let starts =
            !matches!(before, Some(c) if c.is_alphanumeric() || c == '/' || c == '.' || c == '_');
        let end = rest[at..]
            .find(|c: char| !(c.is_alphanumeric() || "./_-".contains(c)))
            .map_or(rest.len(), |length| at + length);
        if starts {
            found.push(&rest[at..end]);
        }
        rest = &rest[end.max(at + 3)..];
    }
    found
}

/// `relative`, from `dir`, stays below `root`.
fn stays_inside(root: &Path, dir: &Path, relative: &str) -> bool {
    let mut depth = dir.strip_prefix(root).unwrap().components().count() as i64;
    for component in Path::new(relative).components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[test]
fn no_path_in_the_repository_points_outside_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 100, "{}", all.len());
    let mut outside = Vec::new();
    for file in &all {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let dir = file.parent().unwrap();
        for path in upward_paths(&text) {
            if !stays_inside(root, dir, path) {
                outside.push(format!(
                    "{}: {path}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "paths that leave the repository:\n{}",
        outside.join("\n")
    );
}

#[test]
fn a_path_that_leaves_the_repository_is_seen() {
    let root = Path::new("/repo");
    let found = upward_paths("see `../shared/api-facts.md` and [a](../README.md), a/../b");
    assert_eq!(found, ["../shared/api-facts.md", "../README.md"]);
    assert!(!stays_inside(root, root, found[0]));
    assert!(stays_inside(root, &root.join("docs"), found[1]));
}
