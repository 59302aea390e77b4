//! Setting profiles up once: `roster profiles use NAME` (the default
//! profile), `roster profiles add NAME` (a profile written 0600, its Lucca
//! key checked with one read first), `roster profiles check [NAME]` (does
//! each key work on its host). The config file is edited in place: its
//! comments and order are kept.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use roster::{LuccaApiKey, LuccaConfig, directory};

use crate::exit::{Failure, chain};
use crate::profile::{Profile, Secret};
use crate::ui::{Context, Tone};

/// `roster profiles …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProfilesCommand {
    /// The profiles: names, hosts and where their secrets live, never a
    /// secret (what `roster profiles` alone shows).
    List,
    /// Makes NAME the profile used when neither `--profile`,
    /// `ROSTER_PROFILE` nor a host (flag, env file, environment) says
    /// otherwise.
    #[command(after_help = "Examples:\n  roster profiles use acme")]
    Use {
        /// The profile.
        name: String,
    },
    /// Adds a profile (or replaces one), after checking its Lucca key with
    /// one read. Without `--lucca-key-file` or `--lucca-key-env`, the key is
    /// read from standard input and kept in `NAME.lucca-key` beside the
    /// config file, mode 0600.
    #[command(
        after_help = "Examples:\n  roster profiles add acme --lucca-host acme.ilucca.net             # the key is asked for\n  roster profiles add acme-test --lucca-host acme.ilucca-test.net --lucca-key-env ACME_TEST_KEY --rate 20/min"
    )]
    Add(AddArgs),
    /// Checks each profile's Lucca key (or NAME's) with one read on its
    /// host: accepted, refused, or the host does not answer. Exit 1 when
    /// one is not accepted.
    #[command(after_help = "Examples:\n  roster profiles check\n  roster profiles check acme")]
    Check {
        /// One profile (else every one).
        name: Option<String>,
    },
}

/// `roster profiles add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The profile's name (letters, digits, `-`, `_`).
    name: String,
    /// Lucca's host (`acme.ilucca.net`).
    #[arg(long)]
    lucca_host: Option<String>,
    /// A file that holds Lucca's API key (mode 0600).
    #[arg(long, conflicts_with = "lucca_key_env")]
    lucca_key_file: Option<PathBuf>,
    /// The environment variable that holds Lucca's API key.
    #[arg(long)]
    lucca_key_env: Option<String>,
    /// Docutools' host.
    #[arg(long)]
    docutools_host: Option<String>,
    /// A file that holds Docutools' bearer token (mode 0600).
    #[arg(long, conflicts_with = "docutools_token_env")]
    docutools_token_file: Option<PathBuf>,
    /// The environment variable that holds Docutools' bearer token.
    #[arg(long)]
    docutools_token_env: Option<String>,
    /// This tenant's share of Lucca's budget (`20/min`).
    #[arg(long)]
    rate: Option<roster::RateLimit>,
    /// Writes the profile without checking the key.
    #[arg(long)]
    no_check: bool,
}

pub(crate) async fn run(command: ProfilesCommand, context: &Context) -> Result<(), Failure> {
    match command {
        ProfilesCommand::List => context.sources.profiles.list(context),
        ProfilesCommand::Use { name } => use_profile(&name, context),
        ProfilesCommand::Add(args) => add(args, context).await,
        ProfilesCommand::Check { name } => check(name, context).await,
    }
}

/// The config file's path, or a usage error when there is no place for it.
fn config_file() -> Result<PathBuf, Failure> {
    crate::profile::config_path().ok_or_else(|| {
        Failure::usage(format!(
            "no config directory: set {} to the config file's path",
            crate::profile::CONFIG_VAR
        ))
    })
}

/// The config file as an editable document (empty when there is none).
fn document(path: &Path) -> Result<toml_edit::DocumentMut, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(Failure::usage(format!("{}: {error}", path.display()))),
    };
    text.parse().map_err(|error: toml_edit::TomlError| {
        crate::profile::toml_failure(path, &text, error.span(), error.message())
    })
}

/// [`write_private`](crate::input::write_private), its directory made 0700
/// if missing.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path.parent().unwrap_or(Path::new(".")))
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
    crate::input::write_private(path, contents)
}

/// Refuses a name a profile cannot have.
fn valid_name(name: &str) -> Result<(), Failure> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match valid {
        true => Ok(()),
        false => Err(Failure::usage(format!(
            "`{name}` cannot name a profile: use letters, digits, `-` and `_`"
        ))),
    }
}

fn use_profile(name: &str, context: &Context) -> Result<(), Failure> {
    let path = config_file()?;
    let mut document = document(&path)?;
    let known = document
        .get("profiles")
        .and_then(|profiles| profiles.as_table_like())
        .is_some_and(|profiles| profiles.contains_key(name));
    if !known {
        return Err(Failure::usage(format!(
            "no profile {name:?} in {} (`roster profiles add {name}` writes one)",
            path.display()
        )));
    }
    document["default_profile"] = toml_edit::value(name);
    write_private(&path, document.to_string().as_bytes())?;
    context.say(format!(
        "{name} is the default profile ({})",
        path.display()
    ));
    Ok(())
}

/// The terminal's echo turned off while a secret is typed, and on again
/// when dropped.
struct Hidden {
    #[cfg(unix)]
    before: libc::termios,
}

impl Hidden {
    /// Turns the echo of standard input's terminal off; `None` when it
    /// cannot (then the key is shown as it is typed).
    #[cfg(unix)]
    fn typing() -> Option<Self> {
        // SAFETY: termios is plain data; tcgetattr fills it for fd 0 or fails.
        let mut before: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut before) } != 0 {
            return None;
        }
        let mut hidden = before;
        hidden.c_lflag &= !libc::ECHO;
        // SAFETY: a termios read from the same descriptor, echo cleared.
        match unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &hidden) } {
            0 => Some(Self { before }),
            _ => None,
        }
    }

    /// No terminal settings to change.
    #[cfg(not(unix))]
    fn typing() -> Option<Self> {
        None
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        // SAFETY: the settings read before, put back.
        #[cfg(unix)]
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.before);
        }
    }
}

/// Reads Lucca's key from standard input (asked for on a terminal, where
/// it is not shown as it is typed).
fn key_from_stdin(host: &str) -> Result<String, Failure> {
    let hidden = match std::io::stdin().is_terminal() {
        true => {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "Lucca API key for {host} (not shown; then Enter): ");
            let _ = err.flush();
            Hidden::typing()
        }
        false => None,
    };
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| Failure::usage(format!("-: {error}")))?;
    if hidden.is_some() {
        crate::ui::emit_err("");
    }
    let key = line.trim().to_owned();
    match key.is_empty() {
        true => Err(Failure::usage(
            "no Lucca API key on standard input: give it there, or --lucca-key-file or --lucca-key-env",
        )),
        false => Ok(key),
    }
}

async fn add(args: AddArgs, context: &Context) -> Result<(), Failure> {
    valid_name(&args.name)?;
    let path = config_file()?;
    let mut document = document(&path)?;
    let absolute = |path: &Option<PathBuf>| -> Result<Option<PathBuf>, Failure> {
        path.as_deref()
            .map(|path| {
                std::path::absolute(path)
                    .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))
            })
            .transpose()
    };
    let mut profile = Profile {
        lucca_host: args.lucca_host.clone(),
        lucca_api_key_file: absolute(&args.lucca_key_file)?,
        lucca_api_key_env: args.lucca_key_env.clone(),
        docutools_host: args.docutools_host.clone(),
        docutools_token_file: absolute(&args.docutools_token_file)?,
        docutools_token_env: args.docutools_token_env.clone(),
        rate: args.rate.map(|rate| rate.to_string()),
    };
    if profile.lucca_host.is_none() && profile.docutools_host.is_none() {
        return Err(Failure::usage(
            "a profile names a host: --lucca-host, --docutools-host or both",
        ));
    }
    if (profile.docutools_token_file.is_some() || profile.docutools_token_env.is_some())
        && profile.docutools_host.is_none()
    {
        return Err(Failure::usage("a Docutools token needs --docutools-host"));
    }
    // The key read from standard input is written only once it is checked.
    let mut new_key = None;
    if let Some(host) = &profile.lucca_host {
        let key = match profile.secret(Secret::LuccaKey, context.sources.lookup()?)? {
            Some(key) => key,
            None => {
                let key = key_from_stdin(host)?;
                new_key = Some(key.clone());
                key
            }
        };
        if args.no_check {
            context.say(format!("{}: Lucca key not checked (--no-check)", args.name));
        } else {
            let checked = try_lucca(host, key, context).await;
            context.say(format!("{}: Lucca {host}: {}", args.name, checked.said()));
            if !checked.accepted() {
                return Err(Failure::refused(format!(
                    "the profile {} was not written: {}",
                    args.name,
                    checked.said()
                )));
            }
        }
    }
    if let Some(key) = new_key {
        let key_path = path.with_file_name(format!("{}.lucca-key", args.name));
        write_private(&key_path, format!("{key}\n").as_bytes())?;
        profile.lucca_api_key_file = Some(key_path);
    }
    match document.get("profiles") {
        None => {
            let mut profiles = toml_edit::Table::new();
            profiles.set_implicit(true);
            document["profiles"] = toml_edit::Item::Table(profiles);
        }
        Some(toml_edit::Item::Table(_)) => {}
        Some(_) => {
            return Err(Failure::usage(format!(
                "{}: `profiles` is not a table of tables: write each as `[profiles.NAME]`, then add again",
                path.display()
            )));
        }
    }
    let mut table = toml_edit::Table::new();
    let text = |value: &Option<String>| value.as_deref().map(toml_edit::value);
    let path_text = |value: &Option<PathBuf>| {
        value
            .as_deref()
            .map(|path| toml_edit::value(path.display().to_string()))
    };
    let entries = [
        ("lucca_host", text(&profile.lucca_host)),
        ("lucca_api_key_file", path_text(&profile.lucca_api_key_file)),
        ("lucca_api_key_env", text(&profile.lucca_api_key_env)),
        ("docutools_host", text(&profile.docutools_host)),
        (
            "docutools_token_file",
            path_text(&profile.docutools_token_file),
        ),
        ("docutools_token_env", text(&profile.docutools_token_env)),
        ("rate", text(&profile.rate)),
    ];
    for (key, value) in entries {
        if let Some(value) = value {
            table[key] = value;
        }
    }
    document["profiles"][args.name.as_str()] = toml_edit::Item::Table(table);
    write_private(&path, document.to_string().as_bytes())?;
    context.say(format!(
        "profile {} written to {} (mode 0600)",
        args.name,
        path.display()
    ));
    Ok(())
}

/// What one read with a key gave.
enum Checked {
    /// The host answered the read.
    Accepted,
    /// The host refused the key (401, 403).
    Refused(u16),
    /// Something else: no answer, another status, a configuration error.
    Failed(String),
    /// Nothing to try the secret with.
    Untried(&'static str),
}

impl Checked {
    fn accepted(&self) -> bool {
        matches!(self, Self::Accepted)
    }

    fn fails(&self) -> bool {
        matches!(self, Self::Refused(_) | Self::Failed(_))
    }

    fn said(&self) -> String {
        match self {
            Self::Untried(why) => (*why).to_owned(),
            Self::Accepted => "the key works (one read answered)".to_owned(),
            Self::Refused(status) => format!("the key is refused ({status})"),
            Self::Failed(why) => why.clone(),
        }
    }
}

/// One read of one user's id with `key` on `host`.
async fn try_lucca(host: &str, key: String, context: &Context) -> Checked {
    let config = LuccaConfig::new(host, LuccaApiKey::new(key))
        .and_then(|config| context.sources.timed(config));
    let directory: directory::Client = match config.and_then(|config| config.client()) {
        Ok(client) => client,
        Err(error) => return Checked::Failed(chain(&error)),
    };
    read_one(&directory).await
}

/// The one read: a page of one user's id.
async fn read_one(directory: &directory::Client) -> Checked {
    match directory
        .list_users()
        .paging("0,1")
        .fields("id")
        .send()
        .await
    {
        Ok(_) => Checked::Accepted,
        Err(error) => match error.status().map(|status| status.as_u16()) {
            Some(status @ (401 | 403)) => Checked::Refused(status),
            _ if matches!(error, roster::HttpError::NotSent { .. }) => {
                Checked::Failed("no connection: check the host".to_owned())
            }
            _ => Checked::Failed(crate::exit::chain(&error)),
        },
    }
}

async fn check(name: Option<String>, context: &Context) -> Result<(), Failure> {
    let names = match name {
        Some(name) => vec![name],
        None => context.sources.profiles.names(),
    };
    if names.is_empty() {
        return Err(Failure::usage(
            "no profiles to check (`roster profiles add NAME` writes one)",
        ));
    }
    let lookup = context.sources.lookup()?;
    let mut rows = Vec::new();
    let mut all_work = true;
    for name in names {
        let Some((name, profile)) = context.sources.profiles.selected(Some(name), false)? else {
            continue;
        };
        let mut row = |api: &str, host: Option<String>, checked: Checked| {
            all_work &= !checked.fails();
            let tone = match checked.fails() {
                false => Tone::Plain,
                true => Tone::Bad,
            };
            rows.push((
                tone,
                vec![
                    name.clone(),
                    api.to_owned(),
                    host.unwrap_or_default(),
                    checked.said(),
                ],
            ));
        };
        if profile.names(Secret::LuccaKey) {
            let sources = crate::config::Sources {
                profile: Some((name.clone(), profile.clone())),
                timeout: context.sources.timeout,
                connect_timeout: context.sources.connect_timeout,
                env_file: context.sources.env_file.clone(),
                ..Default::default()
            };
            let checked = match sources.lucca() {
                Ok(config) => match config.client::<directory::Client>() {
                    Ok(directory) => read_one(&directory).await,
                    Err(error) => Checked::Failed(chain(&error)),
                },
                Err(failure) => Checked::Failed(failure.message),
            };
            row("lucca", profile.lucca_host.clone(), checked);
        }
        if profile.names(Secret::DocutoolsToken) {
            // Docutools documents no read to try a token with: only that
            // the profile gives one.
            let checked = match profile.secret(Secret::DocutoolsToken, &lookup) {
                Ok(Some(_)) => {
                    Checked::Untried("not checked: Docutools documents no read to try a token with")
                }
                Ok(None) => Checked::Failed("no token named".to_owned()),
                Err(failure) => Checked::Failed(failure.message),
            };
            row("docutools", profile.docutools_host.clone(), checked);
        }
    }
    context.table(&["profile", "api", "host", "result"], rows);
    match all_work {
        true => Ok(()),
        false => Err(Failure::refused(
            "a profile's key is not accepted (see above)",
        )),
    }
}
