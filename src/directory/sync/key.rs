//! The HR system's key: which column of an export names the employee, and
//! the Lucca field it is matched against (see [`Key`]).

use serde::{Deserialize, Serialize};

use super::super::keys;

/// The field an export's rows are matched to Lucca users by: the login
/// (the default), the employee number ("matricule", what most HR systems
/// key on) or the work email (compared without regard to case). Whichever
/// it is, a value the export or Lucca holds twice is refused with its lines
/// and ids, and nothing about those employees is written; the `manager`
/// column names managers by the same key.
///
/// ```
/// use roster::directory::Key;
///
/// assert_eq!("employeeNumber".parse::<Key>(), Ok(Key::EmployeeNumber));
/// assert_eq!(Key::Mail.field(), "mail");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Key {
    /// `login`.
    #[default]
    Login,
    /// `employeeNumber`.
    EmployeeNumber,
    /// `mail`.
    Mail,
}

impl Key {
    /// Every key.
    pub const ALL: [Self; 3] = [Self::Login, Self::EmployeeNumber, Self::Mail];

    /// The user's field it is: `login`, `employeeNumber` or `mail`.
    pub fn field(self) -> &'static str {
        match self {
            Self::Login => keys::LOGIN,
            Self::EmployeeNumber => keys::EMPLOYEE_NUMBER,
            Self::Mail => keys::MAIL,
        }
    }

    /// A user's value of the key, as read (leniently: an employee number
    /// may come as a number); none when blank or absent.
    pub(crate) fn value_of(
        self,
        record: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<String> {
        match record.get(self.field())? {
            serde_json::Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// A value as it is compared: trimmed, and a mail in lower case.
    pub(crate) fn fold(self, value: &str) -> String {
        match self {
            Self::Mail => value.trim().to_lowercase(),
            Self::Login | Self::EmployeeNumber => value.trim().to_owned(),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field())
    }
}

impl std::str::FromStr for Key {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|key| key.field() == name)
            .ok_or_else(|| format!("{name:?} is no key: login, employeeNumber or mail"))
    }
}
