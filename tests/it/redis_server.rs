//! A real `redis-server` (Debian's package) for the tests of the `redis`
//! feature: started on a free loopback port, stopped when dropped. Where it
//! is not installed the tests say so and skip, unless `ROSTER_REQUIRE_REDIS`
//! is set (as `.ci/run` sets it, after installing it): then they fail.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    port: u16,
    binary: std::path::PathBuf,
}

impl RedisServer {
    /// Starts one, or says why not (and `None`) where it is not installed.
    pub fn start(test: &str) -> Option<Self> {
        let binary = std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join("redis-server"))
                    .find(|candidate| candidate.is_file())
            })
            .unwrap_or_default();
        let Some(binary) = binary else {
            let why = "redis-server is not installed (`apt-get install redis-server`; .ci/run installs it)";
            assert!(
                std::env::var_os("ROSTER_REQUIRE_REDIS").is_none(),
                "{test}: {why}, and ROSTER_REQUIRE_REDIS is set"
            );
            // Straight to standard error, past the test harness's capture:
            // a skip is always said.
            let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
            return None;
        };
        // A free port: the kernel's choice, released just before the
        // server takes it. Another process may take it in between: then
        // this server exits, or another one answers (not with this one's
        // process id), and a new port is tried.
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(&binary, port);
            if ready(&mut child, port) {
                return Some(Self {
                    child,
                    port,
                    binary,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{test}: redis-server did not start on any of five free ports");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server and starts a new one, empty, on the same port (a
    /// Redis restarted under the workers).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.binary, self.port);
        assert!(
            ready(&mut self.child, self.port),
            "redis-server did not start again on port {}",
            self.port
        );
    }
}

/// `redis-server` on loopback `port`, keeping nothing on disk.
fn spawn(binary: &std::path::Path, port: u16) -> Child {
    Command::new(binary)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}

/// Whether `child` answers on `port` within 10 s: it is still running, and
/// the server there says it is this process.
fn ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let itself = format!("process_id:{}", child.id());
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        let info = client
            .get_connection_with_timeout(Duration::from_secs(1))
            .and_then(|mut connection| {
                redis::cmd("INFO")
                    .arg("server")
                    .query::<String>(&mut connection)
            });
        match info {
            Ok(info) => return info.lines().any(|line| line.trim() == itself),
            Err(_) => std::thread::yield_now(),
        }
    }
    false
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (taken and released), where a new
/// server listens.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}
