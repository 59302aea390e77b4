//! A refusal of the plan: a cell, a row or a new hire that cannot be sent,
//! with where it is in the export.

use serde::{Deserialize, Serialize};

/// A cell that cannot be sent: that field of that user is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedValue {
    /// The row's key (its login, unless another key was chosen).
    pub key: String,
    /// Its line.
    pub line: u64,
    /// The column (from 1).
    pub column: usize,
    /// The column's name.
    pub field: String,
    /// The cell.
    pub value: String,
    /// What is wrong.
    pub problem: String,
}
