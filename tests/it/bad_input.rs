//! The catalogue of malformed inputs: each gives a typed error that names
//! where and what, never a panic.

use std::error::Error;

use chrono::NaiveDate;
use roster::directory::{self, CountryCode, CultureId, Fields, UserPatch};
use roster::docutools::types::UserAttribute;
use roster::docutools::{ColumnMap, CsvEncoding, UsersCsv};
use roster::office::types::Position;
use roster::office::{CsvFileName, UserLocationRow, check_csv, rows_to_csv};
use roster::{BaseUrl, LuccaApiKey, LuccaConfig};

fn failure<T: std::fmt::Debug, E: Error>(result: Result<T, E>) -> String {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => crate::support::error_chain(&error),
    }
}

const HEADER: &str = "login;workLocationName;areaName;date;position;comment;isDeletion";

fn csv_file(lines: &[&str]) -> Vec<u8> {
    [
        b"\xEF\xBB\xBF".as_slice(),
        lines.join("\r\n").as_bytes(),
        b"\r\n",
    ]
    .concat()
}

fn csv_problem(lines: &[&str]) -> String {
    failure(check_csv(csv_file(lines).as_slice()))
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 18).unwrap()
}

#[test]
fn every_malformed_input_gets_a_typed_error_that_says_where_and_what() {
    let catalogue: Vec<(&str, String, &str)> = vec![
        // Import files: line, column, field.
        (
            "csv: comma separated",
            csv_problem(&["login,workLocationName,date,position"]),
            "line 1: cells are separated by `,`",
        ),
        (
            "csv: tab separated",
            csv_problem(&["login\tdate"]),
            "separated by tab",
        ),
        (
            "csv: missing column",
            csv_problem(&["login;workLocationName;date"]),
            "line 1 (position): the required column",
        ),
        (
            "csv: misspelled column",
            csv_problem(&["login;workLocationName;date;positon"]),
            "did you mean `position`",
        ),
        (
            "csv: duplicate column",
            csv_problem(&["login;login;workLocationName;date;position"]),
            "line 1, column 2 (login): this column appears twice",
        ),
        (
            "csv: bad date",
            csv_problem(&[HEADER, "a;P;;2025/02/30;FullDay;;false"]),
            "line 2, column 4 (date)",
        ),
        (
            "csv: date with time",
            csv_problem(&[HEADER, "a;P;;2025-09-18T00:00;FullDay;;false"]),
            "line 2, column 4 (date)",
        ),
        (
            "csv: unknown position",
            csv_problem(&[HEADER, "a;P;;2025/09/18;Morning;;false"]),
            "line 2, column 5 (position): `Morning`",
        ),
        (
            "csv: empty login",
            csv_problem(&[HEADER, ";P;;2025/09/18;FullDay;;false"]),
            "line 2, column 1 (login): is empty",
        ),
        (
            "csv: bad boolean",
            csv_problem(&[HEADER, "a;P;;2025/09/18;FullDay;;1"]),
            "line 2, column 7 (isDeletion): `1`",
        ),
        (
            "csv: extra cell",
            csv_problem(&[HEADER, "a;P;;2025/09/18;FullDay;;false;x"]),
            "line 2: 8 cell(s), the header has 7",
        ),
        (
            "csv: unclosed quote",
            csv_problem(&[HEADER, "a;\"P;;2025/09/18;FullDay;;false"]),
            "line 2",
        ),
        (
            "csv: invalid UTF-8",
            failure(check_csv(
                [
                    csv_file(&[HEADER]),
                    b"a;P\xC3;;2025/09/18;FullDay;;false\r\n".to_vec(),
                ]
                .concat()
                .as_slice(),
            )),
            "line 2: the file is not UTF-8",
        ),
        (
            "csv: empty file",
            failure(check_csv(&b""[..])),
            "the file is empty",
        ),
        // Typed rows.
        (
            "row: blank login",
            failure(rows_to_csv([&UserLocationRow::new(
                " ",
                "Paris",
                day(),
                Position::FullDay,
            )])),
            "row 1: `login` is empty",
        ),
        (
            "row: blank work location",
            failure(rows_to_csv([&UserLocationRow::new(
                "a",
                "",
                day(),
                Position::FullDay,
            )])),
            "row 1: `workLocationName` is empty",
        ),
        (
            "row: year 10000",
            failure(rows_to_csv([&UserLocationRow::new(
                "a",
                "P",
                NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
                Position::FullDay,
            )])),
            "row 1: the date +10000-01-01 is outside",
        ),
        // File names.
        (
            "file name: CR LF",
            failure(CsvFileName::new("a\r\nb.csv")),
            "a control character at character 2",
        ),
        (
            "file name: NUL",
            failure(CsvFileName::new("a\u{0}.csv")),
            "a control character",
        ),
        (
            "file name: path",
            failure(CsvFileName::new("../x.csv")),
            "a path separator at character 3",
        ),
        (
            "file name: empty",
            failure(CsvFileName::new("")),
            "the file name is empty",
        ),
        (
            "file name: too long",
            failure(CsvFileName::new("é".repeat(200))),
            "400 bytes long",
        ),
        // Base URLs.
        (
            "url: plain http",
            failure(BaseUrl::parse("http://acme.ilucca.net")),
            "must use https",
        ),
        (
            "url: private http",
            failure(BaseUrl::parse("http://192.168.0.10")),
            "must use https",
        ),
        (
            "url: ftp",
            failure(BaseUrl::parse("ftp://acme.ilucca.net")),
            "its scheme must be https",
        ),
        (
            "url: not a URL",
            failure(BaseUrl::parse("https://")),
            "is not a URL",
        ),
        (
            "url: credentials",
            failure(BaseUrl::parse("https://u:p4ss@acme.ilucca.net")),
            "must not hold a user name or password",
        ),
        (
            "url: query",
            failure(BaseUrl::parse("https://acme.ilucca.net/?key=1")),
            "must not have a query",
        ),
        (
            "url: spaces",
            failure(BaseUrl::parse("https://ac me.ilucca.net")),
            "is not a URL",
        ),
        // Ids, dates, ranges, codes.
        (
            "culture id: too small",
            failure(CultureId::new(1000)),
            "`cultureID`: 1000 is outside 1025 to 58380",
        ),
        (
            "culture id: too large",
            failure(CultureId::new(70000)),
            "70000 is outside",
        ),
        (
            "country: three letters",
            failure(CountryCode::new("FRA")),
            "`nationalityId`: \"FRA\" is not a two-letter",
        ),
        (
            "country: digits",
            failure(CountryCode::new("F1")),
            "is not a two-letter",
        ),
        (
            "patch: empty first name",
            failure(UserPatch::new().first_name("").to_json()),
            "`firstName`: must not be empty",
        ),
        (
            "patch: zero manager",
            failure(UserPatch::new().manager_id(0).to_json()),
            "`managerId`: 0 is not an id",
        ),
        (
            "patch: negative role",
            failure(UserPatch::new().habilited_roles(&[1, -5]).to_json()),
            "`habilitedRoles`: -5 is not a role id",
        ),
        (
            "fields: bracket in a name",
            failure(Fields::new().with("manager[id").to_query()),
            "\"manager[id\" is not a property name",
        ),
        (
            "fields: comma in a name",
            failure(
                Fields::new()
                    .nested("manager", Fields::new().with("id,name"))
                    .to_query(),
            ),
            "\"id,name\"",
        ),
        // Column mappings.
        (
            "mapping: missing column",
            failure(
                ColumnMap::new()
                    .map("Mail", UserAttribute::Email)
                    .check(&["Email".into()]),
            ),
            "the column \"Mail\" is not in the file",
        ),
        (
            "mapping: no identity",
            failure(
                ColumnMap::new()
                    .map("Name", UserAttribute::Name)
                    .check(&["Name".into()]),
            ),
            "map a column to Email or Username",
        ),
        // Encodings and sizes.
        (
            "encoding: not UTF-8",
            failure(UsersCsv::from_bytes(
                b"Email\r\nZo\xEB\r\n",
                CsvEncoding::Utf8,
            )),
            "not valid UTF-8 at line 2, byte 9",
        ),
        (
            "delimiter: not ASCII",
            failure(
                UsersCsv::from_bytes(b"a", CsvEncoding::Utf8)
                    .unwrap()
                    .with_delimiter('§'),
            ),
            "the delimiter '§'",
        ),
        (
            "split: record over the limit",
            failure(
                UsersCsv::from_bytes(
                    format!("E\r\n{}\r\n", "x".repeat(99)).as_bytes(),
                    CsvEncoding::Utf8,
                )
                .unwrap()
                .split(50),
            ),
            "the record at line 2 is",
        ),
        // Responses.
        (
            "response: not JSON",
            failure(directory::parse_enveloped::<directory::types::User>(
                b"<html>",
            )),
            "expected value at line 1 column 1",
        ),
        (
            "response: wrong type",
            failure(directory::parse_enveloped::<directory::types::User>(
                br#"{"data": {"id": true}}"#,
            )),
            "invalid type",
        ),
        (
            "response: truncated",
            failure(directory::parse_enveloped::<directory::types::UserList>(
                br#"{"data": {"items": [{"id": 1"#,
            )),
            "EOF while parsing",
        ),
        (
            "response: array for object",
            failure(serde_json::from_slice::<roster::office::types::ImportResults>(b"[]")),
            "expected struct ImportResults",
        ),
        (
            "response: not a date-time",
            failure(serde_json::from_slice::<directory::types::User>(
                br#"{"modifiedAt": "yesterday"}"#,
            )),
            "`yesterday` is not a date-time",
        ),
        // Configuration.
        (
            "config: key with a line break",
            failure(
                LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("a\nb"))
                    .unwrap()
                    .http_client(),
            ),
            "the Lucca API key holds characters an HTTP header cannot carry",
        ),
    ];
    assert!(catalogue.len() >= 40, "{} inputs", catalogue.len());
    for (name, got, expected) in &catalogue {
        assert!(
            got.contains(expected),
            "{name}: {got:?} does not say {expected:?}"
        );
    }
}
