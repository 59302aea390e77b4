//! The catalogue of malformed inputs: each gives a typed error that names
//! where and what, never a panic.

use std::error::Error;

use chrono::NaiveDate;
use roster::CsvFileName;
use roster::directory::{self, Fields, UserPatch};
use roster::docutools::types::UserAttribute;
use roster::docutools::{ColumnMap, CsvEncoding, UsersCsv};
use roster::office::types::Position;
use roster::office::{UserLocationRow, check_csv, rows_to_csv};
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

/// One test per bad input (so that one failure hides none of the others):
/// the error it gets says where and what.
macro_rules! bad_input {
    ($($name:ident: $got:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            let got: String = $got;
            let expected: &str = $expected;
            assert!(got.contains(expected), "{got:?} does not say {expected:?}");
        }
    )*};
}

bad_input! {
    // Import files: line, column, field.
    csv_comma_separated: csv_problem(&["login,workLocationName,date,position"]) => "1: cells are separated by `,`";
    csv_tab_separated: csv_problem(&["login\tdate"]) => "separated by tab";
    csv_missing_column: csv_problem(&["login;workLocationName;date"]) => "1: position: the required column";
    csv_misspelled_column: csv_problem(&["login;workLocationName;date;positon"]) => "did you mean `position`";
    csv_duplicate_column: csv_problem(&["login;login;workLocationName;date;position"]) => "1:2: login: this column appears twice";
    csv_bad_date: csv_problem(&[HEADER, "a;P;;2025/02/30;FullDay;;false"]) => "2:4: date: ";
    csv_date_with_time: csv_problem(&[HEADER, "a;P;;2025-09-18T00:00;FullDay;;false"]) => "2:4: date: ";
    csv_unknown_position: csv_problem(&[HEADER, "a;P;;2025/09/18;Morning;;false"]) => "2:5: position: `Morning`";
    csv_empty_login: csv_problem(&[HEADER, ";P;;2025/09/18;FullDay;;false"]) => "2:1: login: is empty";
    csv_bad_boolean: csv_problem(&[HEADER, "a;P;;2025/09/18;FullDay;;1"]) => "2:7: isDeletion: `1`";
    csv_extra_cell: csv_problem(&[HEADER, "a;P;;2025/09/18;FullDay;;false;x"]) => "2: 8 cell(s), the header has 7";
    csv_unclosed_quote: csv_problem(&[HEADER, "a;\"P;;2025/09/18;FullDay;;false"]) => "2: ";
    csv_invalid_utf_8: failure(check_csv(
                [
                    csv_file(&[HEADER]),
                    b"a;P\xC3;;2025/09/18;FullDay;;false\r\n".to_vec(),
                ]
                .concat()
                .as_slice(),
            )) => "2: the file is not UTF-8";
    csv_empty_file: failure(check_csv(&b""[..])) => "the file is empty";
    // Typed rows.
    row_blank_login: failure(rows_to_csv([&UserLocationRow::new(
                " ",
                "Paris",
                day(),
                Position::FullDay,
            )])) => "row 1: `login` is empty";
    row_blank_work_location: failure(rows_to_csv([&UserLocationRow::new(
                "a",
                "",
                day(),
                Position::FullDay,
            )])) => "row 1: `workLocationName` is empty";
    row_year_10000: failure(rows_to_csv([&UserLocationRow::new(
                "a",
                "P",
                NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
                Position::FullDay,
            )])) => "row 1: the date +10000-01-01 is outside";
    // File names.
    file_name_cr_lf: failure(CsvFileName::new("a\r\nb.csv")) => "a control character at character 2";
    file_name_nul: failure(CsvFileName::new("a\u{0}.csv")) => "a control character";
    file_name_path: failure(CsvFileName::new("../x.csv")) => "a path separator at character 3";
    file_name_empty: failure(CsvFileName::new("")) => "the file name is empty";
    file_name_too_long: failure(CsvFileName::new("é".repeat(200))) => "400 bytes long";
    // Base URLs.
    url_plain_http: failure(BaseUrl::parse("http://acme.ilucca.net")) => "must use https";
    url_private_http: failure(BaseUrl::parse("http://192.168.0.10")) => "must use https";
    url_ftp: failure(BaseUrl::parse("ftp://acme.ilucca.net")) => "its scheme must be https";
    url_not_a_url: failure(BaseUrl::parse("https://")) => "is not a URL";
    url_credentials: failure(BaseUrl::parse("https://u:p4ss@acme.ilucca.net")) => "must not hold a user name or password";
    url_query: failure(BaseUrl::parse("https://acme.ilucca.net/?key=1")) => "must not have a query";
    url_spaces: failure(BaseUrl::parse("https://ac me.ilucca.net")) => "is not a URL";
    // Ids, dates, ranges, codes.
    // A patch's bounds, from the spec's `UserUpdate`.
    culture_id_too_small: failure(UserPatch::new().culture_id(1000).to_json()) => "`cultureID`: 1000 is below 1025";
    culture_id_too_large: failure(UserPatch::new().culture_id(70000).to_json()) => "`cultureID`: 70000 is above 58380";
    country_three_letters: failure(UserPatch::new().nationality_id("FRA").to_json()) => "`nationalityId`: \"FRA\" is not a two-letter ISO 3166-1 country code";
    country_one_letter: failure(UserPatch::new().nationality_id("F").to_json()) => "`nationalityId`: \"F\" is not a two-letter ISO 3166-1 country code";
    patch_empty_first_name: failure(UserPatch::new().first_name("").to_json()) => "`firstName`: \"\" is shorter than 1 character(s)";
    patch_zero_calendar: failure(UserPatch::new().calendar_id(0).to_json()) => "`calendarId`: 0 is below 1";
    patch_negative_department: failure(UserPatch::new().department_id(-5).to_json()) => "`departmentId`: -5 is below 1";
    fields_bracket_in_a_name: failure(Fields::new().with("manager[id").to_query()) => "\"manager[id\" is not a property name";
    fields_comma_in_a_name: failure(
                Fields::new()
                    .nested("manager", Fields::new().with("id,name"))
                    .to_query(),
            ) => "\"id,name\"";
    // Column mappings.
    mapping_missing_column: failure(
                ColumnMap::new()
                    .map("Mail", UserAttribute::Email)
                    .check(&["Email".into()]),
            ) => "the column `Mail` is not in the file";
    mapping_no_identity: failure(
                ColumnMap::new()
                    .map("Name", UserAttribute::Name)
                    .check(&["Name".into()]),
            ) => "map a column to Email or Username";
    // Encodings and sizes.
    encoding_not_utf_8: failure(UsersCsv::from_bytes(
                b"Email\r\nZo\xEB\r\n",
                CsvEncoding::Utf8,
            )) => "2: not valid UTF-8 (byte 9 of the file)";
    delimiter_not_ascii: failure(
                UsersCsv::from_bytes(b"a", CsvEncoding::Utf8)
                    .unwrap()
                    .with_delimiter('§'),
            ) => "the delimiter '§'";
    split_record_over_the_limit: failure(
                UsersCsv::from_bytes(
                    format!("E\r\n{}\r\n", "x".repeat(99)).as_bytes(),
                    CsvEncoding::Utf8,
                )
                .unwrap()
                .split(50),
            ) => "2: the record is";
    // Control characters, located; long values quoted short.
    csv_nul_in_a_cell: csv_problem(&[HEADER, "jdu\u{0}pont;Paris;;2025/09/18;FullDay;;false"]) => "2:1: login: holds the control character U+0000 at character 4";
    row_nul_in_a_comment: failure(rows_to_csv(&[UserLocationRow::new("jdupont", "Paris", day(), Position::FullDay).comment("a\u{1}b")])) => "row 1: `comment` holds the control character U+0001 at character 2";
    users_file_nul: failure(UsersCsv::from_bytes(b"Email\r\na@b.example\r\nc\x00@d.example\r\n", CsvEncoding::Utf8)) => "3:2: the control character U+0000";
    csv_long_column_quoted_short: {
        let summary = check_csv(csv_file(&[&format!("{HEADER};{}", "x".repeat(100_000))]).as_slice()).unwrap();
        summary.warnings[0].message.clone()
    } => "… (100000 bytes)`: it is sent as it is";
    csv_long_date_quoted_short: {
        let got = csv_problem(&[HEADER, &format!("jdupont;Paris;;{};FullDay;;false", "9".repeat(100_000))]);
        assert!(got.len() < 1000, "{} bytes", got.len());
        got
    } => "… (100000 bytes)` is not a date";
    mapping_long_columns_quoted_short: {
        let columns: Vec<String> = (0..50).map(|index| format!("{index}{}", "c".repeat(10_000))).collect();
        let got = failure(ColumnMap::new().map("Mail", UserAttribute::Email).check(&columns));
        assert!(got.len() < 2000, "{} bytes", got.len());
        got
    } => "and 40 more";
    sync_long_column_quoted_short: {
        let header = format!("mail;{}\n", "j".repeat(100_000));
        let got = failure(directory::DesiredUsers::from_csv_bytes(header.as_bytes()));
        assert!(got.len() < 1000, "{} bytes", got.len());
        got
    } => "… (100000 bytes)` is no field of a Lucca user";
    // Responses.
    response_not_json: failure(directory::parse_enveloped::<directory::types::User>(
                b"<html>",
            )) => "expected value at line 1 column 1";
    response_wrong_type: failure(directory::parse_enveloped::<directory::types::User>(
                br#"{"data": {"id": true}}"#,
            )) => "invalid type";
    response_truncated: failure(directory::parse_enveloped::<directory::types::UserList>(
                br#"{"data": {"items": [{"id": 1"#,
            )) => "EOF while parsing";
    response_array_for_object: failure(serde_json::from_slice::<roster::office::types::ImportResults>(b"[]")) => "expected struct ImportResults";
    response_not_a_date_time: failure(serde_json::from_slice::<directory::types::User>(
                br#"{"modifiedAt": "yesterday"}"#,
            )) => "`yesterday` is not a date-time";
    // Configuration.
    config_key_with_a_line_break: failure(
                LuccaConfig::new("https://acme.ilucca.net", LuccaApiKey::new("a\nb"))
                    .unwrap()
                    .http_client(),
            ) => "the Lucca API key holds characters an HTTP header cannot carry";
}
