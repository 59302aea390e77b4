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
                use progenitor_client::ClientInfo;
                crate::RawRequest::new(self.client(), self.inner(), self.baseurl(), method, path)
            }
        }

        /// Every generated call goes through the transport: `pre` waits
        /// for the rate limit and takes the token (a failure there is the
        /// call's error, nothing sent), `exec` sends and tries again.
        impl progenitor_client::ClientHooks<crate::Transport> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                use progenitor_client::ClientInfo;
                let Some(call) = crate::transport::Call::generated(info.operation_id) else {
                    return Err(progenitor_client::Error::InvalidRequest(format!(
                        "`{}` is not an operation of the spec",
                        info.operation_id
                    )));
                };
                self.inner()
                    .prepare(request, call)
                    .await
                    .map_err(|unsent| progenitor_client::Error::Custom(unsent.raise()))
            }

            /// A token refused after a `401` comes back on the `401` (see
            /// `Transport::execute`): raised here, typed like `pre`'s.
            async fn post<E>(
                &self,
                result: &reqwest::Result<reqwest::Response>,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                let refused = result
                    .as_ref()
                    .ok()
                    .and_then(|answer| answer.extensions().get::<crate::error::Unsent>());
                match refused {
                    Some(unsent) => Err(progenitor_client::Error::Custom(unsent.clone().raise())),
                    None => Ok(()),
                }
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                match crate::transport::Call::generated(info.operation_id) {
                    Some(call) => self.inner().execute(self.client(), request, call).await,
                    // progenitor runs `pre` first, which refuses the name.
                    None => unreachable!("`pre` refuses {}", info.operation_id),
                }
            }
        }
    };
}
pub(crate) use generated_api;
