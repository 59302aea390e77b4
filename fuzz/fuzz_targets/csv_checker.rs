//! Any bytes given to the import-file checker: a result, never a panic; and
//! a file that checks clean is written back to the same rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster::office::{check_csv, read_rows, rows_to_csv};

fuzz_target!(|data: &[u8]| {
    let _ = check_csv(data);
    if let Ok(rows) = read_rows(data) {
        if let Ok(written) = rows_to_csv(&rows) {
            assert_eq!(read_rows(written.as_slice()).ok(), Some(rows));
        }
    }
});
