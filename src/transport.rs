//! The one request path. Every request `roster` sends, generated or
//! handwritten, goes through one function, [`Transport::call`]: it takes an
//! [`Outgoing`] request (the operation, the request made as the spec says,
//! the call's deadline, retries and resend class) and gives back an
//! [`Answer`] the caller decodes. On the way: the shared rate limiter, the
//! access token (obtained, and refreshed after a 401), a server's
//! `Retry-After` fed back into the limiter, the answer read whole within the
//! size bound (or opened as a stream), retries decided by
//! [`retry::decide`](crate::retry), and one tracing span.
//!
//! Generated builders reach it from their `send` (roster-codegen's
//! `calls.rs` writes it); the handwritten layer calls it directly.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use crate::error::{AuthError, ErrorBody, HttpError, Unsent};
use crate::limiter::RateLimiter;
use crate::operation::Operation;
use crate::retry::{Backoff, Next, Resend, Seen, decide, retry_after};
use crate::token::TokenSource;

/// The least time an attempt is given once it is sent, even at its call's
/// deadline.
const MIN_ATTEMPT: Duration = Duration::from_secs(5);

/// The least time left of an operation timeout for an attempt to be sent.
const MIN_SEND: Duration = Duration::from_millis(250);

/// What every request of a client goes through (the value the generated
/// clients hold). Made by [`Config::client`](crate::Config::client).
#[derive(Debug, Clone)]
pub struct Transport {
    limiter: Option<Arc<RateLimiter>>,
    tokens: Option<Arc<TokenSource>>,
    max_response: usize,
    retries: Backoff,
    operation_timeout: Option<std::time::Duration>,
}

/// What a caller sets for one call besides its request: a deadline no
/// attempt goes past, and retries of its own (the waiter: its `max_wait`,
/// and none, since it owns its schedule). A field of the request, never
/// state of the task or the process.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// No attempt goes on past it.
    pub(crate) deadline: Option<Instant>,
    /// Tries the call again with these rather than the client's.
    pub(crate) retries: Option<Backoff>,
    /// Sends it again as this class allows, rather than as its method does
    /// (a page: a `408` comes back to the pager).
    pub(crate) resend: Option<Resend>,
}

/// What the transport needs to know of a request besides the request: its
/// operation (its path template, for the span: the full URL may carry
/// personal data in its query), whether it may be sent again, and the
/// caller's [`Options`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    operation: Operation,
    resend: Resend,
    options: Options,
    stream: bool,
}

impl Call {
    /// A call of `operation`, sent again as `resend` allows.
    pub(crate) const fn new(operation: Operation, resend: Resend) -> Self {
        Self {
            operation,
            resend,
            options: Options {
                deadline: None,
                retries: None,
                resend: None,
            },
            stream: false,
        }
    }

    /// The request of this call at `base` (its path template filled with
    /// `parameters`), with the method the spec gives it, to be described
    /// further (query, body) and handed to [`Outgoing::described`].
    #[cfg_attr(not(any(feature = "office", feature = "docutools")), allow(dead_code))]
    pub(crate) fn request(
        &self,
        http: &reqwest::Client,
        base: &str,
        parameters: &[(&str, &dyn std::fmt::Display)],
    ) -> reqwest::RequestBuilder {
        // The spec's methods are HTTP tokens (`GET`, `POST`…): only
        // `Unlisted`, which has none and is never described here, would not
        // read.
        let method = reqwest::Method::from_bytes(self.operation.method().as_bytes())
            .unwrap_or(reqwest::Method::GET);
        http.request(method, self.url(base, parameters))
    }

    /// The URL of the call at `base`, its path template filled with
    /// `parameters` (each value encoded as one path segment, as the
    /// generated calls encode theirs).
    #[cfg_attr(not(any(feature = "office", feature = "docutools")), allow(dead_code))]
    pub(crate) fn url(&self, base: &str, parameters: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut path = self.operation.path().to_owned();
        for (name, value) in parameters {
            let encoded = progenitor_client::encode_path(&value.to_string());
            path = path.replace(&format!("{{{name}}}"), &encoded);
        }
        debug_assert!(
            !path.contains('{'),
            "a path parameter left unfilled: {path}"
        );
        format!("{base}{path}")
    }
}

/// Describes the request again when it cannot be cloned (a multipart body).
pub(crate) type Rebuild<'a> = &'a (dyn Fn() -> Option<reqwest::Request> + Send + Sync);

/// A request described for [`Transport::call`]: made as the spec says (by a
/// generated builder, or by the handwritten layer from the spec's names),
/// with its [`Call`].
pub(crate) struct Outgoing<'a> {
    call: Call,
    request: reqwest::Request,
    rebuild: Option<Rebuild<'a>>,
}

impl<'a> Outgoing<'a> {
    /// `request`, a call of `operation`, sent again as its method allows.
    pub(crate) fn new(operation: Operation, request: reqwest::Request) -> Self {
        Self::of(
            Call::new(operation, Resend::for_method(operation.method())),
            request,
        )
    }

    /// `request`, sent as `call` says.
    fn of(call: Call, request: reqwest::Request) -> Self {
        Self {
            call,
            request,
            rebuild: None,
        }
    }

    /// A handwritten request, described with reqwest's builder (its URL,
    /// query and body from the spec's names): made here, sent as `call`
    /// says. A description reqwest cannot make is the call's error, nothing
    /// sent.
    pub(crate) fn described(
        call: Call,
        request: reqwest::RequestBuilder,
    ) -> Result<Self, HttpError> {
        request
            .build()
            .map(|request| Self::of(call, request))
            .map_err(|error| HttpError::from_reqwest(call.operation, error))
    }

    /// Within the caller's deadline, and with its retries where it sets them.
    pub(crate) fn options(mut self, options: Options) -> Self {
        self.call.options.deadline = options.deadline.or(self.call.options.deadline);
        self.call.options.retries = options.retries.or(self.call.options.retries);
        if let Some(resend) = options.resend {
            self.call.resend = resend;
        }
        self
    }

    /// A success's body is handed back unread, to be read as a stream (an
    /// import's outcome, of any size); an error's is read whole as always.
    pub(crate) fn streamed(mut self) -> Self {
        self.call.stream = true;
        self
    }

    /// Made again by `rebuild` for another attempt, rather than copied
    /// before the first: a generated builder makes it again cheaper than a
    /// copy, and a multipart body cannot be copied at all.
    pub(crate) fn rebuilt_by(mut self, rebuild: Rebuild<'a>) -> Self {
        self.rebuild = Some(rebuild);
        self
    }
}

/// Why a generated request could not be made (named `Error` in the
/// generated builders, as progenitor's code calls it); nothing was sent.
#[derive(Debug)]
pub(crate) enum Invalid {
    /// A parameter the builder refused.
    InvalidRequest(String),
    /// reqwest could not make the request.
    Build(reqwest::Error),
}

impl From<reqwest::Error> for Invalid {
    fn from(error: reqwest::Error) -> Self {
        Self::Build(error)
    }
}

impl Invalid {
    /// The error of a call of `operation` that could not be made.
    pub(crate) fn into_http(self, operation: Operation) -> HttpError {
        match self {
            Self::InvalidRequest(reason) => HttpError::InvalidRequest { operation, reason },
            Self::Build(error) => HttpError::from_reqwest(operation, error),
        }
    }
}

/// A generated request's JSON body: the typed one, or one given as it is
/// (a partial update's changes).
#[derive(serde::Serialize)]
#[serde(untagged)]
#[cfg_attr(
    not(any(feature = "directory", feature = "docutools")),
    allow(dead_code)
)]
pub(crate) enum JsonBody<T> {
    /// The spec's type.
    Typed(T),
    /// As given.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    Raw(serde_json::Value),
}

/// An answer read whole (or, for a streamed call's success, opened).
struct Buffered {
    parts: http::response::Parts,
    body: Bytes,
    /// A success to a streamed call: its body, unread (`body` is then
    /// empty).
    open: Option<reqwest::Body>,
}

/// A successful answer: its body, read whole, or open for a streamed call.
#[derive(Debug)]
pub(crate) struct Answer {
    operation: Operation,
    pub(crate) body: Bytes,
    open: Option<reqwest::Body>,
}

impl Answer {
    /// The body read with `parse`.
    pub(crate) fn decode<T>(
        &self,
        parse: impl FnOnce(&[u8]) -> serde_json::Result<T>,
    ) -> Result<T, HttpError> {
        parse(&self.body).map_err(|source| HttpError::InvalidAnswer {
            operation: self.operation,
            body: self.body.clone(),
            source,
        })
    }

    /// The body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        self.decode(|body| serde_json::from_slice(body))
    }

    /// The body, to be read as a stream.
    pub(crate) fn into_body(self) -> reqwest::Body {
        self.open.unwrap_or_else(|| reqwest::Body::from(self.body))
    }
}

/// What broke an attempt that sent: reqwest's error, or an answer past the
/// size bound.
enum Lost {
    Http(reqwest::Error),
    TooLarge,
}

impl Lost {
    fn into_http(self, operation: Operation) -> HttpError {
        match self {
            Self::Http(error) => HttpError::from_reqwest(operation, error),
            Self::TooLarge => HttpError::AnswerTooLarge { operation },
        }
    }
}

/// Why an exchange ended without an answer.
enum Failure {
    /// Nothing was sent: the first attempt could not pass the gate (the
    /// rate limit, the token, the deadline).
    Unsent(Unsent),
    /// A later attempt could not pass it: what the last attempt brought is
    /// kept, since it is what the call hands back.
    UnsentAgain {
        unsent: Unsent,
        last: Box<Result<Buffered, Lost>>,
    },
    Lost(Lost),
}

impl Failure {
    /// What a call reports of a later attempt that could not pass the gate:
    /// the refusal of a token after a `401` (the `401` said why it was
    /// refreshed, the refusal says why that failed), else the last answer
    /// as it came (it may have been applied).
    fn settle(self) -> Result<Buffered, Self> {
        let Self::UnsentAgain { unsent, last } = self else {
            return Err(self);
        };
        let refused_after_401 = matches!(
            (&unsent, last.as_ref()),
            (Unsent::Auth(_), Ok(answer)) if answer.parts.status == StatusCode::UNAUTHORIZED
        );
        if refused_after_401 {
            return Err(Self::UnsentAgain { unsent, last });
        }
        (*last).map_err(Self::Lost)
    }

    /// The failure as the error of a call of `operation`.
    fn into_http(self, operation: Operation) -> HttpError {
        match self {
            Self::Unsent(unsent) | Self::UnsentAgain { unsent, .. } => unsent.into_http(operation),
            Self::Lost(lost) => lost.into_http(operation),
        }
    }
}

impl Transport {
    pub(crate) fn new(
        limiter: Option<Arc<RateLimiter>>,
        max_response: usize,
        retries: Backoff,
    ) -> Self {
        Self {
            limiter,
            tokens: None,
            max_response,
            retries,
            operation_timeout: None,
        }
    }

    /// The same transport, each call bounded by `timeout` in all.
    pub(crate) fn with_operation_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// The same transport, obtaining tokens from `tokens`.
    pub(crate) fn with_tokens(mut self, tokens: Option<Arc<TokenSource>>) -> Self {
        self.tokens = tokens;
        self
    }

    /// The rate limiter every call of this client waits on, if any.
    pub fn limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_deref()
    }

    /// How requests that may be resent are tried again.
    pub fn retries(&self) -> Backoff {
        self.retries
    }

    /// Sends `outgoing` until [`decide`] says done, in one span: the one
    /// request path. A success is the [`Answer`]; an error status is
    /// [`HttpError::Status`] with its body; a failure before anything was
    /// sent (the rate limit, the token, the deadline) is its typed error. A
    /// later attempt that cannot pass the gate hands back what the last one
    /// brought: nothing is made up.
    pub(crate) async fn call(
        &self,
        http: &reqwest::Client,
        outgoing: Outgoing<'_>,
    ) -> Result<Answer, HttpError> {
        let operation = outgoing.call.operation;
        let answer = self
            .exchange(http, outgoing)
            .await
            .or_else(Failure::settle)
            .map_err(|failure| failure.into_http(operation))?;
        if !answer.parts.status.is_success() {
            return Err(HttpError::Status {
                operation,
                status: answer.parts.status,
                retry_after: retry_after(&answer.parts.headers, SystemTime::now()),
                body: ErrorBody::new(answer.body),
            });
        }
        Ok(Answer {
            operation,
            body: answer.body,
            open: answer.open,
        })
    }

    async fn exchange(
        &self,
        http: &reqwest::Client,
        outgoing: Outgoing<'_>,
    ) -> Result<Buffered, Failure> {
        let Outgoing {
            call,
            request,
            rebuild,
        } = outgoing;
        // A request the specs do not describe shows its own path (never its
        // query).
        let path = match call.operation {
            Operation::Unlisted => std::borrow::Cow::Owned(request.url().path().to_owned()),
            operation => std::borrow::Cow::Borrowed(operation.path()),
        };
        let span = tracing::info_span!(
            "roster.request",
            operation = call.operation.name(),
            method = request.method().as_str(),
            path = path.as_ref(),
            status = Empty,
            attempt = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let result = self
            .attempts(http, request, call, rebuild, &span)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        result
    }

    /// The deadline of a call starting now: the caller's, or the client's
    /// operation timeout, whichever comes first; and the least time an
    /// attempt is then given. The caller's deadline (the waiter's) gives an
    /// attempt [`MIN_ATTEMPT`] even at it; the operation timeout is kept as
    /// it was given, to the second.
    fn deadline(&self, options: Options) -> (Option<Instant>, Duration) {
        let own = self
            .operation_timeout
            .map(|timeout| crate::limiter::later(Instant::now(), timeout));
        match (options.deadline, own) {
            (Some(caller), Some(own)) if own < caller => (Some(own), Duration::ZERO),
            (Some(caller), _) => (Some(caller), MIN_ATTEMPT),
            (None, own) => (own, Duration::ZERO),
        }
    }

    /// What an attempt waits for before it is sent: the rate limit (first:
    /// a long wait for it must not outlive the token's refresh margin), then
    /// the token. Returns the `Authorization` header used, if any.
    async fn gate(
        &self,
        request: &mut reqwest::Request,
        deadline: Option<Instant>,
        floor: Duration,
    ) -> Result<Option<reqwest::header::HeaderValue>, Unsent> {
        if let Some(limiter) = &self.limiter {
            match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, limiter.acquire())
                    .await
                    .map_err(|_| Unsent::Deadline)?,
                None => limiter.acquire().await,
            }
            .map_err(|error| Unsent::Budget(Arc::new(error)))?;
        }
        let used = self
            .authorize(request)
            .await
            .map_err(|error| Unsent::Auth(Arc::new(error)))?;
        // An attempt kept to an operation timeout is not sent with almost
        // nothing left of it: it could only time out, and a creation that
        // times out is an outcome unknown for bytes that never left.
        if floor.is_zero()
            && deadline.is_some_and(|deadline| {
                deadline.saturating_duration_since(Instant::now()) < MIN_SEND
            })
        {
            return Err(Unsent::Deadline);
        }
        Ok(used)
    }

    async fn attempts(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        call: Call,
        rebuild: Option<Rebuild<'_>>,
        span: &tracing::Span,
    ) -> Result<Buffered, Failure> {
        let backoff = call.options.retries.unwrap_or(self.retries);
        let (deadline, floor) = self.deadline(call.options);
        let mut used = self
            .gate(&mut request, deadline, floor)
            .await
            .map_err(Failure::Unsent)?;
        let may_resend =
            call.resend != Resend::Never && (backoff.attempts > 1 || self.tokens.is_some());
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            // A copy for a second attempt, made now only when the request
            // cannot be made again later (a rebuild is cheaper, and made
            // only if needed).
            let copy = match may_resend && rebuild.is_none() {
                true => request.try_clone(),
                false => None,
            };
            if let Some(deadline) = deadline {
                // The waiter's deadline gives an attempt a few seconds: a
                // request given none would never leave (its last poll is
                // made at its deadline). An operation timeout is kept.
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .max(floor);
                let timeout = request.timeout_mut();
                *timeout = Some(timeout.map_or(left, |own| own.min(left)));
            }
            let result = match http.execute(request).await {
                Ok(answer) if call.stream && answer.status().is_success() => {
                    span.record("status", answer.status().as_u16());
                    let (parts, body) = http::Response::<reqwest::Body>::from(answer).into_parts();
                    return Ok(Buffered {
                        parts,
                        body: Bytes::new(),
                        open: Some(body),
                    });
                }
                Ok(answer) => {
                    span.record("status", answer.status().as_u16());
                    buffer(answer, self.max_response).await
                }
                Err(error) => Err(Lost::Http(error)),
            };
            let seen = match &result {
                Ok(answer) => Seen::Answer {
                    status: answer.parts.status,
                    retry_after: retry_after(&answer.parts.headers, SystemTime::now()),
                },
                Err(Lost::Http(error)) if error.is_connect() => Seen::NotConnected,
                // Too large once, too large again: never worth another try.
                Err(Lost::TooLarge) => return result.map_err(Failure::Lost),
                Err(Lost::Http(_)) => Seen::NoAnswer,
            };
            if let Seen::Answer {
                status,
                retry_after,
            } = seen
            {
                if status == StatusCode::TOO_MANY_REQUESTS
                    && let (Some(limiter), Some(delay)) = (&self.limiter, retry_after)
                {
                    tracing::warn!(?delay, "429 Too Many Requests: holding requests back");
                    limiter.pause_for(delay).await;
                }
                if status == StatusCode::UNAUTHORIZED
                    && let Some(tokens) = &self.tokens
                {
                    tokens.reject(used.as_ref()).await;
                }
            }
            let can_refresh = self.tokens.is_some() && !refreshed;
            let next = decide(call.resend, attempt, backoff.attempts, seen, can_refresh);
            let again = match next {
                Next::Done => None,
                _ if !may_resend => None,
                _ => copy.or_else(|| rebuild.and_then(|make| make())),
            };
            let Some(mut request_again) = again else {
                return result.map_err(Failure::Lost);
            };
            match next {
                Next::Refresh => {
                    tracing::info!("401 Unauthorized: sending again with a fresh token");
                    refreshed = true;
                }
                Next::Retry(hint) => {
                    let delay = backoff.delay(attempt - 1).max(hint.unwrap_or_default());
                    if deadline.is_some_and(|deadline| {
                        crate::limiter::later(Instant::now(), delay) >= deadline
                    }) {
                        tracing::warn!(
                            attempt,
                            ?seen,
                            ?delay,
                            "the next try would pass the call's deadline; handing back what came"
                        );
                        return result.map_err(Failure::Lost);
                    }
                    tracing::warn!(attempt, ?seen, ?delay, "transient failure; trying again");
                    tokio::time::sleep(delay).await;
                }
                Next::Done => {}
            }
            used = match self.gate(&mut request_again, deadline, floor).await {
                Ok(used) => used,
                Err(unsent) => {
                    return Err(Failure::UnsentAgain {
                        unsent,
                        last: Box::new(result),
                    });
                }
            };
            request = request_again;
        }
    }

    /// Sets the access token on `request`, for credentials that obtain one;
    /// returns the header used.
    async fn authorize(
        &self,
        request: &mut reqwest::Request,
    ) -> Result<Option<reqwest::header::HeaderValue>, AuthError> {
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        let header = tokens.header().await?;
        request.headers_mut().insert(AUTHORIZATION, header.clone());
        Ok(Some(header))
    }
}

/// The token source's requests go through the transport that obtains no
/// token (boxed: the transport obtains tokens from there, so its future type
/// would otherwise contain itself).
impl crate::token::Exchange for Transport {
    fn send_once<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::RequestBuilder,
        operation: Operation,
    ) -> futures_util::future::BoxFuture<'a, Result<Bytes, HttpError>> {
        Box::pin(async move {
            let outgoing = Outgoing::described(Call::new(operation, Resend::Never), request)?;
            self.call(http, outgoing).await.map(|answer| answer.body)
        })
    }
}

/// Reads `answer` whole, failing once it passes `max` bytes.
async fn buffer(answer: reqwest::Response, max: usize) -> Result<Buffered, Lost> {
    use http_body_util::BodyExt;
    // A declared length within the bound: hyper holds the body to it, so it
    // is read in one piece (the common case).
    let declared = answer
        .content_length()
        .is_some_and(|length| usize::try_from(length).is_ok_and(|length| length <= max));
    let (parts, mut body) = http::Response::<reqwest::Body>::from(answer).into_parts();
    let body = if declared {
        body.collect().await.map_err(Lost::Http)?.to_bytes()
    } else {
        let mut read = bytes::BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(Lost::Http)?.into_data() else {
                continue;
            };
            if read.len().saturating_add(data.len()) > max {
                return Err(Lost::TooLarge);
            }
            read.extend_from_slice(&data);
        }
        read.freeze()
    };
    Ok(Buffered {
        parts,
        body,
        open: None,
    })
}
