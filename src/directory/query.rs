//! Typed filters of `GET /api/v3/users`, rendered as Lucca's query strings
//! (`since,2020-01-01`, `between,a,b`, `like,@corp.com`…).

use chrono::{NaiveDate, NaiveDateTime};

use super::error::InvalidValue;
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

/// The largest page the API serves (the spec's `x-roster-limit-maximum` on
/// `paging`).
pub const MAX_PAGE: u32 = super::generated::names::list_users::query::PAGING_LIMIT_MAXIMUM;

/// The longest query string a list request carries by default (4 KiB): a
/// long `id=` or `login=` list is split into several requests under it, far
/// below the 8 KB of headers Lucca allows (`431` beyond), whatever else the
/// request carries.
pub const MAX_QUERY_BYTES: usize = 4096;

/// The most values one filter takes: Lucca's v3 grammar refuses more than
/// 1000 in one `IN`.
pub const MAX_LIST_VALUES: usize = 1000;

/// The query parameters of `GET /api/v3/users`, generated from the spec.
pub(crate) use super::generated::names::list_users::query::Param;

/// A filter value that cannot be sent: Lucca splits every filter value on
/// `,`, so a value holding one would be read as several.
fn comma_in(parameter: Param, value: &str) -> InvalidValue {
    InvalidValue {
        field: parameter.name(),
        problem: format!(
            "the value {value:?} holds a `,`, which Lucca reads as a list separator; nothing was sent"
        ),
    }
}

/// The length of `pairs` as a query string, encoded as it is sent.
pub(crate) fn encoded_len(pairs: &[(&'static str, String)]) -> usize {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish().len()
}

/// Splits `values` into lists whose query, beside `base`, stays within
/// `bound` bytes and [`MAX_LIST_VALUES`] values (one value a list at least).
pub(crate) fn chunk_values(
    values: &[String],
    parameter: Param,
    base: &[(&'static str, String)],
    bound: usize,
) -> Vec<Vec<String>> {
    let fixed = encoded_len(base) + parameter.name().len() + 2;
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut length = fixed;
    for value in values {
        // The value, encoded, and its separator (`,` is sent as `%2C`).
        let cost = url::form_urlencoded::byte_serialize(value.as_bytes())
            .map(str::len)
            .sum::<usize>()
            + if current.is_empty() { 0 } else { 3 };
        if !current.is_empty() && (length + cost > bound || current.len() >= MAX_LIST_VALUES) {
            chunks.push(std::mem::take(&mut current));
            length = fixed;
            current.push(value.clone());
            length += cost - 3;
            continue;
        }
        length += cost;
        current.push(value.clone());
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

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
    pub(crate) logins: Option<Vec<String>>,
    pub(crate) order_by: OrderBy,
    pub(crate) former_employees: bool,
    pub(crate) page_size: u32,
    pub(crate) max_query_bytes: usize,
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
            logins: None,
            order_by: OrderBy::IdAscending,
            former_employees: false,
            page_size: MAX_PAGE,
            max_query_bytes: MAX_QUERY_BYTES,
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

    /// A condition on the login (replaces [`logins`](Self::logins)).
    pub fn login(mut self, login: Text) -> Self {
        self.login = Some(login);
        self.logins = None;
        self
    }

    /// Only the users with these logins (`login=a,b,c`, an `IN` in Lucca's
    /// v3 grammar; none at all when empty); replaces [`login`](Self::login).
    /// A long list is read in several requests, each under
    /// [`max_query_bytes`](Self::max_query_bytes). A login holding a `,`
    /// cannot be sent ([`InvalidValue`](super::InvalidValue)).
    pub fn logins(mut self, logins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.logins = Some(logins.into_iter().map(Into::into).collect());
        self.login = None;
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
    /// access rights. A long list is read in several requests, each under
    /// [`max_query_bytes`](Self::max_query_bytes).
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

    /// The longest query string one request may carry
    /// ([`MAX_QUERY_BYTES`] by default): `id` and `login` lists are split
    /// into requests under it.
    pub fn max_query_bytes(mut self, bytes: usize) -> Self {
        self.max_query_bytes = bytes;
        self
    }

    /// The filters, each under its own parameter (`id` and `login` lists
    /// left out: [`list`](Self::list) says which one is set), or the first
    /// value holding a `,`.
    pub(crate) fn filters(&self) -> Result<Vec<(Param, String)>, InvalidValue> {
        let text = |parameter: Param, text: &Text| {
            let value = match text {
                Text::Is(value) | Text::IsNot(value) | Text::Like(value) => value,
            };
            if value.contains(',') {
                return Err(comma_in(parameter, value));
            }
            Ok((parameter, text.render()))
        };
        let mut pairs = Vec::new();
        if let Some(login) = &self.login {
            pairs.push(text(Param::Login, login)?);
        }
        if let Some(mail) = &self.mail {
            pairs.push(text(Param::Mail, mail)?);
        }
        if let Some(range) = &self.contract_start {
            pairs.push((Param::DtContractStart, range.render()));
        }
        if let Some(range) = &self.contract_end {
            pairs.push((Param::DtContractEnd, range.render()));
        }
        if let Some(range) = &self.modified_at {
            pairs.push((Param::ModifiedAt, range.render()));
        }
        pairs.push((Param::OrderBy, self.order_by.render()));
        Ok(pairs)
    }

    /// The list filter, if any: `id` or `login` and its values (`id` wins
    /// when both are set), or the first login holding a `,`.
    pub(crate) fn list(&self) -> Result<Option<(Param, Vec<String>)>, InvalidValue> {
        if let Some(ids) = &self.ids {
            return Ok(Some((Param::Id, ids.iter().map(i64::to_string).collect())));
        }
        let Some(logins) = &self.logins else {
            return Ok(None);
        };
        if let Some(login) = logins.iter().find(|login| login.contains(',')) {
            return Err(comma_in(Param::Login, login));
        }
        Ok(Some((Param::Login, logins.clone())))
    }
}
