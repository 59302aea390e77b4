//! The one request path. Every request `roster` sends, generated or
//! handwritten, goes through [`Transport`]: the access token (obtained, and
//! refreshed after a 401), the shared rate limiter, a server's `Retry-After`
//! fed back into it, the answer read whole within the size bound, retries
//! decided by [`retry::decide`](crate::retry), and one tracing span.
//!
//! Generated calls reach it through progenitor's hooks (see
//! `src/generated.rs`): `pre` ([`Transport::prepare`]: the rate limit and
//! the token), `exec` (the rest), `post` (a token refused after a 401); the
//! handwritten layer calls [`Transport::send`].

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderName};
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
const MIN_ATTEMPT: std::time::Duration = std::time::Duration::from_secs(5);

/// progenitor adds `api-version: <info.version>` to every generated call.
/// No vendor documents it, and Lucca's newer API gives `Api-Version` another
/// meaning: it is never sent.
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// What every request of a client goes through (progenitor's "inner" value
/// of the generated clients). Made by [`Config::client`](crate::Config::client).
#[derive(Debug, Clone)]
pub struct Transport {
    limiter: Option<Arc<RateLimiter>>,
    tokens: Option<Arc<TokenSource>>,
    max_response: usize,
    retries: Backoff,
    operation_timeout: Option<std::time::Duration>,
}

/// What the caller of a call sets for the calls made within a future (the
/// waiter: its deadline, and no transport retry, since it owns its
/// schedule). Carried in a task-local, so generated calls see it too.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope {
    /// No call made within goes on past it.
    pub(crate) deadline: Option<Instant>,
    /// Tries calls again with these rather than the client's.
    pub(crate) retries: Option<Backoff>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

impl Scope {
    /// Runs `future` with this scope over every call it makes.
    #[cfg_attr(not(feature = "office"), allow(dead_code))]
    pub(crate) async fn run<F: std::future::Future>(self, future: F) -> F::Output {
        SCOPE.scope(self, future).await
    }

    fn current() -> Self {
        SCOPE.try_with(|scope| *scope).unwrap_or_default()
    }
}

/// What the transport needs to know of a request besides the request: its
/// operation, its path template (for the span: the full URL may carry
/// personal data in its query) and whether it may be sent again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    operation: Operation,
    resend: Resend,
    retries: Option<Backoff>,
    stream: bool,
}

impl Call {
    /// A call of `operation`, sent again as `resend` allows.
    pub(crate) const fn new(operation: Operation, resend: Resend) -> Self {
        Self {
            operation,
            resend,
            retries: None,
            stream: false,
        }
    }

    /// A success's body is handed back unread, to be read as a stream (an
    /// import's outcome, of any size); an error's is read whole as always.
    #[cfg_attr(not(feature = "office"), allow(dead_code))]
    pub(crate) const fn streamed(mut self) -> Self {
        self.stream = true;
        self
    }

    /// Tries it again with `retries` rather than the client's.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    pub(crate) const fn retries(mut self, retries: Backoff) -> Self {
        self.retries = Some(retries);
        self
    }

    /// A call of the generated operation progenitor names `name`, sent
    /// again as its method allows; `None` for a name the spec does not give.
    pub(crate) fn generated(name: &str) -> Option<Self> {
        Operation::from_name(name)
            .map(|operation| Self::new(operation, Resend::for_method(operation.method())))
    }

    pub(crate) fn operation(&self) -> Operation {
        self.operation
    }

    /// The URL of the call at `base`, its path template filled with
    /// `parameters` (each value encoded as one path segment, as the
    /// generated calls encode theirs).
    #[cfg_attr(
        not(any(feature = "office", feature = "directory", feature = "docutools")),
        allow(dead_code)
    )]
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

/// Makes the request again when it cannot be cloned (a multipart body).
pub(crate) type Rebuild<'a> = &'a (dyn Fn() -> Option<reqwest::Request> + Send + Sync);

/// An answer read whole.
pub(crate) struct Buffered {
    parts: http::response::Parts,
    url: url::Url,
    body: Bytes,
    /// A success to a [streamed](Call::streamed) call: its body, unread
    /// (`body` is then empty).
    open: Option<reqwest::Body>,
}

impl Buffered {
    /// The answer as a `reqwest::Response` again, for generated code. An
    /// error answer keeps its body as an [`ErrorBody`] extension, so that
    /// [`HttpError`] can show it.
    fn into_response(mut self) -> reqwest::Response {
        if !self.parts.status.is_success() {
            self.parts
                .extensions
                .insert(ErrorBody::new(self.body.clone()));
        }
        let answer = http::Response::from_parts(self.parts, self.body);
        reqwest::Response::from(with_url(answer, &self.url))
    }
}

/// A successful answer to a handwritten request: its body, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    operation: Operation,
    pub(crate) body: Bytes,
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
    #[cfg_attr(not(any(feature = "office", feature = "docutools")), allow(dead_code))]
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        self.decode(|body| serde_json::from_slice(body))
    }
}

/// Why an exchange ended without an answer.
enum Failure {
    /// Nothing was sent: the first attempt could not pass the gate (the
    /// rate limit, the token, the deadline).
    Unsent(Unsent),
    /// A later attempt could not pass it: what the last attempt brought is
    /// kept, since a generated call hands it back.
    UnsentAgain {
        unsent: Unsent,
        last: Box<reqwest::Result<Buffered>>,
    },
    Http(reqwest::Error),
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
        (*last).map_err(Self::Http)
    }

    /// The failure as the error of a handwritten call of `operation`.
    fn into_http(self, operation: Operation) -> HttpError {
        match self {
            Self::Unsent(unsent) | Self::UnsentAgain { unsent, .. } => unsent.into_http(operation),
            Self::Http(error) => HttpError::from_reqwest(operation, error),
        }
    }
}

/// Where an exchange's first attempt stands with the gate.
#[derive(Debug, Clone, Copy)]
enum Gate {
    /// Still to pass (a handwritten request).
    Ahead,
    /// Passed already ([`Transport::prepare`]), with the call's deadline.
    Passed(Option<Instant>),
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

    /// Where this client's access tokens come from, if it obtains them.
    pub fn tokens(&self) -> Option<&TokenSource> {
        self.tokens.as_deref()
    }

    /// How requests that may be resent are tried again.
    pub fn retries(&self) -> Backoff {
        self.retries
    }

    /// Before a generated call is sent (progenitor's `pre` hook): its first
    /// attempt waits for the rate limit and takes the token here, so that a
    /// failure reaches the caller as an error of the generated call, typed
    /// (see [`HttpError::generated`]), without anything sent. What is left
    /// of the call's deadline goes with the request, as its timeout.
    pub(crate) async fn prepare(
        &self,
        request: &mut reqwest::Request,
        call: Call,
    ) -> Result<(), Unsent> {
        request.headers_mut().remove(API_VERSION);
        let deadline = self.deadline(Scope::current());
        self.gate(request, deadline).await?;
        if let Some(deadline) = deadline {
            *request.timeout_mut() = Some(deadline.saturating_duration_since(Instant::now()));
        }
        tracing::trace!(operation = %call.operation, "ready to send");
        Ok(())
    }

    /// Sends a generated call that [`prepare`](Self::prepare) readied
    /// (progenitor's `exec` hook). A later attempt that cannot pass the gate
    /// hands back what the last one brought: nothing is made up.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        call: Call,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = request;
        // The timeout `prepare` set is what was left of the deadline: the
        // attempts set their own from it.
        let deadline = request
            .timeout_mut()
            .take()
            .map(|left| crate::limiter::later(Instant::now(), left));
        let exchanged = self
            .exchange(http, request, call, None, Gate::Passed(deadline))
            .await
            .or_else(Failure::settle);
        match exchanged {
            Ok(answer) => Ok(answer.into_response()),
            Err(Failure::Http(error)) => Err(error),
            // A token refused after a 401: the 401, carrying the refusal for
            // progenitor's `post` hook to raise.
            Err(Failure::UnsentAgain { unsent, last }) => last.map(|mut answer| {
                answer.parts.extensions.insert(unsent);
                answer.into_response()
            }),
            // The gate was passed in `prepare`.
            Err(Failure::Unsent(unsent)) => {
                unreachable!("a prepared call meets no first gate: {unsent}")
            }
        }
    }

    /// Sends a handwritten request; an error status is an error, with its body.
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        call: Call,
        rebuild: Option<Rebuild<'_>>,
    ) -> Result<Answer, HttpError> {
        let operation = call.operation;
        let answer = self
            .exchange(http, request, call, rebuild, Gate::Ahead)
            .await
            .or_else(Failure::settle)
            .map_err(|failure| failure.into_http(operation))?;
        let Buffered {
            parts, body, open, ..
        } = answer;
        let body = match open {
            Some(open) => http_body_util::BodyExt::collect(open)
                .await
                .map_err(|error| HttpError::from_reqwest(operation, error))?
                .to_bytes(),
            None => body,
        };
        if !parts.status.is_success() {
            return Err(HttpError::Status {
                operation,
                status: parts.status,
                retry_after: retry_after(&parts.headers, SystemTime::now()),
                body: ErrorBody::new(body),
            });
        }
        Ok(Answer { operation, body })
    }

    /// Sends a handwritten read whose success is read as a stream: its body,
    /// unread; an error status is an error, with its body.
    #[cfg_attr(not(feature = "office"), allow(dead_code))]
    pub(crate) async fn open(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        call: Call,
    ) -> Result<reqwest::Body, HttpError> {
        let operation = call.operation;
        let answer = self
            .exchange(http, request, call.streamed(), None, Gate::Ahead)
            .await
            .or_else(Failure::settle)
            .map_err(|failure| failure.into_http(operation))?;
        match answer.open {
            Some(body) => Ok(body),
            None => Err(HttpError::Status {
                operation,
                status: answer.parts.status,
                retry_after: retry_after(&answer.parts.headers, SystemTime::now()),
                body: ErrorBody::new(answer.body),
            }),
        }
    }

    /// Sends `request` until [`decide`] says done, in one span.
    async fn exchange(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        call: Call,
        rebuild: Option<Rebuild<'_>>,
        gate: Gate,
    ) -> Result<Buffered, Failure> {
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
            .attempts(http, request, call, rebuild, gate, &span)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        result
    }

    /// The deadline of a call starting now: the scope's, or the client's
    /// operation timeout, whichever comes first.
    fn deadline(&self, scope: Scope) -> Option<Instant> {
        let own = self
            .operation_timeout
            .map(|timeout| crate::limiter::later(Instant::now(), timeout));
        match (scope.deadline, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What an attempt waits for before it is sent: the rate limit (first:
    /// a long wait for it must not outlive the token's refresh margin), then
    /// the token. Returns the `Authorization` header used, if any.
    async fn gate(
        &self,
        request: &mut reqwest::Request,
        deadline: Option<Instant>,
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
        self.authorize(request)
            .await
            .map_err(|error| Unsent::Auth(Arc::new(error)))
    }

    async fn attempts(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        call: Call,
        rebuild: Option<Rebuild<'_>>,
        gate: Gate,
        span: &tracing::Span,
    ) -> Result<Buffered, Failure> {
        let scope = Scope::current();
        let backoff = scope.retries.or(call.retries).unwrap_or(self.retries);
        let (deadline, mut used) = match gate {
            Gate::Passed(deadline) => (deadline, request.headers().get(AUTHORIZATION).cloned()),
            Gate::Ahead => {
                let deadline = self.deadline(scope);
                let used = self
                    .gate(&mut request, deadline)
                    .await
                    .map_err(Failure::Unsent)?;
                (deadline, used)
            }
        };
        let may_resend =
            call.resend != Resend::Never && (backoff.attempts > 1 || self.tokens.is_some());
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let again = match may_resend {
                true => request
                    .try_clone()
                    .or_else(|| rebuild.and_then(|make| make())),
                false => None,
            };
            if let Some(deadline) = deadline {
                // At least a few seconds for the attempt itself: a request
                // given none would never leave (the waiter's last poll is
                // made at its deadline).
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .max(MIN_ATTEMPT);
                let timeout = request.timeout_mut();
                *timeout = Some(timeout.map_or(left, |own| own.min(left)));
            }
            let result = match http.execute(request).await {
                Ok(answer) if call.stream && answer.status().is_success() => {
                    span.record("status", answer.status().as_u16());
                    let url = answer.url().clone();
                    let (parts, body) = http::Response::<reqwest::Body>::from(answer).into_parts();
                    return Ok(Buffered {
                        parts,
                        url,
                        body: Bytes::new(),
                        open: Some(body),
                    });
                }
                Ok(answer) => {
                    span.record("status", answer.status().as_u16());
                    buffer(answer, self.max_response).await
                }
                Err(error) => Err(error),
            };
            let seen = match &result {
                Ok(answer) => Seen::Answer {
                    status: answer.parts.status,
                    retry_after: retry_after(&answer.parts.headers, SystemTime::now()),
                },
                Err(error) if error.is_connect() => Seen::NotConnected,
                // Too large once, too large again: never worth another try.
                Err(error) if crate::error::too_large(error) => {
                    return result.map_err(Failure::Http);
                }
                Err(_) => Seen::NoAnswer,
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
            let Some(mut request_again) = again.filter(|_| next != Next::Done) else {
                return result.map_err(Failure::Http);
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
                        return result.map_err(Failure::Http);
                    }
                    tracing::warn!(attempt, ?seen, ?delay, "transient failure; trying again");
                    tokio::time::sleep(delay).await;
                }
                Next::Done => {}
            }
            used = match self.gate(&mut request_again, deadline).await {
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
        request: reqwest::Request,
        operation: Operation,
    ) -> futures_util::future::BoxFuture<'a, Result<Bytes, HttpError>> {
        let call = Call::new(operation, Resend::Never);
        Box::pin(async move {
            self.send(http, request, call, None)
                .await
                .map(|answer| answer.body)
        })
    }
}

/// `answer`, knowing the URL it came from (as `reqwest::Response::url` and
/// its errors say it).
fn with_url<T>(mut answer: http::Response<T>, url: &url::Url) -> http::Response<T> {
    use reqwest::ResponseBuilderExt;
    if let Ok(marked) = http::Response::builder().url(url.clone()).body(()) {
        answer
            .extensions_mut()
            .extend(marked.into_parts().0.extensions);
    }
    answer
}

/// Reads `answer` whole, failing once it passes `max` bytes.
async fn buffer(answer: reqwest::Response, max: usize) -> reqwest::Result<Buffered> {
    let url = answer.url().clone();
    // A declared length within the bound: hyper holds the body to it, so it
    // is read as it is (the common case, without the bound's wrappers).
    let declared = answer
        .content_length()
        .is_some_and(|length| usize::try_from(length).is_ok_and(|length| length <= max));
    let (parts, body) = http::Response::<reqwest::Body>::from(answer).into_parts();
    if declared {
        let body = http_body_util::BodyExt::collect(body).await?.to_bytes();
        return Ok(Buffered {
            parts,
            url,
            body,
            open: None,
        });
    }
    let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, max));
    let reading = with_url(http::Response::new(limited), &url);
    let body = reqwest::Response::from(reading).bytes().await?;
    Ok(Buffered {
        parts,
        url,
        body,
        open: None,
    })
}
