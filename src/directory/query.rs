//! Typed filters of `GET /api/v3/users`, rendered as Lucca's query strings
//! (`since,2020-01-01`, `between,a,b`, `like,@corp.com`…).

use chrono::{NaiveDate, NaiveDateTime};

use super::fields::Fields;

/// A date (or date-time) condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Range<T> {
    /// On or after (`since,`, by day).
    Since(T),
    /// On or before (`until,`, by day).
    Until(T),
    /// Between both, inclusive (`between,`).
    Between(T, T),
    /// Strictly after (`greaterthan,`).
    After(T),
    /// After or at (`greaterthanorequal,`).
    AtOrAfter(T),
    /// Strictly before (`lessthan,`).
    Before(T),
    /// Before or at (`lessthanorequal,`).
    AtOrBefore(T),
    /// No value (`null`): an open-ended contract, say.
    Null,
    /// Any value (`notequal,null`).
    NotNull,
}

/// A text condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// Equal to.
    Is(String),
    /// Not equal to.
    IsNot(String),
    /// Containing (`like,`).
    Like(String),
}

impl Text {
    fn render(&self) -> String {
        match self {
            Self::Is(value) => value.clone(),
            Self::IsNot(value) => format!("notequal,{value}"),
            Self::Like(value) => format!("like,{value}"),
        }
    }
}

/// How a value is written in a filter.
pub trait FilterValue: Copy {
    /// The text Lucca expects.
    fn render(self) -> String;
}

impl FilterValue for NaiveDate {
    fn render(self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}

impl FilterValue for NaiveDateTime {
    fn render(self) -> String {
        self.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

impl<T: FilterValue> Range<T> {
    fn render(&self) -> String {
        match *self {
            Self::Since(from) => format!("since,{}", from.render()),
            Self::Until(to) => format!("until,{}", to.render()),
            Self::Between(from, to) => format!("between,{},{}", from.render(), to.render()),
            Self::After(at) => format!("greaterthan,{}", at.render()),
            Self::AtOrAfter(at) => format!("greaterthanorequal,{}", at.render()),
            Self::Before(at) => format!("lessthan,{}", at.render()),
            Self::AtOrBefore(at) => format!("lessthanorequal,{}", at.render()),
            Self::Null => "null".to_owned(),
            Self::NotNull => "notequal,null".to_owned(),
        }
    }
}

/// The order of the users, so that offset paging is stable (a user who
/// changes between two pages is neither skipped nor seen twice).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderBy {
    /// By id, ascending: the default.
    IdAscending,
    /// By any property, ascending or not (`orderBy=prop,asc|desc`).
    Property {
        /// The property's JSON name.
        name: String,
        /// Ascending (else descending).
        ascending: bool,
    },
}

impl OrderBy {
    fn render(&self) -> String {
        match self {
            Self::IdAscending => "id,asc".to_owned(),
            Self::Property { name, ascending } => {
                format!("{name},{}", if *ascending { "asc" } else { "desc" })
            }
        }
    }
}

/// The largest page the API serves.
pub const MAX_PAGE: u32 = 1000;

/// Which users to list, which properties to get, how many a page.
///
/// ```
/// use chrono::NaiveDate;
/// use roster::directory::{Fields, Range, UserQuery};
///
/// let query = UserQuery::new()
///     .fields(Fields::sync())
///     .contract_start(Range::Since(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()))
///     .former_employees(true)
///     .page_size(500);
/// assert_eq!(query.page_size_value(), 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    pub(crate) fields: Fields,
    pub(crate) login: Option<Text>,
    pub(crate) mail: Option<Text>,
    pub(crate) contract_start: Option<Range<NaiveDate>>,
    pub(crate) contract_end: Option<Range<NaiveDate>>,
    pub(crate) modified_at: Option<Range<NaiveDateTime>>,
    pub(crate) ids: Option<Vec<i64>>,
    pub(crate) order_by: OrderBy,
    pub(crate) former_employees: bool,
    pub(crate) page_size: u32,
}

impl Default for UserQuery {
    fn default() -> Self {
        Self {
            fields: Fields::new(),
            login: None,
            mail: None,
            contract_start: None,
            contract_end: None,
            modified_at: None,
            ids: None,
            order_by: OrderBy::IdAscending,
            former_employees: false,
            page_size: MAX_PAGE,
        }
    }
}

impl UserQuery {
    /// Every active employee, 1000 a page, default fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// The properties to get.
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = fields;
        self
    }

    /// A condition on the login.
    pub fn login(mut self, login: Text) -> Self {
        self.login = Some(login);
        self
    }

    /// A condition on the professional email.
    pub fn mail(mut self, mail: Text) -> Self {
        self.mail = Some(mail);
        self
    }

    /// A condition on the first day of the contract.
    pub fn contract_start(mut self, range: Range<NaiveDate>) -> Self {
        self.contract_start = Some(range);
        self
    }

    /// A condition on the last day of the contract.
    pub fn contract_end(mut self, range: Range<NaiveDate>) -> Self {
        self.contract_end = Some(range);
        self
    }

    /// A condition on the last modification.
    pub fn modified_at(mut self, range: Range<NaiveDateTime>) -> Self {
        self.modified_at = Some(range);
        self
    }

    /// Only these users (`id=1,2,3`; none at all when empty); this also
    /// reaches users `GET /api/v3/users/{id}` refuses for the caller's
    /// access rights.
    pub fn ids(mut self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.ids = Some(ids.into_iter().collect());
        self
    }

    /// The order (by id by default, so that paging is stable).
    pub fn order_by(mut self, order: OrderBy) -> Self {
        self.order_by = order;
        self
    }

    /// Includes former employees (excluded by default).
    pub fn former_employees(mut self, include: bool) -> Self {
        self.former_employees = include;
        self
    }

    /// Users a page, 1 to 1000 (values outside are brought inside).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE);
        self
    }

    /// Users a page.
    pub fn page_size_value(&self) -> u32 {
        self.page_size
    }

    /// The filter parameters, as (name, value) pairs.
    pub(crate) fn filters(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(login) = &self.login {
            pairs.push(("login", login.render()));
        }
        if let Some(mail) = &self.mail {
            pairs.push(("mail", mail.render()));
        }
        if let Some(range) = &self.contract_start {
            pairs.push(("dtContractStart", range.render()));
        }
        if let Some(range) = &self.contract_end {
            pairs.push(("dtContractEnd", range.render()));
        }
        if let Some(range) = &self.modified_at {
            pairs.push(("modifiedAt", range.render()));
        }
        if let Some(ids) = &self.ids {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            pairs.push(("id", ids.join(",")));
        }
        pairs.push(("orderBy", self.order_by.render()));
        pairs
    }
}
