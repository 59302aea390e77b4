//! What the local server knows: its employees, work locations, the user
//! locations imports created, and the imports themselves.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use tokio::time::Instant;

use crate::knobs::{ImportFate, Knobs, Profile};

/// A day or a half-day, the `position` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayPart {
    /// `FullDay`.
    FullDay,
    /// `FirstHalf`.
    FirstHalf,
    /// `SecondHalf`.
    SecondHalf,
}

impl DayPart {
    /// The part a cell names, spelled as the guide spells it.
    pub fn parse(cell: &str) -> Option<Self> {
        match cell {
            "FullDay" => Some(Self::FullDay),
            "FirstHalf" => Some(Self::FirstHalf),
            "SecondHalf" => Some(Self::SecondHalf),
            _ => None,
        }
    }

    /// Its name in the documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullDay => "FullDay",
            Self::FirstHalf => "FirstHalf",
            Self::SecondHalf => "SecondHalf",
        }
    }
}

/// An employee of the local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// The user id.
    pub id: i64,
    /// The login rows name them by.
    pub login: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
}

impl Employee {
    /// An employee.
    pub fn new(id: i64, login: &str, first_name: &str, last_name: &str) -> Self {
        Self {
            id,
            login: login.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
        }
    }
}

/// A work location of the local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Its id.
    pub id: i64,
    /// Its name, as rows give it.
    pub name: String,
    /// `Office`, `RemoteWork` or `Other`.
    pub kind: &'static str,
    /// Areas (offices only): id and name.
    pub areas: Vec<(i64, String)>,
    /// Floors (offices only): the integer key, the name and the floor number
    /// (the areas are on the floors in turn).
    pub floors: Vec<(i64, String, i32)>,
}

impl Place {
    /// An office with areas.
    pub fn office(id: i64, name: &str, areas: &[(i64, &str)]) -> Self {
        Self {
            id,
            name: name.into(),
            kind: "Office",
            areas: areas
                .iter()
                .map(|(id, name)| (*id, (*name).to_owned()))
                .collect(),
            floors: Vec::new(),
        }
    }

    /// Remote work.
    pub fn remote(id: i64, name: &str) -> Self {
        Self {
            id,
            name: name.into(),
            kind: "RemoteWork",
            areas: Vec::new(),
            floors: Vec::new(),
        }
    }

    /// The same office with these floors: key, name, floor number.
    pub fn with_floors(mut self, floors: &[(i64, &str, i32)]) -> Self {
        self.floors = floors
            .iter()
            .map(|(key, name, number)| (*key, (*name).to_owned(), *number))
            .collect();
        self
    }
}

/// What the local server starts with.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The API key it accepts (`Authorization: lucca application=<key>`).
    pub api_key: String,
    /// Its employees.
    pub employees: Vec<Employee>,
    /// Its work locations.
    pub places: Vec<Place>,
    /// How long an import takes from upload to progress 100.
    pub import_duration: Duration,
    /// The user locations it holds at the start.
    pub user_locations: Vec<StoredLocation>,
    /// The vendor variant it plays.
    pub knobs: Knobs,
    /// Its departments, establishments and legal units.
    pub organization: crate::organization::Organization,
}

impl Default for Setup {
    /// A small account: four employees, offices in Paris and Nantes, remote
    /// work; imports take 300 ms.
    fn default() -> Self {
        Self {
            api_key: "local-lucca-key".into(),
            employees: vec![
                Employee::new(416, "jdupont", "Jean", "Dupont"),
                Employee::new(417, "mlefevre", "Marie", "Lefevre"),
                Employee::new(418, "pmartin", "Pierre", "Martin"),
                Employee::new(419, "adurand", "Alice", "Durand"),
            ],
            places: vec![
                Place::office(1, "Paris", &[(10, "Service Client"), (11, "B1")])
                    .with_floors(&[(123, "Ground floor", 0), (124, "First floor", 1)]),
                Place::office(2, "Nantes", &[(20, "B1")]),
                Place::remote(3, "Remote"),
            ],
            import_duration: Duration::from_millis(300),
            user_locations: Vec::new(),
            knobs: Knobs::default(),
            organization: crate::organization::Organization::default(),
        }
    }
}

impl Setup {
    /// The same account, playing `profile`.
    pub fn with_profile(self, profile: Profile) -> Self {
        self.with_knobs(profile.knobs())
    }

    /// The same account, with these knobs.
    pub fn with_knobs(mut self, knobs: Knobs) -> Self {
        self.knobs = knobs;
        self
    }

    /// The default account plus `count` generated employees (`user0001`…),
    /// for bulk tests.
    pub fn with_generated_employees(mut self, count: usize) -> Self {
        let first_id = 1000;
        self.employees.extend((0..count).map(|index| {
            let id = first_id + index as i64;
            Employee::new(
                id,
                &format!("user{index:04}"),
                "Test",
                &format!("User {index:04}"),
            )
        }));
        self
    }
}

/// A user location the local server holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLocation {
    /// Its id.
    pub id: i64,
    /// The employee's id.
    pub owner_id: i64,
    /// The work location's id.
    pub work_location_id: i64,
    /// The area's id, if any.
    pub area_id: Option<i64>,
    /// The day.
    pub date: NaiveDate,
    /// The whole day or a half.
    pub position: DayPart,
    /// When the import created it (UTC).
    pub created_at: NaiveDateTime,
}

impl StoredLocation {
    /// Whether it takes (some of) the same time as `position` on `date`.
    pub(crate) fn overlaps(&self, owner_id: i64, date: NaiveDate, position: DayPart) -> bool {
        self.owner_id == owner_id
            && self.date == date
            && (self.position == position
                || self.position == DayPart::FullDay
                || position == DayPart::FullDay)
    }
}

/// A row as the server read it from an uploaded file, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceivedRow {
    /// The line of the file (1 is the header).
    pub line_number: u64,
    /// `login` as sent.
    pub login: String,
    /// `workLocationName` as sent.
    pub work_location_name: String,
    /// `areaName` as sent.
    pub area_name: String,
    /// `date` as sent.
    pub date: String,
    /// `position` as sent.
    pub position: String,
    /// `comment` as sent.
    pub comment: String,
    /// `isDeletion` as sent.
    pub is_deletion: String,
}

/// An import request as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedImport {
    /// Its `summaryId`.
    pub summary_id: uuid::Uuid,
    /// `create=true`.
    pub create: bool,
    /// `overrideUserLocations=true`.
    pub override_existing: bool,
    /// The part's file name.
    pub file_name: Option<String>,
    /// The part's `Content-Type`.
    pub content_type: Option<String>,
    /// The file's bytes (empty once [`KEPT_IN_FULL`](crate::KEPT_IN_FULL)
    /// newer imports came).
    pub file: bytes::Bytes,
    /// The SHA-256 of the file's bytes, in hex.
    pub sha256: String,
    /// The rows the server read from it (empty once
    /// [`KEPT_IN_FULL`](crate::KEPT_IN_FULL) newer imports came).
    pub rows: Vec<ReceivedRow>,
}

/// A line of an analysis or results: the row, and its error or warning.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// The data row it judges (from 0): kept when older verdicts are
    /// dropped.
    pub index: usize,
    pub row: ReceivedRow,
    pub employee: Option<Employee>,
    pub error: Option<String>,
    pub warning: Option<(String, bool)>,
    /// What applying the row does, when it is valid.
    pub effect: Option<Effect>,
}

#[derive(Debug, Clone)]
pub(crate) enum Effect {
    Create {
        owner_id: i64,
        work_location_id: i64,
        area_id: Option<i64>,
        date: NaiveDate,
        position: DayPart,
    },
    Delete {
        owner_id: i64,
        date: NaiveDate,
    },
}

/// An import the server runs.
#[derive(Debug)]
pub(crate) struct Job {
    pub create: bool,
    pub override_existing: bool,
    pub started: Instant,
    pub duration: Duration,
    pub verdicts: Vec<Verdict>,
    /// Set when the import has run: descriptions of what it did and counts.
    pub outcome: Option<Applied>,
    /// What becomes of it.
    pub fate: ImportFate,
}

/// What an import did (or, simulated, would do).
#[derive(Debug, Clone, Default)]
pub(crate) struct Applied {
    pub created: Vec<String>,
    pub deleted: u64,
    pub skipped: Vec<(usize, String)>,
}

/// Everything the server holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub employees: Vec<Employee>,
    pub places: Vec<Place>,
    pub locations: Vec<StoredLocation>,
    pub next_location_id: i64,
    pub jobs: HashMap<uuid::Uuid, Job>,
    pub received: Vec<ReceivedImport>,
    pub imports_applied: u64,
    /// The v3 user records, as JSON objects.
    pub people: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Where each user id is in `people`.
    pub people_index: BTreeMap<i64, usize>,
    /// Departments, establishments, legal units.
    pub organization: crate::organization::Organization,
    /// Every accepted `PUT`: the user and the body.
    pub updates: Vec<(i64, serde_json::Value)>,
    /// Every user created: its id, `contract`, and the body.
    pub created: Vec<(i64, bool, serde_json::Value)>,
}
