//! Helpers shared by the test modules.

use std::error::Error;

/// The message of an error and of every error below it, joined by `: `.
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Configurations for the local servers, as a user's test would build them
/// from what the servers tell (their URL and credentials).
pub trait LocalConfig {
    /// What the configuration is.
    type Config;
    /// A configuration for this server.
    fn config(&self) -> Self::Config;
}

impl LocalConfig for roster_emulator::LocalLucca {
    type Config = roster::LuccaConfig;

    fn config(&self) -> roster::LuccaConfig {
        roster::LuccaConfig::new(&self.base_url(), roster::LuccaApiKey::new(self.api_key()))
            .expect("a loopback URL is a valid base URL")
    }
}

impl LocalConfig for roster_emulator::LocalDocutools {
    type Config = roster::docutools::DocutoolsConfig;

    /// With an access token issued now.
    fn config(&self) -> roster::docutools::DocutoolsConfig {
        roster::docutools::DocutoolsConfig::new(
            &self.base_url(),
            roster::docutools::BearerToken::new(self.issue_token()),
        )
        .expect("a loopback URL is a valid base URL")
    }
}

/// A configuration that logs in to the local Docutools server with its
/// first account (the password grant).
pub fn login_config(
    local: &roster_emulator::LocalDocutools,
) -> roster::docutools::DocutoolsLoginConfig {
    let setup = local.setup();
    let account = &setup.accounts[0];
    let mut grant = roster::docutools::PasswordGrant::new(
        setup.client_id.clone(),
        setup.client_secret.clone(),
        account.username.clone(),
        account.password.clone(),
    );
    if let Some(code) = &account.code {
        grant = grant.with_code(code.clone());
    }
    roster::docutools::DocutoolsLoginConfig::new(&local.base_url(), grant)
        .expect("a loopback URL is a valid base URL")
}

/// Waiter options for the local server's short imports: polls every few
/// milliseconds, gives up after 20 s.
pub fn fast() -> roster::office::WaitOptions {
    roster::office::WaitOptions {
        min_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(40),
        max_wait: std::time::Duration::from_secs(20),
        ..roster::office::WaitOptions::default()
    }
}

/// A client budget under `server`'s: the same requests over half again its
/// window. The margin (the time between being counted and arriving) is a
/// share of the window, so a test that needs more slack on a slow machine
/// scales the window, and the margin with it, rather than a constant.
pub fn client_budget(server: roster_emulator::RequestLimit) -> roster::RateLimit {
    roster::RateLimit {
        requests: server.requests,
        per: server.per * 3 / 2,
    }
}
