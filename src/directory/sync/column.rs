//! The columns of a sync: the API's own field names. Each writable field
//! the Directory documents (`UserUpdate` in the spec) has a kind that says
//! how a cell is read, what an empty cell means, and when the value read
//! from Lucca is the same; `manager` (a login) and the tenant's `e_*`
//! extension fields come beside them.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::super::patch::{CountryCode, CultureId, ExtensionKey};
use super::super::types::Gender;
use crate::VendorDateTime;

/// How a field's cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text that cannot be empty.
    Text,
    /// Text; an empty cell clears it.
    OptionalText,
    /// A date (written as a zone-less midnight); an empty cell clears it
    /// unless the field is required.
    Date,
    /// An id; an empty cell clears it unless the field is required.
    Id,
    /// An id in an object (`{"id": 3}`).
    IdObject,
    /// Ids, separated by spaces or `|` (`{"id": 59}` each).
    IdList,
    /// A culture id (LCID).
    Culture,
    /// An ISO 3166-1 country code.
    Country,
    /// A gender.
    Gender,
    /// `true` or `false`.
    Bool,
    /// An integer.
    Integer,
    /// JSON, as the cell writes it (work-cycles, objects whose shape is
    /// not documented).
    Json,
}

/// Each writable field of the Directory's `UserUpdate`: its kind, and
/// whether an empty cell may clear it (the field takes `null`).
const FIELDS: [(&str, Kind, bool); 39] = [
    ("firstName", Kind::Text, false),
    ("lastName", Kind::Text, false),
    ("login", Kind::Text, false),
    ("mail", Kind::Text, false),
    ("dtContractStart", Kind::Date, false),
    ("dtContractEnd", Kind::Date, true),
    ("legalEntityId", Kind::Id, false),
    ("employeeNumber", Kind::Text, true),
    ("departmentId", Kind::Id, false),
    ("managerId", Kind::Id, true),
    ("manager2Id", Kind::Id, true),
    ("birthDate", Kind::Date, true),
    ("cultureID", Kind::Culture, false),
    ("calendarId", Kind::Id, true),
    ("rolePrincipalId", Kind::Id, false),
    ("habilitedRoles", Kind::IdList, false),
    ("userWorkCycles", Kind::Json, false),
    ("cspId", Kind::Id, true),
    ("nationalityId", Kind::Country, true),
    ("seniorityDate", Kind::Date, true),
    ("insuranceNumber", Kind::OptionalText, true),
    ("address", Kind::OptionalText, true),
    ("directLine", Kind::OptionalText, true),
    ("jobTitle", Kind::Text, true),
    ("gender", Kind::Gender, false),
    ("personalEmail", Kind::OptionalText, true),
    ("personalMobile", Kind::OptionalText, true),
    ("professionalMobile", Kind::OptionalText, true),
    ("allowsElectronicPayslip", Kind::Bool, true),
    ("quote", Kind::OptionalText, true),
    ("bankName", Kind::OptionalText, true),
    ("rib", Kind::OptionalText, true),
    ("iban", Kind::OptionalText, true),
    ("bic", Kind::OptionalText, true),
    ("frenchCarTaxHorsePower", Kind::Integer, true),
    ("frenchMotocyclesTaxHorsePower", Kind::Integer, true),
    ("profile_figgo", Kind::IdObject, true),
    ("personalCard", Kind::OptionalText, true),
    ("corporateCard", Kind::OptionalText, true),
];

/// The fields whose shape the documents leave open, read as JSON.
const OPEN_OBJECTS: [&str; 2] = ["fullTimeEquivalent", "theoreticalRemuneration"];

/// A column of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    /// A documented field, by its JSON name.
    Field { key: &'static str, kind: KindOf },
    /// `manager`: the manager's login, written as `managerId`.
    Manager,
    /// A tenant's extension field (`e_*`).
    Extension(ExtensionKey),
}

/// A field's kind and whether it may be cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindOf {
    kind: Kind,
    clearable: bool,
}

impl Column {
    /// The column named `name`, or `None` if no document names it.
    pub(crate) fn named(name: &str) -> Option<Self> {
        if name == "manager" {
            return Some(Self::Manager);
        }
        if name.starts_with("e_") {
            return ExtensionKey::new(name).ok().map(Self::Extension);
        }
        let other_casing = name.strip_suffix("Id").map(|stem| format!("{stem}ID"));
        FIELDS
            .iter()
            .find(|(key, ..)| *key == name || Some(*key) == other_casing.as_deref())
            .map(|(key, kind, clearable)| Self::Field {
                key,
                kind: KindOf {
                    kind: *kind,
                    clearable: *clearable,
                },
            })
            .or_else(|| {
                OPEN_OBJECTS
                    .iter()
                    .find(|key| **key == name)
                    .map(|key| Self::Field {
                        key,
                        kind: KindOf {
                            kind: Kind::Json,
                            clearable: true,
                        },
                    })
            })
    }

    /// Every column name a sync takes, for messages.
    pub(crate) fn names() -> impl Iterator<Item = &'static str> {
        FIELDS
            .iter()
            .map(|(key, ..)| *key)
            .chain(OPEN_OBJECTS)
            .chain(["manager", "e_*"])
    }

    /// The field written and read: `managerId` for `manager`.
    pub(crate) fn key(&self) -> &str {
        match self {
            Self::Field { key, .. } => key,
            Self::Manager => "managerId",
            Self::Extension(key) => key.as_str(),
        }
    }

    /// The value to send for `cell` (an empty cell clears), or what is
    /// wrong with it. `manager` cells are logins, resolved by the plan.
    pub(crate) fn wanted(&self, cell: &str, current: Option<&Value>) -> Result<Value, String> {
        let cell = cell.trim();
        match self {
            Self::Manager => Err("a manager is a login, resolved by the plan".into()),
            Self::Extension(_) => Ok(extension_value(cell, current)),
            Self::Field { key, kind } => {
                if cell.is_empty() {
                    return if kind.clearable {
                        Ok(Value::Null)
                    } else {
                        Err(format!("{key} cannot be cleared"))
                    };
                }
                parse(kind.kind, cell)
            }
        }
    }

    /// Whether `current` (as read, `None` when absent) already holds
    /// `wanted`.
    pub(crate) fn same(&self, current: Option<&Value>, wanted: &Value) -> bool {
        let current = current.unwrap_or(&Value::Null);
        if is_blank(wanted) || is_blank(current) {
            return is_blank(wanted) && is_blank(current);
        }
        let kind = match self {
            Self::Field { kind, .. } => kind.kind,
            Self::Manager => Kind::Id,
            Self::Extension(_) => return text_of(current) == text_of(wanted),
        };
        match kind {
            Kind::Date => date_of(current).is_some() && date_of(current) == date_of(wanted),
            Kind::Id | Kind::Integer | Kind::Culture => {
                integer_of(current).is_some() && integer_of(current) == integer_of(wanted)
            }
            Kind::IdObject => integer_of(&current["id"]) == integer_of(&wanted["id"]),
            Kind::IdList => ids_of(current) == ids_of(wanted),
            Kind::Country => text_of(current).eq_ignore_ascii_case(&text_of(wanted)),
            Kind::Bool => bool_of(current) == bool_of(wanted),
            Kind::Json => current == wanted,
            Kind::Text | Kind::OptionalText | Kind::Gender => text_of(current) == text_of(wanted),
        }
    }
}

/// The value of a documented field's cell.
fn parse(kind: Kind, cell: &str) -> Result<Value, String> {
    let id = |text: &str| match text.trim().parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(format!("{text:?} is not an id (a whole number from 1)")),
    };
    Ok(match kind {
        Kind::Text | Kind::OptionalText => json!(cell),
        Kind::Date => json!(
            date_of(&json!(cell))
                .ok_or_else(|| format!("{cell:?} is not a date (YYYY-MM-DD)"))?
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        ),
        Kind::Id => json!(id(cell)?),
        Kind::IdObject => json!({ "id": id(cell)? }),
        Kind::IdList => Value::Array(
            cell.split(|c: char| c == '|' || c.is_whitespace())
                .filter(|part| !part.is_empty())
                .map(|part| id(part).map(|id| json!({ "id": id })))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Culture => {
            let number: u32 = cell
                .parse()
                .map_err(|_| format!("{cell:?} is not a culture id (LCID)"))?;
            json!(CultureId::new(number).map_err(|error| error.problem)?.get())
        }
        Kind::Country => json!(
            CountryCode::new(cell)
                .map_err(|error| error.problem)?
                .as_str()
        ),
        Kind::Gender => {
            let gender: Gender = cell
                .parse()
                .map_err(|_| format!("{cell:?} is not a gender (Undefined, Male, Female, Misc)"))?;
            json!(gender.to_string())
        }
        Kind::Bool => match cell.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => json!(true),
            "false" | "0" | "no" => json!(false),
            _ => return Err(format!("{cell:?} is not true or false")),
        },
        Kind::Integer => json!(
            cell.parse::<i32>()
                .map_err(|_| format!("{cell:?} is not a whole number"))?
        ),
        Kind::Json => serde_json::from_str(cell).map_err(|error| format!("not JSON: {error}"))?,
    })
}

/// An extension field's value: as the tenant holds it now (a number or a
/// boolean stays one), else text; empty clears it.
fn extension_value(cell: &str, current: Option<&Value>) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match current {
        Some(Value::Number(_)) => cell
            .parse::<serde_json::Number>()
            .map_or_else(|_| json!(cell), Value::Number),
        Some(Value::Bool(_)) => cell
            .parse::<bool>()
            .map_or_else(|_| json!(cell), Value::Bool),
        _ => json!(cell),
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A date or date-time in any of the forms Lucca writes, and the cell's
/// `YYYY-MM-DD` or `YYYY/MM/DD`.
fn date_of(value: &Value) -> Option<NaiveDateTime> {
    let text = value.as_str()?.trim();
    if let Ok(at) = text.parse::<VendorDateTime>() {
        return Some(at.local());
    }
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .and_then(|day| day.and_hms_opt(0, 0, 0))
}

fn integer_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn bool_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

fn ids_of(value: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| integer_of(item.get("id").unwrap_or(item)))
        .collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::super::super::patch::UserPatch;
    use super::*;

    #[test]
    fn every_documented_update_field_is_a_column() {
        for key in UserPatch::KEYS {
            let column = Column::named(key).unwrap_or_else(|| panic!("{key} is no column"));
            assert_eq!(column.key(), *key);
        }
        assert_eq!(FIELDS.len() + OPEN_OBJECTS.len(), UserPatch::KEYS.len());
        assert_eq!(Column::named("cultureId").unwrap().key(), "cultureID");
        assert_eq!(Column::named("managerLogin"), None);
        assert_eq!(Column::named("e_"), None);
    }

    #[test]
    fn cells_read_by_kind_and_compare_with_what_lucca_wrote() {
        let column = |name| Column::named(name).unwrap();
        let start = column("dtContractStart");
        let wanted = start.wanted("2024/03/01", None).unwrap();
        assert_eq!(wanted, json!("2024-03-01T00:00:00"));
        assert!(start.same(Some(&json!("2024-03-01T00:00:00+02:00")), &wanted));
        assert!(!start.same(Some(&json!("2024-03-02T00:00:00")), &wanted));
        assert_eq!(
            start.wanted("", None).unwrap_err(),
            "dtContractStart cannot be cleared"
        );

        let department = column("departmentId");
        assert!(department.same(Some(&json!("13")), &department.wanted("13", None).unwrap()));
        assert!(department.wanted("0", None).is_err());

        let roles = column("habilitedRoles");
        let wanted = roles.wanted("63|59", None).unwrap();
        let read = json!([{ "id": 59, "name": "Employee +" }, { "id": 63 }]);
        assert!(roles.same(Some(&read), &wanted));

        let title = column("jobTitle");
        assert_eq!(title.wanted(" ", None).unwrap(), Value::Null);
        assert!(title.same(None, &Value::Null));
        assert!(title.same(Some(&json!("")), &Value::Null));
        assert!(!title.same(Some(&json!("Lead")), &Value::Null));

        assert!(column("cultureID").wanted("12", None).is_err());
        assert!(column("gender").wanted("Robot", None).is_err());
        assert_eq!(column("nationalityId").wanted("fr", None).unwrap(), "FR");

        let extension = column("e_badge");
        let wanted = extension.wanted("42", Some(&json!(7))).unwrap();
        assert_eq!(wanted, json!(42), "a number stays a number");
        assert!(extension.same(Some(&json!(42)), &json!("42")));
    }
}
