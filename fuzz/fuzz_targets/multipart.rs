//! Any file name, as `CsvFileName` encodes it, in the multipart part the
//! import sends (`files`, `text/csv`): the body always parses back to one
//! `files` part with the same bytes and, decoded, the same name.
#![no_main]

use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use roster::CsvFileName;

fuzz_target!(|input: (String, Vec<u8>)| {
    let (name, content) = input;
    let Ok(name) = CsvFileName::new(name) else { return };
    let part = reqwest::multipart::Part::bytes(content.clone())
        .file_name(name.encoded().to_owned())
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("files", part);
    let mut request = reqwest::Client::new()
        .post("http://127.0.0.1:9/")
        .multipart(form)
        .build()
        .unwrap();
    let boundary = request.headers()["content-type"].to_str().unwrap().to_owned();
    let body = request.body_mut().take().unwrap();
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        let bytes = body.collect().await.unwrap().to_bytes();
        let boundary = multer::parse_boundary(&boundary).unwrap();
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let field = multipart.next_field().await.unwrap().unwrap();
        assert_eq!(field.name(), Some("files"));
        let sent_name = field.file_name().unwrap().to_owned();
        assert_eq!(field.bytes().await.unwrap().as_ref(), content.as_slice());
        assert!(multipart.next_field().await.unwrap().is_none());
        let decoded = percent_encoding::percent_decode_str(&sent_name).decode_utf8().unwrap();
        assert_eq!(decoded, name.as_str());
    });
});
