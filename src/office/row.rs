//! One row of a user-location import: who works where on which day.

use chrono::NaiveDate;

use super::types::Position;

/// One row of a user-location import file: an employee (by login) at a work
/// location (and optionally an area) on a day or half-day, or the deletion
/// of that employee's location on that day.
///
/// ```
/// use chrono::NaiveDate;
/// use roster::office::{UserLocationRow, types::Position};
///
/// let day = NaiveDate::from_ymd_opt(2025, 9, 18).unwrap();
/// let row = UserLocationRow::new("jdupont", "Paris", day, Position::FullDay)
///     .area("Service Client")
///     .comment("on site; all day");
/// assert_eq!(row.area_name.as_deref(), Some("Service Client"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLocationRow {
    /// The employee's login (required).
    pub login: String,
    /// The work location's name, as in Lucca Office (required).
    pub work_location_name: String,
    /// The area of the work location, if any.
    pub area_name: Option<String>,
    /// The day.
    pub date: NaiveDate,
    /// The whole day or one half.
    pub position: Position,
    /// A free comment.
    pub comment: Option<String>,
    /// Delete the employee's existing location on that day instead.
    pub is_deletion: bool,
}

impl UserLocationRow {
    /// A row that places `login` at `work_location_name` on `date`.
    pub fn new(
        login: impl Into<String>,
        work_location_name: impl Into<String>,
        date: NaiveDate,
        position: Position,
    ) -> Self {
        Self {
            login: login.into(),
            work_location_name: work_location_name.into(),
            area_name: None,
            date,
            position,
            comment: None,
            is_deletion: false,
        }
    }

    /// Sets the area.
    pub fn area(mut self, area_name: impl Into<String>) -> Self {
        self.area_name = Some(area_name.into());
        self
    }

    /// Sets the comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Marks the row as the deletion of the existing location on that day.
    pub fn deletion(mut self) -> Self {
        self.is_deletion = true;
        self
    }
}
