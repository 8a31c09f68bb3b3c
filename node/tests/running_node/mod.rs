//! A `lineup-node` process for tests that talk to it over HTTP.

#![allow(dead_code)] // each test binary uses part of it

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `lineup-node` process serving on a free port of 127.0.0.1.
pub(crate) struct RunningNode {
    child: Child,
    pub(crate) graphql: String,
    _data_dir: tempfile::TempDir,
}

impl RunningNode {
    pub(crate) fn start() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lineup-node"))
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--http", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let graphql = lines
            .by_ref()
            .map(|line| line.unwrap())
            .find_map(|line| line.strip_prefix("graphql:").map(|url| url.trim().to_owned()))
            .expect("the node prints its GraphQL address");
        // Keep reading so the node never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            graphql,
            _data_dir: data_dir,
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
