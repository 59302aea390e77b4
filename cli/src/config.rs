//! Where the command line's configuration comes from: the flags (`--host`,
//! `--api-key-file`, `--rate`), then the profile (`--profile` or
//! `ROSTER_PROFILE`: `profile.rs`), then an env file (`--env-file`), then
//! the environment, read through the SDK's own `from_vars`. Secrets never come
//! from a flag's value: so the Redis of several workers (its URL may hold a
//! password) is `ROSTER_REDIS_URL`, in the env file or the environment.

use std::collections::HashMap;
use std::path::PathBuf;

use roster::{Config, ConfigError, Credentials, LuccaConfig};

use crate::exit::{Failure, chain};

/// The variable naming the Redis that several workers share: their rate
/// budget, and their import journal unless `--journal` says otherwise.
pub(crate) const REDIS_VAR: &str = "ROSTER_REDIS_URL";

/// The flags that say where the configuration is.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    /// `--host`: the vendor's host for this command.
    pub host: Option<String>,
    /// `--api-key-file`: Lucca's API key, or Docutools' bearer token.
    pub secret_file: Option<PathBuf>,
    /// `--env-file`: `NAME=value` lines, as `roster serve --env-file` writes.
    pub env_file: Option<PathBuf>,
    /// `--rate`: a share of Lucca's budget.
    pub rate: Option<roster::RateLimit>,
    /// `--timeout`: the longest a request may take, retries included.
    pub timeout: Option<std::time::Duration>,
    /// `--connect-timeout`: the longest opening a connection may take.
    pub connect_timeout: Option<std::time::Duration>,
    /// The profile selected, by name.
    pub profile: Option<(String, crate::profile::Profile)>,
    /// The config file, read once.
    pub profiles: crate::profile::Profiles,
    /// The Redis store, once looked up.
    pub store: std::sync::OnceLock<Option<roster::shared::RedisStore>>,
    /// Where the secret in use came from and the host it goes to, once a
    /// configuration is read (`the profile acme's lucca api key, for …`).
    pub key_origin: std::sync::OnceLock<String>,
}

/// A file's text without the BOM some editors write.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The variables, looked up in the order of the module's documentation.
struct Vars {
    host: Option<String>,
    secret: Option<String>,
    file: HashMap<String, String>,
}

impl Vars {
    /// `name` from the env file, else the environment.
    fn get(&self, name: &str) -> Option<String> {
        self.file
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }
}

impl Sources {
    fn vars(&self) -> Result<Vars, Failure> {
        let secret = match &self.secret_file {
            Some(path) => Some(crate::profile::secret_file(path)?),
            None => None,
        };
        let mut file = HashMap::new();
        if let Some(path) = &self.env_file {
            let unreadable = |error: dotenvy::Error| {
                // dotenvy's errors quote the line, which may hold a secret:
                // say only where.
                let what = match error {
                    dotenvy::Error::LineParse(_, index) => {
                        format!("cannot read it at character {index}")
                    }
                    dotenvy::Error::Io(error) => error.to_string(),
                    _ => "cannot read it".to_owned(),
                };
                Failure::usage(format!("env file {}: {what}", path.display()))
            };
            crate::profile::private(path, "env file")?;
            let text = std::fs::read_to_string(path)
                .map_err(|error| unreadable(dotenvy::Error::Io(error)))?;
            for item in dotenvy::from_read_iter(without_bom(&text).as_bytes()) {
                let (name, value) = item.map_err(unreadable)?;
                file.insert(name, value);
            }
        }
        Ok(Vars {
            host: self.host.clone(),
            secret,
            file,
        })
    }

    /// A variable as a profile's `_env` secret is looked up: the env file,
    /// then the environment.
    pub fn lookup(&self) -> Result<impl Fn(&str) -> Option<String>, Failure> {
        let vars = self.vars()?;
        Ok(move |name: &str| vars.get(name))
    }

    /// Lucca's configuration (`LUCCA_HOST`, `LUCCA_API_KEY`), its rate
    /// budget in Redis when `ROSTER_REDIS_URL` is set.
    pub fn lucca(&self) -> Result<LuccaConfig, Failure> {
        let config = self
            .read("LUCCA_HOST", "LUCCA_API_KEY")?
            .map_err(|error| missing(error, "LUCCA_HOST", "LUCCA_API_KEY"))?;
        let rate = match (self.rate, &self.profile) {
            (Some(rate), _) => Some(rate),
            (None, Some((_, profile))) => profile.rate()?,
            (None, None) => None,
        };
        let config = match rate {
            Some(rate) if rate.rate() > roster::RateLimit::per_minute(50).rate() => {
                return Err(Failure::usage(format!(
                    "--rate {rate} is more than Lucca allows a tenant (50 a minute)"
                )));
            }
            Some(rate) => config.with_rate_limit(Some(rate)),
            None => config,
        };
        Ok(match self.redis()? {
            Some(store) => config.with_shared_budget(&store),
            None => config,
        })
    }

    /// The Redis of several workers (`ROSTER_REDIS_URL`: the env file, then
    /// the environment), if set; one connection for the whole run.
    pub fn redis(&self) -> Result<Option<roster::shared::RedisStore>, Failure> {
        if let Some(store) = self.store.get() {
            return Ok(store.clone());
        }
        let vars = self.vars()?;
        let url = vars.get(REDIS_VAR).filter(|url| !url.trim().is_empty());
        let store = url
            .map(|url| {
                roster::shared::RedisStore::open(url.trim())
                    .map_err(|error| Failure::usage(format!("{REDIS_VAR}: {}", chain(&error))))
            })
            .transpose()?;
        Ok(self.store.get_or_init(|| store).clone())
    }

    /// Docutools' configuration: a bearer token (`DOCUTOOLS_TOKEN`), else
    /// the password grant's variables.
    pub fn docutools(&self) -> Result<DocutoolsTarget, Failure> {
        let (host, token) = ("DOCUTOOLS_HOST", "DOCUTOOLS_TOKEN");
        match self.read::<roster::docutools::BearerToken>(host, token)? {
            Ok(config) => Ok(DocutoolsTarget::Token(config)),
            Err(ConfigError::MissingVariable {
                name: "DOCUTOOLS_TOKEN",
            }) => self
                .read::<roster::docutools::PasswordGrant>(host, token)?
                .map(DocutoolsTarget::Login)
                .map_err(|error| missing(error, host, token)),
            Err(error) => Err(missing(error, host, token)),
        }
    }

    /// A configuration through the SDK's `from_vars`, `--host` standing for
    /// the `host` variable and `--api-key-file` for `secret`. The outer
    /// error: a file that cannot be read.
    fn read<C: Credentials>(
        &self,
        host: &str,
        secret: &str,
    ) -> Result<Result<Config<C>, ConfigError>, Failure> {
        let vars = self.vars()?;
        let which = match secret {
            "DOCUTOOLS_TOKEN" => crate::profile::Secret::DocutoolsToken,
            _ => crate::profile::Secret::LuccaKey,
        };
        // A profile that names this API gives its host and its secret as a
        // pair: one tenant's secret never goes to another's host.
        let (profile_host, profile_secret) = match &self.profile {
            Some((name, profile)) if profile.names(which) => {
                let host_named = profile.host(which);
                match (vars.host.is_some(), vars.secret.is_some()) {
                    // The flags give both: the profile gives nothing here.
                    (true, true) => (None, None),
                    (true, false) => {
                        return Err(Failure::usage(format!(
                            "--host with --profile {name}: the profile's secret would go to another host; give --api-key-file too, or leave out --host"
                        )));
                    }
                    (false, true) => {
                        return Err(Failure::usage(format!(
                            "--api-key-file with --profile {name}: that secret would go to the profile's host; give --host too, or leave out --api-key-file"
                        )));
                    }
                    (false, false) => {
                        let secret_named = profile.secret(which, |name| vars.get(name))?;
                        match (host_named, secret_named) {
                            (Some(host), Some(secret)) => (Some(host), Some(secret)),
                            (Some(_), None) => {
                                return Err(Failure::usage(format!(
                                    "the profile {name} gives {host} but not its secret: add the secret's `_file` or `_env` line"
                                )));
                            }
                            (None, _) => {
                                return Err(Failure::usage(format!(
                                    "the profile {name} gives a secret but not {host}: add the host"
                                )));
                            }
                        }
                    }
                }
            }
            _ => (None, None),
        };
        let config = Config::<C>::from_vars(|name| {
            if name == host
                && let Some(host) = vars.host.clone().or_else(|| profile_host.clone())
            {
                return Some(host);
            }
            if name == secret
                && let Some(secret) = vars.secret.clone().or_else(|| profile_secret.clone())
            {
                return Some(secret);
            }
            vars.get(name)
        });
        if let Ok(config) = &config {
            let origin = match (&self.secret_file, &self.profile) {
                (Some(path), _) => format!("the key file {}", path.display()),
                (None, Some((name, _))) if profile_secret.is_some() => {
                    format!(
                        "the profile {name}'s {}",
                        secret.to_lowercase().replace('_', " ")
                    )
                }
                _ => match (&self.env_file, vars.file.contains_key(secret)) {
                    (Some(path), true) => format!("{secret} in {}", path.display()),
                    _ if vars.get(secret).is_some() => format!("{secret} in the environment"),
                    _ => "the credentials of the env file or the environment".to_owned(),
                },
            };
            let _ = self
                .key_origin
                .set(format!("{origin}, for {}", config.base_url().as_str()));
        }
        Ok(config.and_then(|config| self.timed(config)))
    }

    /// `config` with `--connect-timeout` and `--timeout`, when given.
    pub fn timed<C: Credentials>(&self, config: Config<C>) -> Result<Config<C>, ConfigError> {
        let config = match self.connect_timeout {
            Some(timeout) => config.with_connect_timeout(timeout)?,
            None => config,
        };
        match self.timeout {
            Some(timeout) => config.with_operation_timeout(timeout),
            None => Ok(config),
        }
    }
}

/// A configuration error, saying which flag would give what is missing.
fn missing(error: ConfigError, host: &str, secret: &str) -> Failure {
    match error {
        ConfigError::MissingVariable { name } => {
            let flag = if name == host {
                "--host"
            } else if name == secret {
                "--api-key-file"
            } else {
                "--env-file"
            };
            Failure::usage(format!(
                "{name} is not set: set it, or give {flag} (or --env-file)"
            ))
        }
        error => Failure::usage(chain(&error)),
    }
}

/// How the command line reaches Docutools.
pub(crate) enum DocutoolsTarget {
    /// A bearer token.
    Token(roster::docutools::DocutoolsConfig),
    /// Logs in with the password grant.
    Login(roster::docutools::DocutoolsLoginConfig),
}

impl DocutoolsTarget {
    /// The host the command talks to.
    pub fn host(&self) -> &str {
        match self {
            Self::Token(config) => config.base_url().as_str(),
            Self::Login(config) => config.base_url().as_str(),
        }
    }

    /// The client.
    pub fn client(&self) -> Result<roster::docutools::Client, Failure> {
        match self {
            Self::Token(config) => config.client(),
            Self::Login(config) => config.client(),
        }
        .map_err(|error| Failure::usage(chain(&error)))
    }
}
