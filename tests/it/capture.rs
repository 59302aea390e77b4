//! A loopback server that answers one request with a fixed JSON body and
//! hands back what it received, byte for byte, to check what the SDK sends.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as received.
#[derive(Debug)]
pub struct Captured {
    pub request_line: String,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it came chunked.
    pub body: Vec<u8>,
}

impl Captured {
    /// Every value of the header `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

async fn read_line(reader: &mut (impl AsyncBufReadExt + Unpin)) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).await.expect("read a line");
    line.trim_end_matches(['\r', '\n']).to_owned()
}

/// Starts the server; returns its base URL and the request it will capture.
pub async fn serve_once(status: u16, body: &'static str) -> (String, JoinHandle<Captured>) {
    serve_once_with(status, "", body).await
}

/// Answers `answers.len()` requests in turn (one connection each) with
/// these statuses and bodies; returns the requests received.
pub async fn serve_many(answers: Vec<(u16, &'static str)>) -> (String, JoinHandle<Vec<Captured>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base_url = format!("http://{}", listener.local_addr().expect("local address"));
    let task = tokio::spawn(async move {
        let mut received = Vec::new();
        for (status, body) in answers {
            let (socket, _) = listener.accept().await.expect("accept");
            received.push(exchange(socket, status, "", body).await);
        }
        received
    });
    (base_url, task)
}

/// Like [`serve_once`], with extra response header lines (`name: value\r\n`).
pub async fn serve_once_with(
    status: u16,
    extra_headers: &'static str,
    body: &'static str,
) -> (String, JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base_url = format!("http://{}", listener.local_addr().expect("local address"));
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        exchange(socket, status, extra_headers, body).await
    });
    (base_url, task)
}

/// Reads one request from `socket` and answers it.
async fn exchange(
    socket: tokio::net::TcpStream,
    status: u16,
    extra_headers: &str,
    body: &str,
) -> Captured {
    let mut reader = BufReader::new(socket);
    let request_line = read_line(&mut reader).await;
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader).await;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut captured = Captured {
        request_line,
        headers,
        body: Vec::new(),
    };
    if let Some(length) = captured.header_values("content-length").first() {
        let mut body = vec![0; length.parse().expect("a length")];
        reader.read_exact(&mut body).await.expect("read the body");
        captured.body = body;
    } else if captured.header_values("transfer-encoding") == ["chunked"] {
        loop {
            let size =
                usize::from_str_radix(&read_line(&mut reader).await, 16).expect("a chunk size");
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.expect("read a chunk");
            if size == 0 {
                break;
            }
            captured.body.extend_from_slice(&chunk[..size]);
        }
    }
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut socket = reader.into_inner();
    socket
        .write_all(response.as_bytes())
        .await
        .expect("write response");
    captured
}
