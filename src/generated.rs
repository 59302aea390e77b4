//! How a generated client joins the crate. The generated code itself is not
//! in the repository: the build script writes it from `openapi/*.yaml` into
//! `$OUT_DIR/{office,directory,docutools}.rs` (run `cargo doc --open`, or
//! read the snapshots in `tests/it/snapshots/`). Nobody edits it; a spec
//! change regenerates it.

/// Includes a generated client from `OUT_DIR`, re-exports it flat, and lets
/// a [`Config`](crate::Config) of the matching credentials build it. Every
/// generated builder sends through [`Transport::call`](crate::Transport)
/// (roster-codegen's `calls.rs` writes its `send`), so no generated call can
/// skip the transport (its authorization, limiter and retries). The lint
/// allowances needed by generated code stay on the module that includes it.
macro_rules! generated_api {
    ($file:literal, $api:ty) => {
        #[allow(missing_docs, unused_imports, dead_code, clippy::all, rustdoc::all)]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $file, ".rs"));
        }

        pub use generated::*;

        impl crate::config::ApiClient for Client {
            type Api = $api;

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                transport: crate::Transport,
            ) -> Self {
                Self::new_with_client(base_url, http, transport)
            }
        }

        impl Client {
            /// A request to an endpoint the spec does not describe, on this
            /// client's host, through the one request path (see
            /// [`RawRequest`](crate::RawRequest)).
            pub fn request(&self, method: reqwest::Method, path: &str) -> crate::RawRequest<'_> {
                crate::RawRequest::new(self.http(), self.transport(), self.baseurl(), method, path)
            }
        }
    };
}
pub(crate) use generated_api;
