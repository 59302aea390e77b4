//! Lucca's v3 answers come as `{"data": T}` or as a bare `T`: both are read.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses `{"data": T}` or a bare `T` (both appear in Lucca's documentation).
pub fn parse_enveloped<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let value: Value = serde_json::from_slice(body)?;
    match value {
        Value::Object(mut map) if map.contains_key(super::keys::DATA) => {
            serde_json::from_value(map.remove(super::keys::DATA).unwrap_or_default())
        }
        other => serde_json::from_value(other),
    }
}
