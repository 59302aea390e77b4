//! A partial update of a user: each field is set, cleared (an explicit
//! `null`, for nullable fields only) or left untouched (not sent).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::types::{Gender, UserWorkCycle};

/// What is wrong with one field of a [`UserPatch`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {problem}")]
pub struct PatchError {
    /// The JSON name of the field.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// A language code identifier (LCID) Lucca accepts: 1025 to 58380.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CultureId(u16);

impl CultureId {
    /// French (France).
    pub const FR_FR: CultureId = CultureId(1036);
    /// English (United States).
    pub const EN_US: CultureId = CultureId(1033);

    /// Checks the range.
    pub fn new(id: u32) -> Result<Self, PatchError> {
        match u16::try_from(id) {
            Ok(id) if (1025..=58380).contains(&id) => Ok(Self(id)),
            _ => Err(PatchError {
                field: "cultureID",
                problem: format!("{id} is outside 1025 to 58380"),
            }),
        }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// An ISO 3166-1 alpha-2 country code (`FR`, `DE`…), upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Checks the form: two ASCII letters (made upper case).
    pub fn new(code: &str) -> Result<Self, PatchError> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(PatchError {
                field: "nationalityId",
                problem: format!("{code:?} is not a two-letter ISO 3166-1 country code"),
            }),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a user update: only touched fields are sent.
///
/// ```
/// use roster::directory::UserPatch;
///
/// let patch = UserPatch::new()
///     .last_name("Smith")
///     .clear_manager_id()
///     .job_title("Developer");
/// assert_eq!(
///     patch.to_json().unwrap(),
///     serde_json::json!({ "lastName": "Smith", "managerId": null, "jobTitle": "Developer" })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch {
    values: BTreeMap<String, Value>,
    problems: Vec<PatchError>,
}

fn zone_less(at: NaiveDateTime) -> Value {
    json!(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

/// Defines `name(value)` (set) and, for nullable fields, `clear_name()`.
macro_rules! fields {
    ($(
        $(#[$doc:meta])*
        $set:ident $(/ $clear:ident)? : $key:literal, $ty:ty, |$value:ident| $convert:expr;
    )*) => {
        impl UserPatch {
            /// The JSON name of every documented field a setter touches (a
            /// drift test checks them against the spec's `UserUpdate`).
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            $(
                $(#[$doc])*
                pub fn $set(mut self, $value: $ty) -> Self {
                    let converted: Result<Value, String> = $convert;
                    match converted {
                        Ok(json) => {
                            self.values.insert($key.to_owned(), json);
                        }
                        Err(problem) => self.problems.push(PatchError { field: $key, problem }),
                    }
                    self
                }
                $(
                    #[doc = concat!("Clears `", $key, "` (sends `null`).")]
                    pub fn $clear(mut self) -> Self {
                        self.values.insert($key.to_owned(), Value::Null);
                        self
                    }
                )?
            )*
        }
    };
}

fn text(value: impl Into<String>) -> Result<Value, String> {
    let value = value.into();
    if value.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(json!(value))
    }
}

fn any_text(value: impl Into<String>) -> Result<Value, String> {
    Ok(json!(value.into()))
}

fn id(value: i64) -> Result<Value, String> {
    if value >= 1 {
        Ok(json!(value))
    } else {
        Err(format!("{value} is not an id (ids start at 1)"))
    }
}

fields! {
    /// Sets the first name (given name).
    first_name: "firstName", impl Into<String>, |value| text(value);
    /// Sets the last name (family name).
    last_name: "lastName", impl Into<String>, |value| text(value);
    /// Sets the login (unique).
    login: "login", impl Into<String>, |value| text(value);
    /// Sets the professional email.
    mail: "mail", impl Into<String>, |value| text(value);
    /// Sets the first day of employment.
    contract_start: "dtContractStart", NaiveDateTime, |value| Ok(zone_less(value));
    /// Sets the last day of employment.
    contract_end / clear_contract_end: "dtContractEnd", NaiveDateTime, |value| Ok(zone_less(value));
    /// Sets the legal entity (establishment).
    legal_entity_id: "legalEntityId", i64, |value| id(value);
    /// Sets the employee number (unique by legal entity).
    employee_number / clear_employee_number: "employeeNumber", impl Into<String>, |value| text(value);
    /// Sets the department.
    department_id: "departmentId", i64, |value| id(value);
    /// Sets the manager.
    manager_id / clear_manager_id: "managerId", i64, |value| id(value);
    /// Sets the second manager (Lucca Absences approvals).
    manager2_id / clear_manager2_id: "manager2Id", i64, |value| id(value);
    /// Sets the birth date.
    birth_date / clear_birth_date: "birthDate", NaiveDateTime, |value| Ok(zone_less(value));
    /// Sets the culture (language).
    culture_id: "cultureID", CultureId, |value| Ok(json!(value.get()));
    /// Sets the business-holidays calendar.
    calendar_id / clear_calendar_id: "calendarId", i64, |value| id(value);
    /// Sets the primary role.
    role_principal_id: "rolePrincipalId", i64, |value| id(value);
    /// Sets the secondary roles, by id.
    habilited_roles: "habilitedRoles", &[i64], |value| {
        match value.iter().find(|role| **role < 1) {
            Some(bad) => Err(format!("{bad} is not a role id")),
            None => Ok(Value::Array(value.iter().map(|role| json!({ "id": role })).collect())),
        }
    };
    /// Sets the work-cycles.
    work_cycles: "userWorkCycles", &[UserWorkCycle], |value| {
        serde_json::to_value(value).map_err(|error| error.to_string())
    };
    /// Sets the socio-professional category.
    csp_id / clear_csp_id: "cspId", i64, |value| id(value);
    /// Sets the nationality.
    nationality / clear_nationality: "nationalityId", CountryCode, |value| Ok(json!(value.as_str()));
    /// Sets the seniority date.
    seniority_date / clear_seniority_date: "seniorityDate", NaiveDateTime, |value| Ok(zone_less(value));
    /// Sets the social security number.
    insurance_number / clear_insurance_number: "insuranceNumber", impl Into<String>, |value| any_text(value);
    /// Sets the personal address.
    address / clear_address: "address", impl Into<String>, |value| any_text(value);
    /// Sets the professional landline.
    direct_line / clear_direct_line: "directLine", impl Into<String>, |value| any_text(value);
    /// Sets the job title.
    job_title / clear_job_title: "jobTitle", impl Into<String>, |value| text(value);
    /// Sets the declared gender.
    gender: "gender", Gender, |value| Ok(json!(value.to_string()));
    /// Sets the personal email.
    personal_email / clear_personal_email: "personalEmail", impl Into<String>, |value| any_text(value);
    /// Sets the personal mobile.
    personal_mobile / clear_personal_mobile: "personalMobile", impl Into<String>, |value| any_text(value);
    /// Sets the professional mobile.
    professional_mobile / clear_professional_mobile: "professionalMobile", impl Into<String>, |value| any_text(value);
    /// Sets the consent to electronic payslips.
    electronic_payslip / clear_electronic_payslip: "allowsElectronicPayslip", bool, |value| Ok(json!(value));
    /// Sets the personal quote.
    quote / clear_quote: "quote", impl Into<String>, |value| any_text(value);
    /// Sets the bank name.
    bank_name / clear_bank_name: "bankName", impl Into<String>, |value| any_text(value);
    /// Sets the RIB.
    rib / clear_rib: "rib", impl Into<String>, |value| any_text(value);
    /// Sets the IBAN.
    iban / clear_iban: "iban", impl Into<String>, |value| any_text(value);
    /// Sets the BIC.
    bic / clear_bic: "bic", impl Into<String>, |value| any_text(value);
    /// Sets the fiscal horsepower of the car (Lucca Expenses).
    car_tax_horse_power / clear_car_tax_horse_power: "frenchCarTaxHorsePower", i32, |value| Ok(json!(value));
    /// Sets the fiscal horsepower of the motorcycle (Lucca Expenses).
    motorcycle_tax_horse_power / clear_motorcycle_tax_horse_power: "frenchMotocyclesTaxHorsePower", i32, |value| Ok(json!(value));
    /// Sets the leave accrual profile (Lucca Absences), by id.
    absences_profile / clear_absences_profile: "profile_figgo", i64, |value| id(value).map(|id| json!({ "id": id }));
    /// Sets the personal credit card number (Lucca Expenses).
    personal_card / clear_personal_card: "personalCard", impl Into<String>, |value| any_text(value);
    /// Sets the corporate credit card number (Lucca Expenses).
    corporate_card / clear_corporate_card: "corporateCard", impl Into<String>, |value| any_text(value);
    /// Sets the full-time equivalent ratio (Lucca Compensation): an object,
    /// whose shape the reference page does not give.
    full_time_equivalent / clear_full_time_equivalent: "fullTimeEquivalent", Value, |value| object(value);
    /// Sets the theoretical compensation (Lucca Compensation): an object,
    /// whose shape the reference page does not give.
    theoretical_remuneration / clear_theoretical_remuneration: "theoreticalRemuneration", Value, |value| object(value);
}

fn object(value: Value) -> Result<Value, String> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(format!("{value} is not an object"))
    }
}

/// A tenant's own extension field: `e_` then letters, digits or `_`
/// (`e_bloodType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionKey(String);

impl ExtensionKey {
    /// Checks the form.
    pub fn new(key: impl Into<String>) -> Result<Self, PatchError> {
        let key = key.into();
        let valid = key.strip_prefix("e_").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if valid {
            Ok(Self(key))
        } else {
            Err(PatchError {
                field: "e_*",
                problem: format!(
                    "{key:?} is not an extension key (`e_` then letters, digits or `_`)"
                ),
            })
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl UserPatch {
    /// Sets a tenant's extension field (`e_bloodType`), as JSON.
    pub fn extension(mut self, key: &ExtensionKey, value: impl Into<Value>) -> Self {
        self.values.insert(key.0.clone(), value.into());
        self
    }

    /// Clears a tenant's extension field (sends `null`).
    pub fn clear_extension(mut self, key: &ExtensionKey) -> Self {
        self.values.insert(key.0.clone(), Value::Null);
        self
    }

    /// Sets the value of analytical axis `axis` (`userAxisValues_2`), by id.
    pub fn axis_value(mut self, axis: u32, value_id: i64) -> Self {
        let key = format!("userAxisValues_{axis}");
        match id(value_id) {
            Ok(id) => {
                self.values.insert(key, json!({ "id": id }));
            }
            Err(problem) => self.problems.push(PatchError {
                field: "userAxisValues_*",
                problem,
            }),
        }
        self
    }

    /// Clears the value of analytical axis `axis` (sends `null`).
    pub fn clear_axis_value(mut self, axis: u32) -> Self {
        self.values
            .insert(format!("userAxisValues_{axis}"), Value::Null);
        self
    }
}

/// What a user record holds beyond the documented fields: the tenant's
/// extension fields (`e_*`) and analytical axis values
/// (`userAxisValues_{axis}`), read from the raw record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    /// `e_*` fields, by key.
    pub fields: BTreeMap<String, Value>,
    /// Axis value ids, by axis (`None` when the record says `null`).
    pub axis_values: BTreeMap<u32, Option<i64>>,
}

impl Extensions {
    /// The extensions of a raw user record (an object of the answer).
    pub fn of(record: &serde_json::Map<String, Value>) -> Self {
        let mut extensions = Self::default();
        for (key, value) in record {
            if key.starts_with("e_") {
                extensions.fields.insert(key.clone(), value.clone());
            } else if let Some(axis) = key
                .strip_prefix("userAxisValues_")
                .and_then(|axis| axis.parse().ok())
            {
                let id = value
                    .get("id")
                    .and_then(|id| crate::tolerant::integer::<_, i64>(id).ok());
                extensions.axis_values.insert(axis, id);
            }
        }
        extensions
    }
}

impl UserPatch {
    /// An update that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether nothing is touched.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.problems.is_empty()
    }

    /// The touched fields' JSON names.
    pub fn touched(&self) -> impl Iterator<Item = &str> + '_ {
        self.values.keys().map(String::as_str)
    }

    /// The body to send: only the touched fields, `null` for cleared ones;
    /// or the first invalid value.
    pub fn to_json(&self) -> Result<Value, PatchError> {
        match self.problems.first() {
            Some(problem) => Err(problem.clone()),
            None => Ok(Value::Object(
                self.values
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
            )),
        }
    }
}
