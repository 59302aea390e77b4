//! The `fields` selection of the v3 API: which properties come back.

use std::fmt;

use super::error::InvalidValue;

/// Which properties of a user the API returns (`fields=`). By default Lucca
/// returns only `id`, `name` and `url`.
///
/// ```
/// use roster::directory::Fields;
///
/// let fields = Fields::new()
///     .with("id")
///     .with("login")
///     .nested("manager", Fields::new().with("id").with("name"))
///     .extended_data();
/// assert_eq!(fields.to_string(), "id,login,manager[id,name],extendedData");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Name(String),
    Nested(String, Fields),
}

fn valid(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

impl Fields {
    /// No field: the API's default (`id`, `name`, `url`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The properties `roster`'s sync helpers read and write: identity,
    /// names, mail, contract dates, organisation, culture, modification time.
    pub fn sync() -> Self {
        use super::keys;
        [
            keys::ID,
            keys::NAME,
            keys::URL,
            keys::LOGIN,
            keys::FIRST_NAME,
            keys::LAST_NAME,
            keys::MAIL,
            keys::EMPLOYEE_NUMBER,
            keys::JOB_TITLE,
            keys::DT_CONTRACT_START,
            keys::DT_CONTRACT_END,
            keys::DEPARTMENT_ID,
            keys::LEGAL_ENTITY_ID,
            keys::MANAGER_ID,
            keys::CULTURE_ID,
            keys::GENDER,
            keys::MODIFIED_AT,
        ]
        .into_iter()
        .fold(Self::new(), Self::with)
    }

    /// Adds a property.
    pub fn with(mut self, name: impl Into<String>) -> Self {
        self.items.push(Item::Name(name.into()));
        self
    }

    /// Adds a related object with its own selection (`manager[id,name]`).
    pub fn nested(mut self, name: impl Into<String>, fields: Fields) -> Self {
        self.items.push(Item::Nested(name.into(), fields));
        self
    }

    /// Adds the extended data (`extendedData`).
    pub fn extended_data(self) -> Self {
        self.with(super::keys::EXTENDED_DATA)
    }

    /// Asks a list for its total (`collection.count`).
    pub fn collection_count(self) -> Self {
        self.with("collection.count")
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the selection asks for a property at the top level.
    pub fn contains(&self, name: &str) -> bool {
        self.items.iter().any(|item| match item {
            Item::Name(own) | Item::Nested(own, _) => own == name,
        })
    }

    /// The query value, or the first name that is not a property name.
    pub fn to_query(&self) -> Result<String, InvalidValue> {
        self.check()?;
        Ok(self.to_string())
    }

    fn check(&self) -> Result<(), InvalidValue> {
        for item in &self.items {
            let (Item::Name(name) | Item::Nested(name, _)) = item;
            if !valid(name) {
                return Err(InvalidValue {
                    field: super::generated::names::get_user::query::FIELDS,
                    problem: format!(
                        "{name:?} is not a property name (letters, digits, `_` and `.` only); nothing was sent"
                    ),
                });
            }
            if let Item::Nested(_, inner) = item {
                inner.check()?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.items.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            match item {
                Item::Name(name) => f.write_str(name)?,
                Item::Nested(name, inner) => write!(f, "{name}[{inner}]")?,
            }
        }
        Ok(())
    }
}
