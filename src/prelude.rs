//! The extension traits that add `roster`'s handwritten operations to the
//! generated clients: `use roster::prelude::*;` and every operation of the
//! three APIs is a method of its client.
//!
//! ```
//! use roster::prelude::*;
//! use roster::{LuccaApiKey, LuccaConfig, directory};
//!
//! let config = LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("my-key"))?;
//! let users: directory::Client = config.client()?;
//! let _request = users.find_user_id("jdupont"); // a builder; `.send().await` sends it
//! # Ok::<(), roster::ConfigError>(())
//! ```

pub use crate::directory::ClientExtraUsersExt;
pub use crate::docutools::ClientExtraUserImportExt;
pub use crate::office::{ClientExtraImportExt, ClientExtraPagesExt};
