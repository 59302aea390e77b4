//! The accept loop: one task per connection, each able to be cut on purpose
//! (a fault), so a client sees a connection drop with no answer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::response::Response;
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

/// Binds 127.0.0.1 on a free port and serves `router` until dropped.
pub(crate) async fn spawn(router: Router) -> std::io::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
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
