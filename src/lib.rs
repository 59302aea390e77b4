#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

// Lets generated code name this crate's types as `roster::…` (`x-rust-type`).
extern crate self as roster;

/// Includes a generated client from `OUT_DIR`, re-exports it flat, and lets a
/// [`Config`] of the matching credentials build it. The lint allowances
/// needed by generated code stay on the module that includes it.
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
                state: crate::ClientState,
            ) -> Self {
                Self::new_with_client(base_url, http, state)
            }
        }

        /// Every generated call goes through the shared rate limiter.
        impl progenitor_client::ClientHooks<crate::ClientState> for Client {
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo;
                let resend = crate::hooks::resendable(info.operation_id);
                crate::hooks::execute(self.client(), self.inner(), request, resend).await
            }

            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                use progenitor_client::ClientInfo;
                crate::hooks::authorize(self.inner(), request)
                    .await
                    .map_err(|error| progenitor_client::Error::Custom(error.to_string()))
            }
        }
    };
}
pub(crate) use generated_api;

mod base_url;
mod config;
mod credentials;
mod error;
mod file_name;
mod hooks;
mod limiter;
mod open;
pub mod retry;
mod token;

pub mod directory;
pub mod docutools;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod office;

pub use base_url::BaseUrl;
pub use config::{
    ApiClient, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE, DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT, DocutoolsConfig, DocutoolsLoginConfig, LuccaConfig,
};
pub use credentials::{
    Api, BearerToken, Credentials, Docutools, Lucca, LuccaApiKey, PasswordGrant,
};
pub use error::ConfigError;
pub use hooks::ClientState;
pub use limiter::{RateLimit, RateLimiter};
pub use open::Open;
pub use token::{AuthError, TokenSource};
