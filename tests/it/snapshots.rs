//! The generated code, snapshotted: a spec change shows up as a reviewable
//! diff (`cargo insta review`) and fails this test until it is accepted.

macro_rules! generated {
    ($module:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/", $module, ".rs"))
    };
}

#[test]
fn office_generated_code() {
    insta::assert_snapshot!("office", generated!("office"));
}

#[test]
fn directory_generated_code() {
    insta::assert_snapshot!("directory", generated!("directory"));
}

#[test]
fn docutools_generated_code() {
    insta::assert_snapshot!("docutools", generated!("docutools"));
}
