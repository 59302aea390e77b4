//! The base URL of an API: `https`, or plain `http` on a loopback address.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::ConfigError;

/// A checked base URL: `https://host[:port][/path]`, or `http://` when the
/// host is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`), for
/// tests and the local server. Never holds credentials, a query or a fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Parses and checks a base URL. A bare host (`acme.ilucca.net`) means
    /// `https://acme.ilucca.net`.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        Self::parse_with(input, false)
    }

    /// Like [`parse`](Self::parse), and also takes plain `http` to any
    /// host: an explicit opt-in, for a server that only speaks http (the
    /// only Docutools host its documents name is `http://dev.docu.solutions`).
    /// Credentials then travel unencrypted.
    pub fn parse_allowing_http(input: &str) -> Result<Self, ConfigError> {
        Self::parse_with(input, true)
    }

    fn parse_with(input: &str, allow_http: bool) -> Result<Self, ConfigError> {
        let input = input.trim();
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("https://{input}")
        };
        let url = Url::parse(&with_scheme).map_err(|source| ConfigError::InvalidBaseUrl {
            url: redact_userinfo(input),
            source,
        })?;
        let refuse = |reason: &'static str| ConfigError::UnsupportedBaseUrl {
            url: redact_userinfo(input),
            reason,
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "it must not hold a user name or password; give credentials separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("it must not have a query or a fragment"));
        }
        let host = url.host().ok_or_else(|| refuse("it has no host"))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http || is_loopback(&host) => {}
            "http" => {
                return Err(ConfigError::InsecureBaseUrl {
                    url: url.to_string(),
                });
            }
            _ => {
                return Err(refuse(
                    "its scheme must be https (or http on a loopback address)",
                ));
            }
        }
        Ok(Self(url))
    }

    /// The URL as the generated clients take it: no trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The tenant it reaches, one spelling for every way of writing it: the
    /// host lower-cased, the scheme's default port left out, no trailing
    /// slash, and every loopback address (`127.0.0.1`, `[::1]`,
    /// `localhost`) written `localhost`. What the import journal keys by.
    ///
    /// ```
    /// use roster::BaseUrl;
    ///
    /// let one = BaseUrl::parse("http://127.0.0.1:8080/").unwrap();
    /// let other = BaseUrl::parse("http://LOCALHOST:8080").unwrap();
    /// assert_eq!(one.tenant(), other.tenant());
    /// assert_eq!(BaseUrl::parse("ACME.ilucca.net:443").unwrap().tenant(), "https://acme.ilucca.net");
    /// ```
    pub fn tenant(&self) -> String {
        let mut url = self.0.clone();
        let loopback = url.host().is_some_and(|host| is_loopback(&host));
        if loopback {
            // A domain name always sets; the text is the loopback one.
            let _ = url.set_host(Some("localhost"));
        }
        url.as_str().trim_end_matches('/').to_owned()
    }
}

/// The tenant a base URL as text reaches (see [`BaseUrl::tenant`]); text
/// that is no base URL is its own tenant, trimmed.
#[cfg_attr(not(any(feature = "office", feature = "directory")), allow(dead_code))]
pub(crate) fn tenant_of(base_url: &str) -> String {
    BaseUrl::parse_allowing_http(base_url)
        .map(|url| url.tenant())
        .unwrap_or_else(|_| base_url.trim().trim_end_matches('/').to_owned())
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Removes a user name and password from a URL-looking string before it goes
/// in an error.
fn redact_userinfo(input: &str) -> String {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), input),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}[redacted]@{}", &rest[at + 1..]),
        None => input.to_owned(),
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.as_str()).finish()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
