//! Local Lucca and Docutools servers, written from the vendors' documents
//! (not from any client's code), for testing integrations against them.
//!
//! - [`LocalLucca`]: Lucca Office (user-location imports with their
//!   progress, analysis and results; work locations; user locations) and
//!   Lucca v3 users, on one loopback port, with one API key.
//! - [`LocalDocutools`]: the Docutools users-service (OAuth2 password and
//!   refresh grants, the CSV upload and the user import).
//!
//! Both check requests the way the documents describe them, count what they
//! received and applied, and answer in the documented shapes, or, through
//! [`Knobs`] and [`Profile`]s, in the other shapes the real servers may use
//! where the documents are silent or disagree. [`Faults`] make them slow or
//! faulty on purpose.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use roster_emulator::{LocalLucca, Profile, Setup};
//!
//! let lucca = LocalLucca::start_with(Setup::default().with_profile(Profile::Dotnet)).await?;
//! let [(_, host), (_, key)] = lucca.env();
//! assert!(host.starts_with("http://127.0.0.1:"));
//! assert_eq!(key, lucca.api_key());
//! # Ok(()) }
//! ```
//!
//! The same servers run as a process: `cargo run -p roster-emulator -- --help`.

mod data;
mod directory;
mod docutools;
mod faults;
mod knobs;
pub mod lab;
mod lucca;
mod office_csv;
mod office_import;
mod office_read;
mod organization;
mod process;
mod respond;
mod serve;
mod shape;
mod user_creation;

#[cfg(test)]
mod tests;

pub use data::{DayPart, Employee, Place, ReceivedImport, ReceivedRow, Setup, StoredLocation};
pub use docutools::{DocutoolsAccount, DocutoolsSetup, Grants, LocalDocutools, ReceivedUpload};
pub use faults::{Fault, Faults, Route};
pub use knobs::{
    DOCUTOOLS_LIMIT_BINARY, DOCUTOOLS_LIMIT_DECIMAL, EchoedDate, Envelope, Fraction, Headers,
    IdCasing, ImportFate, Knobs, LineNumbers, Profile, PutBodies, Timestamps, UnknownProfile, Zone,
};
pub use lucca::{LocalLucca, RequestLimit};
pub use office_import::KEPT_IN_FULL;
pub use organization::{Department, Establishment, Organization};
pub use process::{ServeOptions, serve};
pub use shape::UNKNOWN_FIELD;
