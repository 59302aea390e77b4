//! [`Operation`]: each operation of the vendored specs, generated from them
//! by the build script (`roster-codegen`'s `facts.rs`), so that no name,
//! method or path is copied into the handwritten layer by hand.

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

impl std::fmt::Display for Operation {
    /// Its name (`get_user`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
