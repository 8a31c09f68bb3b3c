//! A real `lineup-node` process on 127.0.0.1, with a data dir of its own.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use crate::child_output::ChildOutput;
use crate::graphql;
use crate::workspace::workspace_root;

/// How long a node may take from its start to printing its addresses.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `lineup-node demo` may take to fill a data dir.
const DEMO_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a node may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `lineup-node`: its HTTP API (and UI) on a free port of
/// 127.0.0.1, QUIC on another, off the LAN (`--no-mdns`), in a fresh data
/// dir unless one was given.
///
/// Dropping it stops the node with SIGTERM (then SIGKILL if it does not stop
/// in 10 s) and removes its temporary data dir.
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
    stderr: ChildOutput,
    data_dir: PathBuf,
    addresses: Addresses,
    // Removed after the node stopped: fields drop after `Drop::drop`.
    _temp_dir: Option<tempfile::TempDir>,
}

/// How to start a [`NodeProcess`]: [`NodeProcess::builder`], then
/// [`start`](NodeProcessBuilder::start).
#[derive(Debug, Default)]
pub struct NodeProcessBuilder {
    data_dir: Option<PathBuf>,
    demo: bool,
    ui_dir: Option<PathBuf>,
    peers: Vec<SocketAddr>,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    arm64: bool,
}

impl NodeProcessBuilder {
    /// Fills the data dir with the demo festival (`lineup-node demo`) before
    /// the node starts.
    pub fn demo(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Serves the built web UI in `dir` at `/` (`--ui-dir`); see
    /// [`built_ui`](crate::built_ui).
    pub fn ui_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ui_dir = Some(dir.into());
        self
    }

    /// Keeps in sync with the node whose QUIC address this is (`--peer`);
    /// repeat for more.
    pub fn peer(mut self, quic: SocketAddr) -> Self {
        self.peers.push(quic);
        self
    }

    /// Uses this data dir, which outlives the node (to start a node on it
    /// again), instead of a fresh temporary one.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Passes one more command-line argument to the node.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable of the node, e.g. `RUST_LOG`.
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((name.into(), value.into()));
        self
    }

    /// Runs the node built for ARM64 phones ([`arm64_node_binary`]) under
    /// `qemu-aarch64-static` instead of the x86_64 one.
    pub fn arm64(mut self) -> Self {
        self.arm64 = true;
        self
    }

    /// Builds `lineup-node` (once per test process), runs `demo` if asked,
    /// starts the node and waits until it prints its addresses (30 s at
    /// most). Blocks the calling thread meanwhile.
    pub fn start(self) -> anyhow::Result<NodeProcess> {
        let node = if self.arm64 {
            Program::Emulated(arm64_node_binary()?)
        } else {
            Program::Native(lineup_node_binary()?)
        };
        let (data_dir, temp_dir) = match self.data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("lineup-e2e-node-")
                    .tempdir()
                    .context("making a data dir for the node")?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        if self.demo {
            run_demo(&node, &data_dir)?;
        }
        let mut command = node.command();
        command.arg("--data-dir").arg(&data_dir).args([
            "--http",
            "127.0.0.1:0",
            "--quic",
            "127.0.0.1:0",
            "--no-mdns",
        ]);
        if let Some(ui_dir) = &self.ui_dir {
            command.arg("--ui-dir").arg(ui_dir);
        }
        for peer in &self.peers {
            command.arg("--peer").arg(peer.to_string());
        }
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().with_context(|| format!("starting {node}"))?;
        let stderr = ChildOutput::collect(child.stderr.take());
        let started = read_start_lines(&mut child).and_then(|printed| Addresses::from_printed(&printed));
        let addresses = match started {
            Ok(addresses) => addresses,
            Err(error) => {
                let _ = child.kill();
                let status = child.wait().ok();
                anyhow::bail!(
                    "{error:#} (lineup-node {}); its stderr:\n{}",
                    status.map_or_else(|| "did not stop".to_owned(), |status| status.to_string()),
                    stderr.text_after_exit()
                );
            }
        };
        Ok(NodeProcess {
            child,
            stderr,
            data_dir,
            addresses,
            _temp_dir: temp_dir,
        })
    }
}

/// What a node prints on start: where it is, and its key.
#[derive(Debug)]
struct Addresses {
    http: String,
    owner_url: String,
    owner_token: String,
    public_key: String,
    quic: SocketAddr,
}

impl Addresses {
    fn from_printed(printed: &HashMap<String, String>) -> anyhow::Result<Self> {
        let field = |label: &str| {
            printed
                .get(label)
                .cloned()
                .with_context(|| format!("lineup-node printed no `{label}:` line on start: {printed:?}"))
        };
        let graphql = field("graphql")?;
        let http = graphql
            .strip_suffix("/graphql")
            .with_context(|| format!("the GraphQL address {graphql} does not end in /graphql"))?
            .to_owned();
        let owner_url = field("owner")?;
        let owner_token = owner_url
            .split_once("#token=")
            .map(|(_, token)| token.to_owned())
            .with_context(|| format!("the owner URL {owner_url} has no #token="))?;
        let quic = field("quic")?;
        let quic = quic
            .parse()
            .with_context(|| format!("the QUIC address {quic} is not host:port"))?;
        Ok(Addresses {
            http,
            owner_url,
            owner_token,
            public_key: field("public key")?,
            quic,
        })
    }
}

impl NodeProcess {
    /// Starts a node with an empty data dir and no UI.
    pub fn start() -> anyhow::Result<Self> {
        Self::builder().start()
    }

    /// A node with options: demo data, a UI, peers, a data dir.
    pub fn builder() -> NodeProcessBuilder {
        NodeProcessBuilder::default()
    }

    /// Where its HTTP API and UI are, as `http://127.0.0.1:PORT` (no `/` at
    /// the end).
    pub fn http_url(&self) -> &str {
        &self.addresses.http
    }

    /// `path` (starting with `/`) on the node's HTTP server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addresses.http)
    }

    /// Its GraphQL endpoint, `http://127.0.0.1:PORT/graphql`.
    pub fn graphql_url(&self) -> String {
        self.url("/graphql")
    }

    /// The URL the node prints for its owner: the UI with the owner token in
    /// the fragment, `http://127.0.0.1:PORT/#token=…`.
    pub fn owner_url(&self) -> &str {
        &self.addresses.owner_url
    }

    /// The token that lets requests write with the node's key.
    pub fn owner_token(&self) -> &str {
        &self.addresses.owner_token
    }

    /// Its node key, as hex.
    pub fn public_key(&self) -> &str {
        &self.addresses.public_key
    }

    /// Where other nodes reach it over QUIC; give it to another node's
    /// [`peer`](NodeProcessBuilder::peer).
    pub fn quic_addr(&self) -> SocketAddr {
        self.addresses.quic
    }

    /// Its data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// What it wrote on stderr so far (warnings, and logs if `RUST_LOG` was
    /// set).
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Sends a GraphQL query or mutation as anyone on the network (no
    /// token) and answers its `data`.
    pub async fn graphql(&self, query: &str) -> anyhow::Result<Value> {
        self.graphql_with(None, query, Value::Null).await
    }

    /// Sends a GraphQL query or mutation with the owner token and answers
    /// its `data`.
    pub async fn graphql_as_owner(&self, query: &str) -> anyhow::Result<Value> {
        self.graphql_with(Some(&self.addresses.owner_token), query, Value::Null)
            .await
    }

    /// Sends a GraphQL query or mutation with `variables`, with `token` if
    /// given, and answers its `data`. A failure shows the node's stderr.
    pub async fn graphql_with(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        graphql::post(&self.graphql_url(), token, query, variables)
            .await
            .map_err(|error| self.with_stderr(error))
    }

    /// Stops the node with SIGTERM and fails unless it stopped cleanly
    /// within 10 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let status = self.terminate()?;
        anyhow::ensure!(
            status.success(),
            "lineup-node stopped with {status}; its stderr:\n{}",
            self.stderr.text_after_exit()
        );
        Ok(())
    }

    /// `error`, and what the node wrote on stderr.
    fn with_stderr(&self, error: anyhow::Error) -> anyhow::Error {
        let stderr = self.stderr();
        if stderr.trim().is_empty() {
            error
        } else {
            error.context(format!("lineup-node's stderr:\n{stderr}"))
        }
    }

    /// SIGTERM, then SIGKILL if it does not stop in time; its exit status.
    fn terminate(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        // Only this node's own process, by its PID.
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .with_context(|| format!("sending SIGTERM to lineup-node ({pid:?})"))?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        let status = self.child.wait()?;
        anyhow::bail!(
            "lineup-node did not stop within {STOP_TIMEOUT:?} of SIGTERM and was killed ({status}); its stderr:\n{}",
            self.stderr.text_after_exit()
        )
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        // A failed test shows these beside its own message.
        match self.terminate() {
            Ok(status) if status.success() => {}
            Ok(status) => eprintln!(
                "lineup-node stopped with {status}; its stderr:\n{}",
                self.stderr.text_after_exit()
            ),
            Err(error) => eprintln!("stopping lineup-node: {error:#}"),
        }
    }
}

/// The `lineup-node` executable of this workspace, built by cargo on first
/// use in this process with the profile the tests were built with: a
/// no-op of a second when `cargo test` built the workspace already.
pub fn lineup_node_binary() -> anyhow::Result<&'static Path> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    built_once(&BINARY, "lineup-node")
}

/// The desktop app's executable (`lineup`), built like [`lineup_node_binary`].
pub fn lineup_app_binary() -> anyhow::Result<&'static Path> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    built_once(&BINARY, "lineup")
}

fn built_once(
    binary: &'static OnceLock<Result<PathBuf, String>>,
    name: &str,
) -> anyhow::Result<&'static Path> {
    binary
        .get_or_init(|| build_binary(name).map_err(|error| format!("{error:#}")))
        .as_deref()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

/// The `lineup-node` a test runs.
#[derive(Debug)]
enum Program {
    /// Built for this machine.
    Native(&'static Path),
    /// Built for ARM64, run by qemu-user.
    Emulated(&'static Path),
}

impl Program {
    fn command(&self) -> Command {
        match self {
            Program::Native(binary) => Command::new(binary),
            Program::Emulated(binary) => {
                let mut command = Command::new("qemu-aarch64-static");
                command.arg(binary);
                command
            }
        }
    }
}

impl std::fmt::Display for Program {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Program::Native(binary) => write!(formatter, "{}", binary.display()),
            Program::Emulated(binary) => write!(formatter, "qemu-aarch64-static {}", binary.display()),
        }
    }
}

/// `lineup-node` for ARM64 phones, built (once per test process) by
/// `scripts/build-arm64-node` with the tools `scripts/setup` installs.
pub fn arm64_node_binary() -> anyhow::Result<&'static Path> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(|| build_arm64_node().map_err(|error| format!("{error:#}")))
        .as_deref()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

fn build_arm64_node() -> anyhow::Result<PathBuf> {
    let script = workspace_root().join("scripts").join("build-arm64-node");
    let output = Command::new(&script)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "{} failed ({}); scripts/setup installs what it needs:\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let binary = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    anyhow::ensure!(
        binary.is_file(),
        "{} built no {}",
        script.display(),
        binary.display()
    );
    Ok(binary)
}

/// A test target of this crate: asking for it makes cargo resolve features
/// with dev-dependencies on, as `cargo test` does.
const HARNESS_TEST: &str = "harness";

/// Builds the executable `name` (`lineup-node`, or the app's `lineup`) as
/// `cargo test` at the workspace root builds it, so that cargo finds every
/// unit fresh instead of compiling the node's tree a second time.
///
/// Cargo unifies features over the packages a command selects, and counts
/// dev-dependencies only when the command builds a target that needs them:
/// `cargo build -p lineup-node` resolves other features than `cargo test`
/// does and compiles ~100 units again. Without `-p`, cargo selects the
/// default members as `cargo test` does; `--test harness` turns the
/// dev-dependencies on while adding just one target `cargo test` builds
/// too (`--all-targets` would also compile the benchmarks, which `cargo
/// test` leaves out). After `cargo test -p lineup-tests` alone, this is
/// still correct, only not free: it compiles the node's tree once.
fn build_binary(name: &str) -> anyhow::Result<PathBuf> {
    // Cargo sets CARGO for the tests and programs it runs. A program run
    // by hand asks rustup's `cargo` in the workspace, which pins the
    // workspace's toolchain for every rustc it starts: a toolchain's own
    // cargo would start rustc in each crate's folder, where rustup follows
    // the crate's own rust-toolchain.toml (urlpattern 0.6 has one).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = workspace_root().join("Cargo.toml");
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "--bin", name, "--test", HARNESS_TEST])
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&manifest);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", Path::new(&cargo).display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        output.status.success(),
        "cargo build --bin {name} failed ({}):\n{stderr}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == name
                && message["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo built no {name} executable:\n{stderr}"))
}

/// Runs `lineup-node demo` on `data_dir`, within [`DEMO_TIMEOUT`].
fn run_demo(node: &Program, data_dir: &Path) -> anyhow::Result<()> {
    let mut child = node
        .command()
        .arg("--data-dir")
        .arg(data_dir)
        .arg("demo")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {node} demo"))?;
    let stdout = ChildOutput::collect(child.stdout.take());
    let stderr = ChildOutput::collect(child.stderr.take());
    let deadline = Instant::now() + DEMO_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "lineup-node demo did not finish within {DEMO_TIMEOUT:?}; its stderr:\n{}",
                stderr.text_after_exit()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    anyhow::ensure!(
        status.success(),
        "lineup-node demo failed ({status}):\n{}{}",
        stdout.text_after_exit(),
        stderr.text_after_exit()
    );
    Ok(())
}

/// Reads the `label: value` lines the node prints on start, up to its
/// `owner:` line, the last one before it serves.
fn read_start_lines(child: &mut Child) -> anyhow::Result<HashMap<String, String>> {
    let stdout = child.stdout.take().context("lineup-node has no stdout")?;
    let (lines_tx, lines_rx) = mpsc::channel();
    // Reads stdout to its end, so that the node never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                // Nobody waits for lines any more: keep draining.
                continue;
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    let mut printed = HashMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines_rx.recv_timeout(left) {
            Ok(line) => {
                if let Some((label, value)) = line.split_once(':') {
                    printed.insert(label.trim().to_owned(), value.trim().to_owned());
                }
                if printed.contains_key("owner") {
                    return Ok(printed);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                anyhow::bail!(
                    "lineup-node printed no owner URL within {START_TIMEOUT:?}; it printed {printed:?}"
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::bail!(
                    "lineup-node closed its stdout before it printed an owner URL; it printed {printed:?}"
                )
            }
        }
    }
}
