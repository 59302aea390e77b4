//! A real `redis-server` (Debian's package) for the tests of the `redis`
//! feature: started on a free loopback port, stopped when dropped. Where it
//! is not installed the tests say so and skip, unless `ROSTER_REQUIRE_REDIS`
//! is set (as `.ci/run` sets it, after installing it): then they fail.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    port: u16,
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
        // A free port: the kernel's choice, released just before the server
        // takes it (another test taking it in between fails to start, loudly).
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Self { child, port };
        server.wait_until_ready();
        Some(server)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Answers `PING` within 10 s, or the test fails.
    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut answer = [0; 7];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut answer).is_ok()
                    && &answer == b"+PONG\r\n"
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer",
                self.port
            );
            std::thread::yield_now();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (taken and released): where a store
/// that cannot be reached points.
pub fn closed_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}
