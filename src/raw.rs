//! The escape hatch: a request to an endpoint the vendored specs do not
//! describe (Lucca's departments or establishments, say), made with
//! `client.request(Method::GET, "/organization/structure/api/departments")`
//! on any client. It
//! goes through the one request path like every other: the client's
//! authorization, its rate limiter, retries as its method allows (reads and
//! `PUT`; never a `POST`), and one span, named
//! [`Operation::Unlisted`](crate::Operation::Unlisted), whose `path` is the
//! request's path without its query.
//!
//! ```no_run
//! # async fn run(directory: roster::directory::Client) -> Result<(), roster::HttpError> {
//! use reqwest::Method;
//!
//! let departments: serde_json::Value = directory
//!     .request(Method::GET, "/organization/structure/api/departments?limit=50")
//!     .send()
//!     .await?
//!     .json()?;
//! # Ok(()) }
//! ```

use bytes::Bytes;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::HttpError;
use crate::operation::Operation;
use crate::retry::Resend;
use crate::transport::{Call, Transport};

/// A request to a path of the client's host, not described by the specs.
/// Made by `request(method, path)` on a client; sent by [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct RawRequest<'a> {
    http: &'a reqwest::Client,
    transport: &'a Transport,
    base: &'a str,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<serde_json::Value>,
}

impl<'a> RawRequest<'a> {
    pub(crate) fn new(
        http: &'a reqwest::Client,
        transport: &'a Transport,
        base: &'a str,
        method: Method,
        path: &str,
    ) -> Self {
        Self {
            http,
            transport,
            base,
            method,
            path: path.to_owned(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter (encoded; the span never shows it).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends it: the answer of a success status; an error status is
    /// [`HttpError::Status`] with its body. A path that is not a path of the
    /// client's host (`https://…`, `//host/…`) is refused before anything
    /// is sent, so that no request carries the client's secret elsewhere.
    pub async fn send(self) -> Result<RawAnswer, HttpError> {
        let operation = Operation::Unlisted;
        let refuse = |reason: String| HttpError::InvalidRequest { operation, reason };
        if !self.path.starts_with('/') || self.path.starts_with("//") {
            return Err(refuse(format!(
                "{:?} is not a path of the client's host (it must start with one `/`)",
                self.path
            )));
        }
        let base = reqwest::Url::parse(self.base)
            .map_err(|error| refuse(format!("the client's base URL: {error}")))?;
        let mut url =
            reqwest::Url::parse(&format!("{}{}", self.base.trim_end_matches('/'), self.path))
                .map_err(|error| refuse(format!("{:?} is not a path: {error}", self.path)))?;
        if url.origin() != base.origin() {
            return Err(refuse(format!("{:?} leaves the client's host", self.path)));
        }
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let mut request = self.http.request(self.method.clone(), url);
        if let Some(body) = &self.body {
            request = request.json(body);
        }
        let call = Call::new(operation, Resend::for_method(self.method.as_str()));
        let outgoing = crate::transport::Outgoing::described(call, request)?;
        let answer = self.transport.call(self.http, outgoing).await?;
        Ok(RawAnswer { body: answer.body })
    }
}

/// The answer to a [`RawRequest`]: its body, read whole within the
/// client's answer-size bound.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    body: Bytes,
}

impl RawAnswer {
    /// The body as it came.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body read as JSON into a type of the caller's
    /// (`serde_json::Value` for any JSON).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|source| HttpError::InvalidAnswer {
            operation: Operation::Unlisted,
            body: self.body.clone(),
            source,
        })
    }
}
