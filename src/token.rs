//! Access tokens obtained at run time: Docutools' OAuth2 password grant,
//! refreshed with the refresh token before expiry or after a 401.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::multipart::Form;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use crate::base_url::BaseUrl;
use crate::credentials::{PasswordGrant, sensitive_header};
use crate::error::{AuthError, ErrorBody, HttpError};
use crate::operation::Operation;

/// How the token source sends its request: the one request path (the
/// transport implements it), seen through the one call it needs. The token
/// request is sent once, never repeated by itself; an error status is an
/// error with its body.
pub(crate) trait Exchange: Send + Sync {
    /// Sends `request` (of `operation`): the answer's body.
    fn send_once<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::RequestBuilder,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Bytes, HttpError>>;
}

/// How long before its expiry a token is refreshed.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
}

struct Token {
    header: HeaderValue,
    refresh: Option<SecretString>,
    expires_at: Option<Instant>,
}

/// Obtains and refreshes access tokens; shared by every call of a client.
/// Only the transport asks it for a token: there is no way to a token
/// around the one request path.
pub(crate) struct TokenSource {
    grant: PasswordGrant,
    operation: Operation,
    url: String,
    http: reqwest::Client,
    exchange: std::sync::Arc<dyn Exchange>,
    current: tokio::sync::Mutex<Option<Token>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("grant", &self.grant)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Obtains tokens by `operation` (the exchange the spec's OAuth2
    /// password flow declares) at `base_url`.
    #[cfg_attr(not(feature = "docutools"), allow(dead_code))]
    pub(crate) fn new(
        grant: PasswordGrant,
        base_url: &BaseUrl,
        http: reqwest::Client,
        exchange: std::sync::Arc<dyn Exchange>,
        operation: Operation,
    ) -> Self {
        Self {
            grant,
            operation,
            url: format!("{}{}", base_url.as_str(), operation.path()),
            http,
            exchange,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// The `Authorization` header to send now: the current token, or a
    /// refreshed one when it expires within [`REFRESH_MARGIN`], or a new one.
    pub(crate) async fn header(&self) -> Result<HeaderValue, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && token
                .expires_at
                .is_none_or(|expires_at| expires_at > Instant::now() + REFRESH_MARGIN)
        {
            return Ok(token.header.clone());
        }
        let refresh = current.as_ref().and_then(|token| token.refresh.clone());
        let token = match refresh {
            Some(refresh) => match self.request("refresh_token", Some(&refresh)).await {
                Ok(token) => token,
                Err(error) => {
                    tracing::warn!(%error, "token refresh refused; logging in again");
                    self.request("password", None).await?
                }
            },
            None => self.request("password", None).await?,
        };
        let header = token.header.clone();
        *current = Some(token);
        Ok(header)
    }

    /// Forgets the token `used` after the server refused it (401), so the
    /// next [`header`](Self::header) refreshes it.
    pub(crate) async fn reject(&self, used: Option<&HeaderValue>) {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_mut()
            && used == Some(&token.header)
        {
            token.expires_at = Some(Instant::now());
        }
    }

    async fn request(
        &self,
        grant: &'static str,
        refresh: Option<&SecretString>,
    ) -> Result<Token, AuthError> {
        let mut form = Form::new().text("grant_type", grant);
        match refresh {
            Some(refresh) => form = form.text("refresh_token", refresh.expose_secret().to_owned()),
            None => {
                form = form
                    .text("username", self.grant.username.clone())
                    .text("password", self.grant.password.expose_secret().to_owned());
                if let Some(code) = &self.grant.code {
                    form = form.text("code", code.expose_secret().to_owned());
                }
            }
        }
        tracing::debug!(grant, "requesting an access token");
        let request = self
            .http
            .post(&self.url)
            .basic_auth(
                &self.grant.client_id,
                Some(self.grant.client_secret.expose_secret()),
            )
            .multipart(form);
        let sent = self.exchange.send_once(&self.http, request, self.operation);
        let answer = match sent.await {
            Ok(answer) => answer,
            Err(HttpError::Status { status, body, .. }) => {
                return Err(AuthError::Refused {
                    grant,
                    status,
                    reason: refusal_reason(&body),
                });
            }
            Err(error) => return Err(AuthError::Http(Box::new(error))),
        };
        // The answer holds the tokens: it is never shown, not even in an error.
        let token: TokenAnswer =
            serde_json::from_slice(&answer).map_err(|_| AuthError::InvalidAnswer)?;
        let header = sensitive_header(format!("Bearer {}", token.access_token), "access token")
            .map_err(|_| AuthError::InvalidAnswer)?;
        Ok(Token {
            header,
            refresh: token.refresh_token.map(SecretString::from),
            // A lifetime no clock can add is a token that does not expire.
            expires_at: token
                .expires_in
                .and_then(|seconds| Instant::now().checked_add(Duration::from_secs(seconds))),
        })
    }
}

/// The OAuth2 `error` code and description of a refusal, if any.
fn refusal_reason(body: &ErrorBody) -> String {
    serde_json::from_slice::<ErrorAnswer>(body.bytes())
        .map(|error| {
            [error.error, error.error_description]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ")
        })
        .unwrap_or_default()
}
