//! Reading answers tolerantly: the value types for what the vendors' documents
//! leave open (date-times with or without a zone, dates echoed in several
//! forms), and the field readers the build script attaches to every
//! generated model (`null` as empty, integers sent as text).
//!
//! Only reading is tolerant: what `roster` sends is exactly what the
//! documents say.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A date-time as a vendor sent it: the wall-clock time, and its offset
/// from UTC when one was sent (`Z`, `+02:00`; an epoch timestamp is UTC).
/// Reads `2014-09-01T00:00:00`, `2015-09-07T10:20:06.583`,
/// `2023-11-07T05:31:56Z`, `2023-11-07T07:31:56.5+02:00`, and, for
/// Docutools, milliseconds since the Unix epoch. It never invents a zone.
///
/// ```
/// use roster::VendorDateTime;
///
/// let zoned: VendorDateTime = "2023-11-07T07:31:56+02:00".parse()?;
/// assert_eq!(zoned.offset().map(|offset| offset.local_minus_utc()), Some(7200));
/// let local: VendorDateTime = "2014-09-01T00:00:00".parse()?;
/// assert_eq!(local.offset(), None);
/// assert_eq!(local.to_string(), "2014-09-01T00:00:00");
/// # Ok::<(), roster::ParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VendorDateTime {
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
}

/// Text that does not read as the value wanted: a date-time in none of the
/// forms a vendor uses, a rate not written `N/min`…
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not {expected}")]
pub struct ParseError {
    text: String,
    expected: &'static str,
}

impl ParseError {
    /// `text` is not `expected` (what it should have been, said for a
    /// person: "a rate: write it as 20/min…").
    pub(crate) fn new(text: &str, expected: &'static str) -> Self {
        Self {
            text: text.to_owned(),
            expected,
        }
    }

    /// The text as given.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl VendorDateTime {
    /// The wall-clock time as sent.
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The offset, when the vendor sent one.
    pub fn offset(&self) -> Option<FixedOffset> {
        self.offset
    }

    /// The moment in UTC, when the vendor said which zone it meant.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        let offset = self.offset?;
        offset
            .from_local_datetime(&self.local)
            .single()
            .map(|at| at.with_timezone(&Utc))
    }

    /// A moment given in milliseconds since the Unix epoch (UTC).
    pub fn from_epoch_millis(millis: i64) -> Option<Self> {
        let at = DateTime::<Utc>::from_timestamp_millis(millis)?;
        Some(Self {
            local: at.naive_utc(),
            offset: Some(FixedOffset::east_opt(0)?),
        })
    }
}

impl From<NaiveDateTime> for VendorDateTime {
    fn from(local: NaiveDateTime) -> Self {
        Self {
            local,
            offset: None,
        }
    }
}

impl From<DateTime<FixedOffset>> for VendorDateTime {
    fn from(at: DateTime<FixedOffset>) -> Self {
        Self {
            local: at.naive_local(),
            offset: Some(*at.offset()),
        }
    }
}

impl FromStr for VendorDateTime {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(at.into());
        }
        // Zone-less, as Lucca documents them: chrono's own reader first.
        if let Ok(local) = text.parse::<NaiveDateTime>() {
            return Ok(local.into());
        }
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .into_iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(Self::from)
            .ok_or_else(|| {
                ParseError::new(
                    text,
                    "a date-time (`YYYY-MM-DDTHH:MM:SS`, with optional fractional seconds and zone)",
                )
            })
    }
}

impl fmt::Display for VendorDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local.format("%Y-%m-%dT%H:%M:%S%.f"))?;
        match self.offset {
            Some(offset) if offset.local_minus_utc() == 0 => f.write_str("Z"),
            Some(offset) => write!(f, "{offset}"),
            None => Ok(()),
        }
    }
}

impl Serialize for VendorDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VendorDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Reader;
        impl Visitor<'_> for Reader {
            type Value = VendorDateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time, or milliseconds since the Unix epoch")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                text.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, millis: i64) -> Result<Self::Value, E> {
                VendorDateTime::from_epoch_millis(millis)
                    .ok_or_else(|| E::custom(format!("{millis} ms is out of range")))
            }
            fn visit_u64<E: de::Error>(self, millis: u64) -> Result<Self::Value, E> {
                let millis = i64::try_from(millis)
                    .map_err(|_| E::custom(format!("{millis} ms is out of range")))?;
                self.visit_i64(millis)
            }
        }
        deserializer.deserialize_any(Reader)
    }
}

impl JsonSchema for VendorDateTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "VendorDateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

/// The `date` a result or analysis line echoes: a date (`2025-09-20` or
/// `2025/09/20`), a date-time (`2025-09-20T00:00:00`), or, when the row's
/// cell did not parse, the text as the server echoed it, so that an error
/// line about a bad date stays readable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoedDate {
    /// A date.
    Date(NaiveDate),
    /// A date-time (a .NET `DateTime` at midnight, usually).
    DateTime(VendorDateTime),
    /// Text that is neither.
    Text(String),
}

impl EchoedDate {
    /// The day, when the text was a date or a date-time.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Self::Date(date) => Some(*date),
            Self::DateTime(at) => Some(at.local().date()),
            Self::Text(_) => None,
        }
    }
}

/// `YYYY-MM-DD` or `YYYY/MM/DD`, read without a format string (the common
/// case of every result line).
pub(crate) fn plain_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let [y1, y2, y3, y4, s1, m1, m2, s2, d1, d2] = *bytes else {
        return None;
    };
    if s1 != s2 || !matches!(s1, b'-' | b'/') {
        return None;
    }
    let digits = |list: &[u8]| {
        list.iter().try_fold(0_u32, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let year = i32::try_from(digits(&[y1, y2, y3, y4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&[m1, m2])?, digits(&[d1, d2])?)
}

impl From<&str> for EchoedDate {
    fn from(text: &str) -> Self {
        let date = plain_date(text).or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d"]
                .into_iter()
                .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        });
        match (date, text.parse::<VendorDateTime>()) {
            (Some(date), _) => Self::Date(date),
            (None, Ok(at)) => Self::DateTime(at),
            (None, Err(_)) => Self::Text(text.to_owned()),
        }
    }
}

impl From<NaiveDate> for EchoedDate {
    fn from(date: NaiveDate) -> Self {
        Self::Date(date)
    }
}

impl fmt::Display for EchoedDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Self::DateTime(at) => at.fmt(f),
            Self::Text(text) => f.write_str(text),
        }
    }
}

impl Serialize for EchoedDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EchoedDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::from(text.as_ref()))
    }
}

impl JsonSchema for EchoedDate {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EchoedDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// `null` reads as the type's default (an empty list, `false`, `""`).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads an integer, or the same integer sent as text (`416` or `"416"`);
/// `allow_empty` reads `""` as none.
struct IntegerReader<T> {
    allow_empty: bool,
    marker: std::marker::PhantomData<T>,
}

impl<T> IntegerReader<T> {
    fn new(allow_empty: bool) -> Self {
        Self {
            allow_empty,
            marker: std::marker::PhantomData,
        }
    }
}

impl<T> Visitor<'_> for IntegerReader<T>
where
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or an integer as text")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        T::try_from(value)
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        T::try_from(value)
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        if self.allow_empty && text.trim().is_empty() {
            return Ok(None);
        }
        text.trim()
            .parse()
            .map(Some)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.allow_empty {
            Ok(None)
        } else {
            Err(E::invalid_type(de::Unexpected::Unit, &self))
        }
    }
}

/// An integer that may come as text.
#[cfg_attr(not(feature = "office"), allow(dead_code))]
pub(crate) fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    deserializer
        .deserialize_any(IntegerReader::new(false))?
        .ok_or_else(|| de::Error::custom("an integer is missing"))
}

/// An optional integer that may come as text (`null` and `""` read as none).
pub(crate) fn optional_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64> + FromStr,
{
    deserializer.deserialize_any(IntegerReader::new(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_keep_what_was_sent() {
        for (text, offset, shown) in [
            ("2014-09-01T00:00:00", None, "2014-09-01T00:00:00"),
            ("2015-09-07T10:20:06.583", None, "2015-09-07T10:20:06.583"),
            ("2023-11-07T05:31:56Z", Some(0), "2023-11-07T05:31:56Z"),
            (
                "2023-11-07T07:31:56.2500000+02:00",
                Some(7200),
                "2023-11-07T07:31:56.250+02:00",
            ),
        ] {
            let at: VendorDateTime = text.parse().unwrap();
            assert_eq!(
                at.offset().map(|offset| offset.local_minus_utc()),
                offset,
                "{text}"
            );
            assert_eq!(at.to_string(), shown);
        }
        let moment: VendorDateTime = "2023-11-07T07:31:56+02:00".parse().unwrap();
        assert_eq!(
            moment.to_utc().unwrap().to_rfc3339(),
            "2023-11-07T05:31:56+00:00"
        );
        let epoch: VendorDateTime = serde_json::from_str("1700000000000").unwrap();
        assert_eq!(epoch.to_string(), "2023-11-14T22:13:20Z");
        assert!("2023-11-07".parse::<VendorDateTime>().is_err());
    }

    #[test]
    fn echoed_dates_read_every_form_and_keep_raw_text() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 20);
        for text in [
            "2025-09-20",
            "2025/09/20",
            "2025-9-20",
            "2025-09-20T00:00:00",
        ] {
            assert_eq!(EchoedDate::from(text).date(), day, "{text}");
        }
        for text in ["2025-09/20", "2025-13-01", "2025-02-30", "2025-0a-01"] {
            assert_eq!(EchoedDate::from(text), EchoedDate::Text(text.into()));
        }
        assert_eq!(
            EchoedDate::from("20/09/2025"),
            EchoedDate::Text("20/09/2025".into())
        );
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Sample {
        #[serde(default, deserialize_with = "null_as_default")]
        lines: Vec<u8>,
        #[serde(default, deserialize_with = "null_as_default")]
        flag: bool,
        #[serde(deserialize_with = "integer")]
        id: i64,
        #[serde(default, deserialize_with = "optional_integer")]
        owner: Option<i64>,
    }

    #[test]
    fn nulls_read_as_defaults_and_integers_as_text() {
        let read: Sample =
            serde_json::from_str(r#"{"lines": null, "flag": null, "id": "416", "owner": ""}"#)
                .unwrap();
        assert_eq!(
            read,
            Sample {
                lines: vec![],
                flag: false,
                id: 416,
                owner: None
            }
        );
        let read: Sample = serde_json::from_str(r#"{"id": 7, "owner": "9"}"#).unwrap();
        assert_eq!((read.id, read.owner), (7, Some(9)));
        let wrong = serde_json::from_str::<Sample>(r#"{"id": "seven"}"#).unwrap_err();
        assert!(
            wrong
                .to_string()
                .contains("invalid value: string \"seven\""),
            "{wrong}"
        );
        let wrong = serde_json::from_str::<Sample>(r#"{"id": true}"#).unwrap_err();
        assert!(
            wrong.to_string().contains("invalid type: boolean"),
            "{wrong}"
        );
    }
}
