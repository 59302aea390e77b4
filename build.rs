//! Generates one client per vendored spec in `openapi/` into `OUT_DIR`.
//! See `openapi/README.md` for what is rewritten before generation and why.

#[path = "build/generate.rs"]
mod generate;
#[path = "build/rewrite.rs"]
mod rewrite;
#[path = "build/spec_error.rs"]
mod spec_error;
#[path = "build/tolerate.rs"]
mod tolerate;

use std::path::PathBuf;

fn main() {
    for input in [
        "build.rs",
        "build/generate.rs",
        "build/rewrite.rs",
        "build/spec_error.rs",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut failed = false;
    for api in generate::APIS {
        println!("cargo::rerun-if-changed={}", api.file);
        let result = std::fs::read_to_string(api.file)
            .map_err(|error| {
                spec_error::SpecError::whole(api.file, format!("cannot read it: {error}"))
            })
            .and_then(|text| generate::generate(&api, &text))
            .and_then(|code| {
                let target = out_dir.join(format!("{}.rs", api.module));
                std::fs::write(&target, code).map_err(|error| {
                    spec_error::SpecError::whole(
                        api.file,
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
}
