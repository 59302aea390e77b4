//! The column mapping of an import: the file's column names to Docutools
//! user attributes, checked against the uploaded file before the import.

use std::collections::BTreeMap;

use super::error::UsersCsvError;
use super::types::{ColumnMapping, UserAttribute};

/// What a valid mapping leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MappingReport {
    /// The file's columns no attribute is mapped to (not imported).
    pub unmapped: Vec<String>,
}

/// File column name → user attribute.
///
/// ```
/// use roster::docutools::ColumnMap;
/// use roster::docutools::types::UserAttribute;
///
/// let mapping = ColumnMap::new()
///     .map("Email Address", UserAttribute::Email)
///     .map("Name", UserAttribute::Name);
/// let columns = ["Email Address".to_owned(), "Name".to_owned(), "Notes".to_owned()];
/// assert_eq!(mapping.check(&columns).unwrap().unmapped, ["Notes"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap(BTreeMap<String, UserAttribute>);

impl ColumnMap {
    /// No column mapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `column` to `attribute`.
    pub fn map(mut self, column: impl Into<String>, attribute: UserAttribute) -> Self {
        self.0.insert(column.into(), attribute);
        self
    }

    /// Each mapped column and the attribute it fills, by column name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &UserAttribute)> {
        self.0
            .iter()
            .map(|(column, attribute)| (column.as_str(), attribute))
    }

    /// Checks the mapping against the file's `columns`: every mapped column
    /// exists, `Email` or `Username` is mapped; reports unmapped columns.
    pub fn check(&self, columns: &[String]) -> Result<MappingReport, UsersCsvError> {
        if let Some(column) = self.0.keys().find(|column| !columns.contains(column)) {
            return Err(UsersCsvError::MissingColumn {
                column: column.clone(),
                available: columns.to_vec(),
            });
        }
        let identity = self
            .0
            .values()
            .any(|attribute| matches!(attribute, UserAttribute::Email | UserAttribute::Username));
        if !identity {
            return Err(UsersCsvError::NoIdentity);
        }
        let unmapped = columns
            .iter()
            .filter(|column| !self.0.contains_key(*column))
            .cloned()
            .collect();
        Ok(MappingReport { unmapped })
    }

    /// The body of the import request.
    pub fn to_body(&self) -> ColumnMapping {
        ColumnMapping::from(
            self.0
                .iter()
                .map(|(column, attribute)| (column.clone(), *attribute))
                .collect::<std::collections::HashMap<_, _>>(),
        )
    }
}
