//! The shape of one field of a user update, as roster-codegen reads it
//! from the spec's `UserUpdate`. The table of every field (`FIELDS`, in
//! `patch.rs`'s generated part) is the one model of a user change:
//! `UserPatch`'s setters, the sync's columns and the complete mode's body
//! are views of it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One property of the spec's `UserUpdate`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// Its JSON name.
    pub(crate) key: &'static str,
    /// What it holds.
    pub(crate) shape: Shape,
    /// Whether it takes `null` (an empty cell clears it).
    pub(crate) nullable: bool,
    /// Whether a whole-body `PUT` requires it (the complete mode sends it).
    pub(crate) required: bool,
}

/// What a field holds, from its schema.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// Text of `min` to `max` characters.
    Text { min: u64, max: Option<u64> },
    /// A date-time, written without a zone.
    DateTime,
    /// An ISO 3166-1 alpha-2 country code, upper-cased.
    Country,
    /// An integer within its bounds.
    Integer { min: Option<i64>, max: Option<i64> },
    /// `true` or `false`.
    Bool,
    /// A value of the generated type it names, read from text by its
    /// function.
    Model(&'static str, fn(&str) -> Result<Value, String>),
    /// An id, sent as `{"id": …}`.
    IdObject,
    /// Ids, sent as `[{"id": …}]`.
    IdObjects,
    /// JSON as written (a list of objects, an object of open shape).
    Json,
}

/// A value of the generated type `T` (an enum, say) read from `cell`, as
/// JSON.
pub(crate) fn model_from_cell<T: Serialize + DeserializeOwned>(
    cell: &str,
) -> Result<Value, String> {
    serde_json::from_value::<T>(Value::String(cell.to_owned()))
        .map_err(|_| format!("{cell:?} is not one of its values"))
        .and_then(|value| serde_json::to_value(value).map_err(|error| error.to_string()))
}

/// An ISO 3166-1 alpha-2 country code: two ASCII letters, upper-cased.
pub(crate) fn country_code(text: &str) -> Result<String, String> {
    match text.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Ok(text.to_ascii_uppercase())
        }
        _ => Err(format!(
            "{text:?} is not a two-letter ISO 3166-1 country code"
        )),
    }
}
