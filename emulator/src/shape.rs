//! The last step of every JSON answer: the handlers write the documented
//! shape with zone-less date-times, and the knobs turn it into the variant
//! asked for (zones, fractions, `null`s, casing, envelope, unknown fields).

use chrono::{NaiveDateTime, TimeZone};
use serde_json::{Map, Value};

use crate::knobs::{Envelope, Fraction, IdCasing, Knobs, Timestamps, Zone};

/// Which vendor document an answer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Lucca Office (imports, work locations, user locations).
    Office,
    /// Lucca v3 users.
    Directory,
    /// Docutools users-service.
    Docutools,
}

/// The date-time keys of each API.
fn is_date_time(api: Api, key: &str) -> bool {
    match api {
        Api::Office => matches!(key, "createdAt" | "deletedAt"),
        Api::Directory => matches!(
            key,
            "dtContractStart"
                | "dtContractEnd"
                | "birthDate"
                | "seniorityDate"
                | "modifiedAt"
                | "startsOn"
                | "endsOn"
        ),
        Api::Docutools => matches!(
            key,
            "savedUntil" | "created" | "lastModified" | "since" | "until"
        ),
    }
}

/// The name of the field no document names.
pub const UNKNOWN_FIELD: &str = "addedByANewerServer";

/// How the handlers write date-times (in UTC) before the knobs apply.
pub(crate) fn canonical(date_time: NaiveDateTime) -> String {
    date_time.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

impl Knobs {
    /// Turns a documented answer into the variant these knobs ask for.
    pub(crate) fn shape(&self, api: Api, value: Value) -> Value {
        let mut value = match (api, self.envelope, value) {
            (Api::Directory, Envelope::Bare, Value::Object(mut map))
                if map.contains_key("data") =>
            {
                map.remove("data").unwrap_or(Value::Null)
            }
            (_, _, value) => value,
        };
        self.walk(api, None, &mut value);
        if api == Api::Directory
            && self.v3_header
            && let Value::Object(map) = &mut value
            && map.contains_key("data")
        {
            let generated = canonical(chrono::Utc::now().naive_utc());
            map.insert(
                "header".into(),
                serde_json::json!({ "generated": generated, "principal": "local-lucca-key", "culture": "fr-FR" }),
            );
        }
        value
    }

    fn walk(&self, api: Api, key: Option<&str>, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut inner) in entries {
                    self.walk(api, Some(&key), &mut inner);
                    map.insert(self.key(key), inner);
                }
                if self.unknown_fields {
                    map.insert(
                        UNKNOWN_FIELD.into(),
                        Value::String("a field no document names".into()),
                    );
                }
            }
            Value::Array(items) => {
                for item in items.iter_mut() {
                    self.walk(api, None, item);
                }
            }
            Value::String(text) => {
                let shaped = key.and_then(|key| {
                    if is_date_time(api, key) {
                        self.date_time(api, key, text)
                    } else if self.unknown_enum_values {
                        unknown_enum_value(api, key).map(|unknown| Value::String(unknown.into()))
                    } else {
                        None
                    }
                });
                if let Some(shaped) = shaped {
                    *value = shaped;
                }
            }
            _ => {}
        }
        if self.nulls_for_empty && is_empty(value) {
            *value = Value::Null;
        }
    }

    fn key(&self, key: String) -> String {
        match self.id_casing {
            IdCasing::CamelCase => match key.strip_suffix("ID") {
                Some(stem) => format!("{stem}Id"),
                None => key,
            },
            IdCasing::Documented => key,
        }
    }

    fn date_time(&self, api: Api, key: &str, text: &str) -> Option<Value> {
        let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        if api == Api::Docutools {
            return Some(match self.timestamps {
                Timestamps::Rfc3339 => {
                    Value::String(format!("{}Z", parsed.format("%Y-%m-%dT%H:%M:%S")))
                }
                Timestamps::LocalDateTime => {
                    let local = chrono::Utc
                        .from_utc_datetime(&parsed)
                        .with_timezone(&chrono::Local)
                        .naive_local();
                    Value::String(local.format("%Y-%m-%dT%H:%M:%S").to_string())
                }
                Timestamps::EpochMillis => Value::from(parsed.and_utc().timestamp_millis()),
            });
        }
        // The handlers write UTC; an offset shows the same moment in that
        // zone's time.
        let parsed = match self.zone {
            Zone::Offset(minutes) => parsed + chrono::Duration::minutes(i64::from(minutes)),
            _ => parsed,
        };
        let mut out = parsed.format("%Y-%m-%dT%H:%M:%S").to_string();
        let nanos = parsed.and_utc().timestamp_subsec_nanos();
        let fraction = match self.fraction {
            Fraction::Documented if api == Api::Directory && key == "modifiedAt" => {
                Fraction::Millis
            }
            Fraction::Documented => Fraction::Never,
            other => other,
        };
        match fraction {
            Fraction::Millis => out.push_str(&format!(".{:03}", nanos / 1_000_000)),
            Fraction::Ticks => out.push_str(&format!(".{:07}", nanos / 100)),
            _ => {}
        }
        match self.zone {
            Zone::Utc => out.push('Z'),
            Zone::Offset(minutes) => {
                let sign = if minutes < 0 { '-' } else { '+' };
                let minutes = minutes.unsigned_abs();
                out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
            }
            Zone::Documented | Zone::None => {}
        }
        Some(Value::String(out))
    }
}

/// The value no document names, for the enumerations that have one.
fn unknown_enum_value(api: Api, key: &str) -> Option<&'static str> {
    match (api, key) {
        (Api::Office, "status") => Some("Planned"),
        (Api::Directory, "gender") => Some("NonBinary"),
        (Api::Docutools, "invitationStatus") => Some("Expired"),
        (Api::Docutools, "type") => Some("OpenIdConnect"),
        _ => None,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Bool(flag) => !flag,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// A JSON object from pairs, for the handlers.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
