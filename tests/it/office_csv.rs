//! Import files: the exact bytes written, and every problem of a bad file
//! reported at once with its line and column.

use chrono::NaiveDate;
use roster::office::types::Position;
use roster::office::{
    CsvError, UserLocationCsvWriter, UserLocationRow, check_csv, read_rows, rows_to_csv, types,
};

use crate::strings::tricky_strings;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn a_file_is_bom_header_and_crlf_rows() {
    let rows = [
        UserLocationRow::new("jdupont", "Paris", day(2025, 9, 18), Position::FullDay)
            .area("Service Client"),
        UserLocationRow::new("mlefevre", "Nantes", day(2025, 9, 19), Position::SecondHalf)
            .area("B1")
            .comment("this is a comment"),
        UserLocationRow::new("pmartin", "Paris", day(2025, 1, 2), Position::FirstHalf).deletion(),
    ];

    let bytes = rows_to_csv(&rows).unwrap();

    assert_eq!(
        bytes,
        b"\xEF\xBB\xBFlogin;workLocationName;areaName;date;position;comment;isDeletion\r\n\
          jdupont;Paris;Service Client;2025/09/18;FullDay;;false\r\n\
          mlefevre;Nantes;B1;2025/09/19;SecondHalf;this is a comment;false\r\n\
          pmartin;Paris;;2025/01/02;FirstHalf;;true\r\n"
    );
}

#[test]
fn cells_with_separators_quotes_or_line_breaks_are_quoted() {
    let row = UserLocationRow::new("a;b", "Pa\"ris", day(2025, 9, 18), Position::FullDay)
        .comment("line 1\nline 2\r\nend");

    let bytes = rows_to_csv([&row]).unwrap();
    let text = String::from_utf8(bytes).unwrap();

    let data = text.split_once("\r\n").unwrap().1;
    assert_eq!(
        data,
        "\"a;b\";\"Pa\"\"ris\";;2025/09/18;FullDay;\"line 1\nline 2\r\nend\";false\r\n"
    );
}

#[test]
fn writing_then_reading_is_identity_for_tricky_strings() {
    let strings = tricky_strings(300);
    let rows: Vec<UserLocationRow> = strings
        .chunks(3)
        .enumerate()
        .map(|(index, chunk)| {
            let login = format!("u{index}{}", chunk[0]);
            let mut row = UserLocationRow::new(
                login,
                format!("L{}", chunk[1 % chunk.len()]),
                day(2025, 1, 1) + chrono::Days::new(index as u64),
                [Position::FullDay, Position::FirstHalf, Position::SecondHalf][index % 3],
            );
            if !chunk[2 % chunk.len()].is_empty() {
                row = row.comment(chunk[2 % chunk.len()].clone());
            }
            if index % 4 == 0 {
                row = row.area(format!("A{}", chunk[0]));
            }
            if index % 5 == 0 {
                row = row.deletion();
            }
            row
        })
        .collect();

    let read = read_rows(rows_to_csv(&rows).unwrap().as_slice()).unwrap();

    assert_eq!(read, rows);
}

#[test]
fn a_row_the_format_cannot_carry_is_refused_before_anything_is_written() {
    let mut writer = UserLocationCsvWriter::new(Vec::new()).unwrap();
    let empty_login = UserLocationRow::new(" ", "Paris", day(2025, 1, 1), Position::FullDay);
    let far_future = UserLocationRow::new("x", "Paris", day(12025, 1, 1), Position::FullDay);

    let first = writer.write_row(&empty_login).unwrap_err();
    let second = writer.write_row(&far_future).unwrap_err();

    assert!(
        matches!(
            first,
            CsvError::EmptyRequired {
                row: 1,
                field: "login"
            }
        ),
        "{first:?}"
    );
    assert!(
        matches!(second, CsvError::DateOutOfRange { row: 1, .. }),
        "{second:?}"
    );
    assert_eq!(writer.rows_written(), 0);
    let bytes = writer.finish().unwrap();
    assert!(
        bytes.ends_with(b"isDeletion\r\n"),
        "only the header was written"
    );
}

const HEADER: &str = "login;workLocationName;areaName;date;position;comment;isDeletion";

fn problems_of(file: &[u8]) -> Vec<(u64, Option<usize>, Option<String>, String)> {
    match check_csv(file) {
        Ok(summary) => panic!("expected problems, the file checked fine: {summary:?}"),
        Err(CsvError::Invalid { problems, .. }) => problems
            .into_iter()
            .map(|problem| (problem.line, problem.column, problem.field, problem.message))
            .collect(),
        Err(other) => panic!("expected problems, got {other:?}"),
    }
}

fn file(lines: &[&str]) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(lines.join("\r\n").as_bytes());
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// Each bad file, and the (line, column, field, part of the message) of its
/// first problem.
#[test]
fn every_bad_input_names_its_line_column_and_field() {
    type Expected<'a> = (u64, Option<usize>, Option<&'a str>, &'a str);
    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        (
            "comma separated",
            file(&[
                "login,workLocationName,date,position",
                "a,b,2025/01/01,FullDay",
            ]),
            (1, None, None, "separated by `,`"),
        ),
        (
            "tab separated",
            file(&["login\tworkLocationName\tdate\tposition"]),
            (1, None, None, "separated by tab"),
        ),
        (
            "missing position column",
            file(&["login;workLocationName;date", "a;Paris;2025/01/01"]),
            (
                1,
                None,
                Some("position"),
                "required column `position` is missing",
            ),
        ),
        (
            "misspelled header",
            file(&[
                "login;worklocationname;date;position",
                "a;Paris;2025/01/01;FullDay",
            ]),
            (
                1,
                Some(2),
                Some("workLocationName"),
                "is `worklocationname` a misspelling? did you mean `workLocationName`?",
            ),
        ),
        (
            "duplicate column",
            file(&[
                "login;workLocationName;date;position;date",
                "a;P;2025/01/01;FullDay;2025/01/01",
            ]),
            (1, Some(5), Some("date"), "appears twice"),
        ),
        (
            "bad month",
            file(&[HEADER, "a;Paris;;2025/13/01;FullDay;;false"]),
            (2, Some(4), Some("date"), "`2025/13/01` is not a date"),
        ),
        (
            "day first",
            file(&[HEADER, "a;Paris;;18/09/2025;FullDay;;false"]),
            (
                2,
                Some(4),
                Some("date"),
                "not a date as YYYY/MM/DD or YYYY-MM-DD",
            ),
        ),
        (
            "short month",
            file(&[HEADER, "a;Paris;;2025-9-18;FullDay;;false"]),
            (2, Some(4), Some("date"), "`2025-9-18`"),
        ),
        (
            "unknown position",
            file(&[HEADER, "a;Paris;;2025/09/18;AllDay;;false"]),
            (2, Some(5), Some("position"), "`AllDay` is not a position"),
        ),
        (
            "lower-case position",
            file(&[HEADER, "a;Paris;;2025/09/18;fullday;;false"]),
            (
                2,
                Some(5),
                Some("position"),
                "FullDay, FirstHalf or SecondHalf",
            ),
        ),
        (
            "empty login",
            file(&[HEADER, ";Paris;;2025/09/18;FullDay;;false"]),
            (2, Some(1), Some("login"), "is empty; it is required"),
        ),
        (
            "blank work location",
            file(&[HEADER, "a;  ;;2025/09/18;FullDay;;false"]),
            (2, Some(2), Some("workLocationName"), "is empty"),
        ),
        (
            "empty date",
            file(&[HEADER, "a;Paris;;;FullDay;;false"]),
            (2, Some(4), Some("date"), "is empty"),
        ),
        (
            "bad boolean",
            file(&[HEADER, "a;Paris;;2025/09/18;FullDay;;yes"]),
            (2, Some(7), Some("isDeletion"), "`yes` is not a boolean"),
        ),
        (
            "unquoted separator",
            file(&[HEADER, "a;Paris;;2025/09/18;FullDay;a;b;false"]),
            (2, None, None, "8 cell(s), the header has 7"),
        ),
        (
            "too few cells",
            file(&[HEADER, "a;Paris;;2025/09/18"]),
            (2, None, None, "4 cell(s), the header has 7"),
        ),
        (
            "bad row after good ones",
            file(&[
                HEADER,
                "a;Paris;;2025/09/18;FullDay;;false",
                "b;Paris;;2025/09/18;FullDay;;false",
                "c;Paris;;2025/02/30;FullDay;;false",
            ]),
            (4, Some(4), Some("date"), "`2025/02/30`"),
        ),
        (
            "multi-line cell shifts lines",
            file(&[
                HEADER,
                "a;Paris;;2025/09/18;FullDay;\"two\nlines\";false",
                "b;Paris;;2025/09/18;Noon;;false",
            ]),
            (4, Some(5), Some("position"), "`Noon`"),
        ),
        (
            "invalid UTF-8",
            [
                file(&[HEADER]),
                b"a;Par\xFFis;;2025/09/18;FullDay;;false\r\n".to_vec(),
            ]
            .concat(),
            (
                2,
                None,
                None,
                "the file is not UTF-8 (from this line on); it looks like Windows-1252",
            ),
        ),
        (
            "unterminated quote",
            file(&[
                HEADER,
                "a;Paris;;2025/09/18;FullDay;\"an open comment;false",
                "b;Paris;;2025/09/19;FullDay;;false",
                "c;Paris;;2025/09/20;FullDay;;false",
            ]),
            (2, None, None, "a quote opened on this line is never closed"),
        ),
        (
            "unterminated quote in the last column",
            file(&[
                "login;workLocationName;date;position;comment",
                "a;Paris;2025/09/18;FullDay;\"an open comment",
                "b;Paris;2025/09/19;FullDay;",
                "c;Paris;2025/09/20;FullDay;",
            ]),
            (2, None, None, "a quote opened on this line is never closed"),
        ),
        (
            "empty file",
            b"\xEF\xBB\xBF".to_vec(),
            (1, None, None, "the file is empty"),
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, bytes, (line, column, field, message)) in cases {
        let problems = problems_of(&bytes);
        assert_eq!(problems.len(), 1, "{name}: {problems:#?}");
        let (got_line, got_column, got_field, got_message) = &problems[0];
        assert_eq!(*got_line, line, "{name}: {got_message}");
        assert_eq!(*got_column, column, "{name}: {got_message}");
        assert_eq!(got_field.as_deref(), field, "{name}: {got_message}");
        assert!(
            got_message.contains(message),
            "{name}: {got_message:?} lacks {message:?}"
        );
    }
}

#[test]
fn a_stray_quote_inside_a_cell_is_not_an_open_quote() {
    let bytes = file(&[HEADER, "a;Paris;;2025/09/18;FullDay;a 27\" screen;false"]);
    assert_eq!(check_csv(&bytes[..]).unwrap().rows, 1);
}

#[test]
fn columns_beyond_the_seven_are_sent_with_a_warning() {
    let bytes = file(&[
        "login;firstName;lastName;workLocationName;date;position;team",
        "jdupont;Jean;Dupont;Paris;2025/09/18;FullDay;blue",
    ]);

    let summary = check_csv(&bytes[..]).unwrap();

    assert_eq!(summary.rows, 1);
    let warned: Vec<_> = summary
        .warnings
        .iter()
        .map(|warning| (warning.column, warning.field.as_deref()))
        .collect();
    assert_eq!(
        warned,
        [
            (Some(2), Some("firstName")),
            (Some(3), Some("lastName")),
            (Some(7), Some("team"))
        ]
    );
    assert!(summary.warnings[2].message.contains("Lucca may refuse it"));
}

#[test]
fn a_windows_1252_file_is_one_problem_and_can_be_sent_transcoded() {
    let latin = [
        file(&[HEADER]),
        b"a;Orl\xE9ans;;2025/09/18;FullDay;caf\xE9;false\r\nb;N\xEEmes;;2025/09/18;FullDay;;false\r\n"
            .to_vec(),
    ]
    .concat();

    let problems = problems_of(&latin);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].3.contains("Windows-1252"));

    let transcoded = roster::office::transcode_windows_1252(&latin);
    let rows = roster::office::read_rows(&transcoded[..]).unwrap();
    assert_eq!(rows[0].work_location_name, "Orléans");
    assert_eq!(rows[0].comment.as_deref(), Some("café"));
    assert_eq!(rows[1].work_location_name, "Nîmes");
    assert_eq!(
        transcoded
            .windows(3)
            .filter(|w| *w == b"\xEF\xBB\xBF")
            .count(),
        1
    );
}

#[test]
fn all_problems_of_a_file_come_back_at_once() {
    let bytes = file(&[
        HEADER,
        ";Paris;;2025/09/18;FullDay;;false",
        "b;Paris;;2025/99/18;Noon;;maybe",
        "c;Paris;;2025/09/18;FullDay;;false",
        "d;;;2025/09/18;FullDay;;false",
    ]);

    let error = check_csv(bytes.as_slice()).unwrap_err();

    let at: Vec<(u64, Option<usize>)> = error
        .problems()
        .iter()
        .map(|p| (p.line, p.column))
        .collect();
    assert_eq!(
        at,
        [
            (2, Some(1)),
            (3, Some(4)),
            (3, Some(5)),
            (3, Some(7)),
            (5, Some(2))
        ]
    );
    let text = error.to_string();
    assert!(
        text.starts_with("the import file has 5 problem(s):"),
        "{text}"
    );
    assert!(
        text.contains("\n  3:5: position: `Noon` is not a position"),
        "{text}"
    );
}

#[test]
fn problems_have_the_shape_of_the_servers_error_lines() {
    let bytes = file(&[HEADER, "a;Paris;;2025/09/18;Noon;;false"]);
    let error = check_csv(bytes.as_slice()).unwrap_err();

    let line = types::ErrorLine::from(&error.problems()[0]);

    assert_eq!(line.line_number, Some(2));
    assert!(line.error.unwrap().contains("`Noon` is not a position"));
}

#[test]
fn a_good_file_checks_with_or_without_bom_and_in_both_date_formats() {
    let with_bom = file(&[
        HEADER,
        "a;Paris;;2025/09/18;FullDay;;",
        "b;Nantes;B1;2025-09-19;FirstHalf;x;TRUE",
    ]);
    let without_bom = with_bom[3..].to_vec();

    let summary = check_csv(with_bom.as_slice()).unwrap();
    let bare = check_csv(without_bom.as_slice()).unwrap();

    assert_eq!(
        (summary.rows, summary.deletions, summary.has_bom),
        (2, 1, true)
    );
    assert_eq!((bare.rows, bare.deletions, bare.has_bom), (2, 1, false));
    let rows = read_rows(without_bom.as_slice()).unwrap();
    assert_eq!(rows[1].date, day(2025, 9, 19));
    assert_eq!(rows[1].area_name.as_deref(), Some("B1"));
    assert_eq!(rows[0].comment, None);
}

#[test]
fn optional_columns_may_be_left_out_and_reordered() {
    let bytes = file(&[
        "position;date;login;workLocationName",
        "SecondHalf;2025/09/18;a;Paris",
    ]);

    let rows = read_rows(bytes.as_slice()).unwrap();

    assert_eq!(
        rows,
        [UserLocationRow::new(
            "a",
            "Paris",
            day(2025, 9, 18),
            Position::SecondHalf
        )]
    );
}

#[test]
fn a_huge_bad_file_keeps_a_bounded_list_and_counts_the_rest() {
    let mut lines = vec![HEADER.to_owned()];
    lines.extend((0..1500).map(|index| format!("u{index};Paris;;not-a-date;FullDay;;false")));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();

    let error = check_csv(file(&refs).as_slice()).unwrap_err();

    let CsvError::Invalid {
        problems, omitted, ..
    } = error
    else {
        panic!()
    };
    assert_eq!(problems.len(), roster::office::MAX_PROBLEMS);
    assert_eq!(omitted, 500);
}
