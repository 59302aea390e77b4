//! New hires: an employee of the export whose key no Lucca user holds is
//! planned as a creation, its body made from the row's cells (references
//! resolved as for an update) and the caller's defaults, and checked for
//! every field a creation requires before anything is sent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::complete::{login_of, missing_required};
use super::column::Column;
use super::desired::Wanted;
use super::key::Key;
use super::refused::RefusedValue;

/// A new hire: a row of the export whose key no Lucca user holds, and the
/// body its creation sends (`POST /api/v3/users?contract=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCreation {
    /// The key's value.
    pub key: String,
    /// The new user's login.
    pub login: String,
    /// The export's line.
    pub line: u64,
    /// What is sent: the row's cells, its references as ids, the defaults
    /// for what the row does not give.
    pub body: Map<String, Value>,
}

/// A column given once for every new hire, and its cell.
pub(crate) type Default = (String, Column, String);

/// Reads a cell of `column` (references by name or key) for a user as read
/// (none for a new hire), or says what is wrong with it.
pub(super) type Resolve<'a> =
    dyn Fn(&str, &Column, &str, Option<&Value>) -> Result<Value, String> + 'a;

/// The creation of `row`, or `None` with its refusals in `refused`: a cell
/// that cannot be sent, or a required field neither the row nor the
/// defaults give.
pub(super) fn creation(
    row: &Wanted,
    (key, key_column): (Key, usize),
    columns: &[(String, Column, usize)],
    defaults: &[Default],
    resolve: &Resolve<'_>,
    refused: &mut Vec<RefusedValue>,
) -> Option<UserCreation> {
    let mut body = Map::new();
    body.insert(key.field().to_owned(), Value::from(row.key.trim()));
    let before = refused.len();
    let refuse = |refused: &mut Vec<RefusedValue>, at: usize, name: &str, cell: &str, problem| {
        refused.push(RefusedValue {
            key: row.key.clone(),
            line: row.line,
            column: at,
            field: name.to_owned(),
            value: cell.to_owned(),
            problem,
        });
    };
    for ((name, column, at), cell) in columns.iter().zip(&row.cells) {
        match resolve(name, column, cell, None) {
            Ok(value) => {
                body.insert(column.key().to_owned(), value);
            }
            // An empty cell of a field that takes no `null`: not given.
            Err(_) if cell.trim().is_empty() => {}
            Err(problem) => refuse(refused, *at, name, cell, problem),
        }
    }
    for (name, column, cell) in defaults {
        if body.contains_key(column.key()) {
            continue;
        }
        match resolve(name, column, cell, None) {
            Ok(value) => {
                body.insert(column.key().to_owned(), value);
            }
            Err(problem) => refuse(
                refused,
                key_column,
                name,
                cell,
                format!("the default {name}: {problem}"),
            ),
        }
    }
    let missing = missing_required(&body);
    if !missing.is_empty() {
        refuse(
            refused,
            key_column,
            key.field(),
            &row.key,
            format!(
                "a new hire, but a creation needs {}: give them as columns or defaults",
                missing.join(", ")
            ),
        );
    }
    let login = login_of(&body).unwrap_or_default().to_owned();
    if login.contains(',') {
        refuse(
            refused,
            key_column,
            key.field(),
            &row.key,
            "a login holding `,` cannot be read back (Lucca reads it as a list)".into(),
        );
    }
    if refused.len() > before {
        return None;
    }
    Some(UserCreation {
        key: row.key.clone(),
        login,
        line: row.line,
        body,
    })
}
