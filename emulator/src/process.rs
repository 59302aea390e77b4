//! Serving the local servers as a process: what `roster-emulator` (and
//! `roster serve`) run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{DocutoolsSetup, LocalDocutools, LocalLucca, Profile, Setup};

/// How to serve: the flags of `roster-emulator` and of `roster serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeOptions {
    /// Lucca's loopback port (Docutools takes the next one); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The vendor variant to play: documented, strict, dotnet or drifted.
    #[arg(
        id = "server_profile",
        long = "server-profile",
        default_value = "documented"
    )]
    pub profile: Profile,
    /// Adds this many generated employees (`user0000`…) to the account.
    #[arg(long, default_value_t = 0)]
    pub seed_users: usize,
    /// Also writes the variables to this file, once the servers listen.
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// Prints the variables as one JSON object instead of `NAME=value` lines.
    #[arg(long)]
    pub json: bool,
    /// Lucca's request limit, `N/DURATION` (`50/60s`, as Lucca documents):
    /// over it, `429` with `Retry-After`. Off by default.
    #[arg(long, value_name = "N/DURATION", value_parser = crate::lab::parse_limit)]
    pub rate_limit: Option<crate::RequestLimit>,
    /// How long an import takes from upload to progress 100 (`2s`).
    #[arg(long, value_name = "DURATION", value_parser = crate::lab::parse_duration)]
    pub import_duration: Option<Duration>,
    /// A fault for the next requests of a route, `ROUTE=FAULT[*COUNT]`
    /// (repeatable): routes any, import, create, progress, analysis,
    /// results, lists, users, token, users-upload, users-import; faults
    /// `status:CODE`, `html:CODE`, `delay:DURATION`, `drop-before`,
    /// `drop-after` (applied, never answered), `cut`, `body:TEXT`.
    #[arg(long, value_name = "ROUTE=FAULT", value_parser = crate::lab::parse_fault)]
    pub fault: Vec<crate::lab::FaultFlag>,
    /// Writes the counters (requests by operation, creations by file
    /// hash, imports applied, 429s, the most requests in any window) to
    /// this file as JSON when stopped; they are printed on standard error
    /// too.
    #[arg(long, value_name = "PATH")]
    pub counters: Option<PathBuf>,
}

/// Starts both servers, writes `--env-file` (atomically), prints
/// `LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST` and `DOCUTOOLS_TOKEN` on
/// standard output, and serves until Ctrl-C or SIGTERM.
pub async fn serve(options: ServeOptions) -> std::io::Result<()> {
    let knobs = options.profile.knobs();
    let setup = Setup::default()
        .with_generated_employees(options.seed_users)
        .with_knobs(knobs.clone());
    let lucca = LocalLucca::start_on(setup, options.port).await?;
    let docutools_setup = DocutoolsSetup {
        // The printed token serves a whole working day.
        token_lifetime: Duration::from_secs(12 * 3600),
        knobs,
        ..DocutoolsSetup::default()
    };
    let docutools_port = if options.port == 0 {
        0
    } else {
        options.port.saturating_add(1)
    };
    let docutools = LocalDocutools::start_on(docutools_setup, docutools_port).await?;
    lucca.set_rate_limit(options.rate_limit);
    if let Some(duration) = options.import_duration {
        lucca.set_import_duration(duration);
    }
    for flag in &options.fault {
        // Each server matches only its own routes (`any`: both).
        lucca
            .faults()
            .inject_n(flag.route, flag.fault.clone(), flag.count);
        docutools
            .faults()
            .inject_n(flag.route, flag.fault.clone(), flag.count);
    }
    let mut text = String::new();
    for (name, value) in lucca.env().into_iter().chain(docutools.env()) {
        text.push_str(&format!("{name}={value}\n"));
    }
    if let Some(path) = &options.env_file {
        write_atomically(path, &text)?;
    }
    let mut stdout = std::io::stdout().lock();
    if options.json {
        let object: serde_json::Map<String, serde_json::Value> = lucca
            .env()
            .into_iter()
            .chain(docutools.env())
            .map(|(name, value)| (name.to_owned(), value.into()))
            .collect();
        writeln!(stdout, "{}", serde_json::Value::Object(object))?;
    } else {
        stdout.write_all(text.as_bytes())?;
    }
    stdout.flush()?;
    drop(stdout);
    eprintln!("serving the {} profile; stop with Ctrl-C", options.profile);
    stopped().await;
    if let Some(path) = &options.env_file {
        let _ = std::fs::remove_file(path);
    }
    let window = options
        .rate_limit
        .map_or(Duration::from_secs(60), |limit| limit.per);
    let counters = crate::lab::counters(&lucca, window);
    eprintln!("{counters}");
    if let Some(path) = &options.counters {
        write_atomically(path, &format!("{counters}\n"))?;
    }
    Ok(())
}

/// Writes beside `path`, then renames: a reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".{}.partial", std::process::id()));
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text)?;
    // It holds the servers' keys: readable by its owner only (as the
    // command line wants a secret file to be).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&partial, path)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
