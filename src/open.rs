//! `Open<T>`: an enum value that may be one the SDK does not know yet.

use schemars::JsonSchema;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A value of the string enum `T`, or a value the vendor added after this
/// SDK was generated. Responses with new enum values still parse.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
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

/// Reads the text once and tries `T` on it, without buffering the value as
/// serde's untagged enums do (the per-call cost of every enum field).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Open<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Reader<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Reader<T> {
            type Value = Open<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                let known: Result<T, de::value::Error> = T::deserialize(text.into_deserializer());
                Ok(match known {
                    Ok(value) => Open::Known(value),
                    Err(_) => Open::Unknown(text.to_owned()),
                })
            }
        }

        deserializer.deserialize_str(Reader(std::marker::PhantomData))
    }
}

#[cfg(all(test, feature = "office"))]
mod tests {
    use super::Open;
    use crate::office::types::Position;

    #[test]
    fn known_values_read_as_the_enum_and_new_ones_as_text() {
        let read = |json: &str| serde_json::from_str::<Open<Position>>(json).unwrap();
        assert_eq!(read(r#""FullDay""#), Open::Known(Position::FullDay));
        assert_eq!(read(r#""Evening""#), Open::Unknown("Evening".into()));
        assert!(serde_json::from_str::<Open<Position>>("3").is_err());
    }
}
