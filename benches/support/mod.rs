//! What the benches share: the local servers as their own process (so that
//! the bench's memory is the client's alone), the process's memory and CPU
//! time, sizes from the environment, medians.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

/// The local servers, run as `roster-emulator` in release mode; stopped
/// when dropped.
pub struct Emulator {
    child: Child,
    /// `LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST`, `DOCUTOOLS_TOKEN`.
    pub env: HashMap<String, String>,
}

impl Emulator {
    /// Starts it with `seed_users` generated employees and waits until it
    /// listens (its env file appears).
    pub fn start(seed_users: usize) -> Emulator {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
        std::fs::create_dir_all(&dir).unwrap();
        let env_file = dir.join(format!("emulator-{}.env", std::process::id()));
        let _ = std::fs::remove_file(&env_file);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut child = Command::new(cargo)
            .args(["run", "--quiet", "--release", "-p", "roster-emulator", "--"])
            .args(["--seed-users", &seed_users.to_string()])
            .arg("--env-file")
            .arg(&env_file)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("cargo runs roster-emulator");
        for _ in 0..6000 {
            if let Ok(text) = std::fs::read_to_string(&env_file) {
                let env = text
                    .lines()
                    .filter_map(|line| line.split_once('='))
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect();
                return Emulator { child, env };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("roster-emulator did not start");
    }

    /// A Lucca configuration for it, without the rate limit.
    pub fn lucca(&self) -> roster::LuccaConfig {
        roster::LuccaConfig::new(
            &self.env["LUCCA_HOST"],
            roster::LuccaApiKey::new(self.env["LUCCA_API_KEY"].clone()),
        )
        .unwrap()
        .with_rate_limit(None)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM through `kill`, so that it removes its env file.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// The peak resident memory since the last reset, in MiB (Linux).
pub fn peak_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The resident memory now, in MiB (Linux).
pub fn resident_mib() -> f64 {
    status_mib("VmRSS:")
}

/// The `field` of `/proc/self/status` (in kB there), in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Resets the peak to the resident memory now (Linux `clear_refs` 5).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The CPU time this process has used (user and system), in seconds (Linux,
/// at the kernel's 100 ticks a second).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime
    // are the 14th and 15th of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
    };
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// A bench's size: `quick` when run by `cargo test --benches` (once, small:
/// `cargo bench` passes `--bench`), else the number in variable `name`, else
/// `default`.
pub fn sized(name: &str, default: usize, quick: usize) -> usize {
    if !std::env::args().any(|arg| arg == "--bench") {
        return quick;
    }
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
