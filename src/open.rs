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

/// The value as the vendor sends it.
///
/// ```
/// use roster::Open;
/// use roster::office::types::Position;
///
/// assert_eq!(Open::Known(Position::FullDay).to_string(), "FullDay");
/// assert_eq!(Open::<Position>::Unknown("Evening".into()).to_string(), "Evening");
/// ```
impl<T: std::fmt::Display> std::fmt::Display for Open<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Known(value) => value.fmt(f),
            Self::Unknown(text) => f.write_str(text),
        }
    }
}

impl<T> From<T> for Open<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}
