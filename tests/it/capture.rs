//! A loopback server that answers one request with a fixed JSON body and
//! hands back what it received, to check what the SDK really sends.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as received: request line and headers (names lower-cased).
#[derive(Debug)]
pub struct Captured {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
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

/// Starts the server; returns its base URL and the request it will capture.
pub async fn serve_once(status: u16, body: &'static str) -> (String, JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base_url = format!("http://{}", listener.local_addr().expect("local address"));
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut received = Vec::new();
        let mut buffer = [0_u8; 4096];
        while !received.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.expect("read request");
            assert!(read > 0, "connection closed before the request head ended");
            received.extend_from_slice(&buffer[..read]);
        }
        let head = String::from_utf8_lossy(&received).into_owned();
        let head = head.split("\r\n\r\n").next().unwrap_or_default();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket
            .write_all(response.as_bytes())
            .await
            .expect("write response");
        Captured {
            request_line,
            headers,
        }
    });
    (base_url, task)
}
