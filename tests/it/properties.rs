//! Properties over generated inputs: CSV writing then reading is identity,
//! multipart bodies always parse back to the same part, and no input makes
//! the CSV checker, the splitter or response parsing panic.

use chrono::NaiveDate;
use proptest::prelude::*;
use roster::CsvFileName;
use roster::office::types::Position;
use roster::office::{CsvSource, UserLocationRow, check_csv, read_rows, rows_to_csv};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z;\"\\r\\n ,é😀\\t]{0,12}"]
}

fn required_text() -> impl Strategy<Value = String> {
    text().prop_filter("a required cell has a non-blank value", |value| {
        !value.trim().is_empty()
    })
}

fn optional_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        text().prop_filter("an empty cell reads as absent", |value| !value.is_empty()),
    )
}

fn row() -> impl Strategy<Value = UserLocationRow> {
    (
        required_text(),
        required_text(),
        optional_text(),
        0..3_000_000_u32,
        prop_oneof![
            Just(Position::FullDay),
            Just(Position::FirstHalf),
            Just(Position::SecondHalf)
        ],
        optional_text(),
        any::<bool>(),
    )
        .prop_map(
            |(login, place, area, days, position, comment, is_deletion)| UserLocationRow {
                login,
                work_location_name: place,
                area_name: area,
                date: NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
                    + chrono::Days::new(u64::from(days)),
                position,
                comment,
                is_deletion,
            },
        )
}

proptest! {
    #[test]
    fn writing_then_reading_rows_is_identity(rows in proptest::collection::vec(row(), 0..20)) {
        let bytes = rows_to_csv(&rows).unwrap();
        prop_assert_eq!(read_rows(bytes.as_slice()).unwrap(), rows);
    }

    #[test]
    fn the_checker_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = check_csv(bytes.as_slice());
        let mut with_header = b"\xEF\xBB\xBFlogin;workLocationName;date;position\r\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = check_csv(with_header.as_slice());
        let _ = read_rows(with_header.as_slice());
    }

    #[test]
    fn answers_never_make_parsing_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<roster::office::types::ImportResults>(&bytes);
        let _ = serde_json::from_slice::<roster::office::types::ImportAnalysis>(&bytes);
        let _ = roster::directory::parse_enveloped::<roster::directory::types::User>(&bytes);
        let _ = serde_json::from_slice::<Vec<roster::docutools::types::User>>(&bytes);
    }

    #[test]
    fn the_splitter_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), limit in 1..300_usize) {
        // A control character is refused (located), never split.
        let Ok(csv) = roster::docutools::UsersCsv::from_bytes(&bytes, roster::docutools::CsvEncoding::Detect) else {
            return Ok(());
        };
        if let Ok(parts) = csv.split(limit) {
            prop_assert!(parts.iter().all(|part| part.len() <= limit || parts.len() == 1));
        }
    }
}

fn file_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ;\"%éü日.,()_-]{1,30}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn multipart_bodies_parse_back_to_the_same_part(comment in "\\PC{0,300}", bom in any::<bool>(), name in file_name()) {
        // Any file the check takes (a comment of any printable text), with
        // or without its BOM.
        let day = chrono::NaiveDate::from_ymd_opt(2025, 9, 18).unwrap();
        let row = UserLocationRow::new("jdupont", "Paris", day, roster::office::types::Position::FullDay).comment(comment);
        let file = rows_to_csv([&row]).unwrap();
        let content = if bom { file.clone() } else { file[3..].to_vec() };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let name = CsvFileName::new(name).unwrap();
            let (base_url, request) = crate::capture::serve_once(200, r#"{"summaryId": "51564472-08cc-4410-94cc-a2b67f77f980"}"#).await;
            let office: roster::office::Client = roster::LuccaConfig::new(&base_url, roster::LuccaApiKey::new("k"))
                .unwrap()
                .client()
                .unwrap();
            let upload = CsvSource::bytes(content.clone()).with_file_name(name.clone());
            office.import_user_locations(upload).send().await.unwrap();
            let request = request.await.unwrap();

            let content_type = request.header_values("content-type")[0].to_owned();
            let boundary = multer::parse_boundary(&content_type).unwrap();
            let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(request.body)) });
            let mut multipart = multer::Multipart::new(body, boundary);
            let field = multipart.next_field().await.unwrap().expect("one part");
            assert_eq!(field.name(), Some("files"));
            assert_eq!(field.file_name(), Some(name.encoded()));
            assert_eq!(field.content_type().map(ToString::to_string).as_deref(), Some("text/csv"));
            // Every source starts with exactly one BOM.
            let expected = if content.starts_with(b"\xEF\xBB\xBF") {
                content.clone()
            } else {
                [&b"\xEF\xBB\xBF"[..], &content].concat()
            };
            assert_eq!(field.bytes().await.unwrap().as_ref(), expected.as_slice());
            assert!(multipart.next_field().await.unwrap().is_none(), "exactly one part");
            let decoded = percent_encoding::percent_decode_str(name.encoded()).decode_utf8().unwrap();
            assert_eq!(decoded, name.as_str());
        });
    }
}
