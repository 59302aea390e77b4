//! `Open<T>`: an enum value that may be one the SDK does not know yet.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A value of the string enum `T`, or a value the vendor added after this
/// SDK was generated. Responses with new enum values still parse.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(untagged)]
pub enum Open<T> {
    /// A value the spec documents.
    Known(T),
    /// A value the spec does not document, kept as sent.
    Unknown(String),
}

impl<T> From<T> for Open<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}
