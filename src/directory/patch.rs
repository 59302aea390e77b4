//! A partial update of a user: each field is set, cleared (an explicit
//! `null`, for nullable fields only) or left untouched (not sent).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

/// What is wrong with one field of a [`UserPatch`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct PatchError {
    /// The JSON name of the field.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// A language code identifier (LCID) Lucca accepts: 1025 to 58380.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CultureId(u16);

impl CultureId {
    /// Checks the range.
    pub fn new(id: u32) -> Result<Self, PatchError> {
        match u16::try_from(id) {
            Ok(id) if (1025..=58380).contains(&id) => Ok(Self(id)),
            _ => Err(PatchError {
                field: "cultureID",
                problem: format!("{id} is outside 1025 to 58380"),
            }),
        }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// An ISO 3166-1 alpha-2 country code (`FR`, `DE`…), upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CountryCode([u8; 2]);

impl CountryCode {
    /// Checks the form: two ASCII letters (made upper case).
    pub fn new(code: &str) -> Result<Self, PatchError> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(PatchError {
                field: "nationalityId",
                problem: format!("{code:?} is not a two-letter ISO 3166-1 country code"),
            }),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a user update: only touched fields are sent. Its setters
/// (and clearers, for the fields that take `null`) are generated from the
/// spec's `UserUpdate`, one per property, named as the generated model
/// names its fields, each checking the bounds the spec gives.
///
/// ```
/// use roster::directory::UserPatch;
///
/// let patch = UserPatch::new()
///     .last_name("Smith")
///     .clear_manager_id()
///     .job_title("Developer");
/// assert_eq!(
///     patch.to_json().unwrap(),
///     serde_json::json!({ "lastName": "Smith", "managerId": null, "jobTitle": "Developer" })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    values: BTreeMap<String, Value>,
    problems: Vec<PatchError>,
}

fn zone_less(at: NaiveDateTime) -> Value {
    json!(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

/// Defines `name(value)` (set) and, for nullable fields, `clear_name()`:
/// the build script writes its invocation from the spec.
macro_rules! fields {
    ($(
        $(#[$doc:meta])*
        $set:ident $(/ $clear:ident)? : $key:literal, $ty:ty, |$value:ident| $convert:expr;
    )*) => {
        impl UserPatch {
            /// The JSON name of every property of the spec's `UserUpdate`,
            /// each of which has a setter.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            $(
                $(#[$doc])*
                pub fn $set(mut self, $value: $ty) -> Self {
                    let converted: Result<Value, String> = $convert;
                    match converted {
                        Ok(json) => {
                            self.values.insert($key.to_owned(), json);
                        }
                        Err(problem) => self.problems.push(PatchError { field: $key, problem }),
                    }
                    self
                }
                $(
                    #[doc = concat!("Clears `", $key, "` (sends `null`).")]
                    pub fn $clear(mut self) -> Self {
                        self.values.insert($key.to_owned(), Value::Null);
                        self
                    }
                )?
            )*
        }
    };
}

/// Text of `min` to `max` characters.
fn text(value: impl Into<String>, min: u64, max: Option<u64>) -> Result<Value, String> {
    let value = value.into();
    let length = value.chars().count() as u64;
    if length < min {
        Err(format!("{value:?} is shorter than {min} character(s)"))
    } else if max.is_some_and(|max| length > max) {
        Err(format!(
            "{value:?} is longer than {} character(s)",
            max.unwrap_or_default()
        ))
    } else {
        Ok(Value::String(value))
    }
}

/// An integer within `min` and `max`.
fn whole(value: i64, min: Option<i64>, max: Option<i64>) -> Result<Value, String> {
    match (min, max) {
        (Some(min), _) if value < min => Err(format!("{value} is below {min}")),
        (_, Some(max)) if value > max => Err(format!("{value} is above {max}")),
        _ => Ok(json!(value)),
    }
}

/// An id in an object (`{"id": 3}`).
fn id_object(id: i64) -> Value {
    json!({ "id": id })
}

/// A value of a generated type, as JSON.
fn model<T: serde::Serialize + ?Sized>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|error| error.to_string())
}

/// A JSON object.
fn object(value: Value) -> Result<Value, String> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(format!("{value} is not an object"))
    }
}

// One setter per property of the spec's `UserUpdate` (and a clearer for
// each that takes `null`), generated by the build script.
include!(concat!(env!("OUT_DIR"), "/directory.patch.rs"));

/// A tenant's own extension field: `e_` then letters, digits or `_`
/// (`e_bloodType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionKey(String);

impl ExtensionKey {
    /// Checks the form.
    pub fn new(key: impl Into<String>) -> Result<Self, PatchError> {
        let key = key.into();
        let valid = key.strip_prefix("e_").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if valid {
            Ok(Self(key))
        } else {
            Err(PatchError {
                field: "e_*",
                problem: format!(
                    "{key:?} is not an extension key (`e_` then letters, digits or `_`)"
                ),
            })
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl UserPatch {
    /// Sets a tenant's extension field (`e_bloodType`), as JSON.
    pub fn extension(mut self, key: &ExtensionKey, value: impl Into<Value>) -> Self {
        self.values.insert(key.0.clone(), value.into());
        self
    }

    /// Clears a tenant's extension field (sends `null`).
    pub fn clear_extension(mut self, key: &ExtensionKey) -> Self {
        self.values.insert(key.0.clone(), Value::Null);
        self
    }

    /// Sets the value of analytical axis `axis` (`userAxisValues_2`), by id.
    pub fn axis_value(mut self, axis: u32, value_id: i64) -> Self {
        let key = format!("userAxisValues_{axis}");
        match whole(value_id, Some(1), None) {
            Ok(id) => {
                self.values.insert(key, json!({ "id": id }));
            }
            Err(problem) => self.problems.push(PatchError {
                field: "userAxisValues_*",
                problem,
            }),
        }
        self
    }

    /// Clears the value of analytical axis `axis` (sends `null`).
    pub fn clear_axis_value(mut self, axis: u32) -> Self {
        self.values
            .insert(format!("userAxisValues_{axis}"), Value::Null);
        self
    }
}

/// What a user record holds beyond the documented fields: the tenant's
/// extension fields (`e_*`) and analytical axis values
/// (`userAxisValues_{axis}`), read from the raw record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    /// `e_*` fields, by key.
    pub fields: BTreeMap<String, Value>,
    /// Axis value ids, by axis (`None` when the record says `null`).
    pub axis_values: BTreeMap<u32, Option<i64>>,
}

impl Extensions {
    /// The extensions of a raw user record (an object of the answer).
    pub fn of(record: &serde_json::Map<String, Value>) -> Self {
        let mut extensions = Self::default();
        for (key, value) in record {
            if key.starts_with("e_") {
                extensions.fields.insert(key.clone(), value.clone());
            } else if let Some(axis) = key
                .strip_prefix("userAxisValues_")
                .and_then(|axis| axis.parse().ok())
            {
                let id = value
                    .get("id")
                    .and_then(|id| crate::tolerant::integer::<_, i64>(id).ok());
                extensions.axis_values.insert(axis, id);
            }
        }
        extensions
    }
}

impl UserPatch {
    /// An update that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is touched.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.problems.is_empty()
    }

    /// The touched fields' JSON names.
    pub fn touched(&self) -> impl Iterator<Item = &str> + '_ {
        self.values.keys().map(String::as_str)
    }

    /// The body to send: only the touched fields, `null` for cleared ones;
    /// or the first invalid value.
    pub fn to_json(&self) -> Result<Value, PatchError> {
        match self.problems.first() {
            Some(problem) => Err(problem.clone()),
            None => Ok(Value::Object(
                self.values
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            )),
        }
    }
}
