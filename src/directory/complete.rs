//! The two readings of `PUT /api/v3/users/{id}`. Lucca's users guide sends
//! only the fields that change (`{"lastName": "Smith"}`); its reference page
//! marks 14 body fields *required*. Neither reading is confirmed, so both
//! are offered: [`UpdateMode::Partial`] sends the patch alone;
//! [`UpdateMode::Complete`] reads the user fresh, sends the required fields
//! with the changes, and refuses to write when the user changed between the
//! read and the write.

use serde_json::{Map, Value};

use super::error::DirectoryError;
use super::field::Shape;
use super::keys;
use super::patch::id_object;
use crate::VendorDateTime;

/// Which reading of the `PUT` an update follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum UpdateMode {
    /// The users guide's reading: only the touched fields are sent. One
    /// request; fields nobody touched are never rewritten. The default,
    /// because it cannot overwrite someone else's change to another field.
    /// A tenant that wants whole bodies refuses it with
    /// [`DirectoryError::PartialRefused`](super::DirectoryError::PartialRefused).
    #[default]
    Partial,
    /// The reference page's reading: the user is read fresh, the required
    /// fields are sent with the changes, and the write is refused with
    /// [`DirectoryError::ConcurrentChange`](super::DirectoryError::ConcurrentChange)
    /// if `modifiedAt` moved between the read and a second read just before
    /// the write. Three requests.
    Complete,
}

/// The body fields the reference page marks required: what the complete
/// mode sends with every change (the spec's `x-roster-whole-body-required`
/// on `UserUpdate`).
pub fn required_fields() -> impl Iterator<Item = &'static str> {
    super::patch::required_fields()
}

/// The required fields a body lacks.
pub(crate) fn missing_required(body: &Map<String, Value>) -> Vec<&'static str> {
    required_fields()
        .filter(|name| !body.contains_key(*name))
        .collect()
}

/// A field of a user as read, in either casing of an id key.
pub(crate) fn read<'a>(user: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    user.get(name).or_else(|| {
        if let Some(stem) = name.strip_suffix("ID") {
            return user.get(&format!("{stem}Id"));
        }
        let stem = name.strip_suffix("Id")?;
        user.get(&format!("{stem}ID"))
    })
}

/// A required field of a user as read, written as the documents say: a
/// list of ids as ids alone (`habilitedRoles`), date-times without a zone.
fn written(name: &str, value: &Value) -> Value {
    let shape = super::patch::field(name).map(|field| field.shape);
    match (shape, value) {
        (Some(Shape::IdObjects), Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter_map(|item| item.get(keys::OBJECT_ID))
                .map(|id| id_object(id.clone()))
                .collect(),
        ),
        (Some(Shape::IdObjects), Value::Null) => Value::Array(Vec::new()),
        (Some(Shape::DateTime), Value::String(text)) => match text.parse::<VendorDateTime>() {
            Ok(at) => Value::String(at.local().format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
            Err(_) => value.clone(),
        },
        _ => value.clone(),
    }
}

/// The whole body: the required fields of `current` (a fresh read), then the
/// changes over them. A field the read did not return is left out, never
/// sent as `null` (which would clear it).
pub(crate) fn complete_body(
    current: &Map<String, Value>,
    changes: Map<String, Value>,
) -> Map<String, Value> {
    let mut body: Map<String, Value> = required_fields()
        .filter_map(|name| Some((name.to_owned(), written(name, read(current, name)?))))
        .collect();
    body.extend(changes);
    body
}

/// A user's login, as read.
pub(crate) fn login_of(user: &Map<String, Value>) -> Option<&str> {
    user.get(keys::LOGIN).and_then(Value::as_str)
}

/// A user's `modifiedAt` as read (text, whatever its JSON type).
pub(crate) fn modified_at(user: &Map<String, Value>) -> Option<String> {
    user.get(keys::MODIFIED_AT)
        .filter(|stamp| !stamp.is_null())
        .map(|stamp| {
            stamp
                .as_str()
                .map_or_else(|| stamp.to_string(), str::to_owned)
        })
}

/// The complete mode's one check before it writes a whole body: the user's
/// `modifiedAt` when the body was read (or the change planned) and now.
/// No `modifiedAt` to compare is no proof nothing changed: refused too.
pub(crate) fn unchanged(
    user: i64,
    read: Option<String>,
    now: Option<String>,
) -> Result<(), DirectoryError> {
    if read.is_none() || read != now {
        return Err(DirectoryError::ConcurrentChange { user, read, now });
    }
    Ok(())
}

/// What the complete mode reads before writing.
pub(crate) fn read_selection() -> String {
    let mut fields: Vec<&str> = required_fields().collect();
    fields.push(keys::MODIFIED_AT);
    fields.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_complete_body_takes_the_required_fields_from_the_read_and_the_changes_over_them() {
        let current = json!({
            "id": 416, "firstName": "John", "lastName": "Doe", "login": "jdoe", "mail": "j@x",
            "dtContractStart": "2014-09-01T00:00:00+02:00", "legalEntityId": 1,
            "employeeNumber": "00057", "departmentId": 13, "managerId": null,
            "birthDate": null, "cultureId": 1036, "calendarId": 1, "rolePrincipalId": 55,
            "habilitedRoles": [{ "id": 59, "name": "Employee +", "url": "u" }],
            "modifiedAt": "2015-09-07T10:20:06.583",
        });
        let changes = json!({ "lastName": "Smith", "jobTitle": "Lead" });

        let body = complete_body(
            current.as_object().unwrap(),
            changes.as_object().unwrap().clone(),
        );

        assert!(missing_required(&body).is_empty());
        assert_eq!(body["lastName"], "Smith");
        assert_eq!(body["jobTitle"], "Lead");
        assert_eq!(
            body["cultureID"], 1036,
            "read in either casing, sent as documented"
        );
        assert_eq!(body["habilitedRoles"], json!([{ "id": 59 }]));
        assert_eq!(
            body["dtContractStart"], "2014-09-01T00:00:00",
            "sent without a zone"
        );
        assert_eq!(body.get("modifiedAt"), None);
        assert_eq!(body.get("id"), None);
    }

    #[test]
    fn a_field_the_read_did_not_return_is_left_out_not_cleared() {
        let current = json!({ "firstName": "John", "legalEntityID": 1 });
        let body = complete_body(current.as_object().unwrap(), Map::new());
        assert_eq!(body.get("lastName"), None);
        assert_eq!(body["legalEntityId"], 1, "read in either casing");
        assert_eq!(missing_required(&body).len(), 12);
    }

    #[test]
    fn a_partial_body_lacks_what_it_does_not_touch() {
        let body = json!({ "lastName": "Smith" });
        let missing = missing_required(body.as_object().unwrap());
        assert_eq!(missing.len(), 13);
        assert!(!missing.contains(&"lastName"));
    }
}
