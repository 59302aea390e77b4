//! The columns of a sync: the API's own field names. Each documented
//! field is a row of the one table of a user update (`FIELDS`, generated
//! from the spec's `UserUpdate`): its shape says how a cell is read and
//! when the value read from Lucca is the same, and whether it takes `null`
//! says what an empty cell means. `manager` (a login) and the tenant's
//! `e_*` extension fields come beside them.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::super::field::{Field, Shape, country_code};
use super::super::keys;
use super::super::patch::{ExtensionKey, FIELDS, field, id_object};
use crate::VendorDateTime;

/// The column of an establishment by name: Lucca's organization API calls
/// it so; the user's own property is `legalEntity` (taken too).
pub(crate) const ESTABLISHMENT: &str = "establishment";

/// A column of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    /// A documented field, by its JSON name.
    Field(&'static str),
    /// `manager`: the manager's login, written as `managerId`.
    Manager,
    /// `department`: a department's name or code, written as
    /// `departmentId`.
    Department,
    /// `establishment` (or `legalEntity`): an establishment's name, written
    /// as `legalEntityId`.
    Establishment,
    /// A tenant's extension field (`e_*`).
    Extension(ExtensionKey),
}

impl Column {
    /// The column named `name`, or `None` if no document names it.
    pub(crate) fn named(name: &str) -> Option<Self> {
        match name {
            keys::MANAGER => return Some(Self::Manager),
            keys::DEPARTMENT => return Some(Self::Department),
            ESTABLISHMENT | keys::LEGAL_ENTITY => return Some(Self::Establishment),
            _ => {}
        }
        if name.starts_with("e_") {
            return ExtensionKey::new(name).ok().map(Self::Extension);
        }
        field(name).map(|field| Self::Field(field.key))
    }

    /// Every column name a sync takes, for messages.
    pub(crate) fn names() -> impl Iterator<Item = &'static str> {
        FIELDS.iter().map(|field| field.key).chain([
            keys::MANAGER,
            keys::DEPARTMENT,
            ESTABLISHMENT,
            "e_*",
        ])
    }

    /// The field written and read: `managerId` for `manager`.
    pub(crate) fn key(&self) -> &str {
        match self {
            Self::Field(key) => key,
            Self::Manager => keys::MANAGER_ID,
            Self::Department => keys::DEPARTMENT_ID,
            Self::Establishment => keys::LEGAL_ENTITY_ID,
            Self::Extension(key) => key.as_str(),
        }
    }

    /// The documented field, if the column is one.
    fn field(&self) -> Option<&'static Field> {
        match self {
            Self::Field(key) => field(key),
            _ => None,
        }
    }

    /// The value to send for `cell` (an empty cell clears), or what is
    /// wrong with it. `manager` cells are logins, resolved by the plan.
    pub(crate) fn wanted(&self, cell: &str, current: Option<&Value>) -> Result<Value, String> {
        let cell = cell.trim();
        if let Some((at, c)) = crate::error::control_character(cell) {
            return Err(format!(
                "holds the control character U+{:04X} at character {at}",
                u32::from(c)
            ));
        }
        match (self, self.field()) {
            (Self::Manager | Self::Department | Self::Establishment, _) => {
                Err("a reference by name, resolved by the plan".into())
            }
            (Self::Extension(_), _) => Ok(extension_value(cell, current)),
            (Self::Field(key), None) => Err(format!("{key} is not a field of the spec")),
            (Self::Field(key), Some(field)) => {
                if cell.is_empty() {
                    return if field.nullable {
                        Ok(Value::Null)
                    } else {
                        Err(format!("{key} cannot be cleared"))
                    };
                }
                parse(field.shape, cell)
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
        let shape = match (self, self.field()) {
            (Self::Field(_), Some(field)) => field.shape,
            (Self::Manager | Self::Department | Self::Establishment, _) => Shape::Integer {
                min: None,
                max: None,
            },
            (Self::Extension(_), _) | (Self::Field(_), None) => {
                return text_of(current) == text_of(wanted);
            }
        };
        match shape {
            Shape::DateTime => date_of(current).is_some() && date_of(current) == date_of(wanted),
            Shape::Integer { .. } => {
                integer_of(current).is_some() && integer_of(current) == integer_of(wanted)
            }
            Shape::IdObject => {
                integer_of(&current[keys::OBJECT_ID]) == integer_of(&wanted[keys::OBJECT_ID])
            }
            Shape::IdObjects => ids_of(current) == ids_of(wanted),
            Shape::Bool => bool_of(current) == bool_of(wanted),
            Shape::Country => text_of(current).eq_ignore_ascii_case(&text_of(wanted)),
            Shape::Json => current == wanted,
            Shape::Text { .. } | Shape::Model(..) => text_of(current) == text_of(wanted),
        }
    }
}

/// The value of a documented field's cell, as its shape reads it.
fn parse(shape: Shape, cell: &str) -> Result<Value, String> {
    let id = |text: &str| match text.trim().parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(format!("{text:?} is not an id (a whole number from 1)")),
    };
    Ok(match shape {
        Shape::Text { min, max } => {
            let length = cell.chars().count() as u64;
            if length < min || max.is_some_and(|max| length > max) {
                return Err(match max {
                    Some(max) if max == min => format!("{cell:?} is not {max} character(s) long"),
                    Some(max) => format!("{cell:?} is not {min} to {max} characters long"),
                    None => format!("{cell:?} is shorter than {min} character(s)"),
                });
            }
            json!(cell)
        }
        Shape::DateTime => json!(
            date_of(&json!(cell))
                .ok_or_else(|| format!("{cell:?} is not a date (YYYY-MM-DD)"))?
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        ),
        Shape::Integer { min, max } => {
            let number: i64 = cell
                .parse()
                .map_err(|_| format!("{cell:?} is not a whole number"))?;
            match (min, max) {
                (Some(min), _) if number < min => {
                    return Err(format!("{number} is below {min}"));
                }
                (_, Some(max)) if number > max => {
                    return Err(format!("{number} is above {max}"));
                }
                _ => json!(number),
            }
        }
        Shape::Country => json!(country_code(cell)?),
        Shape::IdObject => id_object(id(cell)?),
        Shape::IdObjects => Value::Array(
            cell.split(|c: char| c == '|' || c.is_whitespace())
                .filter(|part| !part.is_empty())
                .map(|part| id(part).map(id_object))
                .collect::<Result<_, _>>()?,
        ),
        Shape::Model(name, read) => {
            read(cell).map_err(|problem| format!("{problem} (a {name})"))?
        }
        Shape::Bool => match cell.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => json!(true),
            "false" | "0" | "no" => json!(false),
            _ => return Err(format!("{cell:?} is not true or false")),
        },
        Shape::Json => serde_json::from_str(cell).map_err(|error| format!("not JSON: {error}"))?,
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
        .filter_map(|item| integer_of(item.get(keys::OBJECT_ID).unwrap_or(item)))
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
        assert_eq!(FIELDS.len(), UserPatch::KEYS.len());
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
        // The spec's `format: country-code`: upper-cased, compared ignoring case.
        let nationality = column("nationalityId");
        assert_eq!(nationality.wanted("fr", None).unwrap(), "FR");
        assert!(nationality.same(Some(&json!("fr")), &json!("FR")));
        assert!(nationality.wanted("FRA", None).is_err());
        assert!(nationality.wanted("12", None).is_err());
        // Ids from 1 (`exclusiveMinimum: 0`), an int32 within its width.
        assert!(column("managerId").wanted("0", None).is_err());
        assert!(
            column("frenchCarTaxHorsePower")
                .wanted("3000000000", None)
                .is_err()
        );
        assert!(column("gender").wanted("Female", None).is_ok());

        let extension = column("e_badge");
        let wanted = extension.wanted("42", Some(&json!(7))).unwrap();
        assert_eq!(wanted, json!(42), "a number stays a number");
        assert!(extension.same(Some(&json!(42)), &json!("42")));
    }
}
