#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use generated::generated_api;

// Lets generated code name this crate's types as `roster::…` (`x-rust-type`).
extern crate self as roster;

mod base_url;
mod config;
mod credentials;
mod error;
mod file_name;
mod file_stamp;
mod generated;
mod limiter;
mod open;
mod rate;
mod retry;
mod token;
mod tolerant;
mod transport;

pub mod directory;
pub mod docutools;
pub mod office;
#[cfg(feature = "redis")]
pub mod shared;

pub use base_url::BaseUrl;
pub use config::{
    ApiClient, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE, DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT, DocutoolsConfig, DocutoolsLoginConfig, LuccaConfig,
};
pub use credentials::{
    Api, BearerToken, Credentials, Docutools, Lucca, LuccaApiKey, PasswordGrant,
};
pub use error::{AuthError, ConfigError, ErrorBody, HttpError, StoreError};
pub use limiter::{RateLimit, RateLimitError, RateLimiter};
pub use open::Open;
pub use retry::Backoff;
pub use token::TokenSource;
pub use tolerant::{DateTimeError, EchoedDate, VendorDateTime};
pub use transport::Transport;
