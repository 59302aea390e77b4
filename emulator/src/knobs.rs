//! Vendor variants: where the vendors' documents are silent or disagree, the
//! real servers may answer in any of several shapes. Each shape is a knob;
//! a [`Profile`] sets several at once. [`Knobs::default`] is the documented
//! happy path.

use std::fmt;
use std::str::FromStr;

/// The zone written on date-times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Zone {
    /// None, as Lucca v3's reference page shows (`2014-09-01T00:00:00`) and
    /// as Lucca's Office examples show outside the published user-location
    /// page.
    #[default]
    Documented,
    /// No zone anywhere (`2023-11-07T05:31:56`).
    None,
    /// `Z` everywhere, as the published user-location page renders
    /// `createdAt` (`2023-11-07T05:31:56Z`).
    Utc,
    /// This offset from UTC everywhere, in minutes (`120` writes `+02:00`).
    Offset(i32),
}

/// The fractional seconds written on date-times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fraction {
    /// As the documents show them: milliseconds on Lucca's `modifiedAt`
    /// (`2015-09-07T10:20:06.583`), none elsewhere.
    #[default]
    Documented,
    /// Never any (`10:20:06`).
    Never,
    /// Always milliseconds (`10:20:06.583`).
    Millis,
    /// Always seven digits, as .NET writes them (`10:20:06.5830000`).
    Ticks,
}

/// How result and analysis lines echo the `date` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EchoedDate {
    /// `2025-09-20`, as the guide says (a date that did not parse is left out).
    #[default]
    Dashes,
    /// `2025/09/20`, the CSV's other documented form.
    Slashes,
    /// `2025-09-20T00:00:00`, a .NET `DateTime`.
    Midnight,
    /// The cell exactly as sent, parsed or not (`20/09/2025`).
    AsSent,
}

/// What an analysis or results line's `lineNumber` counts. The documents
/// do not say; the guide's example (header on line 1) reads as the file's
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LineNumbers {
    /// The file's line: the header is line 1, the first row line 2.
    #[default]
    FileLine,
    /// The data row: the first row after the header is 1.
    DataRow,
}

/// The casing of keys ending in an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdCasing {
    /// As the reference page shows them: `cultureID`, `workCycleID`,
    /// `ownerID` (Lucca v3) and `ownerId` (Lucca Office).
    #[default]
    Documented,
    /// `cultureId`, `workCycleId`, `ownerId` everywhere.
    CamelCase,
}

/// How Lucca v3 wraps its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Envelope {
    /// `{"data": …}`, as the reference page shows.
    #[default]
    Data,
    /// The bare object or list, as some doc versions show.
    Bare,
}

/// How Docutools writes its timestamps ("String (Timestamp)", format not
/// documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Timestamps {
    /// RFC 3339 in UTC: `2026-11-24T10:00:00Z`.
    #[default]
    Rfc3339,
    /// A zone-less local date-time: `2026-11-24T10:00:00`.
    LocalDateTime,
    /// Milliseconds since the Unix epoch, as a JSON number.
    EpochMillis,
}

/// Which bodies Lucca v3's `PUT /api/v3/users/{id}` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PutBodies {
    /// Partial bodies, as the users guide sends (`{"lastName": "Smith"}`).
    #[default]
    Partial,
    /// Whole bodies: the 14 fields the reference page marks required must
    /// all be there, else `400`.
    Whole,
}

/// What becomes of an Office import once it is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ImportFate {
    /// Progress climbs to 100 over the import's duration, then the analysis
    /// or results are there.
    #[default]
    Completes,
    /// Progress reaches 100, but `analysis` and `results` answer this error
    /// status.
    OutcomeFails(u16),
    /// Progress stays at 0 forever.
    NeverStarts,
    /// Progress climbs to this value and stays there forever (any value: a
    /// value outside 0..=100 is what a broken server would send).
    StallsAt(i64),
}

/// Whether the Lucca servers refuse headers their documents do not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Headers {
    /// Ignored, as most servers do.
    #[default]
    Ignored,
    /// `400` for any header other than `Authorization`, `Content-Type` and
    /// the usual transport headers (`Api-Version`, which only Lucca's newer
    /// API documents, among them).
    Refused,
}

/// The knobs of the local servers. The default is the documented happy path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Knobs {
    /// The zone on date-times (Lucca).
    pub zone: Zone,
    /// The fractional seconds on date-times (Lucca).
    pub fraction: Fraction,
    /// `null` wherever the answer would hold an empty list, `false` or `""`.
    pub nulls_for_empty: bool,
    /// How result and analysis lines echo dates.
    pub echoed_dates: EchoedDate,
    /// What result and analysis lines' `lineNumber` counts.
    pub line_numbers: LineNumbers,
    /// Offices have floors, with the integer keys the published page shows
    /// (`floorKey: 1`); off, they have none (`floorKey: null`, `floors: []`).
    pub floors: bool,
    /// The casing of id keys.
    pub id_casing: IdCasing,
    /// Lucca v3's envelope.
    pub envelope: Envelope,
    /// The largest Office `limit`: 1000 in the newer documents, 10 in the
    /// older ones (which also default to 10).
    pub office_max_limit: u32,
    /// Every object of every answer carries a field no document names.
    pub unknown_fields: bool,
    /// Enumerations carry values no document names (a work location of
    /// type `Travel`, a status `Planned`, a gender `NonBinary`, an invitation
    /// `Expired`).
    pub unknown_enum_values: bool,
    /// Docutools' timestamps.
    pub timestamps: Timestamps,
    /// Lucca v3's `PUT` bodies.
    pub put_bodies: PutBodies,
    /// What becomes of Office imports.
    pub import_fate: ImportFate,
    /// The answer to an Office creation (`create=true`) is cut mid-body, after
    /// the import was accepted and will be applied.
    pub cut_creation_answer: bool,
    /// Undocumented headers (Lucca).
    pub headers: Headers,
    /// Docutools' upload limit, "3.2MB": 3,200,000 bytes (the decimal
    /// reading) or 3,355,443 (3.2 MiB).
    pub docutools_max_file: usize,
    /// Lucca's platform limit on a request's payload: "payloads over 100 MB
    /// get `413`" (read as 100,000,000 bytes). An Office import over it is
    /// answered `413`.
    pub office_max_upload: usize,
    /// Lucca v3 answers carry a `header` object (`generated`, `principal`)
    /// beside `data`, as Lucca's v3 framework writes them (the reference
    /// page shows `data` alone).
    pub v3_header: bool,
    /// `fields=collection.count` asked alone answers `count` without
    /// `items` (the framework's reading); off, `items` come too.
    pub count_alone: bool,
    /// A `fields` name that is no property of a user (nor an extension
    /// field the tenant has) answers `400`, as the v3 framework does; off,
    /// it is left out of the answer.
    pub unknown_fields_refused: bool,
    /// Lists serve at most this many users a page, whatever `paging` asks
    /// (a server that caps below the asked limit).
    pub page_cap: Option<usize>,
    /// Lists ignore the offset of `paging` and always start at the first
    /// user.
    pub ignore_offset: bool,
    /// A list page asking for more users than this answers `408`, as Lucca
    /// aborts requests over 5 s.
    pub timeout_rows: Option<usize>,
    /// `login=a,b` (and `mail=`) is an `IN`, as every filter of the v3
    /// grammar splits on `,`; off, the value is compared whole.
    pub login_lists: bool,
    /// The tenant as before September 2026: `/api/v3/departments` and
    /// `/api/v3/legalentities` still answer (off: 404, as Lucca's migration
    /// guides announce).
    pub v3_organization: bool,
}

/// "3.2MB" read as decimal megabytes.
/// Lucca's platform limit, "100 MB", read as decimal megabytes.
pub const OFFICE_LIMIT: usize = 100_000_000;

/// Docutools' limit, "3.2MB", read as decimal megabytes.
pub const DOCUTOOLS_LIMIT_DECIMAL: usize = 3_200_000;
/// "3.2MB" read as mebibytes.
pub const DOCUTOOLS_LIMIT_BINARY: usize = 3_355_443;

impl Default for Knobs {
    fn default() -> Self {
        Self {
            zone: Zone::Documented,
            fraction: Fraction::Documented,
            nulls_for_empty: false,
            echoed_dates: EchoedDate::Dashes,
            line_numbers: LineNumbers::FileLine,
            floors: true,
            id_casing: IdCasing::Documented,
            envelope: Envelope::Data,
            office_max_limit: 1000,
            unknown_fields: false,
            unknown_enum_values: false,
            timestamps: Timestamps::Rfc3339,
            put_bodies: PutBodies::Partial,
            import_fate: ImportFate::Completes,
            cut_creation_answer: false,
            headers: Headers::Ignored,
            docutools_max_file: DOCUTOOLS_LIMIT_DECIMAL,
            office_max_upload: OFFICE_LIMIT,
            v3_header: false,
            count_alone: false,
            unknown_fields_refused: false,
            page_cap: None,
            ignore_offset: false,
            timeout_rows: None,
            login_lists: true,
            v3_organization: false,
        }
    }
}

/// A set of knobs that one vendor deployment plausibly has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// Every answer as the documents show it.
    #[default]
    Documented,
    /// The strictest reading of every rule: whole `PUT` bodies, the older
    /// paging bound of 10, undocumented headers refused.
    Strict,
    /// A .NET or Java backend's habits: `null` for empty lists, `false` and
    /// `""`; zone-less date-times with seven fractional digits; dates as
    /// `YYYY-MM-DDT00:00:00`; `…Id` casing; offices without floors;
    /// zone-less Docutools timestamps.
    Dotnet,
    /// A newer server than the documents: unknown fields and enum values,
    /// date-times with an offset, bare Lucca v3 objects, dates echoed as
    /// `YYYY/MM/DD`, Docutools timestamps in epoch milliseconds and the
    /// 3.2 MiB upload limit.
    Drifted,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 4] = [
        Profile::Documented,
        Profile::Strict,
        Profile::Dotnet,
        Profile::Drifted,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Documented => "documented",
            Self::Strict => "strict",
            Self::Dotnet => "dotnet",
            Self::Drifted => "drifted",
        }
    }

    /// Its knobs.
    pub fn knobs(self) -> Knobs {
        let documented = Knobs::default();
        match self {
            Self::Documented => documented,
            Self::Strict => Knobs {
                put_bodies: PutBodies::Whole,
                office_max_limit: 10,
                headers: Headers::Refused,
                ..documented
            },
            Self::Dotnet => Knobs {
                zone: Zone::None,
                fraction: Fraction::Ticks,
                nulls_for_empty: true,
                echoed_dates: EchoedDate::Midnight,
                floors: false,
                id_casing: IdCasing::CamelCase,
                timestamps: Timestamps::LocalDateTime,
                ..documented
            },
            Self::Drifted => Knobs {
                zone: Zone::Offset(120),
                fraction: Fraction::Millis,
                echoed_dates: EchoedDate::Slashes,
                envelope: Envelope::Bare,
                unknown_fields: true,
                unknown_enum_values: true,
                timestamps: Timestamps::EpochMillis,
                docutools_max_file: DOCUTOOLS_LIMIT_BINARY,
                ..documented
            },
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is not one of [`Profile::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{0}`: use documented, strict, dotnet or drifted")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|profile| profile.name() == name)
            .ok_or_else(|| UnknownProfile(name.to_owned()))
    }
}
