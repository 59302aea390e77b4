//! `roster`: the SDK on the command line, for the people who run the
//! imports by hand (the `roster-cli` crate).
//!
//! Exit codes: 0 done; 1 the input or the vendor refused; 2 usage or
//! configuration; 3 outcome unknown (the import may have been applied);
//! 4 a transient failure that a retry may mend; 130 interrupted (Ctrl-C).

mod api;
mod config;
mod docutools;
mod errors_csv;
mod exit;
mod input;
mod man;
mod office;
mod profile;
mod profile_setup;
mod requests;
mod spec;
mod sync_plan;
mod ui;
mod user_locations;
mod users;

// The build's own generation and report, for `roster spec diff`.
use roster_codegen::{generate, surface};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use exit::Failure;
use ui::Context;

/// Lucca Office imports, Lucca users and Docutools imports from the command
/// line. Credentials come from a profile (`--profile`, `roster profiles`),
/// a file (`--api-key-file`, `--env-file`) or the environment
/// (`LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST`, `DOCUTOOLS_TOKEN`…),
/// never from a flag's value.
#[derive(Debug, Parser)]
#[command(name = "roster", version, next_help_heading = "Global options", after_help = EXAMPLES)]
struct Cli {
    /// JSON on standard output instead of text: `--format jsonl`.
    #[arg(long, global = true, conflicts_with = "format")]
    json: bool,
    /// How results are written: `table` (for a person), `json` (one
    /// document; a listing is one array), `jsonl` (a listing is one JSON
    /// line an item), `csv` (a listing's or a plan's table, for the
    /// commands that write one).
    #[arg(long, global = true, value_enum)]
    format: Option<ui::Format>,
    /// Only errors, on standard error.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// The tenant: a profile of `$XDG_CONFIG_HOME/roster/config.toml`
    /// (else `ROSTER_PROFILE`); `roster profiles` lists them.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The vendor's host (else the profile's, `LUCCA_HOST` or
    /// `DOCUTOOLS_HOST`).
    #[arg(long, global = true)]
    host: Option<String>,
    /// A file holding the secret: Lucca's API key (else `LUCCA_API_KEY`)
    /// or Docutools' bearer token (else `DOCUTOOLS_TOKEN`).
    #[arg(long, global = true)]
    api_key_file: Option<PathBuf>,
    /// A file of `NAME=value` lines read before the environment (the one
    /// `roster serve --env-file` writes, say).
    #[arg(long, global = true)]
    env_file: Option<PathBuf>,
    /// A share of the tenant's Lucca budget for this run (`20/min`), so
    /// that its other integrations keep the rest; at most Lucca's own 50 a
    /// minute, which is the default.
    #[arg(long, global = true)]
    rate: Option<roster::RateLimit>,
    /// The longest any one request may take, its retries and its wait for
    /// the rate limit included (`30s`, `2m`).
    #[arg(long, global = true, value_parser = humantime::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// The longest opening a connection may take (`3s`; 10 s by default):
    /// past it, nothing was sent and the host is to be checked.
    #[arg(long, global = true, value_parser = humantime::parse_duration)]
    connect_timeout: Option<std::time::Duration>,

    /// One line a request on standard error (method, path, status,
    /// milliseconds, attempt; never a secret or a query); `-vv` shows more
    /// of what `roster` does.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lucca Office: user-location imports and listings.
    #[command(subcommand)]
    Office(office::OfficeCommand),
    /// Lucca users (Directory): list them, sync them with an HR export.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Docutools: import users from a CSV export.
    #[command(subcommand)]
    Docutools(docutools::DocutoolsCommand),
    /// The profiles (tenants) of the config file: list them (names, hosts
    /// and where their secrets live, never a secret), add one, choose the
    /// default, check their keys.
    Profiles {
        #[command(subcommand)]
        command: Option<profile_setup::ProfilesCommand>,
    },
    /// Specs: what a new version of a vendor's spec breaks.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// The local servers of `roster-emulator`, same flags and output.
    #[command(
        after_help = "Examples:\n  roster serve --env-file local.env            # then: roster --env-file local.env office work-locations\n  roster serve --seed-users 1000 --rate-limit 50/60s --fault create=drop-after"
    )]
    Serve(roster_emulator::ServeOptions),
    /// A request to an endpoint the specs do not cover (departments, legal
    /// entities…), like `gh api`: same credentials, rate limit and retries.
    #[command(
        after_help = "Examples:\n  roster api /organization/structure/api/departments\n  roster api \"/organization/structure/api/establishments?limit=99\""
    )]
    Api(api::ApiArgs),
    /// A completion script for your shell, on standard output
    /// (`source <(roster completions bash)`).
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// The manual page (roff), on standard output (`roster man | man -l -`).
    Man,
}

#[derive(Debug, Subcommand)]
enum SpecCommand {
    /// The breaking-change report between two versions of a spec: one line
    /// a change, `breaking:` or `additive:`; exit 1 if any is breaking.
    #[command(
        after_help = "Examples:\n  roster spec diff openapi/lucca-office.yaml new/lucca-office.yaml"
    )]
    Diff {
        /// The version your code is written against.
        old: PathBuf,
        /// The new version.
        new: PathBuf,
        /// Which API (office, directory, docutools), when the file name
        /// does not say.
        #[arg(long)]
        api: Option<String>,
    },
}

/// The examples `roster --help` ends with.
const EXAMPLES: &str = "Examples:
  roster profiles add acme --lucca-host acme.ilucca.net    # once: the key is asked for and checked
  roster office import week.csv                             # simulate, show the analysis
  roster office import week.csv --create                    # then create, after asking
  roster users sync hr-export.csv --key employeeNumber      # plan only
  roster docutools import users.csv --map Email=Email       # preview, ask, import once

Exit status: 0 done, 1 refused, 2 usage, 3 outcome unknown, 4 transient, 130 interrupted (`roster man`).";

/// `--version`: the command's, and the versions of the vendored specs it
/// was built from.
fn version() -> String {
    format!(
        "{} (specs: Lucca Office {}, Lucca Directory {}, Docutools users {})",
        env!("CARGO_PKG_VERSION"),
        roster::office::Client::api_version(),
        roster::directory::Client::api_version(),
        roster::docutools::Client::api_version(),
    )
}

/// The command line's definition, with its version.
fn definition() -> clap::Command {
    Cli::command().version(version())
}

/// `roster serve --help` (or `roster help serve`): the local servers take
/// none of the tenant's options, so their help shows only their own (clap
/// would list the global ones in every command's help).
fn serve_help(args: &[std::ffi::OsString]) -> Option<String> {
    // The command is the first word that is neither an option nor the
    // value of a global option that takes one.
    let definition = Cli::command();
    let valued: Vec<String> = definition
        .get_arguments()
        .filter(|arg| arg.is_global_set() && arg.get_action().takes_values())
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect();
    let mut words = args
        .iter()
        .skip(1)
        .map(|arg| arg.to_str().unwrap_or_default());
    let mut command = None;
    while let Some(word) = words.next() {
        if valued.iter().any(|flag| flag == word) {
            words.next();
        } else if !word.starts_with('-') {
            command = Some(word);
            break;
        }
    }
    let rest: Vec<&str> = words.collect();
    let asked = match command? {
        "serve" => rest.iter().any(|word| *word == "--help" || *word == "-h"),
        "help" => rest.first() == Some(&"serve"),
        _ => false,
    };
    if !asked {
        return None;
    }
    let mut serve = definition
        .find_subcommand("serve")?
        .clone()
        .bin_name("roster serve");
    Some(serve.render_long_help().to_string())
}

/// Whether `command` writes one table, which `--format csv` writes as CSV.
fn has_one_table(command: &Command) -> bool {
    use office::OfficeCommand as Office;
    use users::UsersCommand as Users;
    matches!(
        command,
        Command::Office(
            Office::WorkLocations | Office::UserLocations { .. } | Office::Journal { .. }
        ) | Command::Users(Users::List { .. })
            | Command::Profiles {
                command: None | Some(profile_setup::ProfilesCommand::List)
            }
    ) || matches!(command, Command::Users(Users::Sync(args)) if !args.apply)
}

/// What standard error shows of the requests: with `-v`, one plain line a
/// request; on a terminal (unless `--quiet`), a line when an answer is slow;
/// with `-vv`, also every event of `roster` at debug level.
fn show_requests(verbose: u8, quiet: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let slow = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    if verbose == 0 && !slow {
        return;
    }
    let requests = requests::Lines::new(verbose > 0, slow)
        .with_filter(Targets::new().with_target("roster::transport", LevelFilter::INFO));
    let events = (verbose > 1).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(Targets::new().with_target("roster", LevelFilter::DEBUG))
    });
    let _ = tracing_subscriber::registry()
        .with(requests)
        .with(events)
        .try_init();
}

fn main() -> ExitCode {
    if let Some(help) = serve_help(&std::env::args_os().collect::<Vec<_>>()) {
        ui::emit(help.trim_end());
        return ExitCode::SUCCESS;
    }
    let parsed = definition()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    show_requests(cli.verbose, cli.quiet);
    match cli.command {
        Command::Completions { shell } => {
            // The profiles' names, as they are when the script is made
            // (`source <(roster completions bash)` makes it anew).
            let names = profile::Profiles::load()
                .map(|profiles| profiles.names())
                .unwrap_or_default();
            let mut definition = definition().mut_arg("profile", |arg| {
                arg.value_parser(clap::builder::PossibleValuesParser::new(names))
            });
            clap_complete::generate(shell, &mut definition, "roster", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Command::Man => {
            return match man::render(definition(), &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    ui::emit_err(format_args!(
                        "roster: cannot write the manual page: {error}"
                    ));
                    ExitCode::from(exit::TRANSIENT)
                }
            };
        }
        _ => {}
    }
    let format = match (cli.json, cli.format) {
        (true, _) => ui::Format::Jsonl,
        (false, format) => format.unwrap_or_default(),
    };
    if format == ui::Format::Csv && !has_one_table(&cli.command) {
        ui::emit_err(format_args!(
            "roster: --format csv is for listings and plans (one table); use --format json here"
        ));
        return ExitCode::from(exit::USAGE);
    }
    // A host given by a flag, an env file or the environment means that
    // tenant, not the default profile.
    let elsewhere = cli.host.is_some()
        || cli.env_file.is_some()
        || ["LUCCA_HOST", "DOCUTOOLS_HOST"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    let selected = profile::Profiles::load().and_then(|profiles| {
        let profile = profiles.selected(cli.profile.clone(), elsewhere)?;
        Ok((profiles, profile))
    });
    let (profiles, profile) = match selected {
        Ok(profile) => profile,
        Err(failure) => {
            ui::emit_err(format_args!("roster: {}", failure.message));
            return ExitCode::from(failure.code);
        }
    };
    let context = Context::new(
        format,
        cli.quiet,
        config::Sources {
            host: cli.host,
            secret_file: cli.api_key_file,
            env_file: cli.env_file,
            rate: cli.rate,
            timeout: cli.timeout,
            connect_timeout: cli.connect_timeout,
            profile,
            profiles,
            store: std::sync::OnceLock::new(),
            key_origin: std::sync::OnceLock::new(),
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            ui::emit_err(format_args!("roster: cannot start: {error}"));
            return ExitCode::from(exit::TRANSIENT);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Office(command) => office::run(command, &context).await,
            Command::Users(command) => users::run(command, &context).await,
            Command::Docutools(command) => docutools::run(command, &context).await,
            Command::Api(args) => api::run(args, &context).await,
            Command::Profiles { command } => {
                let command = command.unwrap_or(profile_setup::ProfilesCommand::List);
                profile_setup::run(command, &context).await
            }
            Command::Spec(SpecCommand::Diff { old, new, api }) => {
                spec::diff(old, new, api, &context)
            }
            Command::Serve(mut options) => {
                options.json |= context.json;
                roster_emulator::serve(options).await.map_err(|error| {
                    Failure::transient(format!("the local servers stopped: {error}"))
                })
            }
            // Answered before the runtime starts.
            Command::Completions { .. } | Command::Man => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            ui::emit_err(format_args!("roster: {}", failure.message));
            if failure.key_refused {
                let origin = context.sources.key_origin.get();
                ui::emit_err(format_args!(
                    "the key is refused: {}; `roster profiles check` tries each profile's",
                    origin.map_or("check it", String::as_str)
                ));
            }
            ExitCode::from(failure.code)
        }
    }
}

#[cfg(test)]
mod tests {
    /// clap's own checks of the definition (names, ids, globals).
    #[test]
    fn the_definition_is_consistent() {
        super::definition().debug_assert();
    }

    /// `serve`'s own help only for the command `serve` (or `help serve`),
    /// not for a word `serve` elsewhere.
    #[test]
    fn serve_help_is_for_the_serve_command_only() {
        let asked = |line: &str| {
            let args: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
            super::serve_help(&args).is_some()
        };
        assert!(asked("roster serve --help"));
        assert!(asked("roster -v --profile acme serve -h"));
        assert!(asked("roster help serve"));
        assert!(!asked("roster serve --port 0"));
        assert!(!asked("roster office import serve --help"));
        assert!(!asked("roster --profile serve users list -h"));
    }

    /// The tenant's `--profile` and the local servers' `--server-profile`
    /// are two arguments (one id for both made `serve` panic).
    #[test]
    fn a_tenant_profile_and_a_server_profile_are_apart() {
        use clap::FromArgMatches;
        let matches = super::definition()
            .try_get_matches_from([
                "roster",
                "--profile",
                "acme",
                "serve",
                "--server-profile",
                "strict",
            ])
            .unwrap();
        let cli = super::Cli::from_arg_matches(&matches).unwrap();
        assert_eq!(cli.profile.as_deref(), Some("acme"));
        let super::Command::Serve(options) = cli.command else {
            panic!("{:?}", cli.command)
        };
        assert_eq!(format!("{:?}", options.profile), "Strict");
    }
}
