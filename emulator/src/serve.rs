//! The accept loop: one task per connection, each able to be cut on purpose
//! (a fault), so a client sees a connection drop with no answer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::response::Response;
use futures_util::StreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// A handle on the connection a request came on; notifying it closes the
/// connection without an answer.
#[derive(Debug, Clone)]
pub(crate) struct Connection(Arc<Notify>);

/// Cuts the connection of the current request and never answers.
pub(crate) async fn drop_connection(connection: Option<Connection>) -> Response {
    if let Some(Connection(cut)) = connection {
        cut.notify_one();
    }
    std::future::pending().await
}

/// The same answer with its full `Content-Length`, but only the first half
/// of its body before the connection closes.
pub(crate) async fn cut_mid_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        axum::http::HeaderValue::from(bytes.len()),
    );
    // The half goes out (the connection is flushed while the rest is
    // pending), then the body fails and the connection closes.
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "the answer is cut on purpose",
        ))
    });
    let chunks = futures_util::stream::iter([Ok(half)]).chain(cut);
    let body = axum::body::Body::from_stream(chunks);
    Response::from_parts(parts, body)
}

/// A server task on a loopback port; stops when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:<port>`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1 on `port` (0: a free one) and serves `router` until
/// dropped.
pub(crate) async fn spawn(router: Router, port: u16) -> std::io::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let cut = Arc::new(Notify::new());
            let connection = Connection(Arc::clone(&cut));
            let router = router.clone();
            let service = tower::service_fn(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(connection.clone());
                    router.clone().oneshot(request.map(axum::body::Body::new))
                },
            );
            connections.spawn(async move {
                let builder = Builder::new(TokioExecutor::new());
                let serving = builder
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                tokio::select! {
                    _ = serving => {}
                    () = cut.notified() => {}
                }
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok(Server {
        address,
        task: server,
    })
}
