//! The Office import file as Lucca's guide ("import-and-create-user-
//! locations") describes it: UTF-8 with a byte-order mark, `;` between
//! cells, the exact header names on the first row, dates as `YYYY-MM-DD` or
//! `YYYY/MM/DD`, one row per day or half-day.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::data::ReceivedRow;

/// UTF-8's byte-order mark, which the guide requires.
const BYTE_ORDER_MARK: &[u8] = &[0xEF, 0xBB, 0xBF];

/// The columns the guide names, the required ones first.
const REQUIRED_COLUMNS: [&str; 4] = ["login", "workLocationName", "date", "position"];
const OPTIONAL_COLUMNS: [&str; 3] = ["areaName", "comment", "isDeletion"];
/// Columns the guide's example file and the UI import also carry.
const EXTRA_DOCUMENTED_COLUMNS: [&str; 2] = ["firstName", "lastName"];

/// A date cell in either of the guide's forms.
pub(crate) fn parse_day(cell: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .into_iter()
        .find_map(|format| NaiveDate::parse_from_str(cell, format).ok())
        .filter(|_| cell.len() == 10)
}

/// Reads an uploaded file into rows, or says why the server refuses it (a
/// column the documents do not name among them: the guide asks for exact
/// header names).
pub(crate) fn read_rows(bytes: &[u8]) -> Result<Vec<ReceivedRow>, String> {
    let Some(content) = bytes.strip_prefix(BYTE_ORDER_MARK) else {
        return Err("the file must be encoded in UTF-8 with BOM".into());
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(content);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Err("the file is empty".into()),
        Err(problem) => return Err(format!("the header row cannot be read: {problem}")),
    }
    let mut columns = HashMap::new();
    for (at, name) in record.iter().enumerate() {
        let known = REQUIRED_COLUMNS
            .iter()
            .chain(&OPTIONAL_COLUMNS)
            .chain(&EXTRA_DOCUMENTED_COLUMNS)
            .any(|column| *column == name);
        if !known {
            return Err(format!("unknown column `{name}`"));
        }
        if columns.insert(name.to_owned(), at).is_some() {
            return Err(format!("the column `{name}` appears twice"));
        }
    }
    if let Some(missing) = REQUIRED_COLUMNS
        .iter()
        .find(|name| !columns.contains_key(**name))
    {
        return Err(format!("the column `{missing}` is missing"));
    }
    let mut rows = Vec::new();
    // Lines counted by hand: a quoted cell may hold line breaks.
    let (mut counted_to, mut line) = (0_usize, 1_u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(problem) => return Err(format!("the file cannot be read: {problem}")),
        }
        // The reader's position is where it began: before any blank lines
        // it skipped.
        let mut start = record
            .position()
            .map_or(counted_to, |at| at.byte() as usize);
        while matches!(content.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let between = content.get(counted_to..start).unwrap_or_default();
        line += between.iter().filter(|byte| **byte == b'\n').count() as u64;
        counted_to = start.max(counted_to);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |name: &str| {
            columns
                .get(name)
                .and_then(|at| record.get(*at))
                .unwrap_or_default()
                .to_owned()
        };
        rows.push(ReceivedRow {
            line_number: line,
            login: cell("login"),
            work_location_name: cell("workLocationName"),
            area_name: cell("areaName"),
            date: cell("date"),
            position: cell("position"),
            comment: cell("comment"),
            is_deletion: cell("isDeletion"),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_documented_date_forms_read_and_nothing_else() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 18);
        assert_eq!(parse_day("2025-09-18"), day);
        assert_eq!(parse_day("2025/09/18"), day);
        for other in [
            "18/09/2025",
            "2025-9-18",
            "2025-09-18T00:00:00",
            " 2025-09-18",
            "",
        ] {
            assert_eq!(parse_day(other), None, "{other}");
        }
    }

    #[test]
    fn the_guide_s_example_file_reads_with_its_line_numbers() {
        let file = "\u{feff}login;workLocationName;areaName;date;position;comment;isDeletion\n\
                    jdupont;Paris;Service Client;2025/09/18;FullDay;;false\n\
                    \n\
                    mlefevre;Nantes;B1;2025/09/19;SecondHalf;\"a; quoted\nnote\";false\n";
        let rows = read_rows(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line_number, rows[1].line_number), (2, 4));
        assert_eq!(rows[1].comment, "a; quoted\nnote");
    }

    #[test]
    fn what_the_guide_rules_out_is_refused() {
        let without_bom = "login;workLocationName;date;position\n";
        assert!(read_rows(without_bom.as_bytes()).is_err());
        let missing = "\u{feff}login;workLocationName;date\n";
        assert!(
            read_rows(missing.as_bytes())
                .unwrap_err()
                .contains("position")
        );
        let extra = "\u{feff}login;workLocationName;date;position;firstName;lastName\n";
        assert!(read_rows(extra.as_bytes()).is_ok());
        let unknown = "\u{feff}login;workLocationName;date;position;team\n";
        assert!(read_rows(unknown.as_bytes()).unwrap_err().contains("team"));
    }
}
