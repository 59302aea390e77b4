#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The long reference in `docs/`: its code blocks compile as doctests.
#[cfg(doctest)]
mod docs {
    #[doc = include_str!("../docs/authentication.md")]
    struct Authentication;
    #[doc = include_str!("../docs/office.md")]
    struct Office;
    #[doc = include_str!("../docs/directory.md")]
    struct Directory;
    #[doc = include_str!("../docs/docutools.md")]
    struct Docutools;
    #[doc = include_str!("../docs/reading-rules.md")]
    struct ReadingRules;
    #[doc = include_str!("../docs/cli.md")]
    struct Cli;
    #[doc = include_str!("../docs/workers.md")]
    struct Workers;
    #[doc = include_str!("../docs/local-servers.md")]
    struct LocalServers;
    #[doc = include_str!("../docs/reliability.md")]
    struct Reliability;
    #[doc = include_str!("../docs/generated.md")]
    struct Generated;
}

#[cfg(not(any(feature = "office", feature = "directory", feature = "docutools")))]
compile_error!("roster needs at least one API: enable `office`, `directory` or `docutools`");

#[cfg(any(feature = "office", feature = "directory", feature = "docutools"))]
use generated::generated_api;

// Lets generated code name this crate's types as `roster::…` (`x-rust-type`).
extern crate self as roster;

mod base_url;
mod config;
mod credentials;
mod encoding;
mod error;
mod file;
#[cfg(any(feature = "office", feature = "docutools"))]
mod file_name;
mod file_stamp;
mod generated;
#[cfg(any(feature = "office", feature = "docutools"))]
mod in_parts;
pub mod journal;
mod limiter;
mod open;
mod operation;
mod rate;
mod raw;
mod retry;
mod token;
mod tolerant;
mod transport;

#[cfg(feature = "directory")]
pub mod directory;
#[cfg(feature = "docutools")]
pub mod docutools;
#[cfg(feature = "office")]
pub mod office;
#[cfg(feature = "redis")]
pub mod shared;

pub use base_url::BaseUrl;
/// The foreign types `roster`'s API takes or gives, re-exported so that a
/// caller needs no version of its own: `Method` (the escape hatch),
/// `NaiveDate` and `NaiveDateTime` (rows, filters), `Uuid` (`summaryId`s).
pub use chrono::{NaiveDate, NaiveDateTime};
pub use config::{
    ApiClient, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE, DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT, LuccaConfig,
};
pub use credentials::{Api, Credentials, Lucca, LuccaApiKey};
pub use encoding::{Encoding, EncodingError, decode};
pub use error::{AuthError, ConfigError, ErrorBody, HttpError, StoreError};
pub use file::FileError;
#[cfg(any(feature = "office", feature = "docutools"))]
pub use file_name::CsvFileName;
pub use file_stamp::FileStamp;
#[cfg(any(feature = "office", feature = "docutools"))]
pub use in_parts::AppliedInPart;
pub use limiter::{RateLimit, RateLimiter};
pub use open::Open;
pub use operation::Operation;
pub use raw::{RawAnswer, RawRequest};
pub use reqwest::Method;
pub use retry::Backoff;
pub use tolerant::{EchoedDate, ParseError, VendorDateTime};
pub use transport::Transport;
pub use uuid::Uuid;
