//! A request budget as a value: `requests` in any window of `per`, read from
//! and written as text (`20/min`). A leaf: the limiter enforces it, the
//! credentials name each API's.

use std::time::Duration;

use crate::tolerant::ParseError;

/// A request budget: `requests` in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests.
    pub requests: u32,
    /// In how long a window.
    pub per: Duration,
}

impl RateLimit {
    /// Lucca's documented limit, 50 requests per minute per account, with a
    /// 5 % margin on the window so that network jitter never makes the
    /// server count 51.
    pub const LUCCA: RateLimit = RateLimit {
        requests: 50,
        per: Duration::from_secs(63),
    };
}

impl RateLimit {
    /// `requests` a minute: a share of a tenant's budget, such as 20 of
    /// Lucca's 50 so that the tenant's other integrations keep the rest.
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(60),
        }
    }

    /// Requests a second, on average.
    pub fn rate(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl std::str::FromStr for RateLimit {
    type Err = ParseError;

    /// `20/min`, `1/s`, `600/h`, `50/63s`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wrong = || ParseError::new(text, "a rate: write it as 20/min, 1/s, 600/h or 50/63s");
        let (count, window) = text.trim().split_once('/').ok_or_else(wrong)?;
        let requests: u32 = count.trim().parse().map_err(|_| wrong())?;
        let window = window.trim();
        let seconds = match window {
            "s" | "sec" | "second" => 1,
            "min" | "m" | "minute" => 60,
            "h" | "hour" => 3600,
            other => other
                .strip_suffix('s')
                .and_then(|number| number.parse::<u64>().ok())
                .ok_or_else(wrong)?,
        };
        if requests == 0 || seconds == 0 {
            return Err(wrong());
        }
        Ok(Self {
            requests,
            per: Duration::from_secs(seconds),
        })
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.per.as_secs() {
            60 if self.per.subsec_nanos() == 0 => write!(f, "{} a minute", self.requests),
            _ => write!(f, "{} per {:?}", self.requests, self.per),
        }
    }
}
