//! Generates one client per vendored spec in `openapi/` into `OUT_DIR`.
//! See `openapi/README.md` for what is rewritten before generation and why.
//! The generation itself is the `roster-codegen` crate (`codegen/`).

use roster_codegen::{facts, generate, spec_error, surface};

use std::path::PathBuf;

fn main() {
    // `roster-codegen` is a path dependency: cargo reruns this when it changes.
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // A directory of newer copies of the specs (a vendor's new version):
    // generated from instead of `openapi/`, and reported against the
    // accepted surface.
    println!("cargo::rerun-if-env-changed=ROSTER_SPECS_DIR");
    let newer = std::env::var_os("ROSTER_SPECS_DIR").map(PathBuf::from);
    let mut failed = false;
    let mut operations = Vec::new();
    for api in generate::APIS {
        // Only the APIs whose feature is on are generated.
        let feature = format!("CARGO_FEATURE_{}", api.module.to_uppercase());
        if std::env::var_os(&feature).is_none() {
            continue;
        }
        let vendored = PathBuf::from(api.file);
        let file = match &newer {
            Some(dir) => {
                let candidate = dir.join(vendored.file_name().unwrap_or_default());
                println!("cargo::rerun-if-changed={}", candidate.display());
                if candidate.is_file() {
                    candidate
                } else {
                    println!(
                        "cargo::warning=ROSTER_SPECS_DIR has no {}: the vendored {} is used",
                        candidate.display(),
                        api.file
                    );
                    vendored
                }
            }
            None => vendored,
        };
        println!("cargo::rerun-if-changed={}", file.display());
        let accepted = format!("openapi/surface/{}.txt", api.module);
        println!("cargo::rerun-if-changed={accepted}");
        let shown = file.display().to_string();
        let result = std::fs::read_to_string(&file)
            .map_err(|error| {
                spec_error::SpecError::whole(&shown, format!("cannot read it: {error}"))
            })
            .and_then(|text| generate::generate_api(&api, &shown, &text))
            .and_then(|generated| {
                let generate::Generated {
                    code,
                    surface: listing,
                    operations: rows,
                    patch,
                } = generated;
                operations.extend(rows);
                if let Some(patch) = patch {
                    let target = out_dir.join(format!("{}.patch.rs", api.module));
                    std::fs::write(&target, patch).map_err(|error| {
                        spec_error::SpecError::whole(
                            &shown,
                            format!("cannot write {}: {error}", target.display()),
                        )
                    })?;
                }
                if let Ok(accepted) = std::fs::read_to_string(&accepted) {
                    for change in surface::compare(api.module, &accepted, &listing) {
                        println!("cargo::warning={change}");
                    }
                }
                let _ = std::fs::write(
                    out_dir.join(format!("{}.surface.txt", api.module)),
                    &listing,
                );
                let target = out_dir.join(format!("{}.rs", api.module));
                std::fs::write(&target, code).map_err(|error| {
                    spec_error::SpecError::whole(
                        &shown,
                        format!("cannot write {}: {error}", target.display()),
                    )
                })
            });
        if let Err(error) = result {
            println!("cargo::error={error}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
    // `roster::Operation`: every operation of the enabled APIs.
    let clashes = facts::clashes(&operations);
    for clash in &clashes {
        println!("cargo::error={clash}");
    }
    if !clashes.is_empty() {
        std::process::exit(1);
    }
    if let Err(error) = std::fs::write(
        out_dir.join("operations.rs"),
        facts::operation_enum(&operations),
    ) {
        println!("cargo::error=cannot write operations.rs: {error}");
        std::process::exit(1);
    }
}
