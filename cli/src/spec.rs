//! `roster spec diff OLD NEW`: the build's breaking-change report, for two
//! files of one vendored spec.

use std::path::{Path, PathBuf};

use crate::Context;
use crate::exit::Failure;
use crate::generate::{APIS, Api, generate_from};
use crate::surface::{Kind, compare};

/// The vendored API a spec file is a version of, by its file name
/// (`lucca-office.yaml`), or named with `--api`.
fn api_of(path: &Path, named: Option<&str>) -> Result<Api, Failure> {
    let wanted = named.map(str::to_owned).or_else(|| {
        path.file_name()
            .and_then(|name| name.to_str())
            .map(str::to_owned)
    });
    APIS.into_iter()
        .find(|api| {
            wanted.as_deref().is_some_and(|wanted| {
                wanted == api.module || api.file.ends_with(&format!("/{wanted}"))
            })
        })
        .ok_or_else(|| {
            let known: Vec<&str> = APIS.iter().map(|api| api.module).collect();
            Failure::usage(format!(
                "which API is {}? name it with --api ({})",
                path.display(),
                known.join(", ")
            ))
        })
}

fn listing(api: &Api, path: &Path) -> Result<String, Failure> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::usage(format!("cannot read {shown}: {error}")))?;
    generate_from(api, &shown, &text)
        .map(|(_, listing)| listing)
        .map_err(|error| Failure::refused(error.to_string()))
}

/// Prints one line a change; exits 1 when a change is breaking.
pub(crate) fn diff(
    old: PathBuf,
    new: PathBuf,
    api: Option<String>,
    context: &Context,
) -> Result<(), Failure> {
    let api = api_of(&new, api.as_deref())?;
    let changes = compare(api.module, &listing(&api, &old)?, &listing(&api, &new)?);
    if context.json {
        let lines: Vec<serde_json::Value> = changes
            .iter()
            .map(|change| {
                let kind = match change.kind {
                    Kind::Breaking => "breaking",
                    Kind::Additive => "additive",
                    Kind::Rewrite => "rewrite",
                };
                serde_json::json!({ "kind": kind, "change": change.text })
            })
            .collect();
        crate::ui::emit(serde_json::Value::Array(lines));
    } else {
        for change in &changes {
            context.say(change.to_string());
        }
    }
    let breaking = changes
        .iter()
        .filter(|change| change.kind == Kind::Breaking)
        .count();
    if breaking > 0 {
        return Err(Failure::refused(format!(
            "{breaking} breaking change(s): code written against {} may not compile",
            old.display()
        )));
    }
    Ok(())
}
