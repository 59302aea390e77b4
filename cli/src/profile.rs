//! Named tenants: profiles in `$XDG_CONFIG_HOME/roster/config.toml` (or
//! the file `ROSTER_CONFIG` names), one a tenant, each naming its hosts and
//! where its secrets live (a file, or an environment variable), never a
//! secret itself:
//!
//! ```toml
//! [profiles.acme-test]
//! lucca_host = "https://acme-test.ilucca.net"
//! lucca_api_key_file = "/home/me/.config/roster/acme-test.key"
//! rate = "20/min"
//!
//! [profiles.acme]
//! lucca_host = "https://acme.ilucca.net"
//! lucca_api_key_env = "ACME_LUCCA_KEY"
//! docutools_host = "https://acme.docu.solutions"
//! docutools_token_env = "ACME_DOCUTOOLS_TOKEN"
//! ```
//!
//! `--profile NAME` or `ROSTER_PROFILE` selects one; else the file's
//! `default_profile = "acme"` (`roster profiles use acme`), unless a flag,
//! an env file or the environment gives the host. As ssh does, a secret file
//! that others may read is refused, and so is a config file that others may
//! write; one that others may only read is used with a warning (it holds no
//! secret). `roster profiles add` writes both 0600, `roster profiles check`
//! tries each key on its host (`profile_setup.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::exit::Failure;

/// The variable naming the config file, instead of the default place.
pub(crate) const CONFIG_VAR: &str = "ROSTER_CONFIG";

/// The variable naming the profile, when `--profile` does not.
pub(crate) const PROFILE_VAR: &str = "ROSTER_PROFILE";

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The profile used when nothing else names one (`roster profiles use`).
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One tenant.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// Lucca's host.
    pub lucca_host: Option<String>,
    /// A file holding Lucca's API key.
    pub lucca_api_key_file: Option<PathBuf>,
    /// The environment variable holding Lucca's API key.
    pub lucca_api_key_env: Option<String>,
    /// Docutools' host.
    pub docutools_host: Option<String>,
    /// A file holding Docutools' bearer token.
    pub docutools_token_file: Option<PathBuf>,
    /// The environment variable holding Docutools' bearer token.
    pub docutools_token_env: Option<String>,
    /// This tenant's share of Lucca's budget (`20/min`).
    pub rate: Option<String>,
}

/// Where a profile keeps a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secret {
    /// Lucca's API key.
    LuccaKey,
    /// Docutools' bearer token.
    DocutoolsToken,
}

impl Profile {
    /// This tenant's share of Lucca's budget, if it names one.
    pub fn rate(&self) -> Result<Option<roster::RateLimit>, Failure> {
        self.rate
            .as_deref()
            .map(|rate| {
                rate.parse().map_err(|error: roster::ParseError| {
                    Failure::usage(format!("the profile's rate: {error}"))
                })
            })
            .transpose()
    }

    /// The host of `which`'s API.
    pub fn host(&self, which: Secret) -> Option<String> {
        match which {
            Secret::LuccaKey => self.lucca_host.clone(),
            Secret::DocutoolsToken => self.docutools_host.clone(),
        }
    }

    /// Whether the profile names a host or a secret for `which`'s API.
    pub fn names(&self, which: Secret) -> bool {
        match which {
            Secret::LuccaKey => {
                self.lucca_host.is_some()
                    || self.lucca_api_key_file.is_some()
                    || self.lucca_api_key_env.is_some()
            }
            Secret::DocutoolsToken => {
                self.docutools_host.is_some()
                    || self.docutools_token_file.is_some()
                    || self.docutools_token_env.is_some()
            }
        }
    }

    /// The secret `which`, read from its file (refused if others may read
    /// it) or its variable (looked up by `lookup`: the env file, then the
    /// environment); `None` when the profile does not say.
    pub fn secret(
        &self,
        which: Secret,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, Failure> {
        let (file, variable) = match which {
            Secret::LuccaKey => (&self.lucca_api_key_file, &self.lucca_api_key_env),
            Secret::DocutoolsToken => (&self.docutools_token_file, &self.docutools_token_env),
        };
        if let Some(path) = file {
            return secret_file(path).map(Some);
        }
        if let Some(variable) = variable {
            let named = !variable.is_empty()
                && !variable.starts_with(|c: char| c.is_ascii_digit())
                && variable
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !named {
                // Not quoted: a secret written where its variable's name
                // belongs must not be echoed.
                return Err(Failure::usage(
                    "the profile's secret variable is not a variable's name (letters, digits, `_`)",
                ));
            }
            return lookup(variable).map(Some).ok_or_else(|| {
                Failure::usage(format!(
                    "the profile's secret variable {variable} is not set"
                ))
            });
        }
        Ok(None)
    }

    /// Where each secret lives, for `roster profiles` (never the secret).
    fn secrets_shown(&self) -> String {
        let place = |file: &Option<PathBuf>, variable: &Option<String>| match (file, variable) {
            (Some(file), _) => format!("file {}", file.display()),
            (None, Some(variable)) => format!("${variable}"),
            (None, None) => "-".to_owned(),
        };
        format!(
            "lucca key: {}; docutools token: {}",
            place(&self.lucca_api_key_file, &self.lucca_api_key_env),
            place(&self.docutools_token_file, &self.docutools_token_env)
        )
    }
}

/// The secret a file holds (refused if others may read it), without the
/// BOM some editors write, trimmed: `--api-key-file`'s and a profile's.
pub(crate) fn secret_file(path: &Path) -> Result<String, Failure> {
    private(path, "secret file")?;
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::usage(format!(
            "cannot read the secret file {}: {error}",
            path.display()
        ))
    })?;
    Ok(crate::config::without_bom(&text).trim().to_owned())
}

/// The config file's path: `ROSTER_CONFIG`, else
/// `$XDG_CONFIG_HOME/roster/config.toml` (the platform's config directory).
pub(crate) fn config_path() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_VAR) {
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::config_dir().map(|dir| dir.join("roster").join("config.toml")),
    }
}

/// The config file, read once a run: where it is, its profiles and its
/// default profile (none when there is no file).
#[derive(Debug, Default)]
pub(crate) struct Profiles {
    path: Option<PathBuf>,
    file: File,
}

impl Profiles {
    /// Reads the config file (its permissions checked first).
    pub(crate) fn load() -> Result<Self, Failure> {
        let Some(path) = config_path() else {
            return Ok(Self::default());
        };
        if !path.exists() {
            return Ok(Self {
                path: Some(path),
                file: File::default(),
            });
        }
        shareable(&path)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|error| Failure::usage(format!("cannot read {}: {error}", path.display())))?;
        // toml's own message quotes the line, which may hold a secret written
        // where a file's path belongs: say only where, and what.
        let file: File = toml::from_str(&text)
            .map_err(|error| toml_failure(&path, &text, error.span(), error.message()))?;
        Ok(Self {
            path: Some(path),
            file,
        })
    }

    /// The profiles' names.
    pub(crate) fn names(&self) -> Vec<String> {
        self.file.profiles.keys().cloned().collect()
    }

    /// The profile `--profile` or `ROSTER_PROFILE` names, if any; else the
    /// config file's `default_profile`, unless `elsewhere` (the host is
    /// given by a flag, an env file or the environment: that tenant is
    /// meant).
    pub(crate) fn selected(
        &self,
        flag: Option<String>,
        elsewhere: bool,
    ) -> Result<Option<(String, Profile)>, Failure> {
        let named = flag.or_else(|| {
            std::env::var(PROFILE_VAR)
                .ok()
                .filter(|name| !name.is_empty())
        });
        let (path, profiles) = (&self.path, &self.file.profiles);
        let name = match (named, self.file.default_profile.clone()) {
            (Some(name), _) => name,
            (None, Some(_)) if elsewhere => return Ok(None),
            (None, Some(default)) if !profiles.contains_key(&default) => {
                // A default naming no profile must not stop every command (nor
                // the `profiles use` that mends it).
                crate::ui::emit_err(format_args!(
                    "roster: warning: the default profile {default:?} is not in the config file: none is used (`roster profiles use NAME`)"
                ));
                return Ok(None);
            }
            (None, Some(default)) => default,
            (None, None) => return Ok(None),
        };
        match profiles.get(&name) {
            Some(profile) => Ok(Some((name, profile.clone()))),
            None => {
                let known: Vec<&String> = profiles.keys().collect();
                let place = path.as_ref().map_or_else(
                    || "no config file".to_owned(),
                    |path| path.display().to_string(),
                );
                Err(Failure::usage(format!(
                    "no profile {name:?} in {place} (profiles: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known
                            .iter()
                            .map(|name| name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )))
            }
        }
    }

    /// `roster profiles`: each profile's name, hosts and where its secrets
    /// live, never a secret.
    pub(crate) fn list(&self, context: &crate::ui::Context) -> Result<(), Failure> {
        let (path, default, profiles) =
            (&self.path, &self.file.default_profile, &self.file.profiles);
        if context.json && context.format != crate::ui::Format::Csv {
            let listed: Vec<serde_json::Value> = profiles
                .iter()
                .map(|(name, profile)| {
                    serde_json::json!({
                        "name": name,
                        "default": default.as_deref() == Some(name.as_str()),
                        "luccaHost": profile.lucca_host,
                        "luccaApiKeyFile": profile.lucca_api_key_file,
                        "luccaApiKeyEnv": profile.lucca_api_key_env,
                        "docutoolsHost": profile.docutools_host,
                        "docutoolsTokenFile": profile.docutools_token_file,
                        "docutoolsTokenEnv": profile.docutools_token_env,
                        "rate": profile.rate,
                    })
                })
                .collect();
            context.document(&serde_json::Value::Array(listed));
            return Ok(());
        }
        if profiles.is_empty() {
            let place = path.as_ref().map_or_else(
                || "no config directory".to_owned(),
                |path| path.display().to_string(),
            );
            context.say(format!("no profiles ({place})"));
            return Ok(());
        }
        let rows = profiles.iter().map(|(name, profile)| {
            (
                crate::ui::Tone::Plain,
                vec![
                    match default.as_deref() == Some(name.as_str()) {
                        true => format!("{name} (default)"),
                        false => name.clone(),
                    },
                    profile.lucca_host.clone().unwrap_or_default(),
                    profile.docutools_host.clone().unwrap_or_default(),
                    profile.secrets_shown(),
                ],
            )
        });
        context.table(
            &["profile", "lucca host", "docutools host", "secrets"],
            rows,
        );
        Ok(())
    }
}

/// A mistake in a TOML file, as `file:line:column: what` (toml's own
/// message quotes the line, which may hold a secret: never shown).
pub(crate) fn toml_failure(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
) -> Failure {
    let (line, column) = span.map_or((1, 1), |span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        )
    });
    Failure::usage(format!(
        "{}:{line}:{column}: {}",
        path.display(),
        message.trim_end()
    ))
}

/// The config file holds no secret (only hosts, and where the secrets
/// live): one that others may read is used, with a warning; one that others
/// may write, or another user's, is refused (it says where secrets go).
#[cfg(unix)]
fn shareable(path: &Path) -> Result<(), Failure> {
    let what = "config file";
    let mode = owned_mode(path, what)?;
    // Writable or executable by others: refused as a secret file is.
    if mode & 0o033 != 0 {
        return Err(exposed(path, what, mode));
    }
    if mode & 0o044 != 0 {
        crate::ui::emit_err(format_args!(
            "roster: warning: {} can be read by others (mode {mode:03o}); it holds no secret, but `chmod 600 {}` keeps your tenants to you",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// No permission bits to check.
#[cfg(not(unix))]
fn shareable(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

/// A file's permission bits, once it is known to be its reader's (or
/// root's): another user's file is refused.
#[cfg(unix)]
fn owned_mode(path: &Path, what: &str) -> Result<u32, Failure> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let metadata = std::fs::metadata(path).map_err(|error| {
        Failure::usage(format!(
            "cannot read the {what} {}: {error}",
            path.display()
        ))
    })?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if metadata.uid() != me && metadata.uid() != 0 {
        return Err(Failure::usage(format!(
            "the {what} {} belongs to another user (uid {}): it is not yours to trust",
            path.display(),
            metadata.uid()
        )));
    }
    Ok(metadata.permissions().mode() & 0o777)
}

/// The refusal of a file others may read or write.
#[cfg(unix)]
fn exposed(path: &Path, what: &str, mode: u32) -> Failure {
    Failure::usage(format!(
        "the {what} {} can be read or written by others (mode {mode:03o}): \
         it may hold or point to a secret; `chmod 600 {}`",
        path.display(),
        path.display()
    ))
}

/// Refuses a file that others than its owner may read or write, or that
/// another user owns (as ssh refuses them).
#[cfg(unix)]
pub(crate) fn private(path: &Path, what: &str) -> Result<(), Failure> {
    match owned_mode(path, what)? {
        mode if mode & 0o077 != 0 => Err(exposed(path, what, mode)),
        _ => Ok(()),
    }
}

/// No permission bits to check.
#[cfg(not(unix))]
pub(crate) fn private(_path: &Path, _what: &str) -> Result<(), Failure> {
    Ok(())
}
