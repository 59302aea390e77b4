//! How a generated client joins the crate. The generated code itself is not
//! in the repository: the build script writes it from `openapi/*.yaml` into
//! `$OUT_DIR/{office,directory,docutools}.rs` (run `cargo doc --open`, or
//! read the snapshots in `tests/it/snapshots/`). Nobody edits it; a spec
//! change regenerates it.

/// Includes a generated client from `OUT_DIR`, re-exports it flat, lets a
/// [`Config`](crate::Config) of the matching credentials build it, and sends
/// every one of its calls through the [`Transport`](crate::Transport). The
/// lint allowances needed by generated code stay on the module that
/// includes it.
///
/// The clients are generated with progenitor's `HooksMode::Expected`: without
/// the `ClientHooks` impl below, the crate does not compile, so no generated
/// call can skip the transport (its authorization, limiter and retries).
macro_rules! generated_api {
    ($file:literal, $api:ty) => {
        #[allow(missing_docs, unused_imports, clippy::all, rustdoc::all)]
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

        /// Every generated call goes through the transport.
        impl progenitor_client::ClientHooks<crate::Transport> for Client {
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                let call = crate::transport::Operation::call(
                    generated::OPERATIONS,
                    info.operation_id,
                    request.method().as_str(),
                );
                self.inner().execute(self.client(), request, call).await
            }
        }
    };
}
pub(crate) use generated_api;
